/**
 * Truncated back-propagation through time: the training corpus is batchified into B streams,
 * read in windows of `bptt` steps; the hidden state is carried from window to window and
 * detached at each boundary, so gradients flow at most bptt steps back while the forward pass
 * sees unbounded context. A function, not a script: the CLI, tests and (later) the server call it.
 * Legend: T time (window), B batch, V vocabulary, N = T·B rows.
 */
import { backward } from '../autograd/graph.js';
import { batchify, bpttWindows, numWindows } from '../data/batchify.js';
import { RnnlmError } from '../errors.js';
import { type RNNLM, type RNNState, detachState } from '../models/rnnlm.js';
import { crossEntropy } from '../ops/loss.js';
import { type OptimizerName, type OptimizerOptions, clipGradNorm, createOptimizer } from '../optim/index.js';
import { ReduceLROnPlateau } from '../optim/schedule.js';
import { platform } from '../platform/platform.js';
import { type EvalResult, evaluate } from './evaluate.js';

export interface TrainConfig {
  batchSize: number;
  bptt: number;
  epochs: number;
  optimizer: OptimizerName;
  lr: number;
  /** Extra optimizer options (momentum, weightDecay, betas, …). */
  optimizerOptions?: Omit<OptimizerOptions, 'lr'>;
  /** Global gradient-norm clip; 0 turns it off. */
  clip: number;
  /** Multiply the LR by this when validation loss stops improving (1 = never). */
  plateauFactor: number;
  plateauPatience: number;
  evalBatchSize: number;
  /** Stop (after a final validation) once this many seconds have passed. */
  maxSeconds?: number;
  /** Stop after this many optimizer steps. */
  maxSteps?: number;
}

export interface StepInfo {
  epoch: number;
  /** Window index within the epoch (1-based) and windows per epoch. */
  batch: number;
  batches: number;
  step: number;
  /** Mean training loss (nats/token) since the last epoch start. */
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
}

export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  valid: EvalResult | null;
  lr: number;
  seconds: number;
  /** True when this epoch's validation loss is the best so far. */
  improved: boolean;
}

export interface TrainHooks {
  onStep?(s: StepInfo): void;
  onEpoch?(e: EpochInfo): void | Promise<void>;
}

export interface TrainResult {
  epochs: EpochInfo[];
  steps: number;
  tokens: number;
  seconds: number;
  bestValidLoss: number | null;
  stoppedBy: 'epochs' | 'time' | 'steps';
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

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

export async function trainLanguageModel(
  model: RNNLM,
  data: { train: Int32Array; valid?: Int32Array | null },
  cfg: TrainConfig,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const { batchSize: B, bptt } = cfg;
  const batched = batchify(data.train, B);
  const batches = numWindows(batched, bptt);
  const opt = createOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, ...cfg.optimizerOptions });
  const plateau = cfg.plateauFactor < 1 ? new ReduceLROnPlateau(opt, { factor: cfg.plateauFactor, patience: cfg.plateauPatience }) : null;
  const clock = platform();
  const t0 = clock.now();
  const elapsed = (): number => (clock.now() - t0) / 1000;
  const epochs: EpochInfo[] = [];
  let step = 0;
  let tokens = 0;
  let best: number | null = null;
  let stoppedBy: TrainResult['stoppedBy'] = 'epochs';
  let lastYield = clock.now();

  for (let epoch = 1; epoch <= cfg.epochs && stoppedBy === 'epochs'; epoch++) {
    model.train();
    const te = clock.now();
    let state: RNNState | null = null;
    let nats = 0;
    let count = 0;
    let batch = 0;
    for (const w of bpttWindows(batched, bptt)) {
      batch++;
      const { logits, state: next } = model.forward(w.input, w.T, B, state);
      state = detachState(next);
      const loss = crossEntropy(logits, w.target);
      const lv = loss.item();
      if (!Number.isFinite(lv)) {
        throw new RnnlmError('non_finite', `training loss became ${lv} at epoch ${epoch}, step ${step + 1}; lower the learning rate or clip gradients (--clip)`);
      }
      model.zeroGrad();
      backward(loss);
      const gradNorm = cfg.clip > 0 ? clipGradNorm(model.parameters(), cfg.clip) : NaN;
      opt.step();
      step++;
      tokens += w.T * B;
      nats += lv * w.T * B;
      count += w.T * B;
      hooks.onStep?.({
        epoch,
        batch,
        batches,
        step,
        loss: nats / count,
        lr: opt.lr,
        gradNorm,
        tokensPerSecond: tokens / Math.max(1e-9, elapsed()),
        elapsedSeconds: elapsed(),
      });
      if (cfg.maxSteps !== undefined && step >= cfg.maxSteps) stoppedBy = 'steps';
      else if (cfg.maxSeconds !== undefined && elapsed() >= cfg.maxSeconds) stoppedBy = 'time';
      if (stoppedBy !== 'epochs') break;
      // Let timers (progress bar, signals) run without paying for it on every small step.
      if (clock.now() - lastYield > 100) {
        await yieldToEventLoop();
        lastYield = clock.now();
      }
    }
    const valid = data.valid ? evaluate(model, data.valid, { batchSize: cfg.evalBatchSize, bptt }) : null;
    const improved = valid !== null && (best === null || valid.loss < best);
    if (valid && improved) best = valid.loss;
    if (valid && plateau) plateau.step(valid.loss);
    const info: EpochInfo = { epoch, trainLoss: nats / Math.max(1, count), valid, lr: opt.lr, seconds: (clock.now() - te) / 1000, improved };
    epochs.push(info);
    await hooks.onEpoch?.(info);
  }
  return { epochs, steps: step, tokens, seconds: elapsed(), bestValidLoss: best, stoppedBy };
}
