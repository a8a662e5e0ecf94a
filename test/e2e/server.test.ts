/**
 * End-to-end tests of the HTTP server (apps/server) over real loopback sockets: models with
 * random weights are saved with saveLanguageModel and loaded back as `rnnlm serve` does, the
 * real fastify server listens on 127.0.0.1 port 0, and the tests speak HTTP with fetch.
 * Expected texts come from the library's generateTokens / decode run in this process, never
 * from the server (scores also from scoreSentences). Covers completions (whole and streamed), stop sequences, scoring, health,
 * metrics, every validation error, the limits (413, 429, time limit), client disconnects, a
 * bounded load of 50 concurrent streams, and the CLI's start-up and graceful shutdown.
 */
import '../helpers/backend.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import {
  CharTokenizer,
  RNNLM,
  type Tokenizer,
  WordTokenizer,
  generateTokens,
  drain,
  loadLanguageModel,
  saveLanguageModel,
  scoreSentences,
  tokenLogProbs,
  useBackend,
} from '../../src/node.js';
import { type ServerLimits, buildServer } from '../../apps/server/app.js';
import { makeTmpDir, repoRoot, toyCorpus } from './helpers.js';

useBackend('js'); // src/node.ts picked 'auto' on import

const HOST = '127.0.0.1'; // loopback only, ever

interface Served {
  app: FastifyInstance;
  url: string;
}

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

interface Completion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { text: string; index: number; logprobs: Logprobs | null; finish_reason: 'length' | 'stop' | null }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface Logprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}

interface ScoreResult {
  index: number;
  logprob: number;
  token_count: number;
  perplexity: number | null;
  tokens: { token: string; logprob: number | null }[];
}

let tmp: { dir: string; cleanup: () => void };
let charDir: string;
let char: { model: RNNLM; tokenizer: Tokenizer };
let word: { model: RNNLM; tokenizer: Tokenizer };
const servers: FastifyInstance[] = [];

async function serve(m: { model: RNNLM; tokenizer: Tokenizer }, limits: Partial<ServerLimits> = {}): Promise<Served> {
  const app = buildServer({ model: m.model, tokenizer: m.tokenizer, limits, modelName: 'tiny' });
  servers.push(app);
  await app.listen({ host: HOST, port: 0 });
  const addr = app.server.address();
  assert.ok(addr && typeof addr === 'object');
  return { app, url: `http://${HOST}:${addr.port}` };
}

function post(url: string, body: unknown, init: { contentType?: string; signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return JSON.parse(text) as T;
}

/** The `data:` payloads of a whole SSE body, in order; every event must be a data line. */
function sseEvents(body: string): string[] {
  assert.ok(body.endsWith('\n\n'), `an SSE body ends with a blank line: ${JSON.stringify(body.slice(-40))}`);
  return body
    .slice(0, -2)
    .split('\n\n')
    .map((e) => {
      assert.ok(e.startsWith('data: ') && !e.includes('\n'), `not a data event: ${JSON.stringify(e)}`);
      return e.slice(6);
    });
}

/** Streams a completion; checks the OpenAI stream shape; returns the chunks' texts and the finish reason. */
async function streamCompletion(url: string, body: Record<string, unknown>): Promise<{ pieces: string[]; finish: string; ids: Set<string> }> {
  const res = await post(`${url}/v1/completions`, { ...body, stream: true });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = sseEvents(await res.text());
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Completion);
  const last = chunks.at(-1)!;
  assert.equal(last.choices[0]!.text, '');
  assert.notEqual(last.choices[0]!.finish_reason, null);
  for (const c of chunks.slice(0, -1)) {
    assert.equal(c.object, 'text_completion');
    assert.equal(c.choices.length, 1);
    assert.equal(c.choices[0]!.finish_reason, null);
    assert.equal(c.choices[0]!.logprobs, null);
  }
  return { pieces: chunks.slice(0, -1).map((c) => c.choices[0]!.text), finish: last.choices[0]!.finish_reason!, ids: new Set(chunks.map((c) => c.id)) };
}

