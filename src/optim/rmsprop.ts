/**
 * torch.optim.RMSprop, per element:
 *   g ← g + wd·p;  sq ← α·sq + (1 − α)·g²
 *   centered: ga ← α·ga + (1 − α)·g;  avg = √(sq − ga²) + ε   else avg = √sq + ε
 *   momentum > 0: buf ← momentum·buf + g/avg;  p ← p − lr·buf   else p ← p − lr·g/avg
 * No kernel in the contract: a plain loop over the typed arrays (in float64, each stored value
 * rounded to the parameter's dtype).
 *
 * Dimension legend: n elements per parameter (param, grad and every state buffer have n).
 */
import type { Tensor } from '../tensor/tensor.js';
import { check } from '../errors.js';
import { type Hyper, Optimizer, checkLr, checkRange } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

interface RMSpropHyper extends Hyper {
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

function resolve(o: RMSpropOptions): RMSpropHyper {
  const h: RMSpropHyper = {
    alpha: checkRange('alpha', o.alpha ?? 0.99, 0),
    eps: checkRange('eps', o.eps ?? 1e-8, 0),
    weightDecay: checkRange('weightDecay', o.weightDecay ?? 0, 0),
    momentum: checkRange('momentum', o.momentum ?? 0, 0),
    centered: o.centered ?? false,
  };
  check(typeof h.centered === 'boolean', 'centered must be true or false');
  return h;
}

export class RMSprop extends Optimizer {
  readonly name = 'rmsprop' as const;
  private h: RMSpropHyper;

  constructor(params: Tensor[], opts: RMSpropOptions = {}) {
    super(params, checkLr(opts.lr ?? 1e-2));
    this.h = resolve(opts);
  }

  protected hyper(): Hyper {
    return { ...this.h };
  }

  protected setHyper(h: Hyper): void {
    this.h = resolve(h as RMSpropOptions);
  }

  protected update(i: number, param: Tensor, grad: Tensor): void {
    const { alpha, eps, weightDecay, momentum, centered } = this.h;
    const lr = this.lr;
    const sq = this.buffer(i, 'square_avg').data;
    const ga = centered ? this.buffer(i, 'grad_avg').data : null;
    const buf = momentum > 0 ? this.buffer(i, 'momentum_buffer').data : null;
    const p = param.data;
    const g = grad.data;
    for (let j = 0; j < p.length; j++) {
      const gj = weightDecay !== 0 ? g[j]! + weightDecay * p[j]! : g[j]!;
      sq[j] = alpha * sq[j]! + (1 - alpha) * gj * gj;
      let avg: number;
      if (ga) {
        ga[j] = alpha * ga[j]! + (1 - alpha) * gj;
        avg = Math.sqrt(sq[j]! - ga[j]! * ga[j]!) + eps;
      } else {
        avg = Math.sqrt(sq[j]!) + eps;
      }
      if (buf) {
        buf[j] = momentum * buf[j]! + gj / avg;
        p[j] = p[j]! - lr * buf[j]!;
      } else {
        p[j] = p[j]! - (lr * gj) / avg;
      }
    }
  }
}
