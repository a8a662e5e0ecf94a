/**
 * State shared by the route handlers of one server: the model, the limits, the slot
 * semaphore and its queue, the generation batcher, the metrics and the set of running jobs
 * (so shutdown can stop them), plus `beginWork`, which every model-using request goes through.
 */
import type { FastifyReply } from 'fastify';
import type { RNNLM, Tokenizer } from '../../src/node.js';
import { Batcher } from './batcher.js';
import { ApiError } from './errors.js';
import type { ServerLimits } from './limits.js';
import { Counter, Gauge, Histogram, Registry } from './metrics.js';
import { Semaphore } from './semaphore.js';

/** Why a job stopped before it was done. */
export type AbortReason = 'client' | 'shutdown' | 'timeout';

export interface ServerMetrics {
  registry: Registry;
  requests: Counter;
  duration: Histogram;
  tokens: Counter;
  scoredTokens: Counter;
  cancelled: Counter;
  queueWait: Histogram;
  batchRows: Histogram;
  refused: Counter;
}

export interface ServerContext {
  model: RNNLM;
  tokenizer: Tokenizer;
  limits: ServerLimits;
  modelName: string;
  slots: Semaphore;
  batcher: Batcher;
  metrics: ServerMetrics;
  /** Admitted jobs (running or waiting for a slot): aborted with 'shutdown' when the grace period ends. */
  active: Set<AbortController>;
  /** Jobs waiting in the queue. */
  waiting: Set<AbortController>;
  /** Open SSE streams (a gauge). */
  streams: number;
  /** Set when shutdown begins: new and queued requests are refused. */
  draining: boolean;
}