/** Reads a streamed response until its first complete event, leaving the stream open. */
/** Reads until the first SSE event is complete; `after` is what the same reads brought beyond it (more events may arrive in one chunk). */
async function firstEvent(res: Response): Promise<{ event: string; after: string; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  while (!buf.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended before its first event: ${buf}`);
    buf += dec.decode(value, { stream: true });
  }
  const end = buf.indexOf('\n\n');
  return { event: buf.slice(0, end), after: buf.slice(end + 2), reader };
}

/** Sum of the samples of `name` whose labels include `labels` (0 when none). */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

const scrape = async (url: string): Promise<string> => (await fetch(`${url}/metrics`)).text();

/** Polls /metrics until `pred` holds (or fails after `ms`). */
async function waitForMetrics(url: string, pred: (text: string) => boolean, ms = 5000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const text = await scrape(url);
    if (pred(text)) return text;
    if (Date.now() > until) throw new Error(`metrics never reached the expected state:\n${text}`);
    await sleep(20);
  }
}

/** What the library generates for these options: the char model's text is its tokens' characters. */
function expectedChar(opts: { prompt: string; maxTokens: number; seed: number; temperature?: number }): string {
  return [...generateTokens(char.model, char.tokenizer, { temperature: 1, ...opts })].map((t) => char.tokenizer.tokenText(t.id)).join('');
}

function assertError(body: ErrorBody, want: { param?: string | null; code?: string; type?: string }): void {
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 10, body.error.message);
  assert.equal(body.error.type, want.type ?? 'invalid_request_error');
  if (want.param !== undefined) assert.equal(body.error.param, want.param, body.error.message);
  if (want.code !== undefined) assert.equal(body.error.code, want.code, body.error.message);
  // The message names the field it is about (the tokenizer's own messages name the character instead).
  if (want.param && want.code !== 'unknown_token') assert.ok(body.error.message.includes(`'${want.param.split('[')[0]}`), body.error.message);
}

before(() => {
  tmp = makeTmpDir('rnnlm-server-');
  const corpus = toyCorpus(60);
  // Random weights are enough: the tests compare the server with the library, not with a target text.
  const charTok = CharTokenizer.fromText(corpus, { unk: false });
  charDir = path.join(tmp.dir, 'char');
  saveLanguageModel(charDir, new RNNLM({ vocabSize: charTok.vocabSize, embedSize: 16, hiddenSize: 32, numLayers: 1, cell: 'lstm', seed: 11 }), charTok);
  const wordTok = WordTokenizer.fromText(corpus);
  const wordDir = path.join(tmp.dir, 'word');
  saveLanguageModel(wordDir, new RNNLM({ vocabSize: wordTok.vocabSize, embedSize: 8, hiddenSize: 16, numLayers: 2, cell: 'gru', seed: 5 }), wordTok);
  char = loadLanguageModel(charDir);
  word = loadLanguageModel(wordDir);
});

after(async () => {
  for (const app of servers) await app.close();
  tmp.cleanup();
});

describe('completions', () => {
  let s: Served;
  before(async () => {
    s = await serve(char, { maxTokens: 5000, maxPromptChars: 2000 });
  });

  test('a seeded completion is reproducible and is what the library generates', async () => {
    const req = { prompt: 'the ', max_tokens: 24, seed: 7 };
    const a = await json<Completion>(await post(`${s.url}/v1/completions`, req));
    const b = await json<Completion>(await post(`${s.url}/v1/completions`, req));
    assert.match(a.id, /^cmpl-[0-9a-f]+$/);
    assert.notEqual(a.id, b.id);
    assert.equal(a.object, 'text_completion');
    assert.equal(a.model, 'tiny');
    assert.ok(Math.abs(a.created - Date.now() / 1000) < 60);
    assert.deepEqual(a.choices, [{ text: expectedChar({ prompt: 'the ', maxTokens: 24, seed: 7 }), index: 0, logprobs: null, finish_reason: 'length' }]);
    assert.equal(b.choices[0]!.text, a.choices[0]!.text);
    assert.deepEqual(a.usage, { prompt_tokens: 4, completion_tokens: 24, total_tokens: 28 });

    const other = await json<Completion>(await post(`${s.url}/v1/completions`, { ...req, seed: 8 }));
    assert.equal(other.choices[0]!.text, expectedChar({ prompt: 'the ', maxTokens: 24, seed: 8 }));
    assert.notEqual(other.choices[0]!.text, a.choices[0]!.text);
  });

  test('temperature 0 is greedy; top_k 1 is greedy too; max_tokens defaults to 16', async () => {
    const greedy = expectedChar({ prompt: 'a dog', maxTokens: 16, seed: 0, temperature: 0 });
    const t0 = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt: 'a dog', temperature: 0 }));
    assert.equal(t0.choices[0]!.text, greedy);
    assert.equal(t0.usage.completion_tokens, 16);
    const k1 = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt: 'a dog', top_k: 1, seed: 99, max_tokens: 16 }));
    assert.equal(k1.choices[0]!.text, greedy);
  });

  test('streaming sends one token per chunk, ends with [DONE], and equals the whole completion', async () => {
    const req = { prompt: 'the cat', max_tokens: 30, seed: 3, temperature: 0.9, top_p: 0.95 };
    const whole = await json<Completion>(await post(`${s.url}/v1/completions`, req));
    const st = await streamCompletion(s.url, req);
    assert.equal(st.pieces.length, 30);
    for (const p of st.pieces) assert.equal([...p].length, 1, `one character per chunk, got ${JSON.stringify(p)}`);
    assert.equal(st.pieces.join(''), whole.choices[0]!.text);
    assert.equal(st.finish, 'length');
    assert.equal(st.ids.size, 1, 'every chunk carries the same completion id');
  });

  test('stream_options.include_usage adds a usage chunk with no choices before [DONE]', async () => {
    const res = await post(`${s.url}/v1/completions`, { prompt: 'my ', max_tokens: 5, seed: 1, stream: true, stream_options: { include_usage: true } });
    const events = sseEvents(await res.text());
    assert.equal(events.length, 5 + 3);
    const usage = JSON.parse(events.at(-2)!) as Completion;
    assert.deepEqual(usage.choices, []);
    assert.deepEqual(usage.usage, { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
  });

  test('a stop sequence cuts the text before it, streamed or not, with finish_reason "stop"', async () => {
    const base = { prompt: 'the ', max_tokens: 60, seed: 21 };
    const full = expectedChar({ prompt: 'the ', maxTokens: 60, seed: 21 });
    const stop = full.slice(20, 22);
    const want = full.slice(0, full.indexOf(stop));
    const whole = await json<Completion>(await post(`${s.url}/v1/completions`, { ...base, stop }));
    assert.equal(whole.choices[0]!.text, want);
    assert.equal(whole.choices[0]!.finish_reason, 'stop');
    assert.ok(whole.usage.completion_tokens < 60);
    const st = await streamCompletion(s.url, { ...base, stop: ['#never#', stop] });
    assert.equal(st.pieces.join(''), want);
    assert.equal(st.finish, 'stop');
    // A stop sequence that never occurs changes nothing.
    const none = await json<Completion>(await post(`${s.url}/v1/completions`, { ...base, stop: ['@@'] }));
    assert.equal(none.choices[0]!.text, full);
    assert.equal(none.choices[0]!.finish_reason, 'length');
  });

  test('an empty prompt starts from the start token, as the library does', async () => {
    const r = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt: '', max_tokens: 10, seed: 4 }));
    assert.equal(r.choices[0]!.text, expectedChar({ prompt: '', maxTokens: 10, seed: 4 }));
    assert.equal(r.usage.prompt_tokens, 0);
  });
});

describe('word models', () => {
  let s: Served;
  before(async () => {
    s = await serve(word, { maxPromptTokens: 5 });
  });

  test('words are spaced as decode spaces them and <eos> ends the completion', async () => {
    const prompt = 'the cat';
    const promptIds = Array.from(word.tokenizer.encode(prompt, { addEos: false }));
    let sawEos = false;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const gen = [...generateTokens(word.model, word.tokenizer, { prompt, maxTokens: 12, seed })].map((t) => t.id);
      const eos = gen.indexOf(word.tokenizer.eosId!);
      const kept = eos >= 0 ? gen.slice(0, eos) : gen;
      sawEos ||= eos >= 0;
      const r = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt, max_tokens: 12, seed }));
      assert.equal(prompt + r.choices[0]!.text, word.tokenizer.decode([...promptIds, ...kept]));
      assert.equal(r.choices[0]!.finish_reason, eos >= 0 ? 'stop' : 'length');
      assert.equal(r.usage.completion_tokens, gen.length);
      const st = await streamCompletion(s.url, { prompt, max_tokens: 12, seed });
      assert.equal(st.pieces.join(''), r.choices[0]!.text);
      assert.equal(st.pieces.length, kept.length, 'one word per chunk');
    }
    assert.ok(sawEos, 'some seed should reach <eos> so the stop path is covered');
  });

  test('a prompt over the token limit is a 400 even when its characters fit', async () => {
    const r = await json<ErrorBody>(await post(`${s.url}/v1/completions`, { prompt: 'the cat sat on the mat' }), 400);
    assertError(r, { param: 'prompt', code: 'prompt_too_long' });
    const sc = await json<ErrorBody>(await post(`${s.url}/v1/score`, { texts: ['the cat', 'the cat sat on the mat'] }), 400);
    assertError(sc, { param: 'texts[1]', code: 'prompt_too_long' });
  });
});

