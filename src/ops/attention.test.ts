/** bmm and maskedSoftmax: values against direct formulas, gradients against finite differences (float64). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { bmm, maskedSoftmax } from './attention.js';
import { randTensor } from '../../test/helpers/tensors.js';

const rng = new Rng(11);
const rand = (shape: number[], lo = -1, hi = 1): Tensor => randTensor(rng, shape, lo, hi);
const TOL = 1e-6;

describe('bmm', () => {
  test('matches a direct triple loop for every transpose combination', () => {
    const [Bt, M, K, N] = [3, 2, 4, 5];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = rand(transA ? [Bt, K, M] : [Bt, M, K]);
        const b = rand(transB ? [Bt, N, K] : [Bt, K, N]);
        const out = bmm(a, b, { transA, transB });
        assert.deepEqual(out.shape, [Bt, M, N]);
        const A = (i: number, m: number, kk: number) => a.data[transA ? i * K * M + kk * M + m : i * M * K + m * K + kk]!;
        const B = (i: number, kk: number, n: number) => b.data[transB ? i * N * K + n * K + kk : i * K * N + kk * N + n]!;
        for (let i = 0; i < Bt; i++) {
          for (let m = 0; m < M; m++) {
            for (let n = 0; n < N; n++) {
              let s = 0;
              for (let kk = 0; kk < K; kk++) s += A(i, m, kk) * B(i, kk, n);
              assert.ok(Math.abs(out.data[i * M * N + m * N + n]! - s) < 1e-12);
            }
          }
        }
        const r = gradcheck((x, y) => bmm(x!, y!, { transA, transB }), [a, b]);
        assert.equal(r.perInput.length, 2);
        assert.ok(r.maxRelError < TOL, `transA=${transA} transB=${transB}: ${r.maxRelError}`);
      }
    }
  });
  test('rejects mismatched shapes', () => {
    assert.throws(
      () => bmm(rand([2, 3, 4]), rand([2, 5, 6])),
      (e) => isRnnlmError(e, 'shape_mismatch'),
    );
    assert.throws(
      () => bmm(rand([2, 3, 4]), rand([3, 4, 6])),
      (e) => isRnnlmError(e, 'shape_mismatch'),
    );
  });
});

describe('maskedSoftmax', () => {
  const [B, T, S] = [2, 3, 4];
  const mask = Uint8Array.from([1, 1, 1, 0, 1, 1, 0, 0]); // lengths 3 and 2
  test('rows sum to 1, masked keys get exactly 0, unmasked keys match softmax over the kept ones', () => {
    const x = rand([B, T, S], -3, 3);
    const y = maskedSoftmax(x, mask);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const row = (b * T + t) * S;
        let z = 0;
        for (let s = 0; s < S; s++) if (mask[b * S + s]) z += Math.exp(x.data[row + s]!);
        let sum = 0;
        for (let s = 0; s < S; s++) {
          const v = y.data[row + s]!;
          sum += v;
          if (mask[b * S + s]) assert.ok(Math.abs(v - Math.exp(x.data[row + s]!) / z) < 1e-12);
          else assert.equal(v, 0);
        }
        assert.ok(Math.abs(sum - 1) < 1e-12);
      }
    }
  });
  test('gradients with and without a mask, 3-D and 2-D scores', () => {
    for (const m of [mask, null]) {
      const r = gradcheck((x) => maskedSoftmax(x!, m), [rand([B, T, S], -2, 2)]);
      assert.ok(r.maxRelError < TOL, `3-D: ${r.maxRelError}`);
      const r2 = gradcheck((x) => maskedSoftmax(x!, m), [rand([B, S], -2, 2)]);
      assert.ok(r2.maxRelError < TOL, `2-D: ${r2.maxRelError}`);
    }
  });
  test('a fully masked row and a mask of the wrong size are errors', () => {
    assert.throws(
      () => maskedSoftmax(rand([2, 1, 2]), Uint8Array.from([1, 0, 0, 0])),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => maskedSoftmax(rand([2, 1, 2]), Uint8Array.from([1, 1, 1])),
      (e) => isRnnlmError(e, 'shape_mismatch'),
    );
  });
  test('float32 agrees with float64', () => {
    const x = rand([B, T, S], -3, 3);
    const y64 = maskedSoftmax(x, mask);
    const y32 = maskedSoftmax(x.to('float32'), mask);
    for (let i = 0; i < y64.size; i++) assert.ok(Math.abs(y64.data[i]! - y32.data[i]!) < 1e-6);
  });
});
