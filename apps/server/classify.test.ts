/**
 * POST /v1/classify on a small untrained classifier, served by the one server (buildServer):
 * labels and probabilities that match the library's predictions, one or many texts,
 * OpenAI-style errors for bad bodies, /healthz and /metrics (fastify inject, no socket); then,
 * over a loopback socket, what it shares with the language-model routes: the API key, the
 * queue, and the shutdown grace period.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { LabelSet, RNNClassifier, WordTokenizer, encodeExamples, parseTextAndLabels, predictClasses } from '../../src/index.js';
import { type ServerOptions, type ShutdownEvent, buildServer } from './app.js';

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
const app = buildServer({ classifier: { model, tokenizer, labels }, limits: { maxScoreTexts: 3, maxPromptTokens: 6 }, modelName: 'sst' });

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
    assert.match(lm.body, /serves POST \/v1\/classify, GET \/healthz, GET \/metrics\./);
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

/** The classifier with a forward that takes at least `ms`: requests stay running long enough to be overlapped. */
class SlowClassifier extends RNNClassifier {
  ms = 4;
  override forward(...args: Parameters<RNNClassifier['forward']>): ReturnType<RNNClassifier['forward']> {
    for (const until = Date.now() + this.ms; Date.now() < until; );
    return super.forward(...args);
  }
}

const HOST = '127.0.0.1'; // loopback only, ever
const slow = new SlowClassifier(model.config).eval();
// 64 chunks of 4 texts, a turn of the event loop between them: ≥ 256 ms, so requests overlap.
const texts = Array.from({ length: 256 }, (_, i) => (i % 2 ? 'a good film' : 'a bad film'));

async function listen(opts: ServerOptions) {
  const events: ShutdownEvent[] = [];
  const limits = { maxScoreTexts: texts.length, ...opts.limits };
  const server = buildServer({ classifier: { model: slow, tokenizer, labels }, ...opts, limits, onShutdown: (e) => events.push(e) });
  await server.listen({ host: HOST, port: 0 });
  const url = `http://${HOST}:${(server.server.address() as { port: number }).port}`;
  const classify = (body: object, headers: Record<string, string> = {}) =>
    fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const gauge = async (name: string, headers: Record<string, string> = {}): Promise<number> => {
    const m = await (await fetch(`${url}/metrics`, { headers })).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(m)?.[1]);
  };
  const until = async (cond: () => Promise<boolean>): Promise<void> => {
    for (const t = Date.now() + 10_000; !(await cond()); ) {
      if (Date.now() > t) throw new Error('timed out waiting');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { server, url, classify, gauge, until, events };
}

describe('/v1/classify shares the server', () => {
  test('the API key guards it as it guards the language-model routes; /healthz stays open', async () => {
    const s = await listen({ access: { apiKey: 'k-0123456789' } });
    try {
      const res = await s.classify({ text: 'a good film' });
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'missing_api_key');
      assert.equal((await s.classify({ text: 'a good film' }, { authorization: 'Bearer k-0123456789' })).status, 200);
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    } finally {
      await s.server.close();
    }
  });

  test('over --max-concurrent a request waits in the queue, then runs; over the queue → 429', async () => {
    const s = await listen({ limits: { maxConcurrent: 1, maxQueue: 1 } });
    try {
      const first = s.classify({ texts });
      await s.until(async () => (await s.gauge('rnnlm_active_jobs')) === 1);
      const second = s.classify({ text: 'a good film' });
      await s.until(async () => (await s.gauge('rnnlm_queued_jobs')) === 1);
      const third = await s.classify({ text: 'a bad film' });
      assert.equal(third.status, 429);
      assert.equal(third.headers.get('retry-after'), '1');
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
    } finally {
      await s.server.close();
    }
  });

  test('on close a running classification finishes within the grace period; queued and new requests get 503', async () => {
    const s = await listen({ limits: { maxConcurrent: 1 }, shutdownGraceMs: 10_000 });
    const running = s.classify({ texts });
    await s.until(async () => (await s.gauge('rnnlm_active_jobs')) === 1);
    const queued = s.classify({ text: 'a good film' });
    await s.until(async () => (await s.gauge('rnnlm_queued_jobs')) === 1);
    const closed = s.server.close();
    const r = await running;
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { results: unknown[] }).results.length, texts.length);
    const q = await queued;
    assert.equal(q.status, 503);
    assert.equal(((await q.json()) as { error: { code: string } }).error.code, 'server_shutting_down');
    await closed;
    assert.deepEqual(s.events, [
      { phase: 'begin', running: 1, queued: 1, graceMs: 10_000 },
      { phase: 'end', finished: 1, stopped: 0 },
    ]);
  });

  test('a classification still running when the grace period ends is stopped with a 503', async () => {
    const s = await listen({ shutdownGraceMs: 0 });
    const running = s.classify({ texts });
    await s.until(async () => (await s.gauge('rnnlm_active_jobs')) === 1);
    const closed = s.server.close();
    const r = await running;
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'server_shutting_down');
    await closed;
    assert.deepEqual(s.events.at(-1), { phase: 'end', finished: 0, stopped: 1 });
  });
});