describe('score', () => {
  let s: Served;
  before(async () => {
    s = await serve(char);
  });

  test('per-token log-probs sum to the total, which equals scoreSentences; perplexity is exp(-total / count)', async () => {
    const text = 'the cat sat on the mat';
    const r = await json<{ object: string; results: ScoreResult[]; usage: { prompt_tokens: number } }>(await post(`${s.url}/v1/score`, { text }));
    assert.equal(r.object, 'score');
    assert.equal(r.results.length, 1);
    const x = r.results[0]!;
    // The text's characters, then the end-of-sentence '\n' that scoreSentences also counts.
    assert.equal(x.tokens.map((t) => t.token).join(''), `${text}\n`);
    assert.equal(x.token_count, text.length + 1);
    assert.equal(r.usage.prompt_tokens, text.length + 1);
    const sum = x.tokens.reduce((a, t) => a + t.logprob!, 0);
    assert.ok(Math.abs(sum - x.logprob) < 1e-9, `${sum} vs ${x.logprob}`);
    for (const t of x.tokens) assert.ok(t.logprob! < 0);
    assert.ok(Math.abs(x.perplexity! - Math.exp(-x.logprob / x.token_count)) < 1e-9);
    const lib = scoreSentences(char.model, char.tokenizer, [text])[0]!;
    assert.equal(x.token_count, lib.tokens);
    assert.ok(Math.abs(x.logprob - lib.logProb) < 1e-4 * Math.abs(lib.logProb), `${x.logprob} vs scoreSentences ${lib.logProb}`);
  });

  test('scores equal the log-probs the generator reports for the same tokens (across forward chunks)', async () => {
    // Greedy generation from an empty prompt reads from the start token '\n', as scoring does;
    // 300 tokens span several 128-token forward chunks, so the carried state is checked too.
    const gen = [...generateTokens(char.model, char.tokenizer, { prompt: '', maxTokens: 300, temperature: 0 })];
    const text = gen.map((t) => char.tokenizer.tokenText(t.id)).join('');
    const r = await json<{ results: ScoreResult[] }>(await post(`${s.url}/v1/score`, { text }));
    const got = r.results[0]!.tokens;
    assert.equal(got.length, gen.length + 1); // + the end token
    for (let k = 0; k < gen.length; k++) assert.ok(Math.abs(got[k]!.logprob! - gen[k]!.logProb) < 1e-4, `token ${k}: ${got[k]!.logprob} vs ${gen[k]!.logProb}`);
  });

  test('word models: words then <eos>, totals as scoreSentences', async () => {
    const w = await serve(word);
    const text = 'the cat sat on the mat';
    const r = await json<{ results: ScoreResult[] }>(await post(`${w.url}/v1/score`, { text }));
    const x = r.results[0]!;
    assert.deepEqual(
      x.tokens.map((t) => t.token),
      ['the', 'cat', 'sat', 'on', 'the', 'mat', '\n'],
    );
    const lib = scoreSentences(word.model, word.tokenizer, [text])[0]!;
    assert.equal(x.token_count, lib.tokens);
    assert.ok(Math.abs(x.logprob - lib.logProb) < 1e-4 * Math.abs(lib.logProb), `${x.logprob} vs scoreSentences ${lib.logProb}`);
  });

  test('texts: one result per text, each as if scored alone', async () => {
    const texts = ['a dog saw', 'the red ball'];
    const many = await json<{ results: ScoreResult[] }>(await post(`${s.url}/v1/score`, { texts }));
    assert.deepEqual(
      many.results.map((x) => x.index),
      [0, 1],
    );
    for (const [i, text] of texts.entries()) {
      const one = await json<{ results: ScoreResult[] }>(await post(`${s.url}/v1/score`, { text }));
      assert.deepEqual(many.results[i]!.tokens, one.results[0]!.tokens);
    }
  });
});

