/** maskedMeanPool / maskedMaxPool: values, padding ignored, gradients (float64 finite differences). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { tanh } from './elementwise.js';
import { maskedMaxPool, maskedMeanPool } from './pool.js';
import { randTensor } from '../../test/helpers/tensors.js';

const rng = new Rng(11);

describe('masked pooling over time', () => {
  // T=3, B=2, D=1: column 0 = 1 5 3 (length 3), column 1 = 4 2 <pad 100> (length 2)
  const x = Tensor.from([1, 4, 5, 2, 3, 100], [3, 2, 1]);
  const lengths = Int32Array.from([3, 2]);
  test('mean and max read only the real steps', () => {
    assert.deepEqual(maskedMeanPool(x, lengths).toArray(), [3, 3]);
    assert.deepEqual(maskedMaxPool(x, lengths).toArray(), [5, 4]);
  });
  test('gradients match finite differences, padding gets none', () => {
    const lens = Int32Array.from([4, 1, 3]);
    for (const [name, f] of [
      ['mean', maskedMeanPool],
      ['max', maskedMaxPool],
    ] as const) {
      const input = randTensor(rng, [4, 3, 5]);
      const r = gradcheck((a) => tanh(f(a!, lens)), [input]);
      assert.ok(r.maxRelError < 1e-6, `${name}: ${r.maxRelError}`);
      const g = input.grad!.data;
      for (let t = 0; t < 4; t++) for (let b = 0; b < 3; b++) if (t >= lens[b]!) for (let d = 0; d < 5; d++) assert.equal(g[(t * 3 + b) * 5 + d], 0);
    }
  });
  test('bad lengths are errors', () => {
    assert.throws(
      () => maskedMeanPool(x, Int32Array.from([3])),
      (e) => isRnnlmError(e, 'shape_mismatch'),
    );
    assert.throws(
      () => maskedMaxPool(x, Int32Array.from([0, 2])),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => maskedMaxPool(x, Int32Array.from([4, 2])),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
