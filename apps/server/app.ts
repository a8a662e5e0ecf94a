/**
 * `buildServer`: a fastify instance serving one loaded language model —
 *   POST /v1/completions  OpenAI-style completion (whole or server-sent events)
 *   POST /v1/score        log-probabilities of texts
 *   GET  /healthz         liveness and a model summary
 *   GET  /metrics         Prometheus text format
 * Every error is an OpenAI-style body; bodies are JSON only, validated by JSON schema with no
 * type coercion ("5" is not a number). The caller listens (`app.listen`) and closes
 * (`app.close()` stops running generations first).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RNNLM, type Tokenizer, getBackend } from '../../src/node.js';
import { completionHandler } from './completion.js';
import { registerChatRoutes } from './chat.js';
import type { LoadedChatModel } from '../../src/chat/index.js';
import { type ServerContext, createContext } from './context.js';
import { ApiError, toApiError } from './errors.js';
import { type ServerLimits, resolveLimits } from './limits.js';
import { PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { type CompletionBody, type ScoreBody, completionSchema, scoreSchema } from './schemas.js';
import { scoreHandler } from './score.js';

export { DEFAULT_LIMITS, type ServerLimits } from './limits.js';

export interface BuildServerOptions {
  model: RNNLM;
  tokenizer: Tokenizer;
  /** Missing fields take DEFAULT_LIMITS. */
  limits?: Partial<ServerLimits>;
  /** fastify's logger option (false = silent, the default). */
  logger?: FastifyServerOptions['logger'];
  /** The `model` field of responses (default "rnnlm"). */
  modelName?: string;
  /** A dialogue model (rnnlm chat train): adds POST /v1/chat/completions. */
  chat?: LoadedChatModel;
}

/** How long close() waits for stopped generations to send their last event. */
const DRAIN_MS = 5000;

export function buildServer(opts: BuildServerOptions): FastifyInstance {
  const limits = resolveLimits(opts.limits);
  if (opts.tokenizer.vocabSize !== opts.model.config.vocabSize) {
    throw new RangeError(`the tokenizer has ${opts.tokenizer.vocabSize} tokens but the model expects ${opts.model.config.vocabSize}`);
  }
  const ctx = createContext(opts.model, opts.tokenizer, limits, opts.modelName ?? 'rnnlm');
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.timeoutMs,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is a 415

  instrument(app, ctx);

  app.setErrorHandler((err, req, reply) => {
    const api = toApiError(err);
    if (api.statusCode >= 500) req.log.error({ err }, 'request failed');
    return reply.code(api.statusCode).headers(api.headers).send(api.body());
  });
  app.setNotFoundHandler((req, reply) => {
    const where = `${req.method} ${req.url.length > 200 ? `${req.url.slice(0, 200)}…` : req.url}`;
    const api = new ApiError(404, `Unknown route ${where}. This server serves POST /v1/completions, POST /v1/score, GET /healthz and GET /metrics.`, null, 'not_found');
    return reply.code(404).send(api.body());
  });

  app.post<{ Body: CompletionBody }>('/v1/completions', { schema: { body: completionSchema(limits) } }, (req, reply) => completionHandler(ctx, req, reply));
  app.post<{ Body: ScoreBody }>('/v1/score', { schema: { body: scoreSchema(limits) } }, (req, reply) => scoreHandler(ctx, req, reply));
  if (opts.chat) registerChatRoutes(app, ctx, opts.chat);
  app.get('/healthz', async () => health(ctx));
  app.get('/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(ctx.metrics.registry.render()));

  // Shutdown: stop running generations (streams get a final error event), give them a moment
  // to flush, then let fastify close the listener and the idle connections.
  app.addHook('preClose', async () => {
    for (const ac of ctx.active) ac.abort('shutdown');
    const until = Date.now() + DRAIN_MS;
    while (ctx.active.size > 0 && Date.now() < until) await sleep(10);
  });
  return app;
}

/** Request count and duration by method, route and status, recorded when the response ends. */
function instrument(app: FastifyInstance, ctx: ServerContext): void {
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

function health(ctx: ServerContext) {
  const c = ctx.model.config;
  return {
    status: 'ok',
    model: {
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
    },
    backend: getBackend().name,
    limits: ctx.limits,
    active: { jobs: ctx.slots.inUse, streams: ctx.streams },
  };
}