describe('health and metrics', () => {
  test('/healthz describes the model and backend', async () => {
    const s = await serve(char);
    const h = await json<{ status: string; model: Record<string, unknown>; backend: string }>(await fetch(`${s.url}/healthz`));
    assert.equal(h.status, 'ok');
    assert.equal(h.backend, 'js');
    assert.equal(h.model.cell, 'lstm');
    assert.equal(h.model.vocabSize, char.tokenizer.vocabSize);
    assert.equal(h.model.hiddenSize, 32);
    assert.equal(h.model.tokenizer, 'char');
    assert.equal(h.model.parameters, char.model.numParameters());
  });

  test('/metrics counts requests by route and status, tokens, durations and RSS', async () => {
    const s = await serve(char); // fresh counters
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    const c = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 7, seed: 1 }));
    const st = await streamCompletion(s.url, { prompt: 'a', max_tokens: 5, seed: 2 });
    await json(await post(`${s.url}/v1/completions`, { prompt: 1 }), 400);
    await json(await fetch(`${s.url}/nope`), 404);
    await json(await post(`${s.url}/v1/score`, { text: 'abc' }));

    const res = await fetch(`${s.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const m = await res.text();
    assert.equal(metric(m, 'rnnlm_http_requests_total', { route: '/healthz', status: '200', method: 'GET' }), 3);
    assert.equal(metric(m, 'rnnlm_http_requests_total', { route: '/v1/completions', status: '200' }), 2);
    assert.equal(metric(m, 'rnnlm_http_requests_total', { route: '/v1/completions', status: '400' }), 1);
    assert.equal(metric(m, 'rnnlm_http_requests_total', { route: 'unmatched', status: '404' }), 1);
    assert.equal(metric(m, 'rnnlm_http_requests_total', { route: '/v1/score', status: '200' }), 1);
    assert.equal(metric(m, 'rnnlm_generated_tokens_total'), c.usage.completion_tokens + st.pieces.length);
    assert.equal(metric(m, 'rnnlm_scored_tokens_total'), 4); // 'abc' and the end token
    assert.equal(metric(m, 'rnnlm_active_streams'), 0);
    assert.equal(metric(m, 'rnnlm_active_jobs'), 0);
    assert.ok(metric(m, 'process_resident_memory_bytes') > 10e6);
    // Histogram: cumulative buckets, +Inf equals the count, the count equals the requests.
    const buckets = m.split('\n').filter((l) => l.startsWith('rnnlm_http_request_duration_seconds_bucket{route="/healthz"'));
    const counts = buckets.map((l) => Number(l.split(' ').at(-1)));
    assert.ok(counts.length > 3);
    for (let i = 1; i < counts.length; i++) assert.ok(counts[i]! >= counts[i - 1]!);
    assert.ok(buckets.at(-1)!.includes('le="+Inf"'));
    assert.equal(counts.at(-1), 3);
    assert.equal(metric(m, 'rnnlm_http_request_duration_seconds_count', { route: '/healthz' }), 3);
    assert.equal(metric(m, 'rnnlm_http_request_duration_seconds_count', { route: '/v1/completions' }), 3);
  });
});

describe('bad requests never crash the server', () => {
  let s: Served;
  before(async () => {
    s = await serve(char, { maxPromptChars: 100, maxTokens: 50, bodyLimit: 4096, maxScoreTexts: 3 });
  });

  const completionCases: [string, unknown, string | null, string][] = [
    ['prompt missing', { max_tokens: 5 }, 'prompt', 'missing_required_parameter'],
    ['prompt a number', { prompt: 5 }, 'prompt', 'invalid_type'],
    ['prompt null', { prompt: null }, 'prompt', 'invalid_type'],
    ['prompt an array', { prompt: ['a'] }, 'prompt', 'invalid_type'],
    ['prompt over the character limit', { prompt: 'a'.repeat(101) }, 'prompt', 'invalid_value'],
    ['max_tokens a string', { prompt: 'a', max_tokens: '5' }, 'max_tokens', 'invalid_type'],
    ['max_tokens "NaN"', { prompt: 'a', max_tokens: 'NaN' }, 'max_tokens', 'invalid_type'],
    ['max_tokens fractional', { prompt: 'a', max_tokens: 2.5 }, 'max_tokens', 'invalid_type'],
    ['max_tokens negative', { prompt: 'a', max_tokens: -1 }, 'max_tokens', 'invalid_value'],
    ['max_tokens zero', { prompt: 'a', max_tokens: 0 }, 'max_tokens', 'invalid_value'],
    ['max_tokens over the ceiling', { prompt: 'a', max_tokens: 51 }, 'max_tokens', 'invalid_value'],
    ['max_tokens huge', { prompt: 'a', max_tokens: 1e300 }, 'max_tokens', 'invalid_value'],
    ['temperature negative', { prompt: 'a', temperature: -0.1 }, 'temperature', 'invalid_value'],
    ['temperature huge', { prompt: 'a', temperature: 1e308 }, 'temperature', 'invalid_value'],
    ['temperature "Infinity"', { prompt: 'a', temperature: 'Infinity' }, 'temperature', 'invalid_type'],
    ['top_p zero', { prompt: 'a', top_p: 0 }, 'top_p', 'invalid_value'],
    ['top_p above 1', { prompt: 'a', top_p: 1.5 }, 'top_p', 'invalid_value'],
    ['top_k negative', { prompt: 'a', top_k: -3 }, 'top_k', 'invalid_value'],
    ['seed negative', { prompt: 'a', seed: -1 }, 'seed', 'invalid_value'],
    ['seed beyond 32 bits', { prompt: 'a', seed: 2 ** 40 }, 'seed', 'invalid_value'],
    ['stream a string', { prompt: 'a', stream: 'yes' }, 'stream', 'invalid_type'],
    ['n = 2', { prompt: 'a', n: 2 }, 'n', 'invalid_value'],
    ['stop a number', { prompt: 'a', stop: 3 }, 'stop', 'invalid_value'],
    ['stop empty', { prompt: 'a', stop: '' }, 'stop', 'invalid_value'],
    ['stop five sequences', { prompt: 'a', stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop', 'invalid_value'],
    ['stop with a non-string', { prompt: 'a', stop: ['a', 1] }, 'stop', 'invalid_value'],
    ['an unknown field', { prompt: 'a', max_token: 5 }, 'max_token', 'unknown_parameter'],
    ['echo a string', { prompt: 'a', echo: 'yes' }, 'echo', 'invalid_type'],
    ['logprobs over the limit', { prompt: 'a', logprobs: 21 }, 'logprobs', 'invalid_value'],
    ['logprobs true', { prompt: 'a', logprobs: true }, 'logprobs', 'invalid_value'],
    ['a penalty', { prompt: 'a', presence_penalty: 0.5 }, 'presence_penalty', 'invalid_value'],
    ['stream_options with an unknown field', { prompt: 'a', stream: true, stream_options: { usage: true } }, 'stream_options', 'invalid_value'],
    ['a character the model does not know', { prompt: 'the ~cat' }, 'prompt', 'unknown_token'],
  ];
  for (const [name, body, param, code] of completionCases) {
    test(`completions: ${name} → 400 (${param}, ${code})`, async () => {
      assertError(await json<ErrorBody>(await post(`${s.url}/v1/completions`, body), 400), { param, code });
    });
  }

  const rawCases: [string, string, string | undefined, number, string][] = [
    ['malformed JSON', '{"prompt": "a",', 'application/json', 400, 'invalid_json'],
    ['garbage bytes', '\u0000\u00ff\u1234 not json', 'application/json', 400, 'invalid_json'],
    ['an empty body', '', 'application/json', 400, 'invalid_json'],
    ['a JSON array', '[1, 2]', 'application/json', 400, 'invalid_type'],
    ['JSON null', 'null', 'application/json', 400, 'invalid_type'],
    ['a JSON string', '"prompt"', 'application/json', 400, 'invalid_type'],
    ['NaN literal', '{"prompt": "a", "max_tokens": NaN}', 'application/json', 400, 'invalid_json'],
    ['a __proto__ key', '{"prompt": "a", "__proto__": {"polluted": true}}', 'application/json', 400, 'invalid_json'],
    ['text/plain', '{"prompt": "a"}', 'text/plain', 415, 'unsupported_media_type'],
    ['form encoding', 'prompt=a', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
  ];
  for (const [name, body, contentType, status, code] of rawCases) {
    test(`completions: ${name} → ${status} (${code})`, async () => {
      assertError(await json<ErrorBody>(await post(`${s.url}/v1/completions`, body, contentType ? { contentType } : {}), status), { code });
    });
  }

  const scoreCases: [string, unknown, string | null, string][] = [
    ['neither text nor texts', {}, 'text', 'missing_required_parameter'],
    ['both text and texts', { text: 'a', texts: ['b'] }, 'text', 'missing_required_parameter'],
    ['an empty text', { text: '' }, 'text', 'invalid_value'],
    ['texts empty', { texts: [] }, 'texts', 'invalid_value'],
    ['texts over the limit', { texts: ['a', 'b', 'c', 'd'] }, 'texts', 'invalid_value'],
    ['texts with a number', { texts: ['a', 2] }, 'texts[1]', 'invalid_type'],
    ['text a number', { text: 12 }, 'text', 'invalid_type'],
    ['an unknown character', { text: 'a ~ b' }, 'text', 'unknown_token'],
  ];
  for (const [name, body, param, code] of scoreCases) {
    test(`score: ${name} → 400 (${param}, ${code})`, async () => {
      assertError(await json<ErrorBody>(await post(`${s.url}/v1/score`, body), 400), { param, code });
    });
  }

  test('an oversized body → 413', async () => {
    const r = await json<ErrorBody>(await post(`${s.url}/v1/completions`, { prompt: 'a'.repeat(10_000) }), 413);
    assertError(r, { code: 'body_too_large' });
  });

  test('unknown routes and methods → 404 in the same error shape', async () => {
    for (const [method, p] of [
      ['GET', '/nope'],
      ['POST', '/v1/chat/completions'],
      ['GET', '/v1/completions'],
      ['DELETE', '/healthz'],
    ] as const) {
      const r = await json<ErrorBody>(await fetch(`${s.url}${p}`, { method }), 404);
      assertError(r, { code: 'not_found', param: null });
      assert.ok(r.error.message.includes(p));
    }
  });

  test('after all of that the server still answers', async () => {
    assert.equal((await json<{ status: string }>(await fetch(`${s.url}/healthz`))).status, 'ok');
    const r = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 3, seed: 1 }));
    assert.equal(r.usage.completion_tokens, 3);
  });
});

describe('limits', () => {
  test('over --max-concurrent with no queue → 429 with Retry-After; the slot frees when the stream ends', async () => {
    const s = await serve(char, { maxConcurrent: 1, maxQueue: 0, maxTokens: 5000 });
    const ac = new AbortController();
    const res = await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 5000, stream: true, seed: 1 }, { signal: ac.signal });
    const { reader } = await firstEvent(res);
    for (const [route, body] of [
      ['/v1/completions', { prompt: 'b', max_tokens: 2 }],
      ['/v1/score', { text: 'b' }],
    ] as const) {
      const busy = await post(`${s.url}${route}`, body);
      assert.equal(busy.headers.get('retry-after'), '1');
      assertError(await json<ErrorBody>(busy, 429), { type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    }
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200, 'health checks are not limited');
    ac.abort();
    await reader.cancel().catch(() => {});
    await waitForMetrics(s.url, (m) => metric(m, 'rnnlm_active_jobs') === 0);
    await json<Completion>(await post(`${s.url}/v1/completions`, { prompt: 'b', max_tokens: 2 }));
  });

  test('the time limit ends a generation early with finish_reason "length"', async () => {
    const s = await serve(char, { timeoutMs: 30, maxTokens: 100_000 });
    const r = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 100_000, seed: 1 }));
    assert.equal(r.choices[0]!.finish_reason, 'length');
    assert.ok(r.usage.completion_tokens > 0 && r.usage.completion_tokens < 100_000, `${r.usage.completion_tokens} tokens`);
    assert.equal(r.choices[0]!.text, expectedChar({ prompt: 'a', maxTokens: r.usage.completion_tokens, seed: 1 }));
    assert.equal(metric(await scrape(s.url), 'rnnlm_generations_cancelled_total', { reason: 'timeout' }), 1);
  });

  test('a client that disconnects mid-stream stops its generation', async () => {
    const s = await serve(char, { maxTokens: 5000 });
    const ac = new AbortController();
    const res = await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 5000, stream: true, seed: 2 }, { signal: ac.signal });
    const { event, reader } = await firstEvent(res);
    assert.ok(event.startsWith('data: {'));
    assert.equal(metric(await scrape(s.url), 'rnnlm_active_streams'), 1);
    ac.abort();
    await reader.cancel().catch(() => {});
    const m = await waitForMetrics(s.url, (t) => metric(t, 'rnnlm_active_streams') === 0 && metric(t, 'rnnlm_active_jobs') === 0);
    assert.equal(metric(m, 'rnnlm_generations_cancelled_total', { reason: 'client' }), 1);
    const tokens = metric(m, 'rnnlm_generated_tokens_total');
    assert.ok(tokens < 5000, `generation went on after the disconnect: ${tokens} tokens`);
    await sleep(100);
    assert.equal(metric(await scrape(s.url), 'rnnlm_generated_tokens_total'), tokens, 'no tokens after the stream stopped');
    assert.equal(metric(m, 'rnnlm_http_requests_total', { route: '/v1/completions', status: '499' }), 1);
  });
});

test('a stream whose source closes before its headers go out (a client that left) is not a server error', async () => {
  // Found by the 10-minute soak (bench/soak.ts): cancelling a generation whose client had left
  // closed the event stream before any event, so fastify passed "premature close" to the error
  // handler with no headers sent; the handler logged a server error and answered with a JSON body
  // under the stream's event-stream type (FST_ERR_REP_INVALID_PAYLOAD_TYPE, a second error line).
  const log: string[] = [];
  const app = buildServer({ model: char.model, tokenizer: char.tokenizer, logger: { level: 'debug', stream: { write: (l: string) => void log.push(l) } } });
  servers.push(app);
  app.get('/test/closed-stream', (_req, reply) => {
    const source = new Readable({ read() {} });
    setImmediate(() => source.destroy()); // as completion.ts does when the generation is cancelled
    return reply.header('content-type', 'text/event-stream; charset=utf-8').send(source);
  });
  await app.inject({ method: 'GET', url: '/test/closed-stream' }).catch(() => {}); // the response is cut off either way
  const lines = log.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { code?: string } });
  assert.deepEqual(
    lines.filter((l) => l.level >= 50).map((l) => l.msg),
    [],
    'no error-level log line',
  );
  assert.ok(
    lines.some((l) => l.msg === 'client closed the stream' && l.err?.code === 'ERR_STREAM_PREMATURE_CLOSE'),
    'logged at debug level',
  );
});

test('load: 50 concurrent streams all complete correctly, health stays responsive, memory stays bounded', async () => {
  const s = await serve(char, { maxConcurrent: 64, maxTokens: 200 });
  const N = 50;
  const body = (seed: number) => ({ prompt: 'the ', max_tokens: 200, seed: 1000 + seed });
  await streamCompletion(s.url, body(-1)); // warm up the code paths before the baseline
  const rss0 = process.memoryUsage().rss;
  let finished = 0;
  const runs = Array.from({ length: N }, (_, i) =>
    streamCompletion(s.url, body(i)).then((r) => {
      finished++;
      return r;
    }),
  );
  await sleep(20); // let the streams start
  const health = await fetch(`${s.url}/healthz`);
  assert.equal(health.status, 200);
  // 50 × 200 tokens take far longer than one health check when generation yields between tokens.
  assert.ok(finished < N, 'the health check had to wait for every stream to finish');
  const results = await Promise.all(runs);
  for (const [i, r] of results.entries()) {
    assert.equal(r.finish, 'length');
    assert.equal(r.pieces.join(''), expectedChar({ prompt: 'the ', maxTokens: 200, seed: 1000 + i }), `stream ${i}`);
  }
  const m = await scrape(s.url);
  assert.equal(metric(m, 'rnnlm_active_streams'), 0);
  assert.equal(metric(m, 'rnnlm_active_jobs'), 0);
  assert.equal(metric(m, 'rnnlm_generated_tokens_total'), (N + 1) * 200);
  // Each stream holds one recurrent state (1×32 floats) and a one-event buffer: a few KB. The
  // 100 MB bound leaves room for GC timing and socket buffers but fails if streams buffer
  // their output without back-pressure or keep per-token state alive.
  const grownMB = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(grownMB < 100, `RSS grew by ${grownMB.toFixed(1)} MB`);
});

describe('rnnlm serve (CLI)', () => {
  const cli = (args: string[]): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps', 'cli', 'main.ts'), 'serve', ...args], {
      cwd: repoRoot,
      env: { ...process.env, RNNLM_BACKEND: 'js' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  /** Collects a child's output and its exit. */
  function watch(child: ChildProcess) {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { out: () => stdout, err: () => stderr, exited };
  }

  /** The URL the server prints once it listens. */
  async function printedUrl(child: ChildProcess, w: ReturnType<typeof watch>): Promise<string> {
    const until = Date.now() + 20_000;
    let url: string | undefined;
    while (!(url = /at (http:\/\/127\.0\.0\.1:\d+)\n/.exec(w.out())?.[1])) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`no URL printed\n${w.out()}\n${w.err()}`);
      await sleep(50);
    }
    return url;
  }

  /** The rest of a response body as text. */
  async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
    let rest = '';
    const dec = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return rest;
      rest += dec.decode(value, { stream: true });
    }
  }

  test('prints its URL, serves, and on SIGTERM with --shutdown-grace 0 ends running streams and exits 0', async () => {
    const child = cli(['--model', charDir, '--host', HOST, '--port', '0', '--backend', 'js', '--log-level', 'silent', '--shutdown-grace', '0']);
    const w = watch(child);
    try {
      const url = await printedUrl(child, w);
      assert.match(w.out(), /rnnlm: serving .*char.* \(lstm, 1×32, char vocabulary \d+\) on backend js/);
      assert.equal((await json<{ status: string }>(await fetch(`${url}/healthz`))).status, 'ok');
      const res = await post(`${url}/v1/completions`, { prompt: 'a', max_tokens: 1024, stream: true, seed: 1 });
      const { reader } = await firstEvent(res);
      child.kill('SIGTERM');
      // The stream ends with an error event saying why, then [DONE].
      const rest = await readAll(reader);
      const events = sseEvents(rest.slice(rest.indexOf('data: ')));
      assert.equal(events.at(-1), '[DONE]');
      assertError(JSON.parse(events.at(-2)!) as ErrorBody, { type: 'server_error', code: 'server_shutting_down' });
      assert.equal(await w.exited, 0, w.err());
      assert.match(w.out(), /server stopped/);
      assert.match(w.err(), /1 running request\(s\) get up to 0 s to finish, then are stopped/);
      assert.match(w.err(), /0 request\(s\) finished within the grace period, 1 stopped at its end/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('on SIGTERM a running stream finishes within --shutdown-grace; new requests get 503; the log says so', async () => {
    const child = cli(['--model', charDir, '--host', HOST, '--port', '0', '--backend', 'js', '--log-level', 'silent', '--shutdown-grace', '60']);
    const w = watch(child);
    try {
      const url = await printedUrl(child, w);
      const res = await post(`${url}/v1/completions`, { prompt: 'a', max_tokens: 1000, stream: true, seed: 1 });
      const { event, after, reader } = await firstEvent(res);
      child.kill('SIGTERM');
      for (const until = Date.now() + 10_000; !/shutting down/.test(w.err()) && Date.now() < until; ) await sleep(20);
      const late = await post(`${url}/v1/completions`, { prompt: 'a', max_tokens: 2 });
      assertError(await json<ErrorBody>(late, 503), { type: 'server_error' });
      const rest = await readAll(reader);
      const events = sseEvents(`${event}\n\n${after}${rest}`);
      assert.equal(events.at(-1), '[DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Completion);
      assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'length', 'the stream ran to its end');
      assert.equal(
        chunks
          .slice(0, -1)
          .map((c) => c.choices[0]!.text)
          .join(''),
        expectedChar({ prompt: 'a', maxTokens: 1000, seed: 1 }),
      );
      assert.equal(await w.exited, 0, w.err());
      assert.match(w.err(), /1 running request\(s\) get up to 60 s to finish/);
      assert.match(w.err(), /1 request\(s\) finished within the grace period, 0 stopped/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('$RNNLM_API_KEY sets the key without putting it on the command line (or in --help)', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repoRoot, 'apps', 'cli', 'main.ts'),
        'serve',
        '--model',
        charDir,
        '--host',
        HOST,
        '--port',
        '0',
        '--backend',
        'js',
        '--log-level',
        'silent',
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, RNNLM_BACKEND: 'js', RNNLM_API_KEY: 'env-key-123456' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const w = watch(child);
    try {
      const url = await printedUrl(child, w);
      assert.equal((await post(`${url}/v1/completions`, { prompt: 'a', max_tokens: 1 })).status, 401);
      const ok = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer env-key-123456' },
        body: '{"prompt":"a","max_tokens":1}',
      });
      assert.equal(ok.status, 200);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a bad port or a missing checkpoint is a clear error, not a stack trace', async () => {
    const badPort = watch(cli(['--model', charDir, '--port', '70000']));
    assert.notEqual(await badPort.exited, 0);
    assert.match(badPort.err(), /port number 0\.\.65535/);
    const missing = watch(cli(['--model', path.join(tmp.dir, 'nope'), '--port', '0', '--backend', 'js']));
    assert.equal(await missing.exited, 2);
    assert.match(missing.err(), /^rnnlm: error \[file_not_found\]/m);
  });
});

describe('continuous batching and the queue', () => {
  test('16 concurrent streams share batched steps and each equals its request alone', async () => {
    const s = await serve(char, { maxConcurrent: 16, maxTokens: 100 });
    const body = (i: number) => ({
      prompt: ['the ', 'a', ''][i % 3]!,
      max_tokens: 40 + i,
      seed: 500 + i,
      temperature: [1, 0.5, 0][i % 3]!,
      top_k: i % 2 ? 5 : 0,
    });
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => streamCompletion(s.url, body(i))));
    results.forEach((r, i) => {
      const b = body(i);
      assert.equal(
        r.pieces.join(''),
        expectedChar({ prompt: b.prompt, maxTokens: b.max_tokens, seed: b.seed, temperature: b.temperature, ...(b.top_k ? { topK: b.top_k } : {}) } as never),
        `stream ${i}`,
      );
    });
    const m = await scrape(s.url);
    const steps = metric(m, 'rnnlm_batch_rows_count');
    const single = metric(m, 'rnnlm_batch_rows_bucket', { le: '1' });
    assert.ok(steps > 0 && single < steps / 2, `most steps advanced several streams (${single} of ${steps} had one row)`);
  });

  test('over --max-concurrent a request waits in the queue and then runs; over the queue → 429', async () => {
    const s = await serve(char, { maxConcurrent: 1, maxQueue: 1, maxTokens: 5000 });
    const ac = new AbortController();
    const res = await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 5000, stream: true, seed: 1 }, { signal: ac.signal });
    const { reader } = await firstEvent(res);
    const queued = post(`${s.url}/v1/completions`, { prompt: 'b', max_tokens: 3, seed: 4 });
    await waitForMetrics(s.url, (m) => metric(m, 'rnnlm_queued_jobs') === 1);
    const over = await post(`${s.url}/v1/completions`, { prompt: 'b', max_tokens: 2 });
    assert.equal(over.headers.get('retry-after'), '1');
    assertError(await json<ErrorBody>(over, 429), { type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    ac.abort();
    await reader.cancel().catch(() => {});
    const done = await json<Completion>(await queued);
    assert.equal(done.choices[0]!.text, expectedChar({ prompt: 'b', maxTokens: 3, seed: 4 }));
    const m = await scrape(s.url);
    assert.equal(metric(m, 'rnnlm_requests_refused_total', { reason: 'queue_full' }), 1);
    assert.equal(metric(m, 'rnnlm_queued_jobs'), 0);
  });

  test('a queued request whose client leaves never runs', async () => {
    const s = await serve(char, { maxConcurrent: 1, maxQueue: 4, maxTokens: 5000 });
    const ac = new AbortController();
    const res = await post(`${s.url}/v1/completions`, { prompt: 'a', max_tokens: 5000, stream: true, seed: 1 }, { signal: ac.signal });
    const { reader } = await firstEvent(res);
    const ac2 = new AbortController();
    const waiting = post(`${s.url}/v1/completions`, { prompt: 'b', max_tokens: 3 }, { signal: ac2.signal }).catch(() => null);
    await waitForMetrics(s.url, (m) => metric(m, 'rnnlm_queued_jobs') === 1);
    ac2.abort();
    await waiting;
    await waitForMetrics(s.url, (m) => metric(m, 'rnnlm_queued_jobs') === 0);
    ac.abort();
    await reader.cancel().catch(() => {});
    await waitForMetrics(s.url, (m) => metric(m, 'rnnlm_active_jobs') === 0 && metric(m, 'rnnlm_batch_sequences') === 0);
  });
});

describe('shutdown', () => {
  test('close() ends within the grace period even when a client left a stream without closing its socket', async () => {
    const app = buildServer({ model: char.model, tokenizer: char.tokenizer, limits: { maxTokens: 5000 }, shutdownGraceMs: 300 });
    await app.listen({ host: HOST, port: 0 });
    const url = `http://${HOST}:${(app.server.address() as { port: number }).port}`;
    const ac = new AbortController();
    const res = await post(`${url}/v1/completions`, { prompt: 'a', max_tokens: 5000, stream: true, seed: 1 }, { signal: ac.signal });
    await firstEvent(res);
    ac.abort(); // fetch stops reading; its socket stays open (the old server then never finished closing)
    const idle = await post(`${url}/v1/completions`, { prompt: 'a', max_tokens: 2 }); // a keep-alive connection
    await idle.text();
    const t0 = Date.now();
    await app.close();
    assert.ok(Date.now() - t0 < 5000, `close took ${Date.now() - t0} ms`);
  });
});

