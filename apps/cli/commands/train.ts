/** `rnnlm train`: build a tokenizer and model from text files, train with TBPTT, save the best checkpoint. */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type EpochInfo,
  type OptimizerName,
  RNNLM,
  type RecurrentMode,
  type TextDataset,
  type TrainConfig,
  describeBackend,
  evaluate,
  loadLanguageModel,
  loadTextDataset,
  saveLanguageModel,
  trainLanguageModel,
  useBackend,
} from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';
import { createProgress } from '../progress.js';

export interface TrainCliOptions {
  train: string;
  valid?: string;
  test?: string;
  tokenizer: 'char' | 'word';
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
  optimizer: OptimizerName;
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
}

export interface TrainOutcome {
  dataset: TextDataset;
  model: RNNLM;
  epochs: EpochInfo[];
  bestValidLoss: number | null;
  testLoss: number | null;
  seconds: number;
}

const CELLS: RecurrentMode[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu', 'rnn_sigmoid'];
const OPTIMIZERS: OptimizerName[] = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'];

export function addTrainOptions(cmd: Command): Command {
  return cmd
    .option('--valid <file>', 'validation text (default: hold out --valid-fraction of train)')
    .option('--test <file>', 'test text, evaluated with the best checkpoint at the end')
    .option('--tokenizer <kind>', 'char | word', oneOf(['char', 'word'] as const), 'word')
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
    .option('--no-progress', 'no progress bar');
}

export async function runTrain(o: TrainCliOptions, log: (s: string) => void): Promise<TrainOutcome> {
  useBackend(o.backend);
  log(`backend: ${describeBackend()}`);
  const dataset = loadTextDataset(
    { train: o.train, ...(o.valid ? { valid: o.valid } : {}), ...(o.test ? { test: o.test } : {}) },
    { tokenizer: o.tokenizer, minCount: o.minCount, validFraction: o.valid ? 0 : o.validFraction, ...(o.maxVocab ? { maxSize: o.maxVocab } : {}) },
  );
  const { tokenizer } = dataset;
  log(
    `data: ${dataset.train.length} train / ${dataset.valid?.length ?? 0} valid / ${dataset.test?.length ?? 0} test tokens, ` +
      `vocabulary ${tokenizer.vocabSize} (${tokenizer.kind})`,
  );
  const model = new RNNLM({
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
  log(`model: ${o.layers}×${o.hidden} ${o.cell}, embedding ${o.emb}${o.tied ? ', tied' : ''}, ${model.numParameters().toLocaleString('en-US')} parameters`);
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
    ...(o.maxMinutes !== undefined ? { maxSeconds: o.maxMinutes * 60 } : {}),
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
  };
  fs.mkdirSync(o.out, { recursive: true });
  const logPath = path.join(o.out, 'train-log.jsonl');
  fs.writeFileSync(logPath, '');
  const progress = createProgress({ enabled: o.progress });
  let saved = false;
  const result = await trainLanguageModel(model, dataset, cfg, {
    onStep: (s) => {
      progress.step(s);
      if (s.step % 50 === 0) fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'step', ...s })}\n`);
    },
    onEpoch: (e) => {
      progress.stop();
      fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'epoch', epoch: e.epoch, trainLoss: e.trainLoss, valid: e.valid, lr: e.lr, seconds: e.seconds })}\n`);
      const v = e.valid ? `valid loss ${e.valid.loss.toFixed(4)} ppl ${e.valid.perplexity.toFixed(2)} bpc ${e.valid.bitsPerToken.toFixed(3)} acc ${(100 * e.valid.accuracy).toFixed(1)}%` : 'no validation';
      log(`epoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)} | ${v} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`);
      // Keep the best model by validation loss (every epoch when there is no validation split).
      if (e.improved || !e.valid) {
        saveLanguageModel(o.out, model, tokenizer);
        saved = true;
        log(`saved ${o.out}`);
      }
    },
  });
  progress.stop();
  if (!saved) saveLanguageModel(o.out, model, tokenizer);
  let testLoss: number | null = null;
  if (dataset.test) {
    const best = loadLanguageModel(o.out).model;
    const t = evaluate(best, dataset.test, { batchSize: o.evalBatchSize, bptt: o.bptt });
    testLoss = t.loss;
    log(`test: loss ${t.loss.toFixed(4)} ppl ${t.perplexity.toFixed(2)} bpc ${t.bitsPerToken.toFixed(3)} acc ${(100 * t.accuracy).toFixed(1)}%`);
  }
  log(`done in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}, ${Math.round(result.tokens / result.seconds)} tok/s)`);
  return { dataset, model, epochs: result.epochs, bestValidLoss: result.bestValidLoss, testLoss, seconds: result.seconds };
}

export function trainCommand(): Command {
  return addTrainOptions(new Command('train').description('train a language model on a text file').requiredOption('--train <file>', 'training text (UTF-8)')).action(
    async (o: TrainCliOptions) => {
      await runTrain(o, (s) => console.log(s));
    },
  );
}
