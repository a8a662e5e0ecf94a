/**
 * Seq2Seq with attention: whole-model gradients (float64 finite differences) for each cell,
 * attention kind and direction; fused teacher-forced decoding equals step-by-step decoding;
 * padding never changes a sentence's result; bad input is a clear error.
 * Legend: S source steps, T target steps, B batch, V vocabulary.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { backward, noGrad } from '../autograd/graph.js';
import { isRnnlmError } from '../errors.js';
import { crossEntropy } from '../ops/loss.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Seq2SeqConfig, Seq2Seq, selectEncoded } from './seq2seq.js';

const base: Seq2SeqConfig = { srcVocabSize: 7, tgtVocabSize: 6, embedSize: 3, hiddenSize: 4, numLayers: 1, cell: 'lstm', dtype: 'float64', seed: 3 };
// Wide init so that attention is far from uniform and every gradient is well above the
// finite-difference noise floor.
const wide: Partial<Seq2SeqConfig> = { init: 1 };
// S=4, B=2: sentence 0 has 4 tokens, sentence 1 has 2 (then padding id 0).
const S = 4;
const B = 2;
const src = Int32Array.from([1, 2, 3, 4, 5, 0, 6, 0]); // [S,B] time-major: sentences 1 3 5 6 and 2 4
const lengths = Int32Array.from([4, 2]);
const T = 3;
const tgtIn = Int32Array.from([0, 0, 2, 3, 4, 5]); // [T,B] time-major
const tgtOut = Int32Array.from([2, 4, 1, 3, 5, -100]); // [B,T] batch-major (sentence 1 ends early)

function lossOf(m: Seq2Seq): Tensor {
  const enc = m.encode(src, S, B, lengths);
  const { logits } = m.decode(enc, tgtIn, T, enc.state);
  return crossEntropy(logits, tgtOut, { ignoreIndex: -100, reduction: 'sum' });
}

describe('Seq2Seq', () => {
  const variants: Partial<Seq2SeqConfig>[] = [
    { cell: 'lstm', attention: 'general', bidirectional: true, numLayers: 2 },
    { cell: 'gru', attention: 'dot' },
    { cell: 'lstm', attention: 'concat' },
    { cell: 'gru', attention: 'general', bidirectional: true },
  ];
  for (const v of variants) {
    test(`gradients of every parameter: ${JSON.stringify(v)}`, () => {
      const m = new Seq2Seq({ ...base, ...wide, ...v });
      const params = m.parameters();
      const r = gradcheck(() => lossOf(m), params);
      assert.equal(r.perInput.length, params.length);
      r.perInput.forEach((p, i) => {
        const name = m.namedParameters()[i]![0];
        assert.ok(p.norm > 0, `${name} gets no gradient`);
        // Relative error, except for gradients so small (concat attention's query weight) that the
        // finite-difference noise floor (~1e-9 absolute) dominates: there the absolute error must be tiny.
        const ok = p.relError < 1e-6 || (p.norm < 1e-2 && p.absError < 1e-8);
        assert.ok(ok, `${name}: relative error ${p.relError}, absolute ${p.absError}, norm ${p.norm}`);
      });
    });
  }

  test("decodeLoss equals crossEntropy of decode()'s logits: loss and every gradient, dropout on, two batches", () => {
    const [a, b] = [new Seq2Seq({ ...base, dropout: 0.3 }), new Seq2Seq({ ...base, dropout: 0.3 })];
    for (let step = 0; step < 2; step++) {
      a.zeroGrad();
      b.zeroGrad();
      const la = lossOf(a);
      const encB = b.encode(src, S, B, lengths);
      const lb = b.decodeLoss(encB, tgtIn, tgtOut, T, encB.state, -100).loss;
      assert.equal(lb.item(), la.item(), `step ${step}: loss`);
      backward(la);
      backward(lb);
      assert.deepEqual(
        b.parameters().map((p) => Array.from(p.grad!.data)),
        a.parameters().map((p) => Array.from(p.grad!.data)),
        `step ${step}`,
      );
    }
  });

  test('teacher-forced decoding over T steps equals T single steps', () => {
    const m = new Seq2Seq({ ...base, numLayers: 2, bidirectional: true }).eval();
    noGrad(() => {
      const enc = m.encode(src, S, B, lengths);
      const all = m.decode(enc, tgtIn, T, enc.state);
      let state = enc.state;
      for (let t = 0; t < T; t++) {
        const step = m.decode(enc, tgtIn.subarray(t * B, (t + 1) * B), 1, state);
        state = step.state;
        for (let b = 0; b < B; b++) {
          for (let v = 0; v < 6; v++) {
            const a = all.logits.data[(b * T + t) * 6 + v]!;
            assert.ok(Math.abs(a - step.logits.data[b * 6 + v]!) < 1e-12);
          }
        }
      }
      for (let i = 0; i < state.h.size; i++) assert.ok(Math.abs(state.h.data[i]! - all.state.h.data[i]!) < 1e-12);
    });
  });

  test('a sentence gives the same result alone as in a padded batch', () => {
    const m = new Seq2Seq({ ...base, bidirectional: true, attention: 'concat' }).eval();
    noGrad(() => {
      const enc = m.encode(src, S, B, lengths);
      const both = m.decode(enc, tgtIn, T, enc.state);
      const alone = m.encode(Int32Array.from([2, 4]), 2, 1, Int32Array.from([2]));
      const one = m.decode(alone, Int32Array.from([0, 3, 5]), T, alone.state);
      for (let i = 0; i < T * 6; i++) assert.ok(Math.abs(one.logits.data[i]! - both.logits.data[T * 6 + i]!) < 1e-12);
      // Attention never looks at padding.
      for (let t = 0; t < T; t++) for (let s = 2; s < S; s++) assert.equal(both.attention.data[(1 * T + t) * S + s], 0);
    });
  });

  test('selectEncoded repeats rows for beam search', () => {
    const m = new Seq2Seq(base).eval();
    noGrad(() => {
      const enc = m.encode(src, S, B, lengths);
      const rep = selectEncoded(enc, Int32Array.from([1, 1, 0]));
      const a = m.decode(rep, Int32Array.from([0, 0, 0]), 1, rep.state);
      const b = m.decode(enc, Int32Array.from([0, 0]), 1, enc.state);
      for (let v = 0; v < 6; v++) {
        assert.ok(Math.abs(a.logits.data[v]! - b.logits.data[6 + v]!) < 1e-12);
        assert.ok(Math.abs(a.logits.data[6 + v]! - b.logits.data[6 + v]!) < 1e-12);
        assert.ok(Math.abs(a.logits.data[12 + v]! - b.logits.data[v]!) < 1e-12);
      }
    });
  });

  test('bad configurations and inputs are clear errors', () => {
    assert.throws(
      () => new Seq2Seq({ ...base, attention: 'dot', bidirectional: true }),
      (e) => isRnnlmError(e, 'invalid_argument') && /general/.test(e.message),
    );
    assert.throws(
      () => new Seq2Seq({ ...base, hiddenSize: 0 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    const m = new Seq2Seq(base);
    assert.throws(
      () => m.encode(src, S, B, Int32Array.from([4, 0])),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => m.encode(src, 3, B, lengths),
      (e) => isRnnlmError(e, 'shape_mismatch'),
    );
  });
});
