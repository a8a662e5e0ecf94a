/**
 * Concatenation along the last axis, differentiable: [..., A] ‖ [..., C] → [..., A + C].
 * All inputs share the leading axes (R rows when flattened). Used for Luong's [c; h] and for
 * joining the two directions of a bidirectional encoder.
 * Legend: R rows (product of the leading axes), Dk the last-axis size of input k, D = Σ Dk.
 */
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { sameDtype } from './util.js';

export function concatLast(ts: readonly Tensor[]): Tensor {
  if (ts.length === 0) throw new RnnlmError('invalid_argument', 'concatLast: needs at least one tensor');
  const first = ts[0]!;
  if (first.ndim < 1) throw new RnnlmError('shape_mismatch', 'concatLast: tensors need at least one axis');
  sameDtype('concatLast', ...ts);
  const lead = first.shape.slice(0, -1);
  for (const t of ts) {
    const ok = t.ndim === first.ndim && lead.every((d, i) => d === t.shape[i]);
    if (!ok) {
      throw new RnnlmError('shape_mismatch', `concatLast: ${fmtShape(t.shape)} and ${fmtShape(first.shape)} differ before the last axis`);
    }
  }
  const widths = ts.map((t) => t.shape[t.ndim - 1]!);
  const D = widths.reduce((a, b) => a + b, 0);
  const R = lead.reduce((a, b) => a * b, 1);
  const out = new Tensor(allocArray(first.dtype, R * D), [...lead, D]); // [..., D]
  const offsets: number[] = [];
  let off = 0;
  ts.forEach((t, k) => {
    const w = widths[k]!;
    offsets.push(off);
    for (let r = 0; r < R; r++) out.data.set(t.data.subarray(r * w, (r + 1) * w), r * D + off); // row r, columns [off, off + w)
    off += w;
  });
  if (needsGrad(...ts)) {
    record('concat_last', ts, [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      ts.forEach((t, k) => {
        const w = widths[k]!;
        const o = offsets[k]!;
        accumulateGrad(t, (buf) => {
          for (let r = 0; r < R; r++) buf.set(g.subarray(r * D + o, r * D + o + w), r * w);
        });
      });
    });
  }
  return out;
}
