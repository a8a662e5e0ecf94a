/** gatherRows and its index builders: values and gradients (float64 finite differences). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { gatherRows, reverseWithinLengthIndex, transposeIndex } from './gather.js';
import { randTensor } from '../../test/helpers/tensors.js';

const rng = new Rng(9);
const rand = (shape: number[]): Tensor => randTensor(rng, shape);

describe('gatherRows', () => {
  test('selects rows of a 3-D tensor, repeats allowed', () => {
    const x = Tensor.from([0, 1, 10, 11, 20, 21], [3, 1, 2]);
    const y = gatherRows(x, Int32Array.from([2, 0, 2]));
    assert.deepEqual(y.shape, [3, 1, 2]);
    assert.deepEqual(y.toArray(), [20, 21, 0, 1, 20, 21]);
  });
  test('gradient adds up over repeated rows', () => {
    const r = gradcheck((x) => gatherRows(x!, Int32Array.from([1, 3, 1, 0, 1])), [rand([4, 3])]);
    assert.ok(r.maxRelError < 1e-6, String(r.maxRelError));
  });
  test('out-of-range indices are errors', () => {
    assert.throws(
      () => gatherRows(rand([2, 2]), Int32Array.from([2])),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => gatherRows(rand([2, 2]), Int32Array.from([-1])),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
  test('transposeIndex swaps the first two axes', () => {
    // [A=2, C=3] → [3, 2]
    const x = Tensor.from([0, 1, 2, 3, 4, 5], [6, 1]);
    assert.deepEqual(gatherRows(x, transposeIndex(2, 3)).toArray(), [0, 3, 1, 4, 2, 5]);
  });
  test('reverseWithinLengthIndex reverses each column up to its length and is an involution', () => {
    // T=3, B=2, lengths 3 and 2: column 0 = a b c, column 1 = d e <pad>
    const idx = reverseWithinLengthIndex(3, Int32Array.from([3, 2]));
    const x = Tensor.from([1, 4, 2, 5, 3, 0], [6, 1]); // [T,B] time-major
    const y = gatherRows(x, idx);
    assert.deepEqual(y.toArray(), [3, 5, 2, 4, 1, 0]);
    assert.deepEqual(gatherRows(y, idx).toArray(), x.toArray());
    assert.throws(
      () => reverseWithinLengthIndex(2, Int32Array.from([3])),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
