/**
 * Optimizer steps for one parameter (in place), exactly as PyTorch's torch.optim.SGD and
 * torch.optim.Adam / AdamW (amsgrad off, maximize off), for the js reference backend.
 *
 * Dimension legend: n = param.length; grad, momentumBuf, m, v all have n elements.
 * The gradient array is never modified (weight decay is folded into a local value).
 */
import { RnnlmError } from '../../errors.js';
import type { AdamOptions, F, SgdOptions } from '../kernels.js';
import { exactLength, sameDtype } from './checks.js';

/**
 * PyTorch SGD:  d = g + wd·p;  with momentum: buf = d on the first step, else
 * buf = μ·buf + (1 − dampening)·d;  d = nesterov ? d + μ·buf : buf;  p −= lr·d.
 */
export function sgdStep(param: F, grad: F, momentumBuf: F | null, o: SgdOptions): void {
  const n = param.length;
  exactLength('sgdStep', 'grad', grad, n);
  sameDtype('sgdStep', param, grad, momentumBuf);
  const { lr, momentum: mu, dampening, weightDecay: wd, nesterov } = o;
  if (mu !== 0 && momentumBuf === null) {
    throw new RnnlmError('invalid_argument', 'sgdStep: momentum is non-zero but no momentum buffer was given; allocate one per parameter');
  }
  if (nesterov && (mu <= 0 || dampening !== 0)) {
    throw new RnnlmError('invalid_argument', 'sgdStep: Nesterov momentum needs momentum > 0 and dampening = 0 (as in PyTorch)');
  }
  if (momentumBuf) exactLength('sgdStep', 'momentumBuf', momentumBuf, n);

  for (let p = 0; p < n; p++) {
    // wd = 0 must not touch d: 0 · Inf would turn an infinite weight into NaN.
    let d = wd !== 0 ? grad[p]! + wd * param[p]! : grad[p]!;
    if (mu !== 0) {
      const buf = o.firstStep ? d : mu * momentumBuf![p]! + (1 - dampening) * d;
      momentumBuf![p] = buf;
      d = nesterov ? d + mu * buf : buf;
    }
    param[p]! -= lr * d;
  }
}

/**
 * PyTorch Adam (AdamW when o.decoupled), step t = o.step:
 *   decoupled: p ← p·(1 − lr·wd)        else: g ← g + wd·p
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
 */
export function adamStep(param: F, grad: F, m: F, v: F, o: AdamOptions): void {
  const n = param.length;
  exactLength('adamStep', 'grad', grad, n);
  exactLength('adamStep', 'm', m, n);
  exactLength('adamStep', 'v', v, n);
  sameDtype('adamStep', param, grad, m, v);
  const { lr, beta1, beta2, eps, weightDecay: wd, decoupled, step } = o;
  if (!Number.isInteger(step) || step < 1) {
    throw new RnnlmError('invalid_argument', `adamStep: step must be the 1-based update count, got ${step}`);
  }
  const stepSize = lr / (1 - beta1 ** step);
  const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
  const decay = decoupled ? 1 - lr * wd : 1;

  for (let p = 0; p < n; p++) {
    const g = decoupled || wd === 0 ? grad[p]! : grad[p]! + wd * param[p]!;
    const pv = decay !== 1 ? param[p]! * decay : param[p]!;
    const mv = beta1 * m[p]! + (1 - beta1) * g;
    const vv = beta2 * v[p]! + (1 - beta2) * g * g;
    m[p] = mv;
    v[p] = vv;
    param[p] = pv - (stepSize * mv) / (Math.sqrt(vv) / sqrtBc2 + eps);
  }
}
