/**
 * Truncated back-propagation through time: the training corpus is batchified into B streams,
 * read in windows of `bptt` steps; the hidden state is carried from window to window and
 * detached at each boundary, so gradients flow at most bptt steps back while the forward pass
 * sees unbounded context. A function, not a script: the CLI, tests and (later) the server call it.
 *
 * Options beyond plain TBPTT:
 *   - NT-ASGD (optimizer 'ntasgd', Merity et al. 2017): SGD, then parameter averaging once the
 *     validation loss stops improving for `nonmono` epochs; validation and onEpoch (where the CLI
 *     saves the best model) see the averaged weights, and the model ends holding them.
 *   - variable-length BPTT (AWD-LSTM): window length ~ N(bptt, 5) with p = 0.95, else
 *     N(bptt/2, 5), at least min(5, bptt); the lr of that update is scaled by T/bptt.
 *   - AR/TAR loss terms (cfg.ar, cfg.tar) on the last layer's output.
 *   - LR schedules: plateau (×plateauFactor when validation does not improve) and
 *     lrDecay 'after' (Zaremba et al.: ×factor per epoch after startEpoch).
 *   - exact resume: hooks.onCheckpoint receives a TrainingState (see resume.ts) every
 *     checkpointEvery steps, at each epoch end and when training stops; passing it back as
 *     options.resume (with the weights saved beside it) continues bit for bit.
 * Legend: T time (window), B batch, V vocabulary, N = T·B rows, L rows of the batchified stream.
 */
import { batchify, getBatch, numWindows } from '../data/batchify.js';
import { RnnlmError, check } from '../errors.js';
import type { TrainingState } from '../io/checkpoint.js';
import { type RNNLM, type RNNState, activationPenalty, detachState } from '../models/rnnlm.js';
import { add } from '../ops/elementwise.js';
import { NTASGD } from '../optim/asgd.js';
import { OPTIMIZER_NAMES, type OptimizerName, createOptimizer } from '../optim/index.js';
import { DecayAfter } from '../optim/schedule.js';
import { fmtShape, shapeEquals } from '../tensor/shape.js';
import { Rng } from '../tensor/random.js';
import { type LoopConfig, RunClock, type StepInfo, backwardAndClip, checkFiniteLoss, plateauSchedule } from './engine.js';
import { type EvalResult, evaluate } from './evaluate.js';
import { type LoopPosition, RESUME_FREE, decodeTrainingState, encodeTrainingState, fingerprint, jsonSafe, resumeConflicts } from './resume.js';

/** An optimizer of optim/ or 'ntasgd' (SGD + non-monotonically triggered averaging). */
export type TrainOptimizerName = OptimizerName | 'ntasgd';
export const TRAIN_OPTIMIZER_NAMES: readonly TrainOptimizerName[] = [...OPTIMIZER_NAMES, 'ntasgd'];

/** Zaremba et al. (2014): lr × factor before every epoch after startEpoch (DecayAfter). */
export interface LrDecayAfter {
  kind: 'after';
  startEpoch: number;
  factor: number;
}

/** The loop's settings (for 'ntasgd' the optimizer options are SGD's; the plateau schedule watches validation loss), and: */
export interface TrainConfig extends LoopConfig<TrainOptimizerName> {
  bptt: number;
  /** Stop (after a final validation) once this many seconds have passed in this call. */
  maxSeconds?: number;
  /** Stop after this many optimizer steps (counted over the whole run, resumes included). */
  maxSteps?: number;
  /** NT-ASGD: validation checks without improvement before averaging starts (default 5). */
  nonmono?: number;
  /** AWD-LSTM variable-length BPTT windows (see the header). */
  variableBptt?: boolean;
  /** Per-epoch decay after a start epoch (independent of the plateau schedule). */
  lrDecay?: LrDecayAfter | null;
  /** Activation regularisation α·mean(h²) on the last layer's dropped output (AWD: 2). */
  ar?: number;
  /** Temporal activation regularisation β·mean((h_t − h_{t−1})²) on its raw output (AWD: 1). */
  tar?: number;
  /** Call hooks.onCheckpoint every this many steps as well (0/absent: epoch ends and stops only). */
  checkpointEvery?: number;
  /** Seed of the loop's own RNG (variable BPTT lengths); default derived from the model's seed. */
  seed?: number;
}

/** Progress after each update (train/engine.ts). */
export type { StepInfo };

