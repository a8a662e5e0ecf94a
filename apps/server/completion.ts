/**
 * POST /v1/completions: one completion of a prompt, OpenAI's legacy completions shape, whole
 * or as server-sent events, with OpenAI's `logprobs` (the sampled token's log-probability and
 * the top alternatives at each generated token, from the library's topCandidates) and `echo`
 * (the prompt returned before the completion; with logprobs, the prompt's tokens scored by
 * the library's per-token scorer, the first one null as it has no context).
 *
 * The generation itself is a sequence of the server's shared batch (batcher.ts): tokens
 * arrive here one step at a time. A reader that falls behind pauses its sequence; the request
 * stops as soon as the client disconnects, the server shuts down or the time limit passes.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type BatchToken, type Sequence, topCandidates } from '../../src/node.js';
import { type AbortReason, type ServerContext, type Work, beginWork } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { DEFAULT_MAX_TOKENS } from './limits.js';
import type { CompletionBody } from './schemas.js';
import { scoreIds } from './score.js';
import { StopFilter } from './stop.js';
import { TextPieces } from './text.js';
import { tokenizeParam } from './tokens.js';

export type FinishReason = 'length' | 'stop';

interface CompletionParams {
  prompt: string;
  promptIds: Int32Array;
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  stop: string[];
  /** Top alternatives per token, or null when log-probabilities were not asked for. */
  logprobs: number | null;
  echo: boolean;
}

/** Tokens a reader may fall behind before its sequence pauses, and where it resumes. */
const PAUSE_AT = 64;
const RESUME_AT = 8;

function paramsOf(ctx: ServerContext, b: CompletionBody): CompletionParams {
  const echo = b.echo === true;
  const maxTokens = b.max_tokens ?? Math.min(DEFAULT_MAX_TOKENS, ctx.limits.maxTokens);
  if (maxTokens === 0 && !echo) {
    throw new ApiError(
      400,
      "Invalid value for 'max_tokens': must be at least 1 (0 is allowed only with echo, to score the prompt).",
      'max_tokens',
      'invalid_value',
    );
  }
  return {
    prompt: b.prompt,
    promptIds: tokenizeParam(ctx, b.prompt, 'prompt'),
    maxTokens,
    temperature: b.temperature ?? 1,
    topP: b.top_p ?? 1,
    topK: b.top_k ?? 0,
    // Never Date.now(): two requests in the same millisecond would sample the same text.
    seed: b.seed ?? randomInt(0, 2 ** 32 - 1),
    stop: b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop,
    logprobs: b.logprobs ?? null,
    echo,
  };
}

/** OpenAI's per-choice logprobs object (for the tokens of one chunk, or of the whole text). */
export interface Logprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  /** Where each token starts in the choice's text (UTF-16 code units, as JavaScript indexes strings). */
  text_offset: number[];
}

interface TokenEntry {
  token: string;
  logprob: number | null;
  top: Record<string, number> | null;
  start: number;
  end: number;
}

const emptyLogprobs = (): Logprobs => ({ tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] });

function toLogprobs(entries: TokenEntry[]): Logprobs {
  const lp = emptyLogprobs();
  for (const e of entries) {
    lp.tokens.push(e.token);
    lp.token_logprobs.push(e.logprob);
    lp.top_logprobs.push(e.top);
    lp.text_offset.push(e.start);
  }
  return lp;
}

/**
 * The k most probable next tokens at this position, keyed by the text each would add, plus the
 * sampled one (as OpenAI: up to k + 1 entries).
 */
function alternatives(row: Float64Array, k: number, text: TextPieces, sampled: number): Record<string, number> {
  const top: Record<string, number> = {};
  for (const c of topCandidates(row, k)) {
    const t = text.peek(c.id);
    if (!(t in top)) top[t] = c.logProb;
  }
  const s = text.peek(sampled);
  if (!(s in top)) top[s] = row[sampled]!;
  return top;
}

