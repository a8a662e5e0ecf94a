/**
 * Row gather (index-select along the first axis), differentiable: out[m] = x[idx[m]].
 * Used to transpose time-major [T,B,H] into batch-major [B,T,H], to reverse each sequence
 * within its length (bidirectional encoders), and to reorder or repeat beam states.
 * Built on the embedding kernels: forward is a table lookup, backward a scatter-add
 * (repeated indices add up).
 * Legend: N rows of x, M gathered rows, D the size of one row (product of the trailing axes).
 */
import { kernelsFor } from '../backend/backend.js';
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { checkIds } from './util.js';

/** x [N, ...rest], idx [M] with values in [0, N) → [M, ...rest]. */
export function gatherRows(x: Tensor, idx: Int32Array): Tensor {
  if (x.ndim < 1) throw new RnnlmError('shape_mismatch', 'gatherRows: x needs at least one axis');
  if (!(idx instanceof Int32Array)) throw new RnnlmError('invalid_argument', 'gatherRows: indices must be an Int32Array');
  const N = x.shape[0]!;
  const rest = x.shape.slice(1);
  const D = N === 0 ? 0 : x.size / N;
  checkIds('gatherRows', idx, N);
  const M = idx.length;
  const k = kernelsFor(x.data);
  const out = new Tensor(allocArray(x.dtype, M * D), [M, ...rest]); // [M, ...rest]
  if (D > 0) k.embeddingForward(x.data, idx, D, out.data);
  if (needsGrad(x)) {
    const ids = idx.slice(); // the caller may reuse its index buffer before backward
    record('gather_rows', [x], [out], () => {
      const g = outputGrad(out);
      if (!g || D === 0) return;
      accumulateGrad(x, (buf) => {
        buf.fill(0);
        k.embeddingBackward(g, ids, D, buf); // dx[idx[m]] += g[m]
      });
    });
  }
  return out;
}

/**
 * Index that swaps the first two axes of a row-major [A, C, ...] tensor viewed as [A·C, ...]:
 * gathering with it gives [C, A, ...] (out row c·A + a = in row a·C + c).
 */
export function transposeIndex(A: number, C: number): Int32Array {
  const idx = new Int32Array(A * C);
  for (let c = 0; c < C; c++) for (let a = 0; a < A; a++) idx[c * A + a] = a * C + c;
  return idx;
}

/**
 * Index that reverses each column b of a time-major [T, B, ...] tensor within its length:
 * row t·B + b reads row (len_b − 1 − t)·B + b for t < len_b; padding rows (t ≥ len_b) stay put.
 * The permutation is its own inverse, so the same index maps reversed outputs back.
 */
export function reverseWithinLengthIndex(T: number, lengths: Int32Array): Int32Array {
  const B = lengths.length;
  const idx = new Int32Array(T * B);
  for (let b = 0; b < B; b++) {
    const len = lengths[b]!;
    if (!(Number.isInteger(len) && len >= 0 && len <= T)) {
      throw new RnnlmError('invalid_argument', `reverseWithinLengthIndex: length ${len} of sequence ${b} is not in [0, ${T}]`);
    }
    for (let t = 0; t < T; t++) idx[t * B + b] = (t < len ? len - 1 - t : t) * B + b;
  }
  return idx;
}
