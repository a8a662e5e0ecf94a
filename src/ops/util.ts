/** Small helpers shared by the differentiable ops. */
import { RnnlmError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export function sameDtype(op: string, ...ts: (Tensor | null | undefined)[]): void {
  let first: Tensor | null = null;
  for (const t of ts) {
    if (!t) continue;
    if (!first) first = t;
    else if (t.dtype !== first.dtype) {
      throw new RnnlmError('dtype_mismatch', `${op}: mixed dtypes ${first.dtype} and ${t.dtype}; convert with tensor.to()`);
    }
  }
}

export function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (a.size !== b.size || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new RnnlmError('shape_mismatch', `${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  }
}

/** Checks token ids are integers in [0, V) so kernels never index out of bounds. */
export function checkIds(op: string, ids: Int32Array, V: number, ignoreIndex?: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if ((id < 0 || id >= V) && id !== ignoreIndex) {
      throw new RnnlmError('invalid_argument', `${op}: token id ${id} at position ${i} is outside the vocabulary [0, ${V})`);
    }
  }
}
