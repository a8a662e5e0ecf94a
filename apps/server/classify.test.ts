/**
 * POST /v1/classify on a small untrained classifier (fastify inject, no socket): labels and
 * probabilities that match the library's predictions, one or many texts, OpenAI-style errors
 * for bad bodies, /healthz and /metrics.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { LabelSet, RNNClassifier, WordTokenizer, encodeExamples, parseTextAndLabels, predictClasses } from '../../src/index.js';
import { buildClassifierServer } from './classify.js';

const tokenizer = WordTokenizer.fromText('a good film\na bad film\n');
const labels = new LabelSet(['neg', 'neutral', 'pos']);
const model = new RNNClassifier({
  vocabSize: tokenizer.vocabSize,
  numClasses: 3,
  embedSize: 4,
  hiddenSize: 5,
  numLayers: 1,
  cell: 'lstm',
  bidirectional: true,
  pooling: 'attention',
  seed: 3,
}).eval();
const app = buildClassifierServer({ model, tokenizer, labels, limits: { maxScoreTexts: 3, maxPromptTokens: 6 }, modelName: 'sst' });

describe('POST /v1/classify', () => {
  test('labels and probabilities equal the library predictions', async () => {
    const texts = ['a good film', 'bad', 'a film never seen'];
    const res = await app.inject({ method: 'POST', url: '/v1/classify', payload: { texts } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as {
      object: string;
      model: string;
      results: { index: number; label: string; probs: Record<string, number> }[];
      usage: { prompt_tokens: number };
    };
    assert.equal(body.object, 'classification');
    assert.equal(body.model, 'sst');
    const p = predictClasses(model, encodeExamples(parseTextAndLabels(texts.join('\n'), null), tokenizer, null), 8);
    body.results.forEach((r, i) => {
      assert.equal(r.index, i);
      assert.equal(r.label, labels.name(p.predicted[i]!));
      labels.names.forEach((n, c) => assert.ok(Math.abs(r.probs[n]! - p.probs[i * 3 + c]!) < 1e-6));
    });
    assert.equal(body.usage.prompt_tokens, 4 + 2 + 5); // <eos> included
    const one = await app.inject({ method: 'POST', url: '/v1/classify', payload: { text: 'a good film' } });
    assert.deepEqual((one.json() as { results: unknown[] }).results[0], body.results[0]);
  });
  test('bad bodies get OpenAI-style 400s', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /exactly one of 'text'/],
      [{ text: 'a', texts: ['b'] }, /exactly one of 'text'/],
      [{ text: 5 }, /'text'/],
      [{ text: '   ' }, /empty/],
      [{ texts: ['a', 'b', 'c', 'd'] }, /'texts'/],
      [{ text: 'a a a a a a a' }, /at most 6/],
      [{ text: 'a', temperature: 1 }, /Unrecognized request argument.*temperature/],
    ];
    for (const [payload, re] of cases) {
      const res = await app.inject({ method: 'POST', url: '/v1/classify', payload: payload as object });
      assert.equal(res.statusCode, 400, `${JSON.stringify(payload)}: ${res.body}`);
      assert.match((res.json() as { error: { message: string } }).error.message, re);
    }
    const lm = await app.inject({ method: 'POST', url: '/v1/completions', payload: { prompt: 'a' } });
    assert.equal(lm.statusCode, 404);
    assert.match(lm.body, /serves a classifier/);
  });
  test('/healthz and /metrics', async () => {
    const h = (await app.inject({ method: 'GET', url: '/healthz' })).json() as { model: { architecture: string; labels: string[] } };
    assert.equal(h.model.architecture, 'classifier');
    assert.deepEqual(h.model.labels, ['neg', 'neutral', 'pos']);
    const m = await app.inject({ method: 'GET', url: '/metrics' });
    assert.match(m.body, /rnnlm_classified_texts_total \d+/);
    assert.match(m.body, /rnnlm_http_requests_total\{method="POST",route="\/v1\/classify",status="\d+"\} \d+/); // (inject reports 499: no real socket)
  });
});