/** The prompt's tokens with their log-probabilities, for echo + logprobs. */
async function promptEntries(ctx: ServerContext, p: CompletionParams, work: Work): Promise<TokenEntry[]> {
  const ids = p.promptIds;
  if (ids.length === 0) return [];
  const text = new TextPieces(ctx.tokenizer, '');
  const tops: (Record<string, number> | null)[] = new Array<Record<string, number> | null>(ids.length).fill(null);
  const pieces: string[] = [];
  // Row k predicts ids[k]; the pieces are built in order, so text.peek sees the right context.
  let built = 0;
  const advanceTo = (k: number): void => {
    while (built < k) pieces.push(text.next(ids[built++]!));
  };
  const lps = await scoreIds(ctx.model, ids, work, (k, row) => {
    advanceTo(k);
    tops[k] = alternatives(row, p.logprobs!, text, ids[k]!);
  });
  advanceTo(ids.length);
  ctx.metrics.scoredTokens.inc({}, ids.length - 1);
  // Offsets in the prompt as sent: each token's text is found from where the previous one ended.
  const entries: TokenEntry[] = [];
  let pos = 0;
  pieces.forEach((piece, k) => {
    const bare = piece.trimStart();
    const at = bare === '' ? -1 : p.prompt.indexOf(bare, pos);
    const start = at >= 0 ? at : pos;
    pos = at >= 0 ? at + bare.length : pos;
    const lp = lps[k]!;
    entries.push({ token: piece, logprob: Number.isNaN(lp) ? null : lp, top: tops[k] ?? null, start, end: pos });
  });
  return entries;
}

/** One running generation: iterate `pieces()` for the text (and logprobs), then read how it ended. */
export class Generation {
  finishReason: FinishReason = 'length';
  completionTokens = 0;
  /** Why it stopped early, if it did (a timeout finishes with 'length'). */
  interrupted: AbortReason | null = null;

  constructor(
    private readonly ctx: ServerContext,
    readonly params: CompletionParams,
    private readonly work: Work,
  ) {}