export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  valid: EvalResult | null;
  lr: number;
  /** Wall seconds of this epoch (across resumes). */
  seconds: number;
  /** True when this epoch's validation loss is the best so far. */
  improved: boolean;
  /** True when training stopped inside the epoch (time, steps): no LR schedule or NT-ASGD step was taken. */
  partial: boolean;
  /** Global optimizer steps so far. */
  step: number;
  /** True when the validation (and the model during onEpoch) used the NT-ASGD averaged weights. */
  averaged: boolean;
  /** True when this validation started NT-ASGD averaging. */
  asgdTriggered: boolean;
}

export interface CheckpointInfo {
  /** 'interval' every checkpointEvery steps, 'epoch' after an epoch's validation, 'stop' when training stops. */
  reason: 'interval' | 'epoch' | 'stop';
  step: number;
  epoch: number;
}

export interface TrainHooks {
  onStep?(s: StepInfo): void;
  onEpoch?(e: EpochInfo): void | Promise<void>;
  /**
   * A resumable state. Save it NOW together with the model's current weights, e.g.
   * saveLanguageModel(dir, model, tokenizer, state): the model holds the raw training weights
   * only during this call (with NT-ASGD it ends holding the averages).
   */
  onCheckpoint?(state: TrainingState, info: CheckpointInfo): void | Promise<void>;
}

export interface TrainOptions {
  /** Continue from a state given to onCheckpoint; the model must hold the weights saved with it. */
  resume?: TrainingState | null;
  /** Stop after the current step when this is aborted (Ctrl-C): no validation, a final 'stop' checkpoint. */
  signal?: { readonly aborted: boolean };
}

export interface TrainResult {
  epochs: EpochInfo[];
  steps: number;
  tokens: number;
  seconds: number;
  bestValidLoss: number | null;
  stoppedBy: 'epochs' | 'time' | 'steps' | 'interrupted';
  /** True when NT-ASGD averaging ran: the model now holds the averaged weights. */
  averaged: boolean;
}

export const defaultTrainConfig: TrainConfig = {
  batchSize: 20,
  bptt: 35,
  epochs: 1,
  optimizer: 'adam',
  lr: 2e-3,
  clip: 0.25,
  plateauFactor: 0.25,
  plateauPatience: 0,
  evalBatchSize: 10,
};

/** AWD-LSTM's window length: bptt (p = 0.95) or bptt/2, plus N(0, 5) noise, at least min(5, bptt). */
export function sampleBpttLength(rng: Rng, bptt: number): number {
  const base = rng.uniform() < 0.95 ? bptt : bptt / 2;
  return Math.max(Math.min(5, bptt), Math.floor(base + 5 * rng.normal()));
}

function checkConfig(cfg: TrainConfig, hasValid: boolean): void {
  const nonNeg = (name: string, v: number | undefined): void =>
    check(v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0), `${name} must be a finite number ≥ 0, got ${String(v)}`);
  nonNeg('ar', cfg.ar);
  nonNeg('tar', cfg.tar);
  check(
    cfg.checkpointEvery === undefined || (Number.isInteger(cfg.checkpointEvery) && cfg.checkpointEvery >= 0),
    `checkpointEvery must be an integer number of steps ≥ 0, got ${String(cfg.checkpointEvery)}`,
  );
  check(cfg.variableBptt === undefined || typeof cfg.variableBptt === 'boolean', 'variableBptt must be true or false');
  if (cfg.lrDecay) check(cfg.lrDecay.kind === 'after', `lrDecay.kind must be "after", got ${JSON.stringify(cfg.lrDecay.kind)}`);
  if (cfg.optimizer === 'ntasgd') {
    check(hasValid, 'NT-ASGD triggers on the validation loss: give validation data (a valid file or a validFraction > 0), or use --optimizer sgd');
  }
}