describe('logprobs and echo', () => {
  let s: Served;
  before(async () => {
    s = await serve(char, { maxTokens: 100 });
  });
  const lib = (prompt: string, maxTokens: number, seed: number) => [...generateTokens(char.model, char.tokenizer, { prompt, maxTokens, seed })];

  test('logprobs k: each token with its log-probability and its k most probable alternatives, as the library computes them', async () => {
    const r = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt: 'the ', max_tokens: 12, seed: 9, logprobs: 3 }));
    const lp = r.choices[0]!.logprobs!;
    const want = lib('the ', 12, 9);
    assert.equal(lp.tokens.join(''), r.choices[0]!.text);
    assert.deepEqual(
      lp.tokens,
      want.map((t) => t.text),
    );
    assert.deepEqual(
      lp.token_logprobs,
      want.map((t) => t.logProb),
    );
    let offset = 0;
    lp.top_logprobs.forEach((top, k) => {
      assert.equal(lp.text_offset[k], offset);
      offset += lp.tokens[k]!.length;
      const row = want[k]!.logProbs;
      const best = [...row]
        .map((v, id) => ({ v, id }))
        .sort((a, b) => b.v - a.v || a.id - b.id)
        .slice(0, 3);
      for (const b of best) assert.equal(top![char.tokenizer.tokenText(b.id)], b.v, `token ${k}: alternative ${b.id}`);
      assert.equal(top![lp.tokens[k]!], lp.token_logprobs[k], 'the sampled token is always listed');
      assert.ok(Object.keys(top!).length <= 4);
    });
  });

  test('echo with max_tokens 0 scores the prompt: first token null, the rest as the library scorer', async () => {
    const prompt = 'the cat sat';
    const r = await json<Completion>(await post(`${s.url}/v1/completions`, { prompt, max_tokens: 0, echo: true, logprobs: 2 }));
    assert.equal(r.choices[0]!.text, prompt);
    const lp = r.choices[0]!.logprobs!;
    const ids = char.tokenizer.encode(prompt, { addEos: false });
    const want = drain(tokenLogProbs(char.model, ids));
    assert.deepEqual(lp.tokens, [...prompt]);
    assert.equal(lp.token_logprobs[0], null);
    assert.equal(lp.top_logprobs[0], null);
    for (let k = 1; k < ids.length; k++) assert.equal(lp.token_logprobs[k], want[k]);
    assert.deepEqual(
      lp.text_offset,
      [...prompt].map((_, i) => i),
    );
    assert.equal(r.usage.completion_tokens, 0);
    assertError(await json<ErrorBody>(await post(`${s.url}/v1/completions`, { prompt, max_tokens: 0 }), 400), { param: 'max_tokens', code: 'invalid_value' });
  });

  test('streamed logprobs and echo equal the whole response', async () => {
    const body = { prompt: 'a bird', max_tokens: 15, seed: 3, logprobs: 2, echo: true, stop: 'at' };
    const whole = await json<Completion>(await post(`${s.url}/v1/completions`, body));
    const res = await post(`${s.url}/v1/completions`, { ...body, stream: true });
    const chunks = sseEvents(await res.text())
      .slice(0, -1)
      .map((e) => JSON.parse(e) as Completion);
    assert.equal(chunks[0]!.choices[0]!.text, 'a bird', 'the echo comes first');
    const text = chunks.map((c) => c.choices[0]!.text).join('');
    assert.equal(text, whole.choices[0]!.text);
    const joined = { tokens: [] as string[], token_logprobs: [] as (number | null)[], text_offset: [] as number[] };
    for (const c of chunks) {
      const lp = c.choices[0]!.logprobs!;
      joined.tokens.push(...lp.tokens);
      joined.token_logprobs.push(...lp.token_logprobs);
      joined.text_offset.push(...lp.text_offset);
    }
    const w = whole.choices[0]!.logprobs!;
    assert.deepEqual(joined, { tokens: w.tokens, token_logprobs: w.token_logprobs, text_offset: w.text_offset });
    // Every listed token starts inside the returned text, and the text starts with the tokens.
    assert.ok(w.text_offset.every((o) => o < text.length));
    assert.ok(w.tokens.join('').startsWith(text) || text.startsWith(w.tokens.join('').slice(0, text.length)));
  });

  test('word models: tokens carry their spacing, alternatives too', async () => {
    const ws = await serve(word, { maxTokens: 50 });
    const r = await json<Completion>(await post(`${ws.url}/v1/completions`, { prompt: 'the cat', max_tokens: 6, seed: 2, logprobs: 2, echo: true }));
    const lp = r.choices[0]!.logprobs!;
    assert.deepEqual(lp.tokens.slice(0, 2), ['the', ' cat']);
    assert.equal(lp.tokens.join(''), r.choices[0]!.text.slice(0, lp.tokens.join('').length));
    for (const top of lp.top_logprobs.slice(2))
      for (const k of Object.keys(top!)) assert.ok(k === '\n' || k.startsWith(' '), `alternative ${JSON.stringify(k)}`);
  });
});

