/**
 * `buildClassifierServer`: a fastify instance serving one loaded sentence classifier —
 *   POST /v1/classify   { text } or { texts: [...] } → each text's label and class probabilities
 *   GET  /healthz       liveness and a model summary
 *   GET  /metrics       Prometheus text format
 * It shares the language-model server's parts: OpenAI-style error bodies (errors.ts), the limits
 * (a text is bounded like a scored text: --max-prompt-chars/-tokens, --max-score-texts per
 * request), JSON-schema validation without coercion, the request metrics (app.ts `instrument`)
 * and the --max-concurrent slots (429 when all are busy).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { type LabelSet, type RNNClassifier, type Tokenizer, encodeSentence, getBackend, predictClasses } from '../../src/node.js';
import { type AccessOptions, installAccess } from './access.js';
import { instrument } from './app.js';
import { ApiError, toApiError } from './errors.js';
import { type ServerLimits, resolveLimits } from './limits.js';
import { Counter, Gauge, Histogram, PROMETHEUS_CONTENT_TYPE, Registry } from './metrics.js';
import { type ScoreBody, scoreSchema } from './schemas.js';
import { Semaphore } from './semaphore.js';

export interface BuildClassifierServerOptions {
  model: RNNClassifier;
  tokenizer: Tokenizer;
  labels: LabelSet;
  limits?: Partial<ServerLimits>;
  logger?: FastifyServerOptions['logger'];
  modelName?: string;
  /** API key and CORS, as the language-model server's (access.ts). */
  access?: AccessOptions;
}

/** A classify request has the shape of a score request: `text` or `texts`, and an optional `model` (schemas.ts). */
type ClassifyBody = ScoreBody;

export interface ClassifyResult {
  index: number;
  label: string;
  /** Probability of every class, by label name. */
  probs: Record<string, number>;
}

export function buildClassifierServer(opts: BuildClassifierServerOptions): FastifyInstance {
  const limits = resolveLimits(opts.limits);
  const { model, tokenizer, labels } = opts;
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new RangeError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model expects ${model.config.vocabSize}`);
  }
  const modelName = opts.modelName ?? 'rnnlm';
  const slots = new Semaphore(limits.maxConcurrent);
  const registry = new Registry();
  const metrics = {
    requests: registry.add(
      new Counter('rnnlm_http_requests_total', 'HTTP requests by method, route and status (499: the client closed the connection first).'),
    ),
    duration: registry.add(
      new Histogram(
        'rnnlm_http_request_duration_seconds',
        'HTTP request duration by route.',
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      ),
    ),
    classified: registry.add(new Counter('rnnlm_classified_texts_total', 'Texts classified by /v1/classify.')),
  };
  registry.add(new Gauge('rnnlm_active_jobs', 'Classifications running now (bounded by --max-concurrent).', () => slots.inUse));
  registry.add(new Gauge('process_resident_memory_bytes', 'Resident set size of the server process.', () => process.memoryUsage.rss()));

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.timeoutMs,
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is a 415
  instrument(app, { metrics });
  installAccess(app, opts.access ?? {});
  app.setErrorHandler((err, req, reply) => {
    const api = toApiError(err);
    if (api.statusCode >= 500) req.log.error({ err }, 'request failed');
    return reply.code(api.statusCode).headers(api.headers).send(api.body());
  });
  app.setNotFoundHandler((req, reply) => {
    const where = `${req.method} ${req.url.length > 200 ? `${req.url.slice(0, 200)}…` : req.url}`;
    const api = new ApiError(
      404,
      `Unknown route ${where}. This server serves a classifier: POST /v1/classify, GET /healthz and GET /metrics.`,
      null,
      'not_found',
    );
    return reply.code(404).send(api.body());
  });

  app.post<{ Body: ClassifyBody }>('/v1/classify', { schema: { body: scoreSchema(limits) } }, async (req) => {
    const { text, texts } = req.body;
    if ((text === undefined) === (texts === undefined)) {
      throw new ApiError(400, "Send exactly one of 'text' (a string) or 'texts' (an array of strings).", 'text', 'missing_required_parameter');
    }
    const all = texts ?? [text!];
    // Tokenize and check lengths before taking a slot: bad input costs no model time.
    const encoded = all.map((t, i) => {
      const param = texts ? `texts[${i}]` : 'text';
      if (t.trim() === '') throw new ApiError(400, `'${param}' is empty or only whitespace; send the text to classify.`, param, 'invalid_value');
      const ids = encodeSentence(tokenizer, t);
      if (ids.length > limits.maxPromptTokens) {
        throw new ApiError(400, `'${param}' has ${ids.length} tokens; this server accepts at most ${limits.maxPromptTokens}.`, param, 'too_many_tokens');
      }
      return { ids, label: -1, index: i };
    });
    const release = slots.tryAcquire();
    if (!release) {
      throw new ApiError(
        429,
        `The server is busy: ${limits.maxConcurrent} requests are already being processed. Retry after a second.`,
        null,
        'rate_limit_exceeded',
        'rate_limit_error',
        { 'retry-after': '1' },
      );
    }
    let results: ClassifyResult[];
    try {
      const C = labels.size;
      const p = predictClasses(model, encoded, 32);
      results = encoded.map((_, i) => ({
        index: i,
        label: labels.name(p.predicted[i]!),
        probs: Object.fromEntries(labels.names.map((n, c) => [n, p.probs[i * C + c]!])),
      }));
    } finally {
      release();
    }
    metrics.classified.inc({}, results.length);
    const tokens = encoded.reduce((s, e) => s + e.ids.length, 0);
    return { object: 'classification', model: modelName, results, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  });
  app.get('/healthz', async () => {
    const c = model.config;
    return {
      status: 'ok',
      model: {
        name: modelName,
        architecture: 'classifier',
        cell: c.cell,
        bidirectional: c.bidirectional,
        pooling: c.pooling,
        vocabSize: c.vocabSize,
        embedSize: c.embedSize,
        hiddenSize: c.hiddenSize,
        numLayers: c.numLayers,
        labels: labels.names,
        parameters: model.numParameters(),
        tokenizer: tokenizer.kind,
      },
      backend: getBackend().name,
      limits,
      active: { jobs: slots.inUse },
    };
  });
  app.get('/metrics', async (_req, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(registry.render()));
  return app;
}
