/** `rnnlm train`: build a tokenizer and model from text files, train with TBPTT, save the best checkpoint. */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type EpochInfo,
  RNNLM,
  RnnlmError,
  type RecurrentMode,
  type TextDataset,
  type TrainConfig,
  type TrainOptimizerName,
  describeBackend,
  isCheckpointDir,
  evaluate,
  loadResumableCheckpoint,
  loadPretrainedEmbeddings,
  loadTextDataset,
  saveLanguageModel,
  trainLanguageModel,
  useBackend,
} from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';
import { createProgress } from '../progress.js';
import {
  describePresets,
  epochRecord,
  explicitOptions,
  findResumeCheckpoint,
  modelExtras,
  openTrainLog,
  optionsToSave,
  resolveTrainOptions,
  resumedModel,
  sizeList,
  stopOnSignals,
  trainExtras,
  writeResumeCheckpoint,
} from '../train-session.js';

export interface TrainCliOptions {
  train: string;
  valid?: string;
  test?: string;
  tokenizer: 'char' | 'word' | 'bpe';
  bpeMerges?: number;
  pretrainedEmbeddings?: string;
  freezeEmbeddings?: boolean;
  minCount: number;
  maxVocab?: number;
  validFraction: number;
  cell: RecurrentMode;
  layers: number;
  emb: number;
  hidden: number;
  dropout: number;
  tied: boolean;
  initRange?: number;
  optimizer: TrainOptimizerName;
  lr: number;
  momentum: number;
  weightDecay: number;
  clip: number;
  batchSize: number;
  evalBatchSize: number;
  bptt: number;
  epochs: number;
  maxMinutes?: number;
  maxSteps?: number;
  plateauFactor: number;
  seed: number;
  out: string;
  backend: 'auto' | 'js' | 'native';
  progress: boolean;
  // AWD-LSTM, schedules, checkpoints, presets (see ../train-session.ts)
  hiddenSizes?: number[];
  dropoutInput?: number;
  dropoutHidden?: number;
  dropoutOutput?: number;
  dropoutEmbedding?: number;
  weightDrop?: number;
  ar?: number;
  tar?: number;
  nonmono?: number;
  variableBptt?: boolean;
  lrDecayAfter?: number;
  lrDecayFactor?: number;
  checkpointEvery?: number;
  resume?: string;
  preset?: string;
  listPresets?: boolean;
}

export interface TrainOutcome {
  dataset: TextDataset;
  model: RNNLM;
  epochs: EpochInfo[];
  bestValidLoss: number | null;
  testLoss: number | null;
  seconds: number;
  stoppedBy: 'epochs' | 'time' | 'steps' | 'interrupted';
}

