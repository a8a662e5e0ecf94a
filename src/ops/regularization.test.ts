/**
 * AR/TAR building blocks and the flat concat used for per-layer recurrent states: values on
 * hand-computed cases and float64 gradchecks.
 * Legend: T time, B batch, F features.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { concatFlat, splitFlat } from './concat-flat.js';
import { scale } from './elementwise.js';
import { meanSquare, timeDiff } from './regularization.js';
import { randTensor } from '../../test/helpers/tensors.js';

const rng = new Rng(21);
const rand = (shape: number[]): Tensor => randTensor(rng, shape);

describe('meanSquare and timeDiff', () => {
  test('values: mean(x²) and x[t+1] − x[t] along the first axis', () => {
    assert.equal(meanSquare(Tensor.from([1, -2, 3, 0], [4], 'float64')).item(), 14 / 4);
    // x [T=3, B=1, F=2]
    const x = Tensor.from([1, 2, 4, 6, 9, 12], [3, 1, 2], 'float64');
    const d = timeDiff(x);
    assert.deepEqual(d.shape, [2, 1, 2]);
    assert.deepEqual(Array.from(d.data), [3, 4, 5, 6]);
  });

  test('gradchecks', () => {
    const a = gradcheck((x) => meanSquare(x!), [rand([3, 2, 4])]);
    assert.ok(a.maxRelError < 1e-6, `meanSquare ${a.maxRelError}`);
    const b = gradcheck((x) => timeDiff(x!), [rand([4, 2, 3])]);
    assert.ok(b.maxRelError < 1e-6, `timeDiff ${b.maxRelError}`);
    const c = gradcheck((x) => scale(meanSquare(timeDiff(x!)), 0.5), [rand([5, 3, 2])]);
    assert.ok(c.maxRelError < 1e-6, `TAR ${c.maxRelError}`);
  });

  test('bad input: one time step, an empty tensor, a 2-D tensor', () => {
    assert.throws(
      () => timeDiff(Tensor.zeros([1, 2, 3])),
      (e: unknown) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => timeDiff(Tensor.zeros([4, 3])),
      (e: unknown) => isRnnlmError(e, 'shape_mismatch'),
    );
    assert.throws(
      () => meanSquare(Tensor.zeros([0])),
      (e: unknown) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

describe('concatFlat and splitFlat', () => {
  test('round trip of differently shaped blocks', () => {
    const a = Tensor.from([1, 2, 3, 4], [2, 2]);
    const b = Tensor.from([5, 6, 7], [1, 3]);
    const flat = concatFlat([a, b]);
    assert.deepEqual(flat.shape, [7]);
    assert.deepEqual(Array.from(flat.data), [1, 2, 3, 4, 5, 6, 7]);
    const [a2, b2] = splitFlat(flat, [
      [2, 2],
      [1, 3],
    ]);
    assert.deepEqual(a2!.shape, [2, 2]);
    assert.deepEqual(Array.from(b2!.data), [5, 6, 7]);
    b2!.data[0] = 99;
    assert.equal(flat.data[4], 5, 'split returns copies');
  });

  test('gradchecks', () => {
    const c = gradcheck((x, y) => concatFlat([x!, y!]), [rand([2, 3]), rand([4])]);
    assert.ok(c.maxRelError < 1e-6, `concat ${c.maxRelError}`);
    const s = gradcheck((x) => splitFlat(x!, [[2, 2], [3]]).map((t, i) => scale(t, i + 2)), [rand([7])]);
    assert.ok(s.maxRelError < 1e-6, `split ${s.maxRelError}`);
  });

  test('sizes that do not add up are a shape error', () => {
    assert.throws(
      () => splitFlat(Tensor.zeros([5]), [[2, 2]]),
      (e: unknown) => isRnnlmError(e, 'shape_mismatch'),
    );
  });
});
