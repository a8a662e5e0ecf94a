/**
 * Training loop for Seq2Seq: length-bucketed batches, mean cross-entropy over real target
 * tokens (padding ignored), gradient clipping, an optimizer from optim/, plateau LR decay on
 * validation loss, and a wall-clock budget. With teacherForcingRatio = 1 the decoder runs
 * teacher-forced over the whole target at once; below 1 (scheduled sampling) it runs step by
 * step, and at each step each sentence is fed its reference token with that probability, else
 * the model's own previous prediction (argmax, not back-propagated through).
 * Legend: S source steps, T target steps, B batch, V target vocabulary.
 */
import { noGrad } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { Seq2Seq } from '../models/seq2seq.js';
import { add, scale } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/loss.js';
import { createOptimizer } from '../optim/index.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { type LoopConfig, RunClock, type StepInfo, backwardAndClip, checkFiniteLoss, plateauSchedule } from '../train/engine.js';
import { type EncodedPair, IGNORE, type TranslationBatch, makeBatches } from './data.js';

/** The loop's settings; the plateau schedule watches validation loss. */
export interface TranslationTrainConfig extends LoopConfig {
  /** 1 = always teacher forcing (fast path); < 1 = scheduled sampling. */
  teacherForcingRatio: number;
  /** Shuffling and scheduled-sampling coin flips. */
  seed: number;
}

/** Progress after each update: the record every loop gives (train/engine.ts; loss is per target token). */
export type TranslationStepInfo = StepInfo;

export interface TranslationEpochInfo {
  epoch: number;
  trainLoss: number;
  validLoss: number | null;
  lr: number;
  seconds: number;
  improved: boolean;
  /** True when the time or step budget ended this epoch early. */
  partial: boolean;
}

export interface TranslationTrainHooks {
  onStep?(s: TranslationStepInfo): void;
  onEpoch?(e: TranslationEpochInfo): void | Promise<void>;
}

export interface TranslationTrainResult {
  epochs: TranslationEpochInfo[];
  steps: number;
  tokens: number;
  seconds: number;
  bestValidLoss: number | null;
  stoppedBy: 'epochs' | 'time' | 'steps';
}

/** Loss (sum over scored tokens) of one batch, and the number of scored tokens. */
export function batchLoss(model: Seq2Seq, b: TranslationBatch, teacherForcingRatio = 1, rng: Rng | null = null): Tensor {
  const enc = model.encode(b.src, b.S, b.B, b.srcLengths);
  if (teacherForcingRatio >= 1) {
    return model.decodeLoss(enc, b.tgtIn, b.tgtOut, b.T, enc.state, IGNORE).loss;
  }
  if (!rng) throw new RnnlmError('invalid_argument', 'scheduled sampling needs an Rng');
  const { B, T } = b;
  const V = model.config.tgtVocabSize;
  let state = enc.state;
  let total: Tensor | null = null;
  let prevPred: Int32Array | null = null;
  for (let t = 0; t < T; t++) {
    const ids = b.tgtIn.slice(t * B, (t + 1) * B); // reference inputs of step t [B]
    if (prevPred) for (let i = 0; i < B; i++) if (rng.uniform() >= teacherForcingRatio) ids[i] = prevPred[i]!;
    const out = model.decode(enc, ids, 1, state);
    state = out.state;
    const targets = new Int32Array(B);
    for (let i = 0; i < B; i++) targets[i] = b.tgtOut[i * T + t]!; // column t of [B,T]
    const l = crossEntropy(out.logits, targets, { ignoreIndex: IGNORE, reduction: 'sum' });
    total = total ? add(total, l) : l;
    prevPred = argmaxRows(out.logits.data, B, V);
  }
  return total!;
}

function argmaxRows(x: ArrayLike<number>, R: number, V: number): Int32Array {
  const out = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (x[r * V + v]! > x[r * V + best]!) best = v;
    out[r] = best;
  }
  return out;
}

/** Mean cross-entropy per target token (nats) of `pairs` under teacher forcing, in eval mode. */
export function evaluateTranslationLoss(
  model: Seq2Seq,
  pairs: readonly EncodedPair[],
  batchSize: number,
  srcEos: number,
  tgtEos: number,
): { loss: number; perplexity: number; tokens: number } {
  const wasTraining = model.training;
  model.eval();
  let nats = 0;
  let tokens = 0;
  try {
    noGrad(() => {
      for (const b of makeBatches(pairs, batchSize, srcEos, tgtEos)) {
        nats += batchLoss(model, b).item();
        tokens += b.tokens;
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const loss = tokens ? nats / tokens : NaN;
  return { loss, perplexity: Math.exp(loss), tokens };
}

export async function trainTranslation(
  model: Seq2Seq,
  data: { train: readonly EncodedPair[]; valid?: readonly EncodedPair[] | null; srcEos: number; tgtEos: number },
  cfg: TranslationTrainConfig,
  hooks: TranslationTrainHooks = {},
): Promise<TranslationTrainResult> {
  if (data.train.length === 0) throw new RnnlmError('empty_corpus', 'no training pairs (are the files empty, or every pair longer than --max-len?)');
  if (!(cfg.teacherForcingRatio >= 0 && cfg.teacherForcingRatio <= 1))
    throw new RnnlmError('invalid_argument', `teacher forcing ratio must be in [0, 1], got ${cfg.teacherForcingRatio}`);
  const opt = createOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, ...cfg.optimizerOptions });
  const plateau = plateauSchedule(opt, cfg);
  const rng = new Rng(cfg.seed);
  const clock = new RunClock();
  const epochs: TranslationEpochInfo[] = [];
  let step = 0;
  let tokens = 0;
  let best: number | null = null;
  let stoppedBy: TranslationTrainResult['stoppedBy'] = 'epochs';

  for (let epoch = 1; epoch <= cfg.epochs && stoppedBy === 'epochs'; epoch++) {
    model.train();
    const te = clock.now();
    const batches = makeBatches(data.train, cfg.batchSize, data.srcEos, data.tgtEos, rng);
    let nats = 0;
    let count = 0;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const sum = batchLoss(model, b, cfg.teacherForcingRatio, rng);
      const lv = sum.item();
      checkFiniteLoss(lv, epoch, step);
      const gradNorm = backwardAndClip(model, scale(sum, 1 / b.tokens), model.parameters(), cfg.clip); // mean over the batch's real target tokens
      opt.step();
      step++;
      tokens += b.tokens;
      nats += lv;
      count += b.tokens;
      hooks.onStep?.(clock.stepInfo({ epoch, batch: i + 1, batches: batches.length, step, loss: nats / count, lr: opt.lr, gradNorm }, tokens));
      stoppedBy = clock.spent(cfg, step) ?? 'epochs';
      if (stoppedBy !== 'epochs') break;
      await clock.yieldSometimes();
    }
    const valid = data.valid && data.valid.length > 0 ? evaluateTranslationLoss(model, data.valid, cfg.evalBatchSize, data.srcEos, data.tgtEos).loss : null;
    const improved = valid !== null && (best === null || valid < best);
    if (improved) best = valid;
    if (plateau && valid !== null) plateau.step(valid);
    const info: TranslationEpochInfo = {
      epoch,
      trainLoss: count ? nats / count : NaN,
      validLoss: valid,
      lr: opt.lr,
      seconds: (clock.now() - te) / 1000,
      improved,
      partial: stoppedBy !== 'epochs',
    };
    epochs.push(info);
    await hooks.onEpoch?.(info);
  }
  return { epochs, steps: step, tokens, seconds: clock.elapsed(), bestValidLoss: best, stoppedBy };
}
