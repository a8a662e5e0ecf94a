/** Gradient storage: released gradients are reused without leaking stale values; writeGrad overwrites then accumulates. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { Linear } from '../nn/linear.js';
import { add, sum } from '../ops/elementwise.js';
import { linear, matmul } from '../ops/linear.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { randTensor } from '../../test/helpers/tensors.js';
import { backward } from './graph.js';

describe('gradient storage', () => {
  test('Module.zeroGrad sets grads to null; the next backward reuses their storage and ignores what it held', () => {
    const rng = new Rng(3);
    const lin = new Linear(3, 4, { dtype: 'float64', rng });
    const x = randTensor(rng, [5, 3], -1, 1, false);
    backward(sum(lin.forward(x)));
    const want = lin.parameters().map((p) => Array.from(p.grad!.data));
    const storage = lin.parameters().map((p) => p.grad!.data);
    for (let step = 0; step < 2; step++) {
      lin.zeroGrad();
      assert.ok(
        lin.parameters().every((p) => p.grad === null),
        'set to none',
      );
      for (const s of storage) s.fill(Number.NaN); // what a released grad holds must not leak in
      backward(sum(lin.forward(x)));
      lin.parameters().forEach((p, i) => assert.equal(p.grad!.data, storage[i], 'the same storage'));
      assert.deepEqual(
        lin.parameters().map((p) => Array.from(p.grad!.data)),
        want,
      );
    }
  });

  test('a tensor used twice: the first contribution overwrites (beta 0), the second adds (beta 1)', () => {
    const rng = new Rng(4);
    const a = randTensor(rng, [2, 3]);
    const [b, c] = [randTensor(rng, [3, 2], -1, 1, false), randTensor(rng, [3, 2], -1, 1, false)];
    const w = randTensor(rng, [2, 3]);
    const bias = randTensor(rng, [2]);
    for (const t of [a, w, bias]) t.grad = new Tensor(new Float64Array(t.size).fill(Number.NaN), t.shape);
    for (const t of [a, w, bias]) t.releaseGrad(); // NaN storage, to be reused
    const loss = add(add(sum(matmul(a, b)), sum(matmul(a, c))), add(sum(linear(a, w, bias)), sum(linear(a, w, bias))));
    backward(loss);
    // d/da Σ(a·b) = 1·bᵀ (row sums of b, per column k of a): each row of dA[i, k] = Σ_j b[k, j] + Σ_j c[k, j] + 2·Σ_o w[o, k].
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 3; k++) {
        const want = b.data[k * 2]! + b.data[k * 2 + 1]! + c.data[k * 2]! + c.data[k * 2 + 1]! + 2 * (w.data[k]! + w.data[3 + k]!);
        assert.ok(Math.abs(a.grad!.data[i * 3 + k]! - want) < 1e-12, `dA[${i},${k}]`);
      }
    }
    // dW[o, k] = 2·Σ_i a[i, k]; db[o] = 2·rows.
    for (let o = 0; o < 2; o++) {
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(w.grad!.data[o * 3 + k]! - 2 * (a.data[k]! + a.data[3 + k]!)) < 1e-12, `dW[${o},${k}]`);
      assert.equal(bias.grad!.data[o], 4);
    }
  });
});
