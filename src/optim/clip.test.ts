import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerBackend, setBackend } from '../backend/backend.js';
import { jsBackend } from '../backend/js/index.js';
import { isRnnlmError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { clipGradNorm, globalGradNorm } from './clip.js';

registerBackend(jsBackend);
setBackend('js');

function withGrad(values: number[] | null, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const p = Tensor.zeros([values?.length ?? 2], dtype, true);
  if (values) p.grad = Tensor.from(values, [values.length], dtype);
  return p;
}

describe('globalGradNorm', () => {
  test('the L2 norm over all gradients, leaving them unchanged', () => {
    const a = withGrad([3, 0]);
    const b = withGrad([0, 4, 0]);
    assert.equal(globalGradNorm([a, withGrad(null), b]), 5);
    assert.deepEqual(Array.from(a.grad!.data), [3, 0]);
  });
});

describe('clipGradNorm', () => {
  test('global norm over all gradients; scales by maxNorm / (norm + 1e-6) when above maxNorm', () => {
    const a = withGrad([3, 0]);
    const b = withGrad([0, 4, 0]);
    const none = withGrad(null);
    const norm = clipGradNorm([a, none, b], 1);
    assert.equal(norm, 5);
    const s = 1 / (5 + 1e-6);
    assert.deepEqual(Array.from(a.grad!.data), [3 * s, 0]);
    assert.deepEqual(Array.from(b.grad!.data), [0, 4 * s, 0]);
    assert.equal(none.grad, null);
  });

  test('leaves gradients untouched (bitwise) when the norm is within maxNorm', () => {
    const a = withGrad([0.1, -0.2, 0.3], 'float32');
    const before = a.grad!.data.slice();
    const norm = clipGradNorm([a], 1);
    assert.ok(Math.abs(norm - Math.sqrt(0.14)) < 1e-7);
    assert.deepEqual(a.grad!.data, before);
    // exactly at the limit: the coefficient is just below 1 only by the 1e-6 guard
    const c = withGrad([3, 4]);
    clipGradNorm([c], 5);
    assert.ok(Math.abs(c.grad!.data[0]! - 3) < 1e-6);
  });

  test('no gradients at all gives norm 0', () => {
    assert.equal(clipGradNorm([withGrad(null)], 1), 0);
  });

  test('NaN or infinite norms throw non_finite with advice and change nothing', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const a = withGrad([1, bad]);
      const b = withGrad([10, 10]);
      assert.throws(
        () => clipGradNorm([b, a], 1),
        (e) => isRnnlmError(e, 'non_finite') && /lower the learning rate/i.test(e.message) && /clipping/.test(e.message),
      );
      assert.deepEqual(Array.from(b.grad!.data), [10, 10]);
    }
  });

  test('maxNorm must be a finite number > 0', () => {
    for (const m of [0, -1, NaN, Infinity]) {
      assert.throws(
        () => clipGradNorm([withGrad([1])], m),
        (e) => isRnnlmError(e, 'invalid_argument'),
        String(m),
      );
    }
  });
});
