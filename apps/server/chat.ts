/**
 * POST /v1/chat/completions: the next utterance of a conversation from a dialogue model
 * (rnnlm chat train), OpenAI's chat-completions shape, whole or as server-sent events.
 * The conversation is the `messages` list; "user" and "assistant" messages are the
 * utterances in order ("system" messages are accepted and ignored: the model has no
 * instructions channel), and the model answers the last ones (its context window of k
 * utterances). Decoding: beam search (`beam`, default 5) with n-gram blocking
 * (`no_repeat_ngram_size`, default 3) unless `temperature` is given, which samples
 * (with `top_p`, `top_k`, `seed`). Sampling streams token by token, yielding to the event
 * loop between decoder steps; beam search streams its finished response.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { CHAT_DECODE_DEFAULTS, type ChatDecodeOptions, type LoadedChatModel, ResponseText, respondSteps } from '../../src/chat/index.js';
import { type ServerContext, beginWork } from './context.js';
import { ApiError, toApiError } from './errors.js';
import type { ServerLimits } from './limits.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatBody {
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  seed?: number;
  beam?: number;
  no_repeat_ngram_size?: number;
  stream?: boolean;
  n?: number;
  model?: string;
  user?: string;
}

const UINT32_MAX = 4294967295;
const MAX_MESSAGES = 256;

export function chatSchema(l: ServerLimits) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['messages'],
    properties: {
      messages: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_MESSAGES,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['role', 'content'],
          properties: {
            role: { enum: ['system', 'user', 'assistant'] },
            content: { type: 'string', maxLength: l.maxPromptChars },
            name: { type: 'string', maxLength: 64 },
          },
        },
      },
      max_tokens: { type: 'integer', minimum: 1, maximum: l.maxTokens },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      top_k: { type: 'integer', minimum: 0, maximum: 1_000_000 },
      seed: { type: 'integer', minimum: 0, maximum: UINT32_MAX },
      beam: { type: 'integer', minimum: 1, maximum: 16 },
      no_repeat_ngram_size: { type: 'integer', minimum: 0, maximum: 16 },
      stream: { type: 'boolean' },
      n: { type: 'integer', const: 1 },
      model: { type: 'string', maxLength: 256 },
      user: { type: 'string', maxLength: 256 },
    },
  } as const;
}

function decodeOf(b: ChatBody): ChatDecodeOptions {
  const d = CHAT_DECODE_DEFAULTS;
  const common = { maxLen: b.max_tokens ?? d.maxLen, noRepeatNgram: b.no_repeat_ngram_size ?? d.noRepeatNgram };
  if (b.temperature === undefined) return { ...common, beam: b.beam ?? d.beam };
  return { ...common, sample: { temperature: b.temperature, topP: b.top_p ?? 1, topK: b.top_k ?? 0, seed: b.seed ?? randomInt(0, 2 ** 32 - 1) } };
}

function turnsOf(b: ChatBody): string[] {
  const turns = b.messages.filter((m) => m.role !== 'system').map((m) => m.content.trim());
  const empty = turns.indexOf('');
  if (empty >= 0)
    throw new ApiError(400, `messages: the ${empty + 1}. user/assistant message is empty; send the text of every utterance`, 'messages', 'empty_message');
  if (turns.length === 0) throw new ApiError(400, 'messages: send at least one "user" message for the model to answer', 'messages', 'no_utterance');
  return turns;
}

export async function chatHandler(ctx: ServerContext, chat: LoadedChatModel, req: FastifyRequest<{ Body: ChatBody }>, reply: FastifyReply): Promise<unknown> {
  const turns = turnsOf(req.body);
  const dec = decodeOf(req.body);
  const stream = req.body.stream === true;
  const work = await beginWork(ctx, reply, { stream });
  const env = { id: `chatcmpl-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model: ctx.modelName };
  let completionTokens = 0;
  let finish: 'stop' | 'length' = 'stop';
  /** The response text piece by piece; stops when the client goes, the server closes or time runs out. */
  async function* pieces(): AsyncGenerator<string> {
    work.begin();
    const text = new ResponseText(chat);
    const steps = respondSteps(chat, turns, dec);
    try {
      for (;;) {
        if (work.signal.aborted || Date.now() >= work.deadline) {
          finish = 'length';
          return;
        }
        const r = steps.next();
        if (r.done) {
          if (r.value.ids.length >= (dec.maxLen ?? 40)) finish = 'length';
          return;
        }
        completionTokens++;
        ctx.metrics.tokens.inc();
        const piece = text.push(r.value);
        if (piece) yield piece;
        await nextTurn();
      }
    } finally {
      steps.return(undefined as never);
      work.end();
    }
  }
  if (!stream) {
    let content = '';
    for await (const p of pieces()) content += p;
    return {
      ...env,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
      usage: { prompt_tokens: 0, completion_tokens: completionTokens, total_tokens: completionTokens },
    };
  }
  const data = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;
  const chunk = (delta: Record<string, string>, finishReason: string | null) => ({
    ...env,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  async function* events(): AsyncGenerator<string> {
    try {
      yield data(chunk({ role: 'assistant' }, null));
      for await (const p of pieces()) yield data(chunk({ content: p }, null));
      yield data(chunk({}, finish));
    } catch (e) {
      const api = toApiError(e);
      if (api.statusCode >= 500) req.log.error({ err: e }, 'chat generation failed mid-stream');
      yield data(api.body());
    }
    yield 'data: [DONE]\n\n';
  }
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(Readable.from(events(), { highWaterMark: 1 }));
}

/** Adds POST /v1/chat/completions for a dialogue model to a server built by buildServer. */
/** POST /v1/chat/completions, one entry of the server's route list (app.ts `routes`). */
export function chatRoute(ctx: ServerContext, chat: LoadedChatModel): RouteOptions {
  return {
    method: 'POST',
    url: '/v1/chat/completions',
    schema: { body: chatSchema(ctx.limits) },
    handler: (req, reply) => chatHandler(ctx, chat, req as FastifyRequest<{ Body: ChatBody }>, reply),
  };
}
