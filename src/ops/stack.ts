/**
 * Stacking along the first axis and its inverse, differentiable. Used to pack per-layer
 * states [B,H] into PyTorch's [L,B,H] and back.
 */
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { sameDtype, sameShape } from './util.js';

/** [X...] × L → [L, X...]. */
export function stack(ts: readonly Tensor[]): Tensor {
  if (ts.length === 0) throw new RnnlmError('invalid_argument', 'stack: needs at least one tensor');
  const first = ts[0]!;
  for (const t of ts) {
    sameDtype('stack', first, t);
    sameShape('stack', first, t);
  }
  const n = first.size;
  const out = new Tensor(allocArray(first.dtype, n * ts.length), [ts.length, ...first.shape]);
  ts.forEach((t, i) => out.data.set(t.data, i * n));
  if (needsGrad(...ts)) {
    record('stack', ts, [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      ts.forEach((t, i) => accumulateGrad(t, (buf) => buf.set(g.subarray(i * n, (i + 1) * n))));
    });
  }
  return out;
}

/** [L, X...] → L tensors of [X...] (copies, so later writes cannot alias). */
export function unstack(t: Tensor): Tensor[] {
  if (t.ndim < 1) throw new RnnlmError('shape_mismatch', 'unstack: needs at least one dimension');
  const L = t.shape[0]!;
  const inner = t.shape.slice(1);
  const n = L === 0 ? 0 : t.size / L;
  const parts = Array.from({ length: L }, (_, i) => new Tensor(t.data.slice(i * n, (i + 1) * n), inner));
  if (needsGrad(t)) {
    parts.forEach((part, i) => {
      record('unstack', [t], [part], () => {
        const g = outputGrad(part);
        if (!g) return;
        accumulateGrad(t, (buf) => {
          buf.fill(0);
          buf.set(g, i * n);
        });
      });
    });
  }
  return parts;
}