export function createContext(model: RNNLM, tokenizer: Tokenizer, limits: ServerLimits, modelName: string): ServerContext {
  const registry = new Registry();
  const ctx: ServerContext = {
    model,
    tokenizer,
    limits,
    modelName,
    slots: new Semaphore(limits.maxConcurrent, limits.maxQueue),
    batcher: new Batcher(model, tokenizer, limits.batchRowGroup),
    active: new Set(),
    waiting: new Set(),
    streams: 0,
    draining: false,
    metrics: {
      registry,
      requests: registry.add(
        new Counter('rnnlm_http_requests_total', 'HTTP requests by method, route and status (499: the client closed the connection first).'),
      ),
      duration: registry.add(
        new Histogram(
          'rnnlm_http_request_duration_seconds',
          'HTTP request duration by route, streams included.',
          [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        ),
      ),
      tokens: registry.add(new Counter('rnnlm_generated_tokens_total', 'Tokens generated (completions and streams).')),
      scoredTokens: registry.add(new Counter('rnnlm_scored_tokens_total', 'Tokens scored by /v1/score (and echoed prompts).')),
      cancelled: registry.add(new Counter('rnnlm_generations_cancelled_total', 'Generations stopped early, by reason (client disconnect, shutdown, timeout).')),
      queueWait: registry.add(new Histogram('rnnlm_queue_wait_seconds', 'Time a request waited for a slot.', [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30])),
      batchRows: registry.add(new Histogram('rnnlm_batch_rows', 'Sequences advanced by one batched generation step.', [1, 2, 4, 8, 16, 32, 64, 128])),
      refused: registry.add(new Counter('rnnlm_requests_refused_total', 'Requests refused before any work, by reason (queue_full, shutdown).')),
    },
  };
  ctx.batcher.onStep = (rows) => ctx.metrics.batchRows.observe({}, rows);
  registry.add(new Gauge('rnnlm_active_streams', 'Server-sent-event streams open now.', () => ctx.streams));
  registry.add(new Gauge('rnnlm_active_jobs', 'Generations and scorings running now (bounded by --max-concurrent).', () => ctx.slots.inUse));
  registry.add(new Gauge('rnnlm_queued_jobs', 'Requests waiting for a slot (bounded by --max-queue).', () => ctx.slots.queued));
  registry.add(new Gauge('rnnlm_batch_sequences', 'Generations in the shared batch now.', () => ctx.batcher.size));
  registry.add(new Gauge('rnnlm_max_concurrent_jobs', 'The --max-concurrent limit.', () => limits.maxConcurrent));
  registry.add(new Gauge('process_resident_memory_bytes', 'Resident set size of the server process.', () => process.memoryUsage.rss()));
  registry.add(new Gauge('nodejs_heap_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed));
  return ctx;
}

export interface Work {
  signal: AbortSignal;
  /** Date.now() past which the job stops (ServerLimits.timeoutMs, counted from arrival). */
  deadline: number;
  /** Marks the job as running: from now on only `end()` frees the slot. */
  begin(): void;
  /** Frees the slot (idempotent). The job calls it when it stops. */
  end(): void;
}

const busy = (ctx: ServerContext): ApiError =>
  new ApiError(
    429,
    `The server is busy: ${ctx.limits.maxConcurrent} requests are running and ${ctx.limits.maxQueue} are waiting. Retry after a second.`,
    null,
    'rate_limit_exceeded',
    'rate_limit_error',
    { 'retry-after': '1' },
  );

export const shuttingDown = (): ApiError =>
  new ApiError(503, 'The server is shutting down and takes no new work. Retry against a running server.', null, 'server_shutting_down', 'server_error', {
    'retry-after': '1',
  });

/**
 * Takes a slot for one request's model work, waiting in the bounded queue when every slot is
 * busy; throws 429 when the queue is full too, 503 when the server is shutting down, 504 when
 * the request's time limit passes while it waits. The job is aborted with 'client' when the
 * connection closes before the response is complete. The slot (and the stream gauge) is freed
 * by the job itself when it has really stopped — so the gauges never show a generation as gone
 * while it still computes — or at the close when the job never began.
 */
export async function beginWork(ctx: ServerContext, reply: FastifyReply, opts: { stream?: boolean } = {}): Promise<Work> {
  if (ctx.draining) {
    ctx.metrics.refused.inc({ reason: 'shutdown' });
    throw shuttingDown();
  }
  const ac = new AbortController();
  const deadline = Date.now() + ctx.limits.timeoutMs;
  const res = reply.raw;
  // The client may have gone while the body was parsed: then 'close' has already fired.
  if (res.destroyed) ac.abort('client' satisfies AbortReason);
  const onClose = (): void => {
    if (!res.writableFinished) ac.abort('client' satisfies AbortReason);
  };
  res.once('close', onClose);
  const timer = setTimeout(() => ac.abort('timeout' satisfies AbortReason), Math.max(0, deadline - Date.now()));
  timer.unref();

  const t0 = process.hrtime.bigint();
  ctx.waiting.add(ac);
  let release: (() => void) | null;
  try {
    release = await ctx.slots.acquire(ac.signal);
  } catch (reason) {
    clearTimeout(timer);
    res.off('close', onClose);
    if (reason === 'shutdown') throw shuttingDown();
    if (reason === 'timeout')
      throw new ApiError(504, 'The request waited for a free slot longer than the server allows. Retry later.', null, 'timeout', 'timeout_error');
    throw new ApiError(499, 'the client closed the connection', null, 'client_closed');
  } finally {
    ctx.waiting.delete(ac);
  }
  ctx.metrics.queueWait.observe({}, Number(process.hrtime.bigint() - t0) / 1e9);
  if (!release) {
    clearTimeout(timer);
    res.off('close', onClose);
    ctx.metrics.refused.inc({ reason: 'queue_full' });
    throw busy(ctx);
  }

  ctx.active.add(ac);
  if (opts.stream) ctx.streams++;
  let ended = false;
  let started = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    release!();
    ctx.active.delete(ac);
    if (opts.stream) ctx.streams--;
  };
  res.once('close', () => {
    if (!started) end();
  });
  const begin = (): void => {
    started = true;
  };
  return { signal: ac.signal, deadline, begin, end };
}
