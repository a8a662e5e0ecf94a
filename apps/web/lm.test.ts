/**
 * The page's model logic, run in Node on the browser platform (the in-memory file system of
 * src/web.ts): streaming generation must give generate()'s tokens, surprisal must match a
 * token-by-token stateful computation, and checkpoint files must be recognised and loaded.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CharTokenizer,
  RNNLM,
  type RNNState,
  Tensor,
  type Tokenizer,
  WordTokenizer,
  browserPlatform,
  generate,
  loadLanguageModel,
  logSoftmaxRow,
  noGrad,
  platform,
  saveLanguageModel,
  startId,
} from '../../src/web.js';
import { findCheckpointFiles, scoreText, topTokens, withoutTrainingState } from './lm.js';

const TEXT = 'the cat sat on the mat.\nthe dog sat on the log.\na cat and a dog.\n';

function charModel(cell: 'lstm' | 'gru' = 'lstm'): { model: RNNLM; tokenizer: Tokenizer } {
  const tokenizer = CharTokenizer.fromText(TEXT);
  const model = new RNNLM({ vocabSize: tokenizer.vocabSize, embedSize: 8, hiddenSize: 16, numLayers: 2, cell, seed: 7, init: 0.8 });
  return { model, tokenizer };
}

function wordModel(): { model: RNNLM; tokenizer: Tokenizer } {
  const tokenizer = WordTokenizer.fromText(TEXT);
  const model = new RNNLM({ vocabSize: tokenizer.vocabSize, embedSize: 8, hiddenSize: 12, numLayers: 1, cell: 'gru', seed: 3, init: 1.5 });
  // A large <eos> bias so generation stops early at <eos> (the stop path is exercised).
  model.decoder.bias!.data[tokenizer.eosId!] = 3;
  return { model, tokenizer };
}

describe('topTokens', () => {
  test('the k most probable tokens, in order, with their probabilities', () => {
    const { tokenizer } = charModel();
    const V = tokenizer.vocabSize;
    const logits = Float64Array.from({ length: V }, (_, v) => Math.sin(v * 1.7) * 3);
    const lp = logSoftmaxRow(logits, new Float64Array(V));
    const top = topTokens(lp, tokenizer, 10);
    assert.equal(top.length, 10);
    const sorted = [...lp].map((v, id) => ({ v, id })).sort((a, b) => b.v - a.v || a.id - b.id);
    assert.deepEqual(
      top.map((t) => t.id),
      sorted.slice(0, 10).map((s) => s.id),
    );
    for (const t of top) {
      assert.ok(Math.abs(t.prob - Math.exp(lp[t.id]!)) < 1e-12);
      assert.equal(t.text, tokenizer.tokenText(t.id));
    }
    assert.equal(topTokens(lp, tokenizer, V + 5).length, V, 'never more than the vocabulary');
  });
});

describe('scoreText', () => {
  /** Reference: feed the tokens one at a time, carrying the state (T = 1 per step). */
  function stepwiseBits(model: RNNLM, tokenizer: Tokenizer, text: string): number[] {
    const ids = tokenizer.encode(text, { addEos: false });
    const V = model.config.vocabSize;
    let prev = startId(tokenizer);
    let state: RNNState | null = null;
    const bits: number[] = [];
    for (const id of ids) {
      const out = noGrad(() => model.forward(Int32Array.from([prev]), 1, 1, state));
      state = out.state;
      bits.push(-logSoftmaxRow(out.logits.data, new Float64Array(V))[id]! / Math.LN2);
      prev = id;
    }
    return bits;
  }

  for (const [name, mk, text] of [
    ['char', charModel, 'the cat sat.\na dog'],
    ['word', wordModel, 'the cat sat on\nthe dog zebra'],
  ] as const) {
    test(`one forward equals token-by-token stepping (${name})`, () => {
      const { model, tokenizer } = mk();
      const r = scoreText(model, tokenizer, text);
      const ref = stepwiseBits(model, tokenizer, text);
      assert.equal(r.tokens.length, tokenizer.encode(text, { addEos: false }).length);
      assert.equal(r.tokens.length, ref.length);
      for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(r.tokens[i]!.bits - ref[i]!) < 1e-4, `token ${i}: ${r.tokens[i]!.bits} vs ${ref[i]}`);
      const total = ref.reduce((s, b) => s + b, 0);
      assert.ok(Math.abs(r.totalBits - total) < 1e-4);
      assert.ok(Math.abs(r.bitsPerToken - total / ref.length) < 1e-6);
      for (const t of r.tokens) assert.ok(t.bits > 0 && Number.isFinite(t.bits));
    });
  }

  test('empty text scores nothing; unknown characters without <unk> are a clear error', () => {
    const { model, tokenizer } = charModel();
    assert.deepEqual(scoreText(model, tokenizer, ''), { tokens: [], totalBits: 0, bitsPerToken: 0 });
    const strict = CharTokenizer.fromText(TEXT, { unk: false });
    const m = new RNNLM({ vocabSize: strict.vocabSize, embedSize: 4, hiddenSize: 4, numLayers: 1, cell: 'lstm' });
    assert.throws(
      () => scoreText(m, strict, 'the Zebra'),
      (e) => (e as { code?: string }).code === 'unknown_token',
    );
  });
});

