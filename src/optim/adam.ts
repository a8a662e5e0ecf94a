/**
 * torch.optim.Adam and AdamW:
 *   g ← g + wd·p (Adam) | p ← p·(1 − lr·wd) (AdamW, decoupled)
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
 * with t the parameter's own update count. The arithmetic is the backend's adamStep kernel.
 *
 * Dimension legend: n elements per parameter (param, grad and every state buffer have n).
 */
import { check } from '../errors.js';
import { kernelsFor } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Hyper, Optimizer, checkLr, checkRange } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

interface AdamHyper extends Hyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

function resolve(o: Partial<AdamHyper>, defaultWd: number): AdamHyper {
  return {
    beta1: checkRange('betas[0]', o.beta1 ?? 0.9, 0, 1),
    beta2: checkRange('betas[1]', o.beta2 ?? 0.999, 0, 1),
    eps: checkRange('eps', o.eps ?? 1e-8, 0),
    weightDecay: checkRange('weightDecay', o.weightDecay ?? defaultWd, 0),
  };
}

function fromOptions(o: AdamOptions, defaultWd: number): AdamHyper {
  if (o.betas !== undefined) {
    check(Array.isArray(o.betas) && o.betas.length === 2, 'betas must be a pair [beta1, beta2], e.g. [0.9, 0.999]');
  }
  return resolve({ beta1: o.betas?.[0], beta2: o.betas?.[1], eps: o.eps, weightDecay: o.weightDecay } as Partial<AdamHyper>, defaultWd);
}

export class Adam extends Optimizer {
  readonly name: 'adam' | 'adamw' = 'adam';
  protected h: AdamHyper;
  /** AdamW decays the weights directly instead of adding wd·p to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: Tensor[], opts: AdamOptions = {}) {
    super(params, checkLr(opts.lr ?? 1e-3));
    this.h = fromOptions(opts, 0);
  }

  protected hyper(): Hyper {
    return { ...this.h };
  }

  protected setHyper(h: Hyper): void {
    this.h = resolve(h as Partial<AdamHyper>, 0);
  }

  protected update(i: number, param: Tensor, grad: Tensor, step: number): void {
    const m = this.buffer(i, 'exp_avg').data;
    const v = this.buffer(i, 'exp_avg_sq').data;
    const { beta1, beta2, eps, weightDecay } = this.h;
    kernelsFor(param.data).adamStep(param.data, grad.data, m, v, {
      lr: this.lr,
      beta1,
      beta2,
      eps,
      weightDecay,
      decoupled: this.decoupled,
      step,
    });
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); weightDecay defaults to 1e-2 as in PyTorch. */
export class AdamW extends Adam {
  override readonly name = 'adamw' as const;
  protected override readonly decoupled = true;

  constructor(params: Tensor[], opts: AdamOptions = {}) {
    super(params, { ...opts, weightDecay: opts.weightDecay ?? 1e-2 });
  }
}
