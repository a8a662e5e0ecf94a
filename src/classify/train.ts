/**
 * Training and inference for the sentence classifier: length-bucketed shuffled batches, mean
 * cross-entropy over the batch, gradient clipping, an optimizer from optim/, plateau LR decay on
 * validation accuracy, an optional freeze of some parameters (pretrained layers) for the first
 * epochs or the whole run, and a wall-clock / step budget. Progress after every update is the
 * StepInfo of train/engine.ts (so the CLI's progress bar serves every task).
 * Legend: B batch, C classes, N examples.
 */
import { noGrad } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { RNNClassifier } from '../models/classifier.js';
import { crossEntropy } from '../ops/loss.js';
import { createOptimizer } from '../optim/index.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { type LoopConfig, RunClock, type StepInfo, backwardAndClip, checkFiniteLoss, plateauSchedule } from '../train/engine.js';
import { type ClassificationReport, classificationReport } from './metrics.js';
import { type ClassifyBatch, type EncodedExample, makeBatches } from './data.js';

/** The loop's settings; the plateau schedule watches validation accuracy. */
export interface ClassifierTrainConfig extends LoopConfig {
  /** Shuffling. */
  seed: number;
  /** Parameters kept fixed (requiresGrad off) … */
  frozen?: readonly Tensor[];
  /** … for this many epochs, then trained too; null = the whole run. */
  unfreezeAfter?: number | null;
}

export interface ClassifierEpochInfo {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  /** Validation loss (mean cross-entropy) and metrics, when there is validation data. */
  validLoss: number | null;
  valid: ClassificationReport | null;
  lr: number;
  seconds: number;
  /** True when validation accuracy is the best so far (ties: lower validation loss). */
  improved: boolean;
  /** True when the time or step budget ended this epoch early. */
  partial: boolean;
}

export interface ClassifierTrainHooks {
  onStep?(s: StepInfo): void;
  onEpoch?(e: ClassifierEpochInfo): void | Promise<void>;
}

export interface ClassifierTrainResult {
  epochs: ClassifierEpochInfo[];
  steps: number;
  seconds: number;
  bestEpoch: number | null;
  stoppedBy: 'epochs' | 'time' | 'steps';
}

export interface Predictions {
  /** [N·C] class probabilities, row i = example i (in input order). */
  probs: Float32Array;
  /** [N] arg-max class. */
  predicted: Int32Array;
  /** Mean cross-entropy of the labelled examples (NaN when none are labelled). */
  loss: number;
}

/** Softmax of one row of logits into out (max-shifted). */
function softmaxRow(x: ArrayLike<number>, off: number, C: number, out: Float32Array, outOff: number): void {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, x[off + c]!);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(x[off + c]! - m);
  for (let c = 0; c < C; c++) out[outOff + c] = Math.exp(x[off + c]! - m) / s;
}