export async function trainLanguageModel(
  model: RNNLM,
  data: { train: Int32Array; valid?: Int32Array | null },
  cfg: TrainConfig,
  hooks: TrainHooks = {},
  options: TrainOptions = {},
): Promise<TrainResult> {
  checkConfig(cfg, !!data.valid);
  const { batchSize: B, bptt } = cfg;
  const batched = batchify(data.train, B);
  const L = batched.L;
  const batches = numWindows(batched, bptt);
  const params = model.parameters();
  const ntasgd = cfg.optimizer === 'ntasgd' ? new NTASGD(params, cfg.nonmono !== undefined ? { nonmono: cfg.nonmono } : {}) : null;
  const opt = createOptimizer(ntasgd ? 'sgd' : (cfg.optimizer as OptimizerName), params, { lr: cfg.lr, ...cfg.optimizerOptions });
  const plateau = plateauSchedule(opt, cfg);
  const decay = cfg.lrDecay ? new DecayAfter(opt, { startEpoch: cfg.lrDecay.startEpoch, factor: cfg.lrDecay.factor }) : null;
  const rng = new Rng(cfg.seed ?? (model.config.seed * 7919 + 17) >>> 0);
  const alpha = cfg.ar ?? 0;
  const beta = cfg.tar ?? 0;
  const configJson = jsonSafe(cfg) as Record<string, unknown>;
  const dataId = { trainTokens: data.train.length, fingerprint: fingerprint(data.train) };

  let pos: LoopPosition = { epoch: 1, row: 0, batch: 0, nats: 0, count: 0, epochSeconds: 0 };
  let state: RNNState | null = null;
  let step = 0;
  let tokens = 0;
  let trainSeconds = 0;
  let best: number | null = null;

  if (options.resume) {
    const snap = decodeTrainingState(options.resume);
    const diff = resumeConflicts({ train: snap.config }, { train: configJson }).map((k) => k.slice('train.'.length));
    if (diff.length > 0) {
      const show = (v: unknown): string => JSON.stringify(v ?? null);
      throw new RnnlmError(
        'checkpoint_mismatch',
        `the training state was saved with a different configuration (${diff.map((k) => `${k}: saved ${show(snap.config[k])}, now ${show(configJson[k])}`).join('; ')}); ` +
          `resume with the saved settings (only ${RESUME_FREE.train.join(', ')} may change)`,
      );
    }
    if (snap.data.fingerprint !== dataId.fingerprint) {
      throw new RnnlmError(
        'checkpoint_mismatch',
        `the training data differs from the run that saved this state (${snap.data.trainTokens} tokens then, ${data.train.length} now, or other tokens); resume on the same files and tokenizer`,
      );
    }
    opt.loadStateDict(snap.optimizer);
    if (plateau && snap.schedules.plateau) plateau.loadStateDict(snap.schedules.plateau);
    if (decay && snap.schedules.decay) decay.loadStateDict(snap.schedules.decay);
    if (ntasgd) {
      if (!snap.ntasgd) throw new RnnlmError('checkpoint_mismatch', 'the training state has no NT-ASGD record but this run uses ntasgd');
      ntasgd.loadStateDict(snap.ntasgd);
    }
    if (snap.hidden) {
      const want = model.initState(B);
      const ok =
        shapeEquals(snap.hidden.h.shape, want.h.shape) &&
        (snap.hidden.c === null) === (want.c === null) &&
        (!want.c || shapeEquals(snap.hidden.c!.shape, want.c.shape));
      if (!ok) {
        throw new RnnlmError(
          'checkpoint_mismatch',
          `the saved hidden state ${fmtShape(snap.hidden.h.shape)} does not fit this model and batch size (${fmtShape(want.h.shape)})`,
        );
      }
      state = { h: snap.hidden.h.to(want.h.dtype), c: snap.hidden.c ? snap.hidden.c.to(want.h.dtype) : null };
    }
    if (snap.position.row > L) {
      throw new RnnlmError('checkpoint_mismatch', `the saved position (row ${snap.position.row}) is past the end of the training stream (${L} rows)`);
    }
    model.rng.setState(snap.modelRng);
    rng.setState(snap.loopRng);
    pos = { ...snap.position };
    step = snap.step;
    tokens = snap.tokens;
    trainSeconds = snap.trainSeconds;
    best = snap.bestValidLoss;
  }

  const clock = new RunClock();
  const snapshot = (): TrainingState =>
    encodeTrainingState({
      config: configJson,
      data: dataId,
      position: { ...pos },
      step,
      tokens,
      trainSeconds,
      bestValidLoss: best,
      optimizer: opt.stateDict(),
      schedules: { plateau: plateau?.stateDict() ?? null, decay: decay?.stateDict() ?? null },
      ntasgd: ntasgd?.stateDict() ?? null,
      modelRng: model.rng.getState(),
      loopRng: rng.getState(),
      hidden: state,
      extra: {},
    });
  const checkpoint = async (reason: CheckpointInfo['reason']): Promise<void> => {
    if (hooks.onCheckpoint) await hooks.onCheckpoint(snapshot(), { reason, step, epoch: pos.epoch });
  };

  const epochs: EpochInfo[] = [];
  const tokensAtStart = tokens;
  let stoppedBy: TrainResult['stoppedBy'] = 'epochs';

  while (pos.epoch <= cfg.epochs && stoppedBy === 'epochs') {
    model.train();
    let mark = clock.now();
    /** Adds the wall time since the last call to the epoch and run totals. */
    const tick = (): void => {
      const now = clock.now();
      pos.epochSeconds += (now - mark) / 1000;
      trainSeconds += (now - mark) / 1000;
      mark = now;
    };
    while (pos.row < L - 1) {
      const w = getBatch(batched, pos.row, cfg.variableBptt ? sampleBpttLength(rng, bptt) : bptt);
      const out = model.forwardLoss(w.input, w.target, w.T, B, state);
      state = detachState(out.state);
      const xent = out.loss;
      const lv = xent.item();
      checkFiniteLoss(lv, pos.epoch, step);
      const penalty = activationPenalty(out, alpha, beta);
      const gradNorm = backwardAndClip(model, penalty ? add(xent, penalty) : xent, params, cfg.clip);
      const lr = opt.lr;
      if (cfg.variableBptt) opt.lr = (lr * w.T) / bptt; // longer windows take proportionally larger steps
      opt.step();
      opt.lr = lr;
      ntasgd?.update();
      step++;
      pos.batch++;
      pos.row += w.T;
      tokens += w.T * B;
      pos.nats += lv * w.T * B;
      pos.count += w.T * B;
      hooks.onStep?.(clock.stepInfo({ epoch: pos.epoch, batch: pos.batch, batches, step, loss: pos.nats / pos.count, lr, gradNorm }, tokens - tokensAtStart));
      stoppedBy = clock.spent(cfg, step) ?? (options.signal?.aborted ? 'interrupted' : 'epochs');
      if (stoppedBy !== 'epochs') break;
      if (cfg.checkpointEvery && step % cfg.checkpointEvery === 0) {
        tick();
        await checkpoint('interval');
      }
      if ((await clock.yieldSometimes()) && options.signal?.aborted) {
        stoppedBy = 'interrupted';
        break;
      }
    }
    tick();
    if (stoppedBy === 'interrupted') {
      await checkpoint('stop');
      break;
    }
    const complete = pos.row >= L - 1;
    // NT-ASGD: validate (and let onEpoch save) the averaged weights once they exist.
    const averaged = ntasgd?.swapIn() ?? false;
    try {
      const valid = data.valid ? evaluate(model, data.valid, { batchSize: cfg.evalBatchSize, bptt, batchSizeName: 'evalBatchSize (--eval-batch-size)' }) : null;
      const improved = valid !== null && (best === null || valid.loss < best);
      if (valid && improved) best = valid.loss;
      let asgdTriggered = false;
      // Schedules advance on whole epochs only, so a run stopped and resumed mid-epoch follows the same path.
      if (complete) {
        if (valid && plateau) plateau.step(valid.loss);
        if (valid && ntasgd && !ntasgd.averaging) asgdTriggered = ntasgd.observe(valid.loss);
        decay?.step();
      }
      const info: EpochInfo = {
        epoch: pos.epoch,
        trainLoss: pos.nats / Math.max(1, pos.count),
        valid,
        lr: opt.lr,
        seconds: pos.epochSeconds,
        improved,
        partial: !complete,
        step,
        averaged,
        asgdTriggered,
      };
      epochs.push(info);
      await hooks.onEpoch?.(info);
    } finally {
      if (averaged) ntasgd!.swapOut();
    }
    if (complete) {
      pos = { epoch: pos.epoch + 1, row: 0, batch: 0, nats: 0, count: 0, epochSeconds: 0 };
      state = null;
    }
    await checkpoint(stoppedBy === 'epochs' ? 'epoch' : 'stop');
  }
  // NT-ASGD's result is the averaged model: leave it in place (the checkpoints above hold the raw weights).
  const averaged = ntasgd?.adoptAverages() ?? false;
  return { epochs, steps: step, tokens, seconds: clock.elapsed(), bestValidLoss: best, stoppedBy, averaged };
}
