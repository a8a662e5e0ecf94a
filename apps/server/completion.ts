/**
 * POST /v1/completions: one completion of a prompt, OpenAI's legacy completions shape, whole
 * or as server-sent events. Generation is synchronous CPU work per token (generateTokens
 * carries the recurrent state, so each token is one T = 1 step); the loop yields to the event
 * loop between tokens so health checks and other streams keep moving, and stops as soon as
 * the client disconnects, the server shuts down or the time limit passes.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RnnlmError, generateTokens } from '../../src/node.js';
import { type AbortReason, type ServerContext, type Work, beginWork } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { DEFAULT_MAX_TOKENS } from './limits.js';
import type { CompletionBody } from './schemas.js';
import { StopFilter } from './stop.js';
import { TextPieces } from './text.js';

export type FinishReason = 'length' | 'stop';

interface CompletionParams {
  prompt: string;
  promptTokens: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  stop: string[];
}

/** Tokenizes the prompt to check its length; an unknown character is the client's error. */
export function countTokens(ctx: ServerContext, text: string, param: string): number {
  let n: number;
  try {
    n = ctx.tokenizer.encode(text, { addEos: false }).length;
  } catch (e) {
    if (e instanceof RnnlmError) throw new ApiError(400, e.message, param, e.code);
    throw e;
  }
  if (n > ctx.limits.maxPromptTokens) {
    throw new ApiError(400, `'${param}' is ${n} tokens long; this server accepts at most ${ctx.limits.maxPromptTokens}. Send a shorter text.`, param, 'prompt_too_long');
  }
  return n;
}

function paramsOf(ctx: ServerContext, b: CompletionBody): CompletionParams {
  return {
    prompt: b.prompt,
    promptTokens: countTokens(ctx, b.prompt, 'prompt'),
    maxTokens: b.max_tokens ?? Math.min(DEFAULT_MAX_TOKENS, ctx.limits.maxTokens),
    temperature: b.temperature ?? 1,
    topP: b.top_p ?? 1,
    topK: b.top_k ?? 0,
    // Never Date.now(): two requests in the same millisecond would sample the same text.
    seed: b.seed ?? randomInt(0, 2 ** 32 - 1),
    stop: b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop,
  };
}

/** One running generation: iterate `pieces()` for the text, then read how it ended. */
export class Generation {
  finishReason: FinishReason = 'length';
  completionTokens = 0;
  /** Why it stopped early, if it did (a timeout finishes with 'length'). */
  interrupted: AbortReason | 'timeout' | null = null;

  constructor(
    private readonly ctx: ServerContext,
    readonly params: CompletionParams,
    private readonly work: Work,
  ) {}

  async *pieces(): AsyncGenerator<string> {
    const { ctx, params: p, work } = this;
    work.begin();
    const tok = ctx.tokenizer;
    const tokens = generateTokens(ctx.model, tok, {
      prompt: p.prompt,
      maxTokens: p.maxTokens,
      temperature: p.temperature,
      topP: p.topP,
      topK: p.topK,
      seed: p.seed,
      stopAtEos: true,
    });
    const stops = new StopFilter(p.stop);
    const text = new TextPieces(tok, p.prompt);
    try {
      for (;;) {
        if (work.signal.aborted) {
          this.interrupted = work.signal.reason as AbortReason;
          break;
        }
        if (Date.now() >= work.deadline) {
          this.interrupted = 'timeout';
          break;
        }
        const r = tokens.next(); // one model step, synchronous
        if (r.done) break;
        this.completionTokens++;
        ctx.metrics.tokens.inc();
        if (tok.eosId !== null && r.value.id === tok.eosId) {
          // <eos> ends the text like OpenAI's end-of-text token: not part of the text.
          this.finishReason = 'stop';
          break;
        }
        const { emit, stopped } = stops.push(text.next(r.value.id));
        if (emit) yield emit;
        if (stopped) {
          this.finishReason = 'stop';
          return;
        }
        await nextTurn(); // let I/O and other requests run between tokens
      }
      const rest = stops.flush();
      if (rest) yield rest;
    } finally {
      // Also reached when the consumer stops iterating (a destroyed stream): the abort
      // signal then says why.
      if (!this.interrupted && work.signal.aborted) this.interrupted = work.signal.reason as AbortReason;
      if (this.interrupted) ctx.metrics.cancelled.inc({ reason: this.interrupted });
      tokens.return(undefined);
      work.end();
    }
  }
}

interface Envelope {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
}

const envelope = (ctx: ServerContext): Envelope => ({
  id: `cmpl-${randomBytes(12).toString('hex')}`,
  object: 'text_completion',
  created: Math.floor(Date.now() / 1000),
  model: ctx.modelName,
});

const choice = (text: string, finish: FinishReason | null) => ({ text, index: 0, logprobs: null, finish_reason: finish });

const usage = (g: Generation) => ({
  prompt_tokens: g.params.promptTokens,
  completion_tokens: g.completionTokens,
  total_tokens: g.params.promptTokens + g.completionTokens,
});

const shutdownError = () =>
  new ApiError(503, 'The server is shutting down; the generation was stopped. Retry against a running server.', null, 'server_shutting_down');

export async function completionHandler(ctx: ServerContext, req: FastifyRequest<{ Body: CompletionBody }>, reply: FastifyReply): Promise<unknown> {
  const params = paramsOf(ctx, req.body);
  const stream = req.body.stream === true;
  const work = beginWork(ctx, reply, { stream });
  const gen = new Generation(ctx, params, work);
  const env = envelope(ctx);

  if (!stream) {
    let text = '';
    try {
      for await (const piece of gen.pieces()) text += piece;
    } finally {
      work.end();
    }
    if (gen.interrupted === 'shutdown') throw shutdownError();
    return { ...env, choices: [choice(text, gen.finishReason)], usage: usage(gen) };
  }

  const includeUsage = req.body.stream_options?.include_usage === true;
  const data = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;
  async function* events(): AsyncGenerator<string> {
    try {
      for await (const piece of gen.pieces()) yield data({ ...env, choices: [choice(piece, null)] });
      if (gen.interrupted === 'shutdown') {
        yield data(shutdownError().body());
      } else {
        yield data({ ...env, choices: [choice('', gen.finishReason)] });
        if (includeUsage) yield data({ ...env, choices: [], usage: usage(gen) });
      }
    } catch (e) {
      // Headers are sent: the failure goes to the client as an error event, OpenAI-style.
      const api = toApiError(e);
      if (api.statusCode >= 500) req.log.error({ err: e }, 'generation failed mid-stream');
      yield data(api.body());
    } finally {
      work.end();
    }
    yield 'data: [DONE]\n\n';
  }
  // Readable.from pulls one event at a time: a slow reader slows generation (back-pressure)
  // instead of buffering, and a closed connection destroys the stream, ending the generator.
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(Readable.from(events(), { highWaterMark: 1 }));
}
