/**
 * BatchGenerator: sequences that share batched steps — joining and leaving at different
 * steps, each with its own sampling settings and seed, some paused — get exactly the tokens
 * and log-probabilities they get alone (generateTokens), bit for bit, on the js backend and
 * on the native backend where it is built; every cell, stacked and per-layer-size layouts.
 * Legend: B sequences, V vocabulary.
 */
import '../../test/helpers/backend.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerBackend, setBackend } from '../backend/backend.js';
import { loadNativeBackend } from '../backend/native/index.js';
import { RNNLM, type RNNLMConfig } from '../models/rnnlm.js';
import { CharTokenizer } from '../tokenizers/char.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { BatchGenerator, type Sequence, type SequenceOptions } from './batch.js';
import { generateTokens } from './generate.js';

const TEXT = 'the cat sat on the mat\nthe dog ran to the cat\na bird sat on a tree\n';
const charTok = CharTokenizer.fromText(TEXT);
const wordTok = WordTokenizer.fromText(TEXT);
const native = loadNativeBackend();
if (native) registerBackend(native);

const modelFor = (tok: Tokenizer, over: Partial<RNNLMConfig> = {}): RNNLM =>
  new RNNLM({ vocabSize: tok.vocabSize, embedSize: 8, hiddenSize: 12, numLayers: 2, cell: 'lstm', seed: 4, ...over });

/** A mix of requests: greedy, plain, top-k, top-p, hot and cold, long and short prompts. */
function requests(n: number): SequenceOptions[] {
  const prompts = ['the ca', '', 'a bird sat on a', 't', 'the dog ran to the cat\nthe'];
  return Array.from({ length: n }, (_, i) => ({
    prompt: prompts[i % prompts.length]!,
    maxTokens: 5 + ((i * 7) % 23),
    temperature: [1, 0, 0.7, 1.5][i % 4]!,
    topK: i % 3 === 0 ? 5 : 0,
    topP: i % 5 === 1 ? 0.8 : 1,
    seed: 100 + i,
  }));
}

interface Got {
  ids: number[];
  logProbs: Float64Array[];
}

function alone(model: RNNLM, tok: Tokenizer, o: SequenceOptions): Got {
  const got: Got = { ids: [], logProbs: [] };
  for (const t of generateTokens(model, tok, o)) {
    got.ids.push(t.id);
    got.logProbs.push(t.logProbs);
  }
  return got;
}

/** Runs `reqs` through one engine; request i joins at step joinAt(i); some are paused for a while. */
function batched(model: RNNLM, tok: Tokenizer, reqs: SequenceOptions[], rowGroup?: number): { got: Got[]; maxRows: number } {
  const engine = new BatchGenerator(model, tok, rowGroup === undefined ? {} : { rowGroup });
  const got = reqs.map((): Got => ({ ids: [], logProbs: [] }));
  const seqs = new Map<Sequence, number>();
  let maxRows = 0;
  for (let step = 0; step < 200 && (seqs.size < reqs.length || engine.size > 0); step++) {
    reqs.forEach((o, i) => {
      if (step === (i * 3) % 11) seqs.set(engine.add({ ...o, distribution: true }), i);
    });
    for (const [s, i] of seqs) s.paused = i % 4 === 2 && step % 5 < 2; // paused rows wait, their state untouched
    maxRows = Math.max(maxRows, engine.size);
    for (const t of engine.step()) {
      const g = got[seqs.get(t.seq)!]!;
      g.ids.push(t.id);
      g.logProbs.push(t.logProbs!);
    }
  }
  assert.equal(engine.size, 0, 'every sequence ended');
  return { got, maxRows };
}

function assertSame(a: Got, b: Got, what: string): void {
  assert.deepEqual(b.ids, a.ids, `${what}: tokens`);
  for (let k = 0; k < a.logProbs.length; k++) assert.deepEqual(b.logProbs[k], a.logProbs[k], `${what}: log-probs of token ${k}, bit for bit`);
}

for (const backend of ['js', 'native'] as const) {
  describe(`BatchGenerator (${backend} backend)`, { skip: backend === 'native' && !native ? 'native backend not built' : false }, () => {
    const cases: [string, Tokenizer, Partial<RNNLMConfig>][] = [
      ['lstm char', charTok, {}],
      ['gru char', charTok, { cell: 'gru' }],
      ['rnn_tanh word', wordTok, { cell: 'rnn_tanh' }],
      ['lstm with per-layer sizes', charTok, { hiddenSizes: [10, 12] }],
      ['lstm, sizes of whole vectors and a tail', charTok, { embedSize: 20, hiddenSize: 40 }],
    ];
    for (const [name, tok, cfg] of cases) {
      test(`${name}: 24 sequences joining and leaving at different steps equal each one alone`, () => {
        setBackend(backend);
        try {
          const model = modelFor(tok, cfg);
          const reqs = requests(24);
          const { got, maxRows } = batched(model, tok, reqs);
          assert.ok(maxRows >= 12, `the batch held ${maxRows} sequences at once`);
          reqs.forEach((o, i) => assertSame(alone(model, tok, o), got[i]!, `request ${i}`));
        } finally {
          setBackend('js');
        }
      });
    }
  });
}

describe('BatchGenerator', () => {
  test('js: any row group is exact (the js gemm works row by row)', () => {
    const model = modelFor(charTok);
    const reqs = requests(16);
    const { got } = batched(model, charTok, reqs, 64);
    reqs.forEach((o, i) => assertSame(alone(model, charTok, o), got[i]!, `request ${i}`));
  });

  test('a cancelled sequence leaves at once; the others go on unchanged', () => {
    const model = modelFor(charTok);
    const engine = new BatchGenerator(model, charTok);
    const a = engine.add({ prompt: 'the', maxTokens: 30, seed: 1, distribution: true });
    const b = engine.add({ prompt: 'a', maxTokens: 30, seed: 2 });
    const ids: number[] = [];
    for (let k = 0; k < 32; k++) {
      // 'the' takes 3 steps to read (one token a step), so a's 30 tokens take 32 steps.
      if (k === 3) engine.cancel(b);
      for (const t of engine.step()) {
        if (t.seq === a) ids.push(t.id);
        else assert.ok(k < 3, 'no token after cancel');
        assert.equal(t.logProbs === null, t.seq === b, 'only sequences that ask get their distribution');
      }
    }
    assert.equal(b.end, 'cancelled');
    assert.equal(a.end, 'length');
    assert.equal(engine.size, 0);
    assert.deepEqual(ids, alone(model, charTok, { prompt: 'the', maxTokens: 30, seed: 1 }).ids);
  });

  test('word models end at <eos> with end "eos"; maxTokens 0 ends at once; bad options are invalid_argument', () => {
    const model = modelFor(wordTok);
    const engine = new BatchGenerator(model, wordTok);
    const seqs = Array.from({ length: 30 }, (_, i) => engine.add({ prompt: 'the cat', maxTokens: 50, seed: i }));
    while (engine.size > 0) engine.step();
    assert.ok(seqs.some((s) => s.end === 'eos'));
    for (const s of seqs) assert.ok(s.end === 'eos' || (s.end === 'length' && s.produced === 50));
    const zero = engine.add({ maxTokens: 0 });
    assert.equal(zero.end, 'length');
    assert.equal(engine.size, 0);
    assert.throws(() => engine.add({ maxTokens: -1 }), /maxTokens must be an integer/);
    assert.throws(() => new BatchGenerator(model, wordTok, { rowGroup: 0 }), /rowGroup/);
  });
});