describe('checkpoint files', () => {
  test('recognised by name, or by content when renamed', () => {
    const f = (name: string) => ({ name });
    const exact = findCheckpointFiles([{ file: f('model.safetensors') }, { file: f('config.json') }, { file: f('tokenizer.json') }, { file: f('notes.txt') }]);
    assert.deepEqual([...exact.parts.keys()].sort(), ['config.json', 'model.safetensors', 'tokenizer.json']);
    assert.deepEqual(exact.ignored, ['notes.txt']);
    const renamed = findCheckpointFiles([
      { file: f('weights (1).safetensors') },
      { file: f('a.json'), text: '{"kind":"char","version":1,"tokens":["a"]}' },
      { file: f('b.json'), text: '{"format":"rnnlm-checkpoint","version":1}' },
      { file: f('c.json'), text: 'not json' },
    ]);
    assert.equal(renamed.parts.get('model.safetensors')!.name, 'weights (1).safetensors');
    assert.equal(renamed.parts.get('tokenizer.json')!.name, 'a.json');
    assert.equal(renamed.parts.get('config.json')!.name, 'b.json');
    assert.deepEqual(renamed.ignored, ['c.json']);
  });

  test('a checkpoint saved with its training state loads from the three inference files alone', () => {
    const { model, tokenizer } = charModel();
    assert.equal(platform().name, 'browser', 'src/web.ts registered the browser platform');
    const dir = '/saved';
    saveLanguageModel(dir, model, tokenizer, { json: { step: 3 }, tensors: { m: Tensor.from([1, 2, 3]) } });
    assert.ok(browserPlatform.getFile(`${dir}/training-state.json`), 'the training state was saved');
    for (const name of ['model.safetensors', 'tokenizer.json']) browserPlatform.addFile(`/page/${name}`, browserPlatform.getFile(`${dir}/${name}`)!);
    const cfg = new TextDecoder().decode(browserPlatform.getFile(`${dir}/config.json`));
    browserPlatform.addFile('/page/config.json', cfg);
    assert.throws(() => loadLanguageModel('/page'), /training-state.json not found/, 'as saved, the config asks for the training state');
    browserPlatform.addFile('/page/config.json', withoutTrainingState(cfg));
    const loaded = loadLanguageModel('/page');
    assert.equal(loaded.trainingState, null);
    const opts = { prompt: 'the ', maxTokens: 20, seed: 3 };
    assert.equal(generate(loaded.model, loaded.tokenizer, opts), generate(model, tokenizer, opts));
    assert.equal(withoutTrainingState('{oops'), '{oops', 'bad JSON is left for the loader to report');
  });
});
