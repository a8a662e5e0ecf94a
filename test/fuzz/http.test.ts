/**
 * Property-based fuzzing (fast-check) of the HTTP request schemas through the real fastify
 * app (light-my-request injection, no socket): random JSON values, near-valid completion and
 * score bodies with fields replaced by random values, random raw bytes and content types, and
 * random paths and methods. Every answer is a success or a clean 4xx with the OpenAI error
 * shape — never a 5xx — and the server still answers afterwards.
 */
import '../helpers/backend.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { CharTokenizer, RNNLM } from '../../src/node.js';
import { buildServer } from '../../apps/server/app.js';

const tok = CharTokenizer.fromText('the cat sat on the mat\n');
const model = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 4, hiddenSize: 8, numLayers: 1, cell: 'lstm', seed: 1 });
let app: FastifyInstance;

before(async () => {
  app = buildServer({ model, tokenizer: tok, limits: { maxTokens: 4, maxPromptChars: 64, bodyLimit: 2048, maxScoreTexts: 3, maxLogprobs: 3 } });
  await app.ready();
});
after(() => app.close());

interface Answer {
  status: number;
  body: string;
}

async function send(method: string, url: string, payload: string | undefined, contentType = 'application/json'): Promise<Answer> {
  const r = await app.inject({ method: method as 'POST', url, payload, headers: payload === undefined ? {} : { 'content-type': contentType } });
  return { status: r.statusCode, body: r.body };
}

/** 2xx, or a 4xx whose body is OpenAI's error shape. */
function clean(a: Answer, what: unknown): void {
  assert.ok(a.status < 500, `${a.status} for ${JSON.stringify(what)}: ${a.body}`);
  if (a.status >= 400) {
    const e = (JSON.parse(a.body) as { error: Record<string, unknown> }).error;
    assert.equal(typeof e.message, 'string');
    assert.equal(e.type, 'invalid_request_error', a.body);
    assert.ok(e.param === null || typeof e.param === 'string');
  }
}

const fields = [
  'prompt',
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'seed',
  'stream',
  'stream_options',
  'n',
  'stop',
  'model',
  'user',
  'echo',
  'logprobs',
  'best_of',
  'logit_bias',
  'suffix',
  'presence_penalty',
];
const oddValues = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(0, -1, 1, 3, 4, 5, 1e308, -0, 0.5, 2 ** 32, '', 'a', 'the ~', '\u0000', null, true, [], {}, ['a', 'b'], { include_usage: true }),
);

describe('fuzz: HTTP request schemas', () => {
  test('random completion bodies (near-valid and random): 200 or a clean 4xx', async () => {
    const body = fc.oneof(
      fc.dictionary(fc.constantFrom(...fields), oddValues, { maxKeys: 5 }).map((d) => ({ prompt: 'the ', ...d })),
      fc.dictionary(fc.constantFrom(...fields, 'x', '__proto__', 'constructor'), oddValues, { maxKeys: 4 }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => clean(await send('POST', '/v1/completions', JSON.stringify(b)), b)),
      { numRuns: 600 },
    );
  });

  test('random score bodies: 200 or a clean 4xx', async () => {
    const body = fc.oneof(
      fc.dictionary(fc.constantFrom('text', 'texts', 'model', 'x'), oddValues, { maxKeys: 3 }),
      fc.record({ texts: fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 }) }),
      fc.record({ text: fc.string({ unit: 'grapheme', maxLength: 20 }) }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => clean(await send('POST', '/v1/score', JSON.stringify(b)), b)),
      { numRuns: 400 },
    );
  });

  test('random bytes, content types, methods and paths: never a 5xx', async () => {
    const req = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      url: fc.oneof(
        fc.constantFrom('/v1/completions', '/v1/score', '/healthz', '/metrics', '/', '/v1/', '/v1/completions?x=1'),
        fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
      ), // a request line always has a path
      payload: fc.option(
        fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.constant('{"prompt":"a",'), fc.constant('x'.repeat(3000))),
        { nil: undefined },
      ),
      contentType: fc.constantFrom(
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        'multipart/form-data',
        '',
      ),
    });
    await fc.assert(
      fc.asyncProperty(req, async (r) => {
        const a = await send(r.method, r.url, r.method === 'GET' || r.method === 'HEAD' ? undefined : r.payload, r.contentType);
        assert.ok(a.status < 500, `${a.status} for ${JSON.stringify(r)}: ${a.body}`);
      }),
      { numRuns: 400 },
    );
    const health = await send('GET', '/healthz', undefined);
    assert.equal(health.status, 200);
  });
});
