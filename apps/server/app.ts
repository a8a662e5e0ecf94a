/**
 * `buildServer`: a fastify instance serving one loaded model. A language model gets
 *   POST /v1/completions  OpenAI-style completion (whole or server-sent events; logprobs, echo)
 *   POST /v1/score        log-probabilities of texts
 *   (POST /v1/chat/completions when a dialogue model is given too);
 * a sentence classifier gets
 *   POST /v1/classify     labels and class probabilities of texts (classify.ts);
 * and every server
 *   GET  /healthz         liveness and a model summary
 *   GET  /metrics         Prometheus text format
 * The routes are one list (`routes`); a new route is one more entry there, and shares what this
 * function sets up for all of them: every error is an OpenAI-style body; bodies are JSON only,
 * validated by JSON schema with no type coercion ("5" is not a number), within --body-limit;
 * model work takes one of --max-concurrent slots or waits in a bounded queue; optional API key
 * and CORS (access.ts); request metrics. Generations share one batched model step per token
 * (batcher.ts). The caller listens (`app.listen`) and closes: `app.close()` refuses new and
 * queued requests, gives running ones up to `shutdownGraceMs` to finish, then stops them.
 */
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions, type RouteOptions } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RNNLM, type Tokenizer, getBackend } from '../../src/node.js';
import { type AccessOptions, installAccess } from './access.js';
import { type ServedClassifier, classifierSummary, classifyRoute } from './classify.js';
import { completionHandler } from './completion.js';
import { type ServerContext, type ServerCore, createContext, createCore, shuttingDown } from './context.js';
import { chatRoute } from './chat.js';
import type { LoadedChatModel } from '../../src/chat/index.js';
import { ApiError, toApiError } from './errors.js';
import { type ServerLimits, resolveLimits } from './limits.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { type CompletionBody, type ScoreBody, completionSchema, scoreSchema } from './schemas.js';
import { scoreHandler } from './score.js';

export { DEFAULT_LIMITS, type ServerLimits } from './limits.js';

/** What a server serves: a language model (with an optional dialogue model), or a sentence classifier. */
export type ServedModel =
  | {
      model: RNNLM;
      tokenizer: Tokenizer;
      /** A dialogue model (rnnlm chat train): adds POST /v1/chat/completions. */
      chat?: LoadedChatModel;
      classifier?: never;
    }
  | { classifier: ServedClassifier; model?: never; tokenizer?: never; chat?: never };

export type BuildServerOptions = ServedModel & ServerOptions;

export interface ServerOptions {
  /** Missing fields take DEFAULT_LIMITS. */
  limits?: Partial<ServerLimits>;
  /** fastify's logger option (false = silent, the default). */
  logger?: FastifyServerOptions['logger'];
  /** The `model` field of responses (default "rnnlm"). */
  modelName?: string;
  /** API key and CORS origins (default: open, CORS off). */
  access?: AccessOptions;
  /** How long close() lets running requests finish before stopping them, in ms (default DEFAULT_SHUTDOWN_GRACE_MS). */
  shutdownGraceMs?: number;
  /** Told when shutdown begins and ends, with counts, so the caller can log what happens. */
  onShutdown?: (event: ShutdownEvent) => void;
}

export type ShutdownEvent = { phase: 'begin'; running: number; queued: number; graceMs: number } | { phase: 'end'; finished: number; stopped: number };

/** 20 s: inside the 30 s a process supervisor (Kubernetes, systemd) commonly allows after SIGTERM. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 20_000;

/** How long close() waits for stopped generations to send their last event. */
const DRAIN_MS = 5000;
/** Then how long it lets written events flush before closing every connection. */
const FLUSH_MS = 100;

