/**
 * torch.optim.Adagrad (dense gradients), per element:
 *   g ← g + wd·p;  clr = lr / (1 + (t − 1)·lrDecay)
 *   sum ← sum + g²;  p ← p − clr · g / (√sum + ε)
 * with t the parameter's own update count. No kernel in the contract: a plain loop over the
 * typed arrays (in float64, each stored value rounded to the parameter's dtype).
 *
 * Dimension legend: n elements per parameter (param, grad and every state buffer have n).
 */
import type { Tensor } from '../tensor/tensor.js';
import { type Hyper, Optimizer, checkLr, checkRange } from './optimizer.js';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

interface AdagradHyper extends Hyper {
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

function resolve(o: AdagradOptions): AdagradHyper {
  return {
    lrDecay: checkRange('lrDecay', o.lrDecay ?? 0, 0),
    weightDecay: checkRange('weightDecay', o.weightDecay ?? 0, 0),
    initialAccumulatorValue: checkRange('initialAccumulatorValue', o.initialAccumulatorValue ?? 0, 0),
    eps: checkRange('eps', o.eps ?? 1e-10, 0),
  };
}

export class Adagrad extends Optimizer {
  readonly name = 'adagrad' as const;
  private h: AdagradHyper;

  constructor(params: Tensor[], opts: AdagradOptions = {}) {
    super(params, checkLr(opts.lr ?? 1e-2));
    this.h = resolve(opts);
  }

  protected hyper(): Hyper {
    return { ...this.h };
  }

  protected setHyper(h: Hyper): void {
    this.h = resolve(h as AdagradOptions);
  }

  protected update(i: number, param: Tensor, grad: Tensor, step: number): void {
    const { lrDecay, weightDecay, initialAccumulatorValue, eps } = this.h;
    // PyTorch fills the accumulator with initialAccumulatorValue up front; creating it at the
    // first update with a gradient gives the same values.
    const sum = this.buffer(i, 'sum', initialAccumulatorValue).data;
    const p = param.data;
    const g = grad.data;
    const clr = this.lr / (1 + (step - 1) * lrDecay);
    for (let j = 0; j < p.length; j++) {
      const gj = weightDecay !== 0 ? g[j]! + weightDecay * p[j]! : g[j]!;
      sum[j] = sum[j]! + gj * gj;
      p[j] = p[j]! - (clr * gj) / (Math.sqrt(sum[j]!) + eps);
    }
  }
}
