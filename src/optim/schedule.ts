/**
 * Learning-rate schedules. Each one changes `opt.lr` in place when its `step()` is called and
 * saves its counters with stateDict() (plain JSON) so a resumed run follows the same schedule.
 * The optimizer's own state dict carries the current lr.
 *
 *   ReduceLROnPlateau  step(metric) once per validation: ×factor after `patience` epochs without improvement
 *   StepDecay          step() once per epoch: ×gamma every stepSize epochs (torch StepLR)
 *   DecayAfter         step() once per epoch: ×factor for every epoch after startEpoch (Zaremba et al. 2014)
 *   WarmupCosine       step() once per optimizer update: linear warmup, then cosine decay to minLr
 */
import { RnnlmError, check } from '../errors.js';
import { checkLr, checkRange } from './optimizer.js';

/** Anything with a learning rate (an Optimizer). */
export interface LrTarget {
  lr: number;
}

export type ScheduleState = Record<string, unknown>;

export interface LrSchedule {
  stateDict(): ScheduleState;
  loadStateDict(s: ScheduleState): void;
}

/** JSON has no Infinity/NaN: store them as strings. */
function encodeNum(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function decodeNum(x: unknown, what: string): number {
  const n = typeof x === 'string' && ['Infinity', '-Infinity', 'NaN'].includes(x) ? Number(x) : x;
  if (typeof n !== 'number') throw badState(`${what} is not a number`);
  return n;
}

function badState(msg: string): RnnlmError {
  return new RnnlmError('checkpoint_mismatch', `schedule state: ${msg}`);
}

function readState(s: ScheduleState, kind: string): ScheduleState {
  if (typeof s !== 'object' || s === null) throw badState('missing');
  if (s.kind !== kind) {
    throw badState(`it was saved by schedule "${String(s.kind)}" but this run uses "${kind}"; use the same lr schedule to resume`);
  }
  return s;
}

function readCount(s: ScheduleState, key: string): number {
  const n = s[key];
  if (!Number.isInteger(n) || (n as number) < 0) throw badState(`${key} must be an integer ≥ 0`);
  return n as number;
}

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  /** Changes smaller than this are not applied (PyTorch's eps). */
  eps?: number;
}

/** torch.optim.lr_scheduler.ReduceLROnPlateau: call step(validationLoss) after each evaluation. */
export class ReduceLROnPlateau implements LrSchedule {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(
    readonly opt: LrTarget,
    o: PlateauOptions = {},
  ) {
    this.mode = o.mode ?? 'min';
    check(this.mode === 'min' || this.mode === 'max', `mode must be "min" (a loss) or "max" (an accuracy), got ${String(o.mode)}`);
    this.thresholdMode = o.thresholdMode ?? 'rel';
    check(this.thresholdMode === 'rel' || this.thresholdMode === 'abs', `thresholdMode must be "rel" or "abs", got ${String(o.thresholdMode)}`);
    this.factor = checkRange('factor', o.factor ?? 0.1, 0, 1);
    this.patience = checkRange('patience', o.patience ?? 10, 0);
    check(Number.isInteger(this.patience), `patience must be an integer number of epochs, got ${this.patience}`);
    this.threshold = checkRange('threshold', o.threshold ?? 1e-4, 0);
    this.cooldown = checkRange('cooldown', o.cooldown ?? 0, 0);
    check(Number.isInteger(this.cooldown), `cooldown must be an integer number of epochs, got ${this.cooldown}`);
    this.minLr = checkLr(o.minLr ?? 0, 'minLr');
    this.eps = checkRange('eps', o.eps ?? 1e-8, 0);
    this.best = this.worst();
  }

  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const best = this.best;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Records one epoch's metric; returns true when it lowered the learning rate. */
  step(metric: number): boolean {
    check(typeof metric === 'number', `ReduceLROnPlateau.step needs a number (e.g. the validation loss), got ${typeof metric}`);
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs during cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      const changed = this.reduce();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
      return changed;
    }
    return false;
  }

  private reduce(): boolean {
    const old = this.opt.lr;
    const next = Math.max(old * this.factor, this.minLr);
    if (old - next > this.eps) {
      this.opt.lr = next;
      return true;
    }
    return false;
  }

  stateDict(): ScheduleState {
    return {
      kind: 'plateau',
      best: encodeNum(this.best),
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
    };
  }

  loadStateDict(s: ScheduleState): void {
    readState(s, 'plateau');
    const best = decodeNum(s.best, 'best');
    const numBadEpochs = readCount(s, 'numBadEpochs');
    const cooldownCounter = readCount(s, 'cooldownCounter');
    this.lastEpoch = readCount(s, 'lastEpoch');
    this.best = best;
    this.numBadEpochs = numBadEpochs;
    this.cooldownCounter = cooldownCounter;
  }
}

