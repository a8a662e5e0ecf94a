/**
 * The small pieces the training loops of rnnlm share (language model train/loop.ts, translation
 * translate/train.ts, classifier classify/train.ts): the run clock with its step/time budget, the
 * cooperative yield to the event loop, the non-finite loss error, the backward-and-clip of a
 * gradient step, and the progress record after each update. Each loop keeps its own data order,
 * loss, schedules and epoch bookkeeping: this is a kit of parts, not a generic trainer.
 */
import { backward } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { type Optimizer, type OptimizerName, type OptimizerOptions, clipGradNorm, globalGradNorm } from '../optim/index.js';
import { ReduceLROnPlateau } from '../optim/schedule.js';
import { platform } from '../platform/platform.js';
import type { Tensor } from '../tensor/tensor.js';

/** Progress after each optimizer update, the same record for every task (so one progress bar serves all). */
export interface StepInfo {
  epoch: number;
  /** Window or batch index within the epoch (1-based) and per epoch (an estimate with variable BPTT). */
  batch: number;
  batches: number;
  step: number;
  /** Mean training loss (nats per token, or per example for the classifier) since the last epoch start. */
  loss: number;
  lr: number;
  /** Global gradient norm before clipping (whether or not clipping is on). */
  gradNorm: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
}

/** Where a run stops early: after this many optimizer steps, or once this many seconds have passed. */
export interface TrainBudget {
  maxSeconds?: number;
  maxSteps?: number;
}

/** The settings every loop reads alike: batches, epochs, the optimizer, the clip, plateau LR decay and the budget. */
export interface LoopConfig<O extends string = OptimizerName> extends TrainBudget {
  batchSize: number;
  epochs: number;
  optimizer: O;
  lr: number;
  /** Extra optimizer options (momentum, weightDecay, betas, …). */
  optimizerOptions?: Omit<OptimizerOptions, 'lr'>;
  /** Global gradient-norm clip; 0 turns it off. */
  clip: number;
  /** Multiply the LR by this when the validation metric stops improving (1 = never). */
  plateauFactor: number;
  plateauPatience: number;
  evalBatchSize: number;
}

/** The plateau schedule of `cfg` on `opt` (null when plateauFactor is 1 or more); 'max' for a metric that should rise. */
export function plateauSchedule(
  opt: Optimizer,
  cfg: Pick<LoopConfig<string>, 'plateauFactor' | 'plateauPatience'>,
  mode: 'min' | 'max' = 'min',
): ReduceLROnPlateau | null {
  return cfg.plateauFactor < 1 ? new ReduceLROnPlateau(opt, { mode, factor: cfg.plateauFactor, patience: cfg.plateauPatience }) : null;
}

/** The wall clock of one training call: elapsed time, the budget, the progress record and the yield. */
export class RunClock {
  private readonly clock = platform();
  private readonly t0 = this.clock.now();
  private lastYield = this.t0;

  /** Milliseconds on the platform clock (for per-epoch timing). */
  now(): number {
    return this.clock.now();
  }

  /** Seconds since this call started. */
  elapsed(): number {
    return (this.clock.now() - this.t0) / 1000;
  }

  /** The budget spent after `step` steps (counted over the whole run), steps first; null while both last. */
  spent(budget: TrainBudget, step: number): 'steps' | 'time' | null {
    if (budget.maxSteps !== undefined && step >= budget.maxSteps) return 'steps';
    if (budget.maxSeconds !== undefined && this.elapsed() >= budget.maxSeconds) return 'time';
    return null;
  }

  /**
   * Lets timers (progress bar, signals) run, but at most every 100 ms so that small steps do not
   * pay for it every time; true when it yielded.
   */
  async yieldSometimes(): Promise<boolean> {
    if (this.clock.now() - this.lastYield <= 100) return false;
    await new Promise((r) => setTimeout(r, 0));
    this.lastYield = this.clock.now();
    return true;
  }

  /** The record of a step; throughput counts the `tokens` processed in this call. */
  stepInfo(s: Omit<StepInfo, 'tokensPerSecond' | 'elapsedSeconds'>, tokens: number): StepInfo {
    const elapsedSeconds = this.elapsed();
    return { ...s, tokensPerSecond: tokens / Math.max(1e-9, elapsedSeconds), elapsedSeconds };
  }
}

/** Throws `non_finite` when a step's training loss is NaN or infinite (`step`: the steps done before it). */
export function checkFiniteLoss(loss: number, epoch: number, step: number): void {
  if (!Number.isFinite(loss)) {
    throw new RnnlmError('non_finite', `training loss became ${loss} at epoch ${epoch}, step ${step + 1}; lower the learning rate or clip gradients (--clip)`);
  }
}

/**
 * Back-propagates `loss` into freshly zeroed gradients and clips their global norm to `clip`
 * (0: no clipping). Returns the norm before clipping, which is logged either way.
 */
export function backwardAndClip(model: { zeroGrad(): void }, loss: Tensor, params: readonly Tensor[], clip: number): number {
  model.zeroGrad();
  backward(loss);
  return clip > 0 ? clipGradNorm(params, clip) : globalGradNorm(params);
}
