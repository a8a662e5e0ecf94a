/** concatLast: layout and gradients (float64 finite differences). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { concatLast } from './concat-last.js';
import { mul } from './elementwise.js';
import { randTensor } from '../../test/helpers/tensors.js';

const rng = new Rng(5);
const rand = (shape: number[]): Tensor => randTensor(rng, shape);

describe('concatLast', () => {
  test('places each input in its columns', () => {
    const a = Tensor.from([1, 2, 3, 4], [2, 2]);
    const b = Tensor.from([5, 6, 7, 8, 9, 10], [2, 3]);
    const c = concatLast([a, b]);
    assert.deepEqual(c.shape, [2, 5]);
    assert.deepEqual(c.toArray(), [1, 2, 5, 6, 7, 3, 4, 8, 9, 10]);
  });
  test('gradients for 3-D inputs, including one tensor used twice', () => {
    const r = gradcheck((a, b) => concatLast([a!, b!]), [rand([2, 3, 2]), rand([2, 3, 4])]);
    assert.equal(r.perInput.length, 2);
    assert.ok(r.maxRelError < 1e-6, String(r.maxRelError));
    const r2 = gradcheck((a) => mul(concatLast([a!, a!]), concatLast([a!, a!])), [rand([3, 2])]);
    assert.ok(r2.maxRelError < 1e-6, String(r2.maxRelError));
  });
  test('leading axes must agree', () => {
    assert.throws(
      () => concatLast([rand([2, 3]), rand([3, 3])]),
      (e) => isRnnlmError(e, 'shape_mismatch'),
    );
    assert.throws(
      () => concatLast([]),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