/** torch StepLR: lr ×= gamma after every stepSize-th epoch. Call step() at the end of each epoch. */
export class StepDecay implements LrSchedule {
  readonly stepSize: number;
  readonly gamma: number;
  epoch = 0;

  constructor(
    readonly opt: LrTarget,
    o: { stepSize: number; gamma?: number },
  ) {
    check(o !== undefined && Number.isInteger(o.stepSize) && o.stepSize >= 1, `stepSize must be an integer ≥ 1 (epochs), got ${String(o?.stepSize)}`);
    this.stepSize = o.stepSize;
    this.gamma = checkRange('gamma', o.gamma ?? 0.1, 0, 1, true);
  }

  step(): void {
    this.epoch += 1;
    if (this.epoch % this.stepSize === 0) this.opt.lr *= this.gamma;
  }

  stateDict(): ScheduleState {
    return { kind: 'step', epoch: this.epoch };
  }

  loadStateDict(s: ScheduleState): void {
    this.epoch = readCount(readState(s, 'step'), 'epoch');
  }
}

/**
 * Zaremba et al. (2014): keep the lr for the first startEpoch epochs, then multiply it by
 * factor before each later epoch (epoch n > startEpoch runs at lr0 · factor^(n − startEpoch)).
 * Call step() at the end of each epoch.
 */
export class DecayAfter implements LrSchedule {
  readonly startEpoch: number;
  readonly factor: number;
  epoch = 0;

  constructor(
    readonly opt: LrTarget,
    o: { startEpoch: number; factor: number },
  ) {
    check(o !== undefined && Number.isInteger(o.startEpoch) && o.startEpoch >= 0, `startEpoch must be an integer ≥ 0, got ${String(o?.startEpoch)}`);
    check(
      typeof o.factor === 'number' && o.factor > 0 && o.factor <= 1,
      `factor multiplies the lr each epoch and must be in (0, 1] (0.5 halves it; for "divide by 1.2" pass 1/1.2), got ${String(o.factor)}`,
    );
    this.startEpoch = o.startEpoch;
    this.factor = o.factor;
  }

  step(): void {
    this.epoch += 1;
    if (this.epoch >= this.startEpoch) this.opt.lr *= this.factor;
  }

  stateDict(): ScheduleState {
    return { kind: 'decay_after', epoch: this.epoch };
  }

  loadStateDict(s: ScheduleState): void {
    this.epoch = readCount(readState(s, 'decay_after'), 'epoch');
  }
}

/**
 * Linear warmup over warmupSteps updates (lr0·1/W, 2/W, …, 1), then a cosine from lr0 down to
 * minLr at totalSteps, and minLr after. The lr is set for the next update on construction and
 * after each step(). Call step() after each optimizer update.
 */
export class WarmupCosine implements LrSchedule {
  /** The peak lr (the optimizer's lr when the schedule was made); saved, since opt.lr moves. */
  baseLr: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  readonly minLr: number;
  steps = 0;

  constructor(
    readonly opt: LrTarget,
    o: { warmupSteps?: number; totalSteps: number; minLr?: number },
  ) {
    this.baseLr = opt.lr;
    this.warmupSteps = o?.warmupSteps ?? 0;
    check(Number.isInteger(this.warmupSteps) && this.warmupSteps >= 0, `warmupSteps must be an integer ≥ 0, got ${this.warmupSteps}`);
    check(
      o !== undefined && Number.isInteger(o.totalSteps) && o.totalSteps >= this.warmupSteps && o.totalSteps >= 1,
      `totalSteps must be an integer ≥ max(1, warmupSteps), got ${String(o?.totalSteps)}`,
    );
    this.totalSteps = o.totalSteps;
    this.minLr = checkLr(o.minLr ?? 0, 'minLr');
    check(this.minLr <= this.baseLr, `minLr (${this.minLr}) must not exceed the optimizer's lr (${this.baseLr})`);
    this.opt.lr = this.lrAt(0);
  }

  /** The lr of the update that follows `done` finished updates. */
  lrAt(done: number): number {
    const W = this.warmupSteps;
    if (done < W) return (this.baseLr * (done + 1)) / W;
    const progress = Math.min(1, (done - W) / Math.max(1, this.totalSteps - W));
    return this.minLr + (this.baseLr - this.minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
  }

  step(): void {
    this.steps += 1;
    this.opt.lr = this.lrAt(this.steps);
  }

  stateDict(): ScheduleState {
    return { kind: 'warmup_cosine', steps: this.steps, baseLr: this.baseLr };
  }

  loadStateDict(s: ScheduleState): void {
    const steps = readCount(readState(s, 'warmup_cosine'), 'steps');
    const baseLr = s.baseLr;
    if (typeof baseLr !== 'number' || !Number.isFinite(baseLr) || baseLr < 0) throw badState('baseLr must be a finite number ≥ 0');
    this.steps = steps;
    this.baseLr = baseLr;
    this.opt.lr = this.lrAt(this.steps);
  }
}