export function buildServer(opts: BuildServerOptions): FastifyInstance {
  const limits = resolveLimits(opts.limits);
  const modelName = opts.modelName ?? 'rnnlm';
  let ctx: ServerCore;
  let served: RouteOptions[];
  let about: About;
  if (opts.classifier) {
    const core = createCore(limits, modelName);
    ctx = core;
    served = [classifyRoute(core, opts.classifier)];
    about = { model: () => classifierSummary(core, opts.classifier), active: () => ({}) };
  } else {
    if (opts.tokenizer.vocabSize !== opts.model.config.vocabSize) {
      throw new RangeError(`the tokenizer has ${opts.tokenizer.vocabSize} tokens but the model expects ${opts.model.config.vocabSize}`);
    }
    const lm = createContext(opts.model, opts.tokenizer, limits, modelName);
    ctx = lm;
    served = lmRoutes(lm, opts.chat);
    about = { model: () => lmSummary(lm), active: () => ({ batch: lm.batcher.size }) };
  }
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.timeoutMs,
    return503OnClosing: false, // our own 503 below, in the OpenAI error shape
    // After the grace period (preClose below) no connection may hold the shutdown open: a client
    // that stopped reading without closing its socket kept the old server from exiting at all.
    forceCloseConnections: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is a 415

  instrument(app, ctx);
  // While shutting down every request (health checks too, so balancers stop sending) gets a 503.
  app.addHook('onRequest', async (_req, reply) => {
    if (!ctx.draining) return;
    ctx.metrics.refused.inc({ reason: 'shutdown' });
    reply.header('connection', 'close');
    throw shuttingDown();
  });

  app.setErrorHandler((err, req, reply) => {
    // A client that went away (premature close), before or after a stream's headers went out, is
    // ordinary, not a server error, and there is no one left to answer.
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      req.log.debug({ err }, 'client closed the stream');
      reply.raw.destroy();
      return;
    }
    if (reply.raw.headersSent) {
      // A stream already under way: nothing more can be sent; the stream's own error events
      // cover failures of the generation itself (completion.ts).
      req.log.error({ err }, 'stream failed after its headers were sent');
      reply.raw.destroy();
      return;
    }
    const api = toApiError(err);
    if (api.statusCode >= 500) req.log.error({ err }, 'request failed');
    // JSON even where a streaming route had already set its event-stream content type.
    return reply.code(api.statusCode).type('application/json; charset=utf-8').headers(api.headers).send(api.body());
  });
  const all = [...served, ...commonRoutes(ctx, about)];
  app.setNotFoundHandler((req, reply) => {
    const where = `${req.method} ${req.url.length > 200 ? `${req.url.slice(0, 200)}…` : req.url}`;
    const list = all.map((r) => `${String(r.method)} ${r.url}`).join(', ');
    const api = new ApiError(404, `Unknown route ${where}. This server serves ${list}.`, null, 'not_found');
    return reply.code(404).send(api.body());
  });
  installAccess(app, opts.access ?? {});
  for (const r of all) app.route(r);

  // Shutdown: refuse new and queued requests, give running ones the grace period, then stop
  // what is left (streams get a final error event) and give that a moment to flush, then let
  // fastify close the listener and the idle connections.
  const graceMs = opts.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  app.addHook('preClose', async () => {
    ctx.draining = true;
    const running = ctx.active.size;
    opts.onShutdown?.({ phase: 'begin', running, queued: ctx.waiting.size, graceMs });
    for (const ac of ctx.waiting) ac.abort('shutdown');
    const graceUntil = Date.now() + graceMs;
    while (ctx.active.size > 0 && Date.now() < graceUntil) await sleep(10);
    const stopped = ctx.active.size;
    for (const ac of ctx.active) ac.abort('shutdown');
    const until = Date.now() + DRAIN_MS;
    while (ctx.active.size > 0 && Date.now() < until) await sleep(10);
    await sleep(FLUSH_MS); // the last events reach the sockets before they are closed
    opts.onShutdown?.({ phase: 'end', finished: running - stopped, stopped });
  });
  return app;
}

/**
 * The routes of a language model: method, path, body schema and handler. A new route is one
 * more entry (here, or in commonRoutes when every server has it).
 */
function lmRoutes(ctx: ServerContext, chat: LoadedChatModel | undefined): RouteOptions[] {
  const l = ctx.limits;
  return [
    {
      method: 'POST',
      url: '/v1/completions',
      schema: { body: completionSchema(l) },
      handler: (req, reply) => completionHandler(ctx, req as FastifyRequest<{ Body: CompletionBody }>, reply),
    },
    {
      method: 'POST',
      url: '/v1/score',
      schema: { body: scoreSchema(l) },
      handler: (req, reply) => scoreHandler(ctx, req as FastifyRequest<{ Body: ScoreBody }>, reply),
    },
    ...(chat ? [chatRoute(ctx, chat)] : []),
  ];
}

/** The served model's part of /healthz: its summary and its own activity counts. */
interface About {
  model: () => object;
  active: () => object;
}

/** The routes every server has, whatever it serves. */
function commonRoutes(ctx: ServerCore, about: About): RouteOptions[] {
  return [
    { method: 'GET', url: '/healthz', handler: async () => health(ctx, about) },
    { method: 'GET', url: '/metrics', handler: async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(ctx.metrics.registry.render()) },
  ];
}

/** Request count and duration by method, route and status, recorded when the response ends. */
function instrument(app: FastifyInstance, ctx: ServerCore): void {
  app.addHook('onRequest', (req, reply, done) => {
    const t0 = process.hrtime.bigint();
    const res = reply.raw;
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      // The route pattern, never the raw URL: unknown paths must not create new series.
      const route = req.routeOptions.url ?? 'unmatched';
      const status = res.writableFinished ? String(res.statusCode) : '499';
      ctx.metrics.requests.inc({ method: req.method, route, status });
      ctx.metrics.duration.observe({ route }, Number(process.hrtime.bigint() - t0) / 1e9);
    };
    res.once('finish', record);
    res.once('close', record);
    done();
  });
}

function lmSummary(ctx: ServerContext) {
  const c = ctx.model.config;
  return {
    name: ctx.modelName,
    architecture: 'rnnlm',
    cell: c.cell,
    vocabSize: c.vocabSize,
    embedSize: c.embedSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    tieWeights: c.tieWeights,
    parameters: ctx.model.numParameters(),
    tokenizer: ctx.tokenizer.kind,
  };
}

function health(ctx: ServerCore, about: About) {
  return {
    status: 'ok',
    model: about.model(),
    backend: getBackend().name,
    limits: ctx.limits,
    active: { jobs: ctx.slots.inUse, queued: ctx.slots.queued, ...about.active(), streams: ctx.streams },
  };
}
