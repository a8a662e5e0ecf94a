/** A request's text parameters as token ids: the tokenizer's errors and the prompt length limit as client errors (400). */
import { RnnlmError } from '../../src/node.js';
import type { ServerContext } from './context.js';
import { ApiError } from './errors.js';

/** Tokenizes a text (checking its length); an unknown character is the client's error. */
export function tokenizeParam(ctx: ServerContext, text: string, param: string): Int32Array {
  let ids: Int32Array;
  try {
    ids = ctx.tokenizer.encode(text, { addEos: false });
  } catch (e) {
    if (e instanceof RnnlmError) throw new ApiError(400, e.message, param, e.code);
    throw e;
  }
  if (ids.length > ctx.limits.maxPromptTokens) {
    throw new ApiError(
      400,
      `'${param}' is ${ids.length} tokens long; this server accepts at most ${ctx.limits.maxPromptTokens}. Send a shorter text.`,
      param,
      'prompt_too_long',
    );
  }
  return ids;
}

/** The token count of a text (see tokenizeParam). */
export function countTokens(ctx: ServerContext, text: string, param: string): number {
  return tokenizeParam(ctx, text, param).length;
}
