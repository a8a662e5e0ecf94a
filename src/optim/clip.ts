/**
 * Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_: the norm is taken
 * over all gradients together; if it exceeds maxNorm every gradient is scaled by
 * maxNorm / (norm + 1e-6). Returns the norm before clipping (worth logging: spikes show instability).
 */
import { RnnlmError, check } from '../errors.js';
import { kernelsFor } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';

/** The global L2 norm of the gradients of `params` (those without a gradient count as zero); NaN/∞ pass through. */
export function globalGradNorm(params: readonly Tensor[]): number {
  let sumSq = 0;
  for (const p of params) {
    if (p.grad) sumSq += kernelsFor(p.grad.data).sumSquares(p.grad.data);
  }
  return Math.sqrt(sumSq);
}

/**
 * Clips the gradients of `params` in place; parameters without a gradient are ignored.
 * Throws `non_finite` (and changes nothing) when the norm is NaN or infinite.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  check(typeof maxNorm === 'number' && Number.isFinite(maxNorm) && maxNorm > 0, `maxNorm must be a finite number > 0 (e.g. 0.25 or 5), got ${String(maxNorm)}`);
  const norm = globalGradNorm(params);
  if (!Number.isFinite(norm)) {
    throw new RnnlmError(
      'non_finite',
      `the gradient norm is ${norm}: training has diverged. Lower the learning rate, ` +
        'enable or tighten gradient clipping (a max norm such as 0.25 to 5), or resume from an earlier checkpoint',
      { norm },
    );
  }
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      if (p.grad) kernelsFor(p.grad.data).scale(p.grad.data, coef, p.grad.data);
    }
  }
  return norm;
}
