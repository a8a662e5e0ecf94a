/**
 * Pooling over time within each sequence's length, differentiable: a padded time-major batch
 * [T,B,D] → one vector per sequence [B,D], reading only steps t < len_b (padding never reaches
 * the result, whatever values it holds). Sentence classifiers pool encoder outputs this way.
 *   maskedMeanPool: out[b] = (1/len_b) Σ_{t<len_b} x[t,b];  backward spreads g[b]/len_b.
 *   maskedMaxPool:  out[b,d] = max_{t<len_b} x[t,b,d];      backward routes g[b,d] to the
 *                   (first) arg-max step, as torch.max does.
 * Legend: T time, B batch, D features.
 */
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor, allocArray } from '../tensor/tensor.js';

function dims(op: string, x: Tensor, lengths: Int32Array): [number, number, number] {
  if (x.ndim !== 3) throw new RnnlmError('shape_mismatch', `${op}: x must be [T,B,D], got ${fmtShape(x.shape)}`);
  const [T, B, D] = x.shape as [number, number, number];
  if (lengths.length !== B) throw new RnnlmError('shape_mismatch', `${op}: ${lengths.length} lengths for a batch of ${B}`);
  for (let b = 0; b < B; b++) {
    const n = lengths[b]!;
    if (!(Number.isInteger(n) && n >= 1 && n <= T)) {
      throw new RnnlmError('invalid_argument', `${op}: sequence ${b} has length ${n}; every sequence needs 1..${T} steps`);
    }
  }
  return [T, B, D];
}

/** x [T,B,D], lengths [B] (each in 1..T) → the mean over each sequence's real steps [B,D]. */
export function maskedMeanPool(x: Tensor, lengths: Int32Array): Tensor {
  const [, B, D] = dims('maskedMeanPool', x, lengths);
  const lens = lengths.slice();
  const out = new Tensor(allocArray(x.dtype, B * D), [B, D]);
  const xd = x.data;
  const od = out.data;
  for (let b = 0; b < B; b++) {
    const n = lens[b]!;
    for (let t = 0; t < n; t++) {
      const row = (t * B + b) * D; // x[t,b,:]
      for (let d = 0; d < D; d++) od[b * D + d] = od[b * D + d]! + xd[row + d]!;
    }
    for (let d = 0; d < D; d++) od[b * D + d] = od[b * D + d]! / n;
  }
  if (needsGrad(x)) {
    record('masked_mean_pool', [x], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      accumulateGrad(x, (buf) => {
        buf.fill(0);
        for (let b = 0; b < B; b++) {
          const n = lens[b]!;
          for (let t = 0; t < n; t++) {
            const row = (t * B + b) * D;
            for (let d = 0; d < D; d++) buf[row + d] = g[b * D + d]! / n;
          }
        }
      });
    });
  }
  return out;
}

/** x [T,B,D], lengths [B] (each in 1..T) → the elementwise max over each sequence's real steps [B,D]. */
export function maskedMaxPool(x: Tensor, lengths: Int32Array): Tensor {
  const [, B, D] = dims('maskedMaxPool', x, lengths);
  const out = new Tensor(allocArray(x.dtype, B * D), [B, D]);
  const arg = new Int32Array(B * D); // flat index into x of each maximum
  const xd = x.data;
  const od = out.data;
  for (let b = 0; b < B; b++) {
    const n = lengths[b]!;
    for (let d = 0; d < D; d++) {
      let best = b * D + d; // t = 0
      for (let t = 1; t < n; t++) {
        const i = (t * B + b) * D + d;
        if (xd[i]! > xd[best]!) best = i;
      }
      arg[b * D + d] = best;
      od[b * D + d] = xd[best]!;
    }
  }
  if (needsGrad(x)) {
    record('masked_max_pool', [x], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      accumulateGrad(x, (buf) => {
        buf.fill(0);
        for (let k = 0; k < B * D; k++) buf[arg[k]!] = g[k]!;
      });
    });
  }
  return out;
}
