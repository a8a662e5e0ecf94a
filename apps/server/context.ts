/**
 * State shared by the route handlers of one server. `ServerCore` is what every served model
 * kind has: the limits, the slot semaphore and its queue, the request metrics, the set of
 * running jobs (so shutdown can stop them) and `beginWork`, which every model-using request
 * goes through. `ServerContext` adds a language model's parts: the model, its tokenizer, the
 * generation batcher and the token metrics.
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

/** Metrics of every server, whatever model it serves. */
export interface CoreMetrics {
  registry: Registry;
  requests: Counter;
  duration: Histogram;
  cancelled: Counter;
  queueWait: Histogram;
  refused: Counter;
}

/** A language-model server's metrics. */
export interface ServerMetrics extends CoreMetrics {
  tokens: Counter;
  scoredTokens: Counter;
  batchRows: Histogram;
}

export interface ServerCore {
  limits: ServerLimits;
  modelName: string;
  slots: Semaphore;
  metrics: CoreMetrics;
  /** Admitted jobs (running or waiting for a slot): aborted with 'shutdown' when the grace period ends. */
  active: Set<AbortController>;
  /** Jobs waiting in the queue. */
  waiting: Set<AbortController>;
  /** Open SSE streams (a gauge). */
  streams: number;
  /** Set when shutdown begins: new and queued requests are refused. */
  draining: boolean;
}

/** The state of a language-model server's routes. */
export interface ServerContext extends ServerCore {
  model: RNNLM;
  tokenizer: Tokenizer;
  batcher: Batcher;
  metrics: ServerMetrics;
}

export function createCore(limits: ServerLimits, modelName: string): ServerCore {
  const registry = new Registry();
  const core: ServerCore = {
    limits,
    modelName,
    slots: new Semaphore(limits.maxConcurrent, limits.maxQueue),
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
      cancelled: registry.add(new Counter('rnnlm_generations_cancelled_total', 'Generations stopped early, by reason (client disconnect, shutdown, timeout).')),
      queueWait: registry.add(new Histogram('rnnlm_queue_wait_seconds', 'Time a request waited for a slot.', [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30])),
      refused: registry.add(new Counter('rnnlm_requests_refused_total', 'Requests refused before any work, by reason (queue_full, shutdown).')),
    },
  };
  registry.add(new Gauge('rnnlm_active_jobs', 'Requests using the model now (bounded by --max-concurrent).', () => core.slots.inUse));
  registry.add(new Gauge('rnnlm_queued_jobs', 'Requests waiting for a slot (bounded by --max-queue).', () => core.slots.queued));
  registry.add(new Gauge('rnnlm_max_concurrent_jobs', 'The --max-concurrent limit.', () => limits.maxConcurrent));
  registry.add(new Gauge('process_resident_memory_bytes', 'Resident set size of the server process.', () => process.memoryUsage.rss()));
  registry.add(new Gauge('nodejs_heap_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed));
  return core;
}

export function createContext(model: RNNLM, tokenizer: Tokenizer, limits: ServerLimits, modelName: string): ServerContext {
  const core = createCore(limits, modelName);
  const registry = core.metrics.registry;
  const ctx: ServerContext = Object.assign(core, {
    model,
    tokenizer,
    batcher: new Batcher(model, tokenizer, limits.batchRowGroup),
    metrics: {
      ...core.metrics,
      tokens: registry.add(new Counter('rnnlm_generated_tokens_total', 'Tokens generated (completions and streams).')),
      scoredTokens: registry.add(new Counter('rnnlm_scored_tokens_total', 'Tokens scored by /v1/score (and echoed prompts).')),
      batchRows: registry.add(new Histogram('rnnlm_batch_rows', 'Sequences advanced by one batched generation step.', [1, 2, 4, 8, 16, 32, 64, 128])),
    },
  });
  ctx.batcher.onStep = (rows) => ctx.metrics.batchRows.observe({}, rows);
  registry.add(new Gauge('rnnlm_active_streams', 'Server-sent-event streams open now.', () => ctx.streams));
  registry.add(new Gauge('rnnlm_batch_sequences', 'Generations in the shared batch now.', () => ctx.batcher.size));
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

const busy = (ctx: ServerCore): ApiError =>
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
export async function beginWork(ctx: ServerCore, reply: FastifyReply, opts: { stream?: boolean } = {}): Promise<Work> {
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