/** Class probabilities of every example (eval mode, no gradients), in input order. */
export function predict(model: RNNClassifier, examples: readonly EncodedExample[], batchSize: number): Predictions {
  const C = model.config.numClasses;
  const N = examples.length;
  const probs = new Float32Array(N * C);
  const predicted = new Int32Array(N);
  const wasTraining = model.training;
  model.eval();
  let nll = 0;
  let labelled = 0;
  try {
    noGrad(() => {
      for (const b of makeBatches(examples, batchSize)) {
        const logits = model.forward(b.ids, b.T, b.B, b.lengths).logits.data; // [B,C]
        b.indices.forEach((i, r) => {
          softmaxRow(logits, r * C, C, probs, i * C);
          let best = 0;
          for (let c = 1; c < C; c++) if (probs[i * C + c]! > probs[i * C + best]!) best = c;
          predicted[i] = best;
          const y = examples[i]!.label;
          if (y >= 0) {
            nll -= Math.log(Math.max(probs[i * C + y]!, 1e-30));
            labelled++;
          }
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return { probs, predicted, loss: labelled ? nll / labelled : NaN };
}

/** Loss and metrics of labelled examples. */
export function evaluateClassifier(
  model: RNNClassifier,
  examples: readonly EncodedExample[],
  batchSize: number,
): { loss: number; report: ClassificationReport; predictions: Predictions } {
  const unlabelled = examples.find((e) => e.label < 0);
  if (unlabelled) throw new RnnlmError('invalid_argument', `example ${unlabelled.index + 1} has no label; evaluation needs labelled data`);
  const p = predict(model, examples, batchSize);
  const report = classificationReport(
    examples.map((e) => e.label),
    p.predicted,
    model.config.numClasses,
  );
  return { loss: p.loss, report, predictions: p };
}

/** Summed cross-entropy of one batch [1] and the number of correct arg-max predictions. */
function batchLoss(model: RNNClassifier, b: ClassifyBatch): { loss: Tensor; correct: number } {
  const { logits } = model.forward(b.ids, b.T, b.B, b.lengths); // [B,C]
  const C = model.config.numClasses;
  let correct = 0;
  for (let r = 0; r < b.B; r++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits.data[r * C + c]! > logits.data[r * C + best]!) best = c;
    if (best === b.labels[r]) correct++;
  }
  return { loss: crossEntropy(logits, b.labels, { reduction: 'mean' }), correct };
}

function setFrozen(params: readonly Tensor[], frozen: boolean): void {
  for (const p of params) {
    p.requiresGrad = !frozen;
    if (frozen) p.grad = null;
  }
}

export async function trainClassifier(
  model: RNNClassifier,
  data: { train: readonly EncodedExample[]; valid?: readonly EncodedExample[] | null },
  cfg: ClassifierTrainConfig,
  hooks: ClassifierTrainHooks = {},
): Promise<ClassifierTrainResult> {
  if (data.train.length === 0) throw new RnnlmError('empty_corpus', 'no training examples');
  const bad = data.train.find((e) => !(e.label >= 0 && e.label < model.config.numClasses));
  if (bad) throw new RnnlmError('invalid_argument', `training example ${bad.index + 1} has no valid label`);
  const frozen = cfg.frozen ?? [];
  const unfreezeAfter = cfg.unfreezeAfter ?? null;
  setFrozen(frozen, true);
  const opt = createOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, ...cfg.optimizerOptions });
  const plateau = plateauSchedule(opt, cfg, 'max');
  const rng = new Rng(cfg.seed);
  const clock = new RunClock();
  const epochs: ClassifierEpochInfo[] = [];
  let step = 0;
  let tokens = 0;
  let best: { acc: number; loss: number; epoch: number } | null = null;
  let stoppedBy: ClassifierTrainResult['stoppedBy'] = 'epochs';

  try {
    for (let epoch = 1; epoch <= cfg.epochs && stoppedBy === 'epochs'; epoch++) {
      if (unfreezeAfter !== null && epoch === unfreezeAfter + 1) setFrozen(frozen, false);
      model.train();
      const te = clock.now();
      const batches = makeBatches(data.train, cfg.batchSize, rng);
      let nats = 0;
      let seen = 0;
      let correct = 0;
      for (let i = 0; i < batches.length; i++) {
        const b = batches[i]!;
        const r = batchLoss(model, b);
        const lv = r.loss.item();
        checkFiniteLoss(lv, epoch, step);
        const gradNorm = backwardAndClip(model, r.loss, model.parameters(), cfg.clip);
        opt.step();
        step++;
        for (let k = 0; k < b.B; k++) tokens += b.lengths[k]!;
        nats += lv * b.B;
        seen += b.B;
        correct += r.correct;
        hooks.onStep?.(clock.stepInfo({ epoch, batch: i + 1, batches: batches.length, step, loss: nats / seen, lr: opt.lr, gradNorm }, tokens));
        stoppedBy = clock.spent(cfg, step) ?? 'epochs';
        if (stoppedBy !== 'epochs') break;
        await clock.yieldSometimes();
      }
      const v = data.valid && data.valid.length > 0 ? evaluateClassifier(model, data.valid, cfg.evalBatchSize) : null;
      const improved = v !== null && (best === null || v.report.accuracy > best.acc || (v.report.accuracy === best.acc && v.loss < best.loss));
      if (improved) best = { acc: v.report.accuracy, loss: v.loss, epoch };
      if (plateau && v !== null && stoppedBy === 'epochs') plateau.step(v.report.accuracy);
      const info: ClassifierEpochInfo = {
        epoch,
        trainLoss: seen ? nats / seen : NaN,
        trainAccuracy: seen ? correct / seen : NaN,
        validLoss: v ? v.loss : null,
        valid: v ? v.report : null,
        lr: opt.lr,
        seconds: (clock.now() - te) / 1000,
        improved,
        partial: stoppedBy !== 'epochs',
      };
      epochs.push(info);
      await hooks.onEpoch?.(info);
    }
  } finally {
    setFrozen(frozen, false);
  }
  return { epochs, steps: step, seconds: clock.elapsed(), bestEpoch: best?.epoch ?? null, stoppedBy };
}
