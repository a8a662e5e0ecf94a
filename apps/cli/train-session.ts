/**
 * One `rnnlm train` session, given a resolved run (train-spec.ts): load the data, build or resume
 * the model, train with a progress bar and a JSONL log, keep the best model in OUT, write
 * resumable checkpoints to OUT/resume (library: writeResumeCheckpoint), stop cleanly on Ctrl-C /
 * SIGTERM after the current step, and test the best model at the end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type EpochInfo,
  type StepInfo,
  RNNLM,
  type ResumableCheckpoint,
  RnnlmError,
  type TextDataset,
  type Tokenizer,
  type TrainingState,
  describeBackend,
  describePrecision,
  evaluate,
  isCheckpointDir,
  loadPretrainedEmbeddings,
  loadResumableCheckpoint,
  loadTextDataset,
  recoverRunDir,
  saveLanguageModel,
  trainLanguageModel,
  useBackend,
  writeResumeCheckpoint,
} from '../../src/node.js';
import { createProgress } from './progress.js';
import { type TrainRun, absolutePaths } from './train-spec.js';

export interface TrainOutcome {
  dataset: TextDataset;
  model: RNNLM;
  epochs: EpochInfo[];
  bestValidLoss: number | null;
  testLoss: number | null;
  seconds: number;
  stoppedBy: 'epochs' | 'time' | 'steps' | 'interrupted';
}

/** Called after every update with the model and tokenizer (the demo's live samples). */
export type AfterStep = (s: StepInfo, model: RNNLM, tokenizer: Tokenizer) => void;

export async function runTrain({ spec, run, resumed }: TrainRun, log: (s: string) => void, afterStep?: AfterStep): Promise<TrainOutcome> {
  useBackend(run.backend);
  log(`backend: ${describeBackend()}`);
  const { data: d, model: m, train: cfg } = spec;
  const dataset = loadTextDataset(
    { train: d.train, ...(d.valid ? { valid: d.valid } : {}), ...(d.test ? { test: d.test } : {}) },
    {
      tokenizer: d.tokenizer,
      minCount: d.minCount,
      validFraction: d.valid ? 0 : d.validFraction,
      ...(d.maxVocab ? { maxSize: d.maxVocab } : {}),
      ...(d.bpeMerges !== undefined ? { bpeMerges: d.bpeMerges } : {}),
    },
  );
  const { tokenizer } = dataset;
  log(
    `data: ${dataset.train.length} train / ${dataset.valid?.length ?? 0} valid / ${dataset.test?.length ?? 0} test tokens, ` +
      `vocabulary ${tokenizer.vocabSize} (${tokenizer.kind})`,
  );
  const model = resumed ? resumedModel(resumed.checkpoint, tokenizer, spec, resumed.from) : new RNNLM({ ...m, vocabSize: tokenizer.vocabSize });
  if (d.pretrainedEmbeddings && !resumed) {
    const r = loadPretrainedEmbeddings(model, tokenizer, d.pretrainedEmbeddings, { freeze: d.freezeEmbeddings ?? false });
    log(`embeddings: ${r.found} of ${tokenizer.vocabSize} tokens from ${d.pretrainedEmbeddings} (${r.missing} keep their init)${r.frozen ? ', frozen' : ''}`);
    for (const w of r.warnings) log(`warning: ${w}`);
  }
  log(
    `model: ${m.hiddenSizes ? m.hiddenSizes.join('/') : `${m.numLayers}×${m.hiddenSize}`} ${m.cell}, embedding ${m.embedSize}${m.tieWeights ? ', tied' : ''}, ${model.numParameters().toLocaleString('en-US')} parameters`,
  );
  log(`precision: ${describePrecision(model.config.precision)}`);
  const out = run.out;
  recoverRunDir(out); // saves a killed run left half-done, staging folders of killed runs
  fs.mkdirSync(out, { recursive: true });
  const logPath = path.join(out, 'train-log.jsonl');
  const resumeState = resumed?.checkpoint.trainingState ?? null;
  openTrainLog(logPath, resumed?.from ?? null, resumeState);
  if (resumed) log(`resuming from ${resumed.from} at step ${String(resumeState?.json.step)}`);
  // The spec a resumable checkpoint stores: paths absolute, this invocation's limits left out.
  const { maxSeconds: _s, maxSteps: _n, ...kept } = cfg;
  const savedSpec = { ...absolutePaths(spec), train: kept };
  const progress = createProgress({ enabled: run.progress });
  const stop = stopOnSignals((s) => {
    progress.stop();
    log(s);
  });
  const t0 = Date.now();
  let saved = false;
  const result = await trainLanguageModel(
    model,
    dataset,
    cfg,
    {
      onStep: (s) => {
        progress.step(s);
        if (s.step % 50 === 0) fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'step', ...s })}\n`);
        afterStep?.(s, model, tokenizer);
      },
      onEpoch: (e) => {
        progress.stop();
        fs.appendFileSync(logPath, `${JSON.stringify({ ...epochRecord(e, (Date.now() - t0) / 1000), precision: model.config.precision })}\n`);
        const v = e.valid
          ? `valid loss ${e.valid.loss.toFixed(4)} ppl ${e.valid.perplexity.toFixed(2)} bpc ${e.valid.bitsPerToken.toFixed(3)} acc ${(100 * e.valid.accuracy).toFixed(1)}%`
          : 'no validation';
        log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)} | ${v} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`);
        // Keep the best model by validation loss (every epoch when there is no validation split).
        if (e.improved || !e.valid) {
          saveLanguageModel(out, model, tokenizer);
          saved = true;
          log(`saved ${out}`);
        }
      },
      onCheckpoint: (state, info) => {
        // Resumable checkpoints (latest weights, not the best) when asked for, and always on Ctrl-C.
        if (!cfg.checkpointEvery && !stop.signal.aborted) return;
        const dir = writeResumeCheckpoint(out, model, tokenizer, state, savedSpec);
        fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'checkpoint', reason: info.reason, step: info.step, epoch: info.epoch, dir })}\n`);
      },
    },
    { resume: resumeState, signal: stop.signal },
  ).finally(() => stop.dispose());
  progress.stop();
  // A resumed run keeps the best model of the earlier sessions unless it found a better one.
  if (!saved && !(resumed && isCheckpointDir(out))) saveLanguageModel(out, model, tokenizer);
  const outcome = {
    dataset,
    model,
    epochs: result.epochs,
    bestValidLoss: result.bestValidLoss,
    testLoss: null,
    seconds: result.seconds,
    stoppedBy: result.stoppedBy,
  };
  if (result.stoppedBy === 'interrupted') {
    log(`interrupted at step ${result.steps}: continue with  rnnlm train --resume ${out}`);
    return outcome;
  }
  let testLoss: number | null = null;
  if (dataset.test) {
    const best = loadResumableCheckpoint(out).model;
    const t = evaluate(best, dataset.test, { batchSize: cfg.evalBatchSize, bptt: cfg.bptt, batchSizeName: '--eval-batch-size' });
    testLoss = t.loss;
    fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'test', step: result.steps, test: t, testPpl: t.perplexity })}\n`);
    log(`test: loss ${t.loss.toFixed(4)} ppl ${t.perplexity.toFixed(2)} bpc ${t.bitsPerToken.toFixed(3)} acc ${(100 * t.accuracy).toFixed(1)}%`);
  }
  const newTokens = result.tokens - Number(resumeState?.json.tokens ?? 0); // this session's share of a resumed run
  log(`done in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}, ${Math.round(newTokens / result.seconds)} tok/s)`);
  return { ...outcome, testLoss };
}

