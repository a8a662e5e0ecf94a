/**
 * Dropout as a multiplicative mask drawn from the shared seeded Rng, so every backend drops
 * the same units for the same seed. Masks hold 0 or 1/(1−p) (inverted dropout, as PyTorch).
 */
import { kernelsFor } from '../backend/backend.js';
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { Rng } from '../tensor/random.js';
import { type DType, type FloatArray, Tensor, allocArray } from '../tensor/tensor.js';

export function dropoutMask(n: number, p: number, rng: Rng, dtype: DType): FloatArray {
  if (!(p >= 0 && p < 1)) throw new RnnlmError('invalid_argument', `dropout probability must be in [0, 1), got ${p}`);
  const mask = allocArray(dtype, n);
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) mask[i] = rng.uniform() >= p ? keep : 0;
  return mask;
}

/** x ⊙ mask, where the mask has x's size (or divides it: a [rows, C] mask repeats over leading rows). */
export function applyMask(x: Tensor, mask: FloatArray): Tensor {
  if (x.size % mask.length !== 0) {
    throw new RnnlmError('shape_mismatch', `dropout mask of ${mask.length} values does not tile a tensor of ${x.size}`);
  }
  const k = kernelsFor(x.data);
  const full = mask.length === x.size ? mask : tile(mask, x.size);
  const out = new Tensor(allocArray(x.dtype, x.size), x.shape);
  k.mul(x.data, full, out.data);
  if (needsGrad(x)) {
    record('dropout', [x], [out], () => {
      const g = outputGrad(out);
      if (g) accumulateGrad(x, (buf) => k.mul(g, full, buf));
    });
  }
  return out;
}

function tile(mask: FloatArray, n: number): FloatArray {
  const out = allocArray(mask instanceof Float64Array ? 'float64' : 'float32', n);
  for (let off = 0; off < n; off += mask.length) out.set(mask, off);
  return out;
}

/** Standard dropout: each element kept with probability 1−p. Identity when p = 0. */
export function dropout(x: Tensor, p: number, rng: Rng): Tensor {
  if (p === 0) return x;
  return applyMask(x, dropoutMask(x.size, p, rng, x.dtype));
}