describe('access control', () => {
  test('--api-key: /v1/* and /metrics need the Bearer key (OpenAI-style 401), /healthz stays open', async () => {
    const app = buildServer({ model: char.model, tokenizer: char.tokenizer, access: { apiKey: 'sk-test-0123456789' } });
    servers.push(app);
    await app.listen({ host: HOST, port: 0 });
    const url = `http://${HOST}:${(app.server.address() as { port: number }).port}`;
    const missing = await post(`${url}/v1/completions`, { prompt: 'a', max_tokens: 2 });
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="rnnlm"');
    assertError(await json<ErrorBody>(missing, 401), { code: 'missing_api_key' });
    const wrong = await fetch(`${url}/v1/score`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-wrong-key-999' },
      body: '{"text":"a"}',
    });
    const body = await json<ErrorBody>(wrong, 401);
    assertError(body, { code: 'invalid_api_key' });
    assert.ok(!body.error.message.includes('sk-wrong-key-999'), 'the wrong key is masked');
    assert.equal((await fetch(`${url}/metrics`)).status, 401);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const ok = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-0123456789' },
      body: '{"prompt":"a","max_tokens":2}',
    });
    assert.equal(ok.status, 200);
  });

  test('CORS is off by default; --cors ORIGIN answers preflights and tags responses for that origin only', async () => {
    const plain = await serve(char);
    const r0 = await fetch(`${plain.url}/healthz`, { headers: { origin: 'https://app.example' } });
    assert.equal(r0.headers.get('access-control-allow-origin'), null);
    assert.equal((await fetch(`${plain.url}/v1/completions`, { method: 'OPTIONS', headers: { origin: 'https://app.example' } })).status, 404);

    const app = buildServer({ model: char.model, tokenizer: char.tokenizer, access: { corsOrigins: ['https://app.example'], apiKey: 'k-123456789' } });
    servers.push(app);
    await app.listen({ host: HOST, port: 0 });
    const url = `http://${HOST}:${(app.server.address() as { port: number }).port}`;
    const pre = await fetch(`${url}/v1/completions`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(pre.status, 204, 'preflights need no key');
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
    const denied = await fetch(`${url}/v1/completions`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    const unauth = await fetch(`${url}/v1/completions`, {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json' },
      body: '{"prompt":"a"}',
    });
    assert.equal(unauth.status, 401);
    assert.equal(unauth.headers.get('access-control-allow-origin'), 'https://app.example', 'a browser can read the 401');
  });
});
