/**
 * Dropout as a multiplicative mask drawn from the shared seeded Rng, so every backend drops
 * the same units for the same seed. Masks hold 0 or 1/(1−p) (inverted dropout, as PyTorch).
 *
 * Besides standard dropout, the AWD-LSTM family (Merity et al. 2017, "Regularizing and
 * Optimizing LSTM Language Models"):
 *   lockedDropout     variational dropout (Gal & Ghahramani 2016): one [B,F] mask per call,
 *                     shared by all T steps of a sequence
 *   embeddingDropout  drops whole word types: rows of the embedding matrix, per forward
 *   weight-drop       DropConnect on a weight matrix = `dropout(weight)`; the masked copy is what
 *                     the recurrent op reads, so gradients reach the raw weight through the mask
 * Legend: T time, B batch, F features, V vocabulary, E embedding, N looked-up ids.
 */
import { kernelsFor } from '../backend/backend.js';
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { expectShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/random.js';
import { type DType, type FloatArray, Tensor, allocArray } from '../tensor/tensor.js';
import { embedding } from './embedding.js';

export function dropoutMask(n: number, p: number, rng: Rng, dtype: DType): FloatArray {
  if (!(p >= 0 && p < 1)) throw new RnnlmError('invalid_argument', `dropout probability must be in [0, 1), got ${p}`);
  const mask = allocArray(dtype, n);
  rng.fillKeepMask(mask, p, 1 / (1 - p));
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

/**
 * Variational ("locked") dropout of x [T,B,F]: one mask [B,F] drawn per call and reused at every
 * time step, so a dropped unit stays dropped for the whole sequence. Identity when p = 0.
 */
export function lockedDropout(x: Tensor, p: number, rng: Rng): Tensor {
  expectShape('lockedDropout: input', x.shape, [-1, -1, -1]);
  if (p === 0) return x;
  const [, B, F] = x.shape as [number, number, number];
  return applyMask(x, dropoutMask(B * F, p, rng, x.dtype)); // [B,F] mask tiled over T
}

/**
 * Embedding lookup through a per-type mask: out[n,:] = rowMask[ids[n]] · weight[ids[n],:], which is
 * `embedding(rowMask ⊙ weight, ids)` without materialising the masked [V,E] table.
 * weight [V,E], ids [N], rowMask [V] → [N,E]; differentiable in weight.
 */
export function maskedEmbedding(weight: Tensor, ids: Int32Array, rowMask: FloatArray): Tensor {
  expectShape('maskedEmbedding: weight', weight.shape, [-1, -1]);
  const [V, E] = weight.shape as [number, number];
  if (rowMask.length !== V) {
    throw new RnnlmError('shape_mismatch', `maskedEmbedding: the row mask has ${rowMask.length} values for a vocabulary of ${V}`);
  }
  const out = embedding(weight, ids); // [N,E]; checks the ids
  const full = allocArray(weight.dtype, ids.length * E); // [N,E]
  for (let n = 0; n < ids.length; n++) full.fill(rowMask[ids[n]!]!, n * E, (n + 1) * E);
  return applyMask(out, full);
}

/**
 * Embedding dropout (Gal & Ghahramani 2016, as in AWD-LSTM's embedded_dropout): each word type's
 * whole row of weight [V,E] is dropped with probability p for this forward, kept rows are
 * scaled 1/(1−p). ids [N] → [N,E]. Plain lookup when p = 0.
 */
export function embeddingDropout(weight: Tensor, ids: Int32Array, p: number, rng: Rng): Tensor {
  if (p === 0) return embedding(weight, ids);
  expectShape('embeddingDropout: weight', weight.shape, [-1, -1]);
  return maskedEmbedding(weight, ids, dropoutMask(weight.shape[0]!, p, rng, weight.dtype));
}