  /** Text pieces as they become safe to send, each with the logprobs of the tokens it completes. */
  async *pieces(base: number): AsyncGenerator<{ text: string; logprobs: TokenEntry[] }> {
    const { ctx, params: p, work } = this;
    work.begin();
    const tok = ctx.tokenizer;
    const buffer: BatchToken[] = [];
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    const poke = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    let seq: Sequence | null = null;
    const onAbort = (): void => poke();
    work.signal.addEventListener('abort', onAbort);
    try {
      if (p.maxTokens === 0) return;
      seq = ctx.batcher.join(
        {
          promptIds: p.promptIds,
          maxTokens: p.maxTokens,
          temperature: p.temperature,
          topK: p.topK,
          topP: p.topP,
          seed: p.seed,
          stopAtEos: true,
          distribution: p.logprobs !== null,
        },
        {
          token: (t) => {
            buffer.push(t);
            if (buffer.length >= PAUSE_AT) t.seq.paused = true; // the reader is behind: this row waits
            poke();
          },
          fail: (e) => {
            failure = e;
            poke();
          },
        },
      );
      const stops = new StopFilter(p.stop);
      const text = new TextPieces(tok, p.prompt);
      const pending: TokenEntry[] = [];
      let pos = base; // end of the text produced so far (held-back text included)
      let sent = base; // end of the text sent so far
      const release = (upTo: number, partial: boolean): TokenEntry[] => {
        let n = 0;
        while (n < pending.length && (partial ? pending[n]!.start < upTo : pending[n]!.end <= upTo)) n++;
        return pending.splice(0, n);
      };
      for (;;) {
        if (work.signal.aborted) {
          this.interrupted = work.signal.reason as AbortReason;
          break;
        }
        if (failure) throw failure;
        const t = buffer.shift();
        if (!t) {
          if (seq.done) break;
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (seq.paused && buffer.length <= RESUME_AT) ctx.batcher.resume(seq);
        this.completionTokens++;
        ctx.metrics.tokens.inc();
        if (tok.eosId !== null && t.id === tok.eosId) {
          // <eos> ends the text like OpenAI's end-of-text token: not part of the text.
          this.finishReason = 'stop';
          break;
        }
        const top = t.logProbs ? alternatives(t.logProbs, p.logprobs!, text, t.id) : null;
        const piece = text.next(t.id);
        if (t.logProbs) pending.push({ token: piece, logprob: t.logProbs[t.id]!, top, start: pos, end: pos + piece.length });
        pos += piece.length;
        const { emit, stopped } = stops.push(piece);
        sent += emit.length;
        if (stopped) {
          this.finishReason = 'stop';
          yield { text: emit, logprobs: release(sent, true) };
          return;
        }
        if (emit) yield { text: emit, logprobs: release(sent, false) };
      }
      const rest = stops.flush();
      sent += rest.length;
      if (rest || pending.length > 0) yield { text: rest, logprobs: release(sent, true) };
    } finally {
      // Also reached when the consumer stops iterating (a destroyed stream): the abort
      // signal then says why.
      work.signal.removeEventListener('abort', onAbort);
      if (!this.interrupted && work.signal.aborted) this.interrupted = work.signal.reason as AbortReason;
      if (this.interrupted) ctx.metrics.cancelled.inc({ reason: this.interrupted });
      if (seq) ctx.batcher.leave(seq);
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

const choice = (text: string, finish: FinishReason | null, logprobs: Logprobs | null = null) => ({ text, index: 0, logprobs, finish_reason: finish });

const usage = (g: Generation) => ({
  prompt_tokens: g.params.promptIds.length,
  completion_tokens: g.completionTokens,
  total_tokens: g.params.promptIds.length + g.completionTokens,
});

const shutdownError = () =>
  new ApiError(503, 'The server is shutting down; the generation was stopped. Retry against a running server.', null, 'server_shutting_down');

export async function completionHandler(ctx: ServerContext, req: FastifyRequest<{ Body: CompletionBody }>, reply: FastifyReply): Promise<unknown> {
  const params = paramsOf(ctx, req.body);
  const stream = req.body.stream === true;
  const work = await beginWork(ctx, reply, { stream });
  const gen = new Generation(ctx, params, work);
  const env = envelope(ctx);
  const withLogprobs = params.logprobs !== null;
  const base = params.echo ? params.prompt.length : 0;

  if (!stream) {
    let text = params.echo ? params.prompt : '';
    const entries: TokenEntry[] = [];
    try {
      if (params.echo && withLogprobs) entries.push(...(await promptEntries(ctx, params, work)));
      for await (const piece of gen.pieces(base)) {
        text += piece.text;
        entries.push(...piece.logprobs);
      }
    } finally {
      work.end();
    }
    if (gen.interrupted === 'shutdown') throw shutdownError();
    return { ...env, choices: [choice(text, gen.finishReason, withLogprobs ? toLogprobs(entries) : null)], usage: usage(gen) };
  }

  const includeUsage = req.body.stream_options?.include_usage === true;
  const data = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;
  async function* events(): AsyncGenerator<string> {
    try {
      if (params.echo) {
        const entries = withLogprobs ? await promptEntries(ctx, params, work) : [];
        yield data({ ...env, choices: [choice(params.prompt, null, withLogprobs ? toLogprobs(entries) : null)] });
      }
      for await (const piece of gen.pieces(base)) {
        yield data({ ...env, choices: [choice(piece.text, null, withLogprobs ? toLogprobs(piece.logprobs) : null)] });
      }
      if (gen.interrupted === 'shutdown') {
        yield data(shutdownError().body());
      } else {
        yield data({ ...env, choices: [choice('', gen.finishReason, withLogprobs ? emptyLogprobs() : null)] });
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
  // Readable.from pulls one event at a time: a slow reader leaves tokens in the generation's
  // buffer, which pauses its sequence, instead of buffering without bound.
  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(Readable.from(events(), { highWaterMark: 1 }));
}
