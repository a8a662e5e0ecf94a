/**
 * torch.optim.SGD: p -= lr · d, where d = g + wd·p, and with momentum
 * buf = momentum·buf + (1 − dampening)·d (buf = d on the first step), d = buf (or d + momentum·buf, Nesterov).
 * The arithmetic is the backend's sgdStep kernel.
 *
 * Dimension legend: n elements per parameter (param, grad and every state buffer have n).
 */
import { check } from '../errors.js';
import { kernelsFor } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { type Hyper, Optimizer, checkLr, checkRange } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

interface SGDHyper extends Hyper {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

function resolve(o: Omit<SGDOptions, 'lr'>): SGDHyper {
  const h: SGDHyper = {
    momentum: checkRange('momentum', o.momentum ?? 0, 0),
    dampening: checkRange('dampening', o.dampening ?? 0, 0),
    weightDecay: checkRange('weightDecay', o.weightDecay ?? 0, 0),
    nesterov: o.nesterov ?? false,
  };
  check(typeof h.nesterov === 'boolean', 'nesterov must be true or false');
  check(!h.nesterov || (h.momentum > 0 && h.dampening === 0), 'Nesterov momentum needs momentum > 0 and dampening = 0');
  return h;
}

export class SGD extends Optimizer {
  readonly name = 'sgd' as const;
  private h: SGDHyper;

  constructor(params: Tensor[], opts: SGDOptions) {
    check(opts !== undefined && opts.lr !== undefined, 'SGD needs a learning rate: SGD(params, { lr })');
    super(params, checkLr(opts.lr));
    this.h = resolve(opts);
  }

  get momentum(): number {
    return this.h.momentum;
  }

  protected hyper(): Hyper {
    return { ...this.h };
  }

  protected setHyper(h: Hyper): void {
    this.h = resolve(h as Omit<SGDOptions, 'lr'>);
  }

  protected update(i: number, param: Tensor, grad: Tensor): void {
    const { momentum, dampening, weightDecay, nesterov } = this.h;
    // The momentum buffer is born on a parameter's first update with a gradient (PyTorch: buf = d).
    const firstStep = momentum !== 0 && !this.hasBuffer(i, 'momentum_buffer');
    const buf = momentum !== 0 ? this.buffer(i, 'momentum_buffer').data : null;
    kernelsFor(param.data).sgdStep(param.data, grad.data, buf, { lr: this.lr, momentum, dampening, weightDecay, nesterov, firstStep });
  }
}