/**
 * The model of a resumed run: the checkpoint's, after checking that the data gave the same
 * tokenizer (same files and tokenizer options), with frozen embeddings frozen again.
 */
function resumedModel(r: ResumableCheckpoint, tokenizer: Tokenizer, spec: TrainRun['spec'], from: string): RNNLM {
  if (JSON.stringify(r.tokenizer.toJSON()) !== JSON.stringify(tokenizer.toJSON())) {
    throw new RnnlmError(
      'checkpoint_mismatch',
      `the tokenizer built from ${spec.data.train} differs from the one saved in ${from}: the training files changed since the run started; resume on the same data`,
    );
  }
  if (spec.data.freezeEmbeddings) {
    r.model.encoder.weight.requiresGrad = false;
    r.model.encoder.weight.grad = null;
  }
  return r.model;
}

/** Ctrl-C (or SIGTERM) asks training to stop after the current step; a second Ctrl-C quits at once. */
export function stopOnSignals(log: (s: string) => void): { signal: { aborted: boolean }; dispose(): void } {
  const signal = { aborted: false };
  const handler = (sig: NodeJS.Signals): void => {
    if (signal.aborted) {
      log(`${sig} again: quitting without saving`);
      process.exit(130);
    }
    signal.aborted = true;
    log(`${sig}: stopping after this step to save a resumable checkpoint (press Ctrl-C again to quit at once)`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** One `kind: 'epoch'` line of train-log.jsonl. */
export function epochRecord(e: EpochInfo, elapsedSeconds: number): Record<string, unknown> {
  return {
    kind: 'epoch',
    epoch: e.epoch,
    step: e.step,
    trainLoss: e.trainLoss,
    trainPpl: Math.exp(e.trainLoss),
    valid: e.valid,
    validPpl: e.valid ? e.valid.perplexity : null,
    lr: e.lr,
    seconds: e.seconds,
    elapsedSeconds,
    partial: e.partial,
    averaged: e.averaged,
    ...(e.asgdTriggered ? { asgdTriggered: true } : {}),
  };
}

/** Starts train-log.jsonl: truncated for a new run, appended to (with a 'resume' record) for a resumed one. */
export function openTrainLog(file: string, resumedFrom: string | null, state: TrainingState | null): void {
  if (!resumedFrom) {
    fs.writeFileSync(file, '');
    return;
  }
  const j = state?.json ?? {};
  const position = j.position;
  const epoch = typeof position === 'object' && position !== null && 'epoch' in position ? position.epoch : null;
  fs.appendFileSync(file, `${JSON.stringify({ kind: 'resume', from: resumedFrom, step: j.step ?? null, epoch })}\n`);
}
