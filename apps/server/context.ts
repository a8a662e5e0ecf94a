/**
 * State shared by the route handlers of one server: the model, the limits, the slot
 * semaphore, the metrics and the set of running jobs (so shutdown can stop them), plus
 * `beginWork`, which every model-using request goes through.
 */
import type { FastifyReply } from 'fastify';
import type { RNNLM, Tokenizer } from '../../src/node.js';
import { ApiError } from './errors.js';
import type { ServerLimits } from './limits.js';
import { Counter, Gauge, Histogram, Registry } from './metrics.js';
import { Semaphore } from './semaphore.js';

/** Why a job stopped before it was done. */
export type AbortReason = 'client' | 'shutdown';

export interface ServerMetrics {
  registry: Registry;
  requests: Counter;
  duration: Histogram;
  tokens: Counter;
  scoredTokens: Counter;
  cancelled: Counter;
}

export interface ServerContext {
  model: RNNLM;
  tokenizer: Tokenizer;
  limits: ServerLimits;
  modelName: string;
  slots: Semaphore;
  metrics: ServerMetrics;
  /** Running jobs: aborted with 'shutdown' when the server closes. */
  active: Set<AbortController>;
  /** Open SSE streams (a gauge). */
  streams: number;
}

export function createContext(model: RNNLM, tokenizer: Tokenizer, limits: ServerLimits, modelName: string): ServerContext {
  const registry = new Registry();
  const ctx: ServerContext = {
    model,
    tokenizer,
    limits,
    modelName,
    slots: new Semaphore(limits.maxConcurrent),
    active: new Set(),
    streams: 0,
    metrics: {
      registry,
      requests: registry.add(new Counter('rnnlm_http_requests_total', 'HTTP requests by method, route and status (499: the client closed the connection first).')),
      duration: registry.add(
        new Histogram('rnnlm_http_request_duration_seconds', 'HTTP request duration by route, streams included.', [
          0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
        ]),
      ),
      tokens: registry.add(new Counter('rnnlm_generated_tokens_total', 'Tokens generated (completions and streams).')),
      scoredTokens: registry.add(new Counter('rnnlm_scored_tokens_total', 'Tokens scored by /v1/score.')),
      cancelled: registry.add(new Counter('rnnlm_generations_cancelled_total', 'Generations stopped early, by reason (client disconnect, shutdown, timeout).')),
    },
  };
  registry.add(new Gauge('rnnlm_active_streams', 'Server-sent-event streams open now.', () => ctx.streams));
  registry.add(new Gauge('rnnlm_active_jobs', 'Generations and scorings running now (bounded by --max-concurrent).', () => ctx.slots.inUse));
  registry.add(new Gauge('rnnlm_max_concurrent_jobs', 'The --max-concurrent limit.', () => limits.maxConcurrent));
  registry.add(new Gauge('process_resident_memory_bytes', 'Resident set size of the server process.', () => process.memoryUsage.rss()));
  registry.add(new Gauge('nodejs_heap_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed));
  return ctx;
}

export interface Work {
  signal: AbortSignal;
  /** Date.now() past which the job stops (ServerLimits.timeoutMs). */
  deadline: number;
  /** Marks the job as running: from now on only `end()` frees the slot. */
  begin(): void;
  /** Frees the slot (idempotent). The job calls it when it stops. */
  end(): void;
}

/**
 * Takes a slot for one request's model work or throws 429. The job is aborted with 'client'
 * when the connection closes before the response is complete. The slot (and the stream
 * gauge) is freed by the job itself when it has really stopped — so the gauges never show a
 * generation as gone while it still computes — or at the close when the job never began.
 */
export function beginWork(ctx: ServerContext, reply: FastifyReply, opts: { stream?: boolean } = {}): Work {
  const release = ctx.slots.tryAcquire();
  if (!release) {
    throw new ApiError(
      429,
      `The server is busy: ${ctx.limits.maxConcurrent} requests are already being processed. Retry after a second.`,
      null,
      'rate_limit_exceeded',
      'rate_limit_error',
      { 'retry-after': '1' },
    );
  }
  const ac = new AbortController();
  ctx.active.add(ac);
  if (opts.stream) ctx.streams++;
  let ended = false;
  let started = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    release();
    ctx.active.delete(ac);
    if (opts.stream) ctx.streams--;
  };
  const res = reply.raw;
  // The client may have gone while the body was parsed: then 'close' has already fired.
  if (res.destroyed) ac.abort('client' satisfies AbortReason);
  res.once('close', () => {
    if (!res.writableFinished) ac.abort('client' satisfies AbortReason);
    if (!started) end();
  });
  const begin = (): void => {
    started = true;
  };
  return { signal: ac.signal, deadline: Date.now() + ctx.limits.timeoutMs, begin, end };
}