const CELLS: RecurrentMode[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu', 'rnn_sigmoid'];
const OPTIMIZERS: TrainOptimizerName[] = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop', 'ntasgd'];

export function addTrainOptions(cmd: Command): Command {
  return cmd
    .option('--valid <file>', 'validation text (default: hold out --valid-fraction of train)')
    .option('--test <file>', 'test text, evaluated with the best checkpoint at the end')
    .option('--tokenizer <kind>', 'char | word | bpe', oneOf(['char', 'word', 'bpe'] as const), 'word')
    .option('--bpe-merges <n>', 'bpe tokenizer: merge operations to learn', int(0), 1000)
    .option('--pretrained-embeddings <file>', 'initialise embeddings from GloVe / word2vec text vectors (their dimension must equal --emb)')
    .option('--freeze-embeddings', 'keep the pretrained embeddings fixed (with --tied the decoder is frozen too)', false)
    .option('--min-count <n>', 'word tokenizer: drop words seen fewer times', int(1), 1)
    .option('--max-vocab <n>', 'word tokenizer: keep at most n types', int(2))
    .option('--valid-fraction <f>', 'fraction of train held out when no --valid', num(0, 0.9), 0.1)
    .option('--cell <cell>', CELLS.join(' | '), oneOf(CELLS), 'lstm')
    .option('--layers <n>', 'recurrent layers', int(1), 2)
    .option('--emb <n>', 'embedding size', int(1), 200)
    .option('--hidden <n>', 'hidden size', int(1), 200)
    .option('--dropout <p>', 'dropout', num(0, 0.99), 0)
    .option('--tied', 'tie encoder and decoder weights (needs --emb = --hidden)', false)
    .option('--init-range <r>', "init embeddings/decoder U(±r), decoder bias 0 (PyTorch example: 0.1); default PyTorch's layer init", num(0))
    .option('--optimizer <name>', OPTIMIZERS.join(' | '), oneOf(OPTIMIZERS), 'adam')
    .option('--lr <lr>', 'learning rate', num(0), 0.002)
    .option('--momentum <m>', 'SGD/RMSprop momentum', num(0, 1), 0)
    .option('--weight-decay <wd>', 'weight decay', num(0), 0)
    .option('--clip <norm>', 'clip the global gradient norm (0 = off)', num(0), 0.25)
    .option('--batch-size <n>', 'training streams', int(1), 20)
    .option('--eval-batch-size <n>', 'evaluation streams', int(1), 10)
    .option('--bptt <n>', 'truncated BPTT window', int(1), 35)
    .option('--epochs <n>', 'epochs', int(1), 1)
    .option('--max-minutes <m>', 'stop after this much wall time (then validate and save)', num(0))
    .option('--max-steps <n>', 'stop after this many updates', int(1))
    .option('--plateau-factor <f>', 'multiply lr by f when validation stops improving (1 = never)', num(0, 1), 0.25)
    .option('--seed <n>', 'random seed', int(0), 1)
    .option('--out <dir>', 'checkpoint directory', 'runs/model')
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto')
    .option('--hidden-sizes <list>', 'per-layer hidden sizes, e.g. 1150,1150,400 (sets --layers and --hidden to match)', sizeList)
    .option('--dropout-input <p>', 'locked dropout on the embedding output (AWD dropouti)', num(0, 0.99))
    .option('--dropout-hidden <p>', 'locked dropout between recurrent layers (AWD dropouth)', num(0, 0.99))
    .option('--dropout-output <p>', 'locked dropout on the last layer output (AWD dropout)', num(0, 0.99))
    .option('--dropout-embedding <p>', 'drop whole word types from the embedding (AWD dropoute)', num(0, 0.99))
    .option('--weight-drop <p>', 'DropConnect on the recurrent weights weight_hh (AWD wdrop)', num(0, 0.99))
    .option('--ar <alpha>', 'activation regularisation α·mean(h²) (AWD: 2)', num(0))
    .option('--tar <beta>', 'temporal activation regularisation β·mean((h_t−h_{t−1})²) (AWD: 1)', num(0))
    .option('--nonmono <n>', 'ntasgd: validation checks without improvement before averaging (default 5)', int(0))
    .option('--variable-bptt', 'AWD-LSTM variable-length BPTT windows around --bptt')
    .option('--lr-decay-after <epoch>', 'multiply lr by --lr-decay-factor every epoch after this one (Zaremba: 4)', int(0))
    .option('--lr-decay-factor <f>', 'per-epoch lr factor for --lr-decay-after (Zaremba: 0.5)', num(0, 1))
    .option('--checkpoint-every <steps>', 'also write a resumable checkpoint to OUT/resume every n updates and at each epoch end (Ctrl-C always writes one)', int(0))
    .option('--resume <dir>', 'continue the run saved in DIR (its --out, or DIR/resume) with its saved options')
    .option('--preset <name>', 'a published recipe (see --list-presets); explicit options override it')
    .option('--list-presets', 'list the presets and exit')
    .option('--no-progress', 'no progress bar');
}

export async function runTrain(o: TrainCliOptions, log: (s: string) => void): Promise<TrainOutcome> {
  if (o.freezeEmbeddings && !o.pretrainedEmbeddings) throw new RnnlmError('invalid_argument', '--freeze-embeddings needs --pretrained-embeddings FILE');
  useBackend(o.backend);
  log(`backend: ${describeBackend()}`);
  const resumeFrom = o.resume ? findResumeCheckpoint(o.resume) : null;
  const resumed = resumeFrom ? loadResumableCheckpoint(resumeFrom) : null;
  if (o.hiddenSizes) {
    o = { ...o, layers: o.hiddenSizes.length, hidden: o.hiddenSizes[o.hiddenSizes.length - 1]! };
  }
  const dataset = loadTextDataset(
    { train: o.train, ...(o.valid ? { valid: o.valid } : {}), ...(o.test ? { test: o.test } : {}) },
    {
      tokenizer: o.tokenizer,
      minCount: o.minCount,
      validFraction: o.valid ? 0 : o.validFraction,
      ...(o.maxVocab ? { maxSize: o.maxVocab } : {}),
      ...(o.bpeMerges !== undefined ? { bpeMerges: o.bpeMerges } : {}),
    },
  );
  const { tokenizer } = dataset;
  log(
    `data: ${dataset.train.length} train / ${dataset.valid?.length ?? 0} valid / ${dataset.test?.length ?? 0} test tokens, ` +
      `vocabulary ${tokenizer.vocabSize} (${tokenizer.kind})`,
  );
  const model = resumed ? resumedModel(resumed, tokenizer, o, resumeFrom!) : new RNNLM({
    ...modelExtras(o),
    vocabSize: tokenizer.vocabSize,
    embedSize: o.emb,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    dropout: o.dropout,
    tieWeights: o.tied,
    seed: o.seed,
    ...(o.initRange !== undefined ? { init: o.initRange } : {}),
  });
  if (o.pretrainedEmbeddings && !resumed) {
    const r = loadPretrainedEmbeddings(model, tokenizer, o.pretrainedEmbeddings, { freeze: o.freezeEmbeddings ?? false });
    log(`embeddings: ${r.found} of ${tokenizer.vocabSize} tokens from ${o.pretrainedEmbeddings} (${r.missing} keep their init)${r.frozen ? ', frozen' : ''}`);
    for (const w of r.warnings) log(`warning: ${w}`);
  }
  log(`model: ${o.hiddenSizes ? o.hiddenSizes.join('/') : `${o.layers}×${o.hidden}`} ${o.cell}, embedding ${o.emb}${o.tied ? ', tied' : ''}, ${model.numParameters().toLocaleString('en-US')} parameters`);
  const cfg: TrainConfig = {
    batchSize: o.batchSize,
    bptt: o.bptt,
    epochs: o.epochs,
    optimizer: o.optimizer,
    lr: o.lr,
    optimizerOptions: {
      ...(o.weightDecay ? { weightDecay: o.weightDecay } : {}),
      ...(o.momentum && (o.optimizer === 'sgd' || o.optimizer === 'rmsprop') ? { momentum: o.momentum } : {}),
    },
    clip: o.clip,
    plateauFactor: o.plateauFactor,
    plateauPatience: 0,
    evalBatchSize: o.evalBatchSize,
    ...trainExtras(o),
    ...(o.maxMinutes !== undefined ? { maxSeconds: o.maxMinutes * 60 } : {}),
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
  };
  fs.mkdirSync(o.out, { recursive: true });
  const logPath = path.join(o.out, 'train-log.jsonl');
  openTrainLog(logPath, resumeFrom, resumed?.trainingState ?? null);
  if (resumed) log(`resuming from ${resumeFrom} at step ${String(resumed.trainingState?.json.step)}`);
  const progress = createProgress({ enabled: o.progress });
  const stop = stopOnSignals((s) => {
    progress.stop();
    log(s);
  });
  const t0 = Date.now();
  let saved = false;
  const result = await trainLanguageModel(model, dataset, cfg, {
    onStep: (s) => {
      progress.step(s);
      if (s.step % 50 === 0) fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'step', ...s })}\n`);
    },
    onEpoch: (e) => {
      progress.stop();
      fs.appendFileSync(logPath, `${JSON.stringify(epochRecord(e, (Date.now() - t0) / 1000))}\n`);
      const v = e.valid ? `valid loss ${e.valid.loss.toFixed(4)} ppl ${e.valid.perplexity.toFixed(2)} bpc ${e.valid.bitsPerToken.toFixed(3)} acc ${(100 * e.valid.accuracy).toFixed(1)}%` : 'no validation';
      log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)} | ${v} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`);
      // Keep the best model by validation loss (every epoch when there is no validation split).
      if (e.improved || !e.valid) {
        saveLanguageModel(o.out, model, tokenizer);
        saved = true;
        log(`saved ${o.out}`);
      }
    },
    onCheckpoint: (state, info) => {
      // Resumable checkpoints (latest weights, not the best) when asked for, and always on Ctrl-C.
      if (!o.checkpointEvery && !stop.signal.aborted) return;
      const dir = writeResumeCheckpoint(o.out, model, tokenizer, state, optionsToSave(o));
      fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'checkpoint', reason: info.reason, step: info.step, epoch: info.epoch, dir })}\n`);
    },
  }, { resume: resumed?.trainingState ?? null, signal: stop.signal }).finally(() => stop.dispose());
  progress.stop();
  // A resumed run keeps the best model of the earlier sessions unless it found a better one.
  if (!saved && !(resumed && isCheckpointDir(o.out))) saveLanguageModel(o.out, model, tokenizer);
  if (result.stoppedBy === 'interrupted') {
    log(`interrupted at step ${result.steps}: continue with  rnnlm train --resume ${o.out}`);
    return { dataset, model, epochs: result.epochs, bestValidLoss: result.bestValidLoss, testLoss: null, seconds: result.seconds, stoppedBy: result.stoppedBy };
  }
  let testLoss: number | null = null;
  if (dataset.test) {
    const best = loadResumableCheckpoint(o.out).model;
    const t = evaluate(best, dataset.test, { batchSize: o.evalBatchSize, bptt: o.bptt, batchSizeName: '--eval-batch-size' });
    testLoss = t.loss;
    fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'test', step: result.steps, test: t, testPpl: t.perplexity })}\n`);
    log(`test: loss ${t.loss.toFixed(4)} ppl ${t.perplexity.toFixed(2)} bpc ${t.bitsPerToken.toFixed(3)} acc ${(100 * t.accuracy).toFixed(1)}%`);
  }
  const newTokens = result.tokens - Number(resumed?.trainingState?.json.tokens ?? 0); // this session's share of a resumed run
  log(`done in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}, ${Math.round(newTokens / result.seconds)} tok/s)`);
  return { dataset, model, epochs: result.epochs, bestValidLoss: result.bestValidLoss, testLoss, seconds: result.seconds, stoppedBy: result.stoppedBy };
}

export function trainCommand(): Command {
  return addTrainOptions(new Command('train').description('train a language model on a text file').option('--train <file>', 'training text (UTF-8); required unless --preset or --resume supplies it')).action(
    async (raw: TrainCliOptions, cmd: Command) => {
      if (raw.listPresets) {
        console.log(describePresets());
        return;
      }
      const { opts } = resolveTrainOptions(raw, explicitOptions(cmd));
      if (!opts.train) throw new RnnlmError('invalid_argument', 'give the training text with --train FILE (or use --preset NAME, or --resume DIR)');
      const outcome = await runTrain(opts, (s) => console.log(s));
      if (outcome.stoppedBy === 'interrupted') process.exitCode = 130;
    },
  );
}
