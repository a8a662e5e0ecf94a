/**
 * Stacking along the first axis and its inverse, differentiable: flat concatenation of equal
 * shapes viewed as [L, X...]. Used to pack per-layer states [B,H] into PyTorch's [L,B,H].
 */
import { RnnlmError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { concatFlat, splitFlat } from './concat-flat.js';
import { reshape } from './elementwise.js';
import { sameShape } from './util.js';

/** [X...] × L → [L, X...]. */
export function stack(ts: readonly Tensor[]): Tensor {
  if (ts.length === 0) throw new RnnlmError('invalid_argument', 'stack: needs at least one tensor');
  const first = ts[0]!;
  for (const t of ts) sameShape('stack', first, t);
  return reshape(concatFlat(ts), [ts.length, ...first.shape]); // [L·X] → [L, X...]
}

/** [L, X...] → L tensors of [X...] (copies, so later writes cannot alias). */
export function unstack(t: Tensor): Tensor[] {
  if (t.ndim < 1) throw new RnnlmError('shape_mismatch', 'unstack: needs at least one dimension');
  const inner = t.shape.slice(1);
  return splitFlat(
    t,
    Array.from({ length: t.shape[0]! }, () => inner),
  );
}
