/**
 * Fused log-softmax + cross-entropy (negative log-likelihood) for the js reference backend.
 *
 * Dimension legend: N rows (usually T·B), V vocabulary. logits / dLogits / out [N, V];
 * targets, lse, losses [N].
 *
 * Numerically stable: lse = m + log Σ_v exp(x_v − m) with m = max_v x_v, so no exp overflows.
 * Backward keeps nothing from forward but lse: softmax_v = exp(x_v − lse).
 */
import { RnnlmError } from '../../errors.js';
import type { F } from '../kernels.js';
import { checkSizes, needLength, sameDtype } from './checks.js';

/** log Σ_v exp(logits[row, v]) for the row starting at flat offset `row`. */
function logSumExpRow(logits: F, row: number, V: number): number {
  let m = -Infinity;
  for (let v = 0; v < V; v++) if (logits[row + v]! > m) m = logits[row + v]!;
  // All −Inf (or V = 0): the sum is 0 and lse is −Inf; avoid −Inf − (−Inf) = NaN.
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(logits[row + v]! - m);
  return m + Math.log(s);
}

/** lse[n] = log Σ exp(logits[n, :]); losses[n] = lse[n] − logits[n, targets[n]] (0 for ignored rows). */
export function softmaxXentForward(logits: F, targets: Int32Array, N: number, V: number, ignoreIndex: number, lse: F, losses: F): void {
  checkXent('softmaxXentForward', logits, targets, N, V, ignoreIndex);
  sameDtype('softmaxXentForward', logits, lse, losses);
  needLength('softmaxXentForward', 'lse', lse, N);
  needLength('softmaxXentForward', 'losses', losses, N);
  for (let n = 0; n < N; n++) {
    const row = n * V; // logits[n, 0]
    const l = logSumExpRow(logits, row, V);
    lse[n] = l;
    const t = targets[n]!;
    losses[n] = t === ignoreIndex ? 0 : l - logits[row + t]!;
  }
}

/**
 * dLogits[n, :] = scale[n] · (softmax(logits[n, :]) − onehot(targets[n])); ignored rows get 0.
 * Each element is read before it is written at the same index, so dLogits may alias logits.
 */
export function softmaxXentBackward(logits: F, lse: F, targets: Int32Array, N: number, V: number, ignoreIndex: number, scale: number | F, dLogits: F): void {
  checkXent('softmaxXentBackward', logits, targets, N, V, ignoreIndex);
  sameDtype('softmaxXentBackward', logits, lse, dLogits, typeof scale === 'number' ? null : scale);
  needLength('softmaxXentBackward', 'lse', lse, N);
  needLength('softmaxXentBackward', 'dLogits', dLogits, N * V);
  if (typeof scale !== 'number') needLength('softmaxXentBackward', 'scale', scale, N);
  for (let n = 0; n < N; n++) {
    const row = n * V; // logits[n, 0]
    const t = targets[n]!;
    if (t === ignoreIndex) {
      dLogits.fill(0, row, row + V);
      continue;
    }
    const s = typeof scale === 'number' ? scale : scale[n]!;
    const l = lse[n]!;
    for (let v = 0; v < V; v++) dLogits[row + v] = s * Math.exp(logits[row + v]! - l);
    dLogits[row + t]! -= s;
  }
}

/** out[n, :] = logits[n, :] − lse(logits[n, :]); out may be logits (lse is computed before writing). */
export function logSoftmax(logits: F, N: number, V: number, out: F): void {
  checkSizes('logSoftmax', { N, V });
  sameDtype('logSoftmax', logits, out);
  needLength('logSoftmax', 'logits', logits, N * V);
  needLength('logSoftmax', 'out', out, N * V);
  for (let n = 0; n < N; n++) {
    const row = n * V; // logits[n, 0]
    const l = logSumExpRow(logits, row, V);
    for (let v = 0; v < V; v++) out[row + v] = logits[row + v]! - l;
  }
}

/** Sizes, and every target either ignoreIndex or a class in [0, V). */
function checkXent(kernel: string, logits: F, targets: Int32Array, N: number, V: number, ignoreIndex: number): void {
  checkSizes(kernel, { N, V });
  needLength(kernel, 'logits', logits, N * V);
  needLength(kernel, 'targets', targets, N);
  for (let n = 0; n < N; n++) {
    const t = targets[n]!;
    if (t !== ignoreIndex && (t < 0 || t >= V)) {
      throw new RnnlmError('invalid_argument', `${kernel}: target ${t} at row ${n} is outside [0, ${V}) and is not the ignore index ${ignoreIndex}`);
    }
  }
}
