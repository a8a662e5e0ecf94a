/**
 * POST /v1/classify: { text } or { texts: [...] } → each text's label and class probabilities,
 * from a sentence classifier (rnnlm classify train). One entry of the server's route list
 * (app.ts `routes`), so it shares the server's access control, error bodies, limits, slots and
 * queue, metrics and shutdown grace period. A text is bounded like a scored text
 * (--max-prompt-chars/-tokens, --max-score-texts per request). The texts are classified CHUNK
 * at a time with a turn for the event loop in between, where the request's cancellation,
 * shutdown and deadline are checked (as /v1/score does).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { type EncodedExample, type LabelSet, type RNNClassifier, type Tokenizer, encodeSentence, predictClasses } from '../../src/node.js';
import { type ServerCore, type Work, beginWork, shuttingDown } from './context.js';
import { ApiError } from './errors.js';
import { Counter } from './metrics.js';
import { type ScoreBody, scoreSchema } from './schemas.js';

/** A loaded classifier as the server needs it (loadClassifier's result fits). */
export interface ServedClassifier {
  model: RNNClassifier;
  tokenizer: Tokenizer;
  labels: LabelSet;
}

/** A classify request has the shape of a score request: `text` or `texts`, and an optional `model` (schemas.ts). */
type ClassifyBody = ScoreBody;

export interface ClassifyResult {
  index: number;
  label: string;
  /** Probability of every class, by label name. */
  probs: Record<string, number>;
}

/** Texts per forward; the event loop gets a turn between chunks. */
const CHUNK = 4;

/** Throws the reply for a request stopped by its client, the shutdown or its time limit. */
function checkWork(work: Pick<Work, 'signal' | 'deadline'>): void {
  const why = work.signal.aborted ? work.signal.reason : Date.now() >= work.deadline ? 'timeout' : null;
  if (why === 'timeout') {
    throw new ApiError(504, 'Classifying took longer than the server allows; send shorter or fewer texts.', null, 'timeout', 'timeout_error');
  }
  if (why === 'shutdown') throw shuttingDown();
  if (why) throw new ApiError(499, 'the client closed the connection', null, 'client_closed');
}

async function classifyHandler(
  core: ServerCore,
  c: ServedClassifier,
  classified: Counter,
  req: FastifyRequest<{ Body: ClassifyBody }>,
  reply: FastifyReply,
): Promise<unknown> {
  const { text, texts } = req.body;
  const limits = core.limits;
  if ((text === undefined) === (texts === undefined)) {
    throw new ApiError(400, "Send exactly one of 'text' (a string) or 'texts' (an array of strings).", 'text', 'missing_required_parameter');
  }
  const all = texts ?? [text!];
  // Tokenize and check lengths before taking a slot: bad input costs no model time.
  const encoded: EncodedExample[] = all.map((t, i) => {
    const param = texts ? `texts[${i}]` : 'text';
    if (t.trim() === '') throw new ApiError(400, `'${param}' is empty or only whitespace; send the text to classify.`, param, 'invalid_value');
    const ids = encodeSentence(c.tokenizer, t);
    if (ids.length > limits.maxPromptTokens) {
      throw new ApiError(400, `'${param}' has ${ids.length} tokens; this server accepts at most ${limits.maxPromptTokens}.`, param, 'too_many_tokens');
    }
    return { ids, label: -1, index: i };
  });
  const work = await beginWork(core, reply);
  work.begin();
  const C = c.labels.size;
  const results: ClassifyResult[] = [];
  try {
    for (let i0 = 0; i0 < encoded.length; i0 += CHUNK) {
      checkWork(work);
      const chunk = encoded.slice(i0, i0 + CHUNK).map((e, r) => ({ ...e, index: r })); // predict's indices are into the list it gets
      const p = predictClasses(c.model, chunk, CHUNK);
      chunk.forEach((_, r) => {
        results.push({
          index: i0 + r,
          label: c.labels.name(p.predicted[r]!),
          probs: Object.fromEntries(c.labels.names.map((n, k) => [n, p.probs[r * C + k]!])),
        });
      });
      await nextTurn();
    }
  } finally {
    work.end();
  }
  classified.inc({}, results.length);
  const tokens = encoded.reduce((s, e) => s + e.ids.length, 0);
  return { object: 'classification', model: core.modelName, results, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** POST /v1/classify, one entry of the server's route list; registers its metric on the server's registry. */
export function classifyRoute(core: ServerCore, c: ServedClassifier): RouteOptions {
  if (c.tokenizer.vocabSize !== c.model.config.vocabSize) {
    throw new RangeError(`the tokenizer has ${c.tokenizer.vocabSize} tokens but the model expects ${c.model.config.vocabSize}`);
  }
  const classified = core.metrics.registry.add(new Counter('rnnlm_classified_texts_total', 'Texts classified by /v1/classify.'));
  return {
    method: 'POST',
    url: '/v1/classify',
    schema: { body: scoreSchema(core.limits) },
    handler: (req, reply) => classifyHandler(core, c, classified, req as FastifyRequest<{ Body: ClassifyBody }>, reply),
  };
}

/** The model part of /healthz for a classifier. */
export function classifierSummary(core: ServerCore, c: ServedClassifier) {
  const cfg = c.model.config;
  return {
    name: core.modelName,
    architecture: 'classifier',
    cell: cfg.cell,
    bidirectional: cfg.bidirectional,
    pooling: cfg.pooling,
    vocabSize: cfg.vocabSize,
    embedSize: cfg.embedSize,
    hiddenSize: cfg.hiddenSize,
    numLayers: cfg.numLayers,
    labels: c.labels.names,
    parameters: c.model.numParameters(),
    tokenizer: c.tokenizer.kind,
  };
}
