/**
 * Flat concatenation and its inverse, differentiable. Used for the recurrent state of stacks whose
 * layers differ in size (AWD-LSTM 1150/1150/400): layer k's [B,H_k] block follows layer k−1's in
 * one flat tensor [Σ_k B·H_k], where equal sizes would use stack/unstack into [L,B,H].
 * Legend: B batch, H_k hidden size of layer k.
 */
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { type Shape, fmtShape, numel } from '../tensor/shape.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { sameDtype } from './util.js';

/** Tensors of any shapes → one flat tensor [Σ sizes], in order. */
export function concatFlat(ts: readonly Tensor[]): Tensor {
  if (ts.length === 0) throw new RnnlmError('invalid_argument', 'concatFlat: needs at least one tensor');
  sameDtype('concatFlat', ...ts);
  const offsets: number[] = [];
  let n = 0;
  for (const t of ts) {
    offsets.push(n);
    n += t.size;
  }
  const out = new Tensor(allocArray(ts[0]!.dtype, n), [n]);
  ts.forEach((t, i) => out.data.set(t.data, offsets[i]!));
  if (needsGrad(...ts)) {
    record('concat', ts, [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      ts.forEach((t, i) => accumulateGrad(t, (buf) => buf.set(g.subarray(offsets[i]!, offsets[i]! + t.size))));
    });
  }
  return out;
}

/** Flat tensor [Σ numel(shapes)] → one tensor per shape (copies, so later writes cannot alias). */
export function splitFlat(t: Tensor, shapes: readonly Shape[]): Tensor[] {
  const total = shapes.reduce((s, sh) => s + numel(sh), 0);
  if (t.size !== total) {
    throw new RnnlmError('shape_mismatch', `splitFlat: a tensor of ${t.size} values cannot split into ${shapes.map(fmtShape).join(' + ')} (${total} values)`);
  }
  let off = 0;
  const parts = shapes.map((shape) => {
    const n = numel(shape);
    const part = new Tensor(t.data.slice(off, off + n), shape);
    const at = off;
    off += n;
    if (needsGrad(t)) {
      record('split', [t], [part], () => {
        const g = outputGrad(part);
        if (!g) return;
        accumulateGrad(t, (buf) => {
          buf.fill(0);
          buf.set(g, at);
        });
      });
    }
    return part;
  });
  return parts;
}
