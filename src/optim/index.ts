/** Optimizers, gradient clipping and learning-rate schedules, plus createOptimizer(name, …). */
import { check } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import { OPTIMIZER_NAMES, type Optimizer, type OptimizerName } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

export { Optimizer, type OptimizerName, type OptimizerStateDict } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { clipGradNorm, globalGradNorm } from './clip.js';
export {
  DecayAfter,
  ReduceLROnPlateau,
  StepDecay,
  WarmupCosine,
  type LrSchedule,
  type LrTarget,
  type PlateauOptions,
  type ScheduleState,
} from './schedule.js';

/** The union of every optimizer's options; each optimizer accepts only its own (undefined = default). */
export interface OptimizerOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  betas?: readonly [number, number];
  eps?: number;
  lrDecay?: number;
  initialAccumulatorValue?: number;
  alpha?: number;
  centered?: boolean;
}

export { OPTIMIZER_NAMES };

const ACCEPTS: Record<OptimizerName, readonly (keyof OptimizerOptions)[]> = {
  sgd: ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'],
  adam: ['lr', 'betas', 'eps', 'weightDecay'],
  adamw: ['lr', 'betas', 'eps', 'weightDecay'],
  adagrad: ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'],
  rmsprop: ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'],
};

/** Builds an optimizer by name; an option the optimizer does not take is an error, not ignored. */
export function createOptimizer(name: OptimizerName, params: Tensor[], opts: OptimizerOptions = {}): Optimizer {
  check((OPTIMIZER_NAMES as readonly string[]).includes(name), `unknown optimizer "${String(name)}"; choose one of ${OPTIMIZER_NAMES.join(', ')}`);
  const accepted = ACCEPTS[name];
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    check((accepted as readonly string[]).includes(k), `optimizer "${name}" does not take option "${k}" (it takes: ${accepted.join(', ')})`);
  }
  switch (name) {
    case 'sgd':
      check(opts.lr !== undefined, 'sgd needs an explicit learning rate (lr), e.g. 1 for a word-level LSTM');
      return new SGD(params, { ...opts, lr: opts.lr });
    case 'adam':
      return new Adam(params, opts);
    case 'adamw':
      return new AdamW(params, opts);
    case 'adagrad':
      return new Adagrad(params, opts);
    case 'rmsprop':
      return new RMSprop(params, opts);
  }
}
