/**
 * RNNClassifier: whole-model gradients (float64 finite differences) for each pooling and cell;
 * padding never changes a sentence's result (every pooling, both directions, stacked); an LM
 * checkpoint initialises the forward direction so that it computes the LM's states; bad input
 * is a clear error.
 * Legend: T time, B batch, C classes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { noGrad } from '../autograd/graph.js';
import { initFromLanguageModel } from '../classify/pretrain.js';
import { isRnnlmError } from '../errors.js';
import { reshape } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/loss.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { RNNLM } from './rnnlm.js';
import { POOLINGS, RNNClassifier, type RNNClassifierConfig } from './classifier.js';

const base: RNNClassifierConfig = { vocabSize: 7, numClasses: 3, embedSize: 3, hiddenSize: 4, numLayers: 1, cell: 'lstm', dtype: 'float64', seed: 5 };
// T=4, B=2: sentence 0 = 1 3 5 6 (length 4), sentence 1 = 2 4 (then padding id 0).
const T = 4;
const B = 2;
const ids = Int32Array.from([1, 2, 3, 4, 5, 0, 6, 0]); // [T,B] time-major
const lengths = Int32Array.from([4, 2]);
const labels = Int32Array.from([2, 0]);

describe('RNNClassifier', () => {
  const variants: Partial<RNNClassifierConfig>[] = [
    { pooling: 'last', bidirectional: true, numLayers: 2 },
    { pooling: 'mean', cell: 'gru' },
    { pooling: 'max', bidirectional: true },
    { pooling: 'attention', bidirectional: true, attentionSize: 3 },
    { pooling: 'last', cell: 'rnn_tanh' },
  ];
  for (const v of variants) {
    test(`gradients match finite differences: ${JSON.stringify(v)}`, () => {
      const m = new RNNClassifier({ ...base, ...v });
      m.eval();
      const params = m.parameters();
      const r = gradcheck(() => crossEntropy(m.forward(ids, T, B, lengths).logits, labels, { reduction: 'sum' }), params);
      assert.ok(r.maxRelError < 1e-5, `relative error ${r.maxRelError}`);
    });
  }

  for (const pooling of POOLINGS) {
    test(`${pooling} pooling: a padded sentence scores as it does alone (bidirectional, 2 layers)`, () => {
      const m = new RNNClassifier({ ...base, pooling, bidirectional: true, numLayers: 2 }).eval();
      noGrad(() => {
        const batch = m.forward(ids, T, B, lengths).logits.toArray(); // [B,C]
        const alone0 = m.forward(Int32Array.from([1, 3, 5, 6]), 4, 1, Int32Array.from([4])).logits.toArray();
        const alone1 = m.forward(Int32Array.from([2, 4]), 2, 1, Int32Array.from([2])).logits.toArray();
        // Padding with another id must not matter either.
        const repadded = m.forward(Int32Array.from([1, 2, 3, 4, 5, 6, 6, 6]), T, B, lengths).logits.toArray();
        const near = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-12);
        assert.ok(near(batch.slice(0, 3), alone0), `sentence 0: ${batch.slice(0, 3)} vs ${alone0}`);
        assert.ok(near(batch.slice(3), alone1), `sentence 1: ${batch.slice(3)} vs ${alone1}`);
        assert.ok(near(batch, repadded));
      });
    });
  }

  test('attention weights are 0 on padding and sum to 1', () => {
    const m = new RNNClassifier({ ...base, pooling: 'attention' }).eval();
    const a = noGrad(() => m.forward(ids, T, B, lengths).attention!.toArray()); // [B,T]
    assert.equal(a[4 + 2], 0);
    assert.equal(a[4 + 3], 0);
    assert.ok(Math.abs(a.slice(0, 4).reduce((s, x) => s + x, 0) - 1) < 1e-12);
  });

  test('an LM initialises the forward direction: last-state pooling reads the LM hidden state', () => {
    const tok = WordTokenizer.fromText('a b c d e\n');
    const lm = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 3, hiddenSize: 4, numLayers: 2, cell: 'gru', dtype: 'float64', seed: 9 }).eval();
    for (const bidirectional of [false, true]) {
      const clf = new RNNClassifier({ ...base, vocabSize: tok.vocabSize, numLayers: 2, cell: 'gru', bidirectional, pooling: 'last' }).eval();
      const r = initFromLanguageModel(clf, tok, lm, tok);
      assert.equal(r.layers, 2);
      assert.equal(r.embeddingsFound, tok.vocabSize);
      const seq = tok.encode('a c e b');
      noGrad(() => {
        const h = lm.forward(seq, seq.length, 1).state.h.toArray(); // [L,1,H]: the last layer's is h[4..8)
        const y = clf.rnn.forward(reshape(clf.encoder.forward(seq), [seq.length, 1, 3]), Int32Array.from([seq.length])).finals[1]!.toArray();
        const fwd = y.slice(0, 4); // forward half of [fwd; bwd]
        assert.ok(
          fwd.every((x, i) => Math.abs(x - h[4 + i]!) < 1e-12),
          `bidirectional=${bidirectional}: ${fwd} vs ${h.slice(4)}`,
        );
      });
    }
  });

  test('an LM of another shape is a clear error', () => {
    const tok = WordTokenizer.fromText('a b\n');
    const lm = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 3, hiddenSize: 5, numLayers: 1, cell: 'lstm', seed: 1 });
    const clf = new RNNClassifier({ ...base, vocabSize: tok.vocabSize, dtype: 'float32' });
    assert.throws(
      () => initFromLanguageModel(clf, tok, lm, tok),
      (e) => isRnnlmError(e, 'checkpoint_mismatch') && /--hidden 5/.test(e.message),
    );
  });

  test('bad input is a clear error', () => {
    const m = new RNNClassifier(base);
    assert.throws(
      () => m.forward(ids, T, B, Int32Array.from([5, 2])),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => m.forward(ids, 3, B, lengths),
      (e) => isRnnlmError(e, 'shape_mismatch'),
    );
    assert.throws(
      () => new RNNClassifier({ ...base, numClasses: 1 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => new RNNClassifier({ ...base, pooling: 'sum' as never }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
