/**
 * `rnnlm classify train|eval|predict`: sentence classification with a (bi)directional RNN
 * encoder, pooled over time (last state, mean, max, attention), optionally initialised from a
 * language-model checkpoint (--init-from) or pretrained word vectors. Data: a TSV
 * (text<TAB>label, header optional) or one text per line with a --*-labels file. Self-contained
 * (options, run, printing) so it can move onto a shared run-spec front end as a unit.
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type ClassifierEpochInfo,
  type EncodedExample,
  type Example,
  type HeaderMode,
  LabelSet,
  type OptimizerName,
  POOLINGS,
  RECURRENT_MODES,
  type Pooling,
  RNNClassifier,
  type RecurrentMode,
  RnnlmError,
  type Tensor,
  type Tokenizer,
  buildTokenizer,
  describeBackend,
  encodeExamples,
  evaluateClassifier,
  formatReport,
  initFromLanguageModel,
  loadClassifier,
  loadLanguageModel,
  loadPretrainedEmbeddings,
  parseTextAndLabels,
  predictClasses,
  readExamples,
  saveClassifier,
  trainClassifier,
  useBackend,
} from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';
import { createProgress } from '../progress.js';
import { BACKEND_CHOICES, type BackendChoice } from '../train-spec.js';

type Backend = BackendChoice;
const BACKENDS = BACKEND_CHOICES;
const OPTIMIZERS: OptimizerName[] = ['adam', 'adamw', 'sgd', 'adagrad', 'rmsprop'];
const HEADERS: HeaderMode[] = ['auto', 'yes', 'no'];
const FREEZE = ['none', 'embedding', 'encoder'] as const;
type Freeze = (typeof FREEZE)[number];

export interface ClassifyTrainCli {
  train: string;
  trainLabels?: string;
  valid?: string;
  validLabels?: string;
  test?: string;
  testLabels?: string;
  header: HeaderMode;
  tokenizer: 'word' | 'char' | 'bpe';
  lowercase: boolean;
  minCount: number;
  maxVocab?: number;
  bpeMerges: number;
  initFrom?: string;
  pretrainedEmbeddings?: string;
  freeze: Freeze;
  unfreezeAfter?: number;
  cell: RecurrentMode;
  layers: number;
  emb: number;
  hidden: number;
  bidirectional: boolean;
  pooling: Pooling;
  attentionSize?: number;
  dropout: number;
  dropoutInput: number;
  optimizer: OptimizerName;
  lr: number;
  weightDecay: number;
  clip: number;
  batchSize: number;
  evalBatchSize: number;
  epochs: number;
  maxMinutes?: number;
  maxSteps?: number;
  plateauFactor: number;
  plateauPatience: number;
  seed: number;
  out: string;
  backend: Backend;
  progress: boolean;
}

export interface ClassifyTrainOutcome {
  model: RNNClassifier;
  labels: LabelSet;
  bestEpoch: number | null;
  validAccuracy: number | null;
  testAccuracy: number | null;
  seconds: number;
}

/** Labelled examples of a split: a TSV, or text + labels files. */
function readSplit(file: string, labels: string | undefined, header: HeaderMode): Example[] {
  return readExamples(file, { labels: labels ?? null, header });
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

export async function runClassifyTrain(o: ClassifyTrainCli, explicit: ReadonlySet<string>, log: (s: string) => void): Promise<ClassifyTrainOutcome> {
  useBackend(o.backend);
  log(`backend: ${describeBackend()}`);
  if (o.freeze !== 'none' && !o.initFrom && !(o.freeze === 'embedding' && o.pretrainedEmbeddings)) {
    throw new RnnlmError(
      'invalid_argument',
      `--freeze ${o.freeze} needs pretrained weights: --init-from LM_DIR${o.freeze === 'embedding' ? ' or --pretrained-embeddings FILE' : ''}`,
    );
  }
  if (o.unfreezeAfter !== undefined && o.freeze === 'none') throw new RnnlmError('invalid_argument', '--unfreeze-after needs --freeze embedding|encoder');
  const train = readSplit(o.train, o.trainLabels, o.header);
  const valid = o.valid ? readSplit(o.valid, o.validLabels, o.header) : null;
  const test = o.test ? readSplit(o.test, o.testLabels, o.header) : null;
  const labels = LabelSet.fromExamples(train);

  // The LM fixes the tokenizer and, unless given, the encoder's shape.
  const lm = o.initFrom ? loadLanguageModel(o.initFrom) : null;
  if (lm) {
    const m = lm.model.config;
    if (!explicit.has('cell')) o = { ...o, cell: m.cell };
    if (!explicit.has('emb')) o = { ...o, emb: m.embedSize };
    if (!explicit.has('hidden')) o = { ...o, hidden: m.hiddenSize };
    if (!explicit.has('layers')) o = { ...o, layers: m.numLayers };
    for (const k of ['tokenizer', 'minCount', 'maxVocab', 'bpeMerges', 'lowercase']) {
      if (explicit.has(k)) log(`note: --init-from uses the language model's tokenizer; ignoring the tokenizer option you gave`);
    }
  }
  const tokenizer: Tokenizer = lm
    ? lm.tokenizer
    : buildTokenizer(train.map((e) => e.text).join('\n'), {
        tokenizer: o.tokenizer,
        minCount: o.minCount,
        ...(o.lowercase ? { lowercase: true } : {}),
        ...(o.maxVocab ? { maxSize: o.maxVocab } : {}),
        bpeMerges: o.bpeMerges,
      });
  const trainEnc = encodeExamples(train, tokenizer, labels, o.train);
  const validEnc = valid ? encodeExamples(valid, tokenizer, labels, o.valid) : null;
  const testEnc = test ? encodeExamples(test, tokenizer, labels, o.test) : null;
  log(
    `data: ${train.length} train / ${valid?.length ?? 0} valid / ${test?.length ?? 0} test examples, ` +
      `${labels.size} classes (${labels.names.join(', ')}), vocabulary ${tokenizer.vocabSize} (${tokenizer.kind}${lm ? `, from ${o.initFrom}` : ''})`,
  );
  const model = new RNNClassifier({
    vocabSize: tokenizer.vocabSize,
    numClasses: labels.size,
    embedSize: o.emb,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    bidirectional: o.bidirectional,
    pooling: o.pooling,
    ...(o.attentionSize ? { attentionSize: o.attentionSize } : {}),
    dropout: o.dropout,
    dropoutInput: o.dropoutInput,
    seed: o.seed,
  });
  const frozen: Tensor[] = [];
  if (lm) {
    const r = initFromLanguageModel(model, tokenizer, lm.model, lm.tokenizer, o.initFrom);
    log(`init: embedding (${r.embeddingsFound} tokens) and ${r.layers} recurrent layer(s) from ${o.initFrom}${o.bidirectional ? ' (forward direction)' : ''}`);
    if (o.freeze === 'embedding' || o.freeze === 'encoder') frozen.push(r.embedding);
    if (o.freeze === 'encoder') frozen.push(...r.recurrent);
  }
  if (o.pretrainedEmbeddings) {
    const r = loadPretrainedEmbeddings(model, tokenizer, o.pretrainedEmbeddings);
    log(`embeddings: ${r.found} of ${tokenizer.vocabSize} tokens from ${o.pretrainedEmbeddings} (${r.missing} keep their init)`);
    if (o.freeze !== 'none' && !frozen.includes(model.encoder.weight)) frozen.push(model.encoder.weight);
  }
  if (frozen.length) log(`frozen: ${o.freeze}${o.unfreezeAfter !== undefined ? ` for ${o.unfreezeAfter} epoch(s)` : ''}`);
  log(
    `model: ${o.layers}×${o.hidden} ${o.bidirectional ? 'bidirectional ' : ''}${o.cell}, embedding ${o.emb}, ${o.pooling} pooling, ` +
      `${model.numParameters().toLocaleString('en-US')} parameters`,
  );

  fs.mkdirSync(o.out, { recursive: true });
  const logPath = path.join(o.out, 'train-log.jsonl');
  fs.writeFileSync(logPath, '');
  const extra = { train: path.resolve(o.train), ...(o.initFrom ? { initFrom: path.resolve(o.initFrom) } : {}) };
  const progress = createProgress({ enabled: o.progress, label: 'classify' });
  let saved = false;
  const result = await trainClassifier(
    model,
    { train: trainEnc, valid: validEnc },
    {
      batchSize: o.batchSize,
      epochs: o.epochs,
      optimizer: o.optimizer,
      lr: o.lr,
      optimizerOptions: o.weightDecay ? { weightDecay: o.weightDecay } : {},
      clip: o.clip,
      plateauFactor: o.plateauFactor,
      plateauPatience: o.plateauPatience,
      evalBatchSize: o.evalBatchSize,
      seed: o.seed,
      frozen,
      unfreezeAfter: o.unfreezeAfter ?? null,
      ...(o.maxMinutes !== undefined ? { maxSeconds: o.maxMinutes * 60 } : {}),
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    },
    {
      onStep: (s) => {
        progress.step(s);
        if (s.step % 50 === 0) fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'step', ...s })}\n`);
      },
      onEpoch: (e: ClassifierEpochInfo) => {
        progress.stop();
        const v = e.valid ? { validLoss: e.validLoss, validAccuracy: e.valid.accuracy, validMacroF1: e.valid.macroF1 } : {};
        fs.appendFileSync(
          logPath,
          `${JSON.stringify({ kind: 'epoch', epoch: e.epoch, trainLoss: e.trainLoss, trainAccuracy: e.trainAccuracy, ...v, lr: e.lr, seconds: e.seconds, improved: e.improved, partial: e.partial })}\n`,
        );
        const vs = e.valid ? `valid loss ${e.validLoss!.toFixed(4)} acc ${pct(e.valid.accuracy)} macro-F1 ${pct(e.valid.macroF1)}` : 'no validation';
        log(
          `epoch ${e.epoch}${e.partial ? ' (partial)' : ''}: train loss ${e.trainLoss.toFixed(4)} acc ${pct(e.trainAccuracy)} | ${vs} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`,
        );
        if (e.improved || !e.valid) {
          saveClassifier(o.out, model, tokenizer, labels, { ...extra, epoch: e.epoch });
          saved = true;
          log(`saved ${o.out}`);
        }
      },
    },
  );
  progress.stop();
  if (!saved) saveClassifier(o.out, model, tokenizer, labels, extra);
  log(`trained in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}; best epoch ${result.bestEpoch ?? '-'})`);
  const best = loadClassifier(o.out);
  let validAccuracy: number | null = null;
  let testAccuracy: number | null = null;
  for (const [name, enc] of [
    ['valid', validEnc],
    ['test', testEnc],
  ] as const) {
    if (!enc) continue;
    const r = evaluateClassifier(best.model, enc, o.evalBatchSize);
    if (name === 'valid') validAccuracy = r.report.accuracy;
    else testAccuracy = r.report.accuracy;
    fs.appendFileSync(
      logPath,
      `${JSON.stringify({ kind: name, accuracy: r.report.accuracy, macroF1: r.report.macroF1, loss: r.loss, confusion: r.report.confusion })}\n`,
    );
    log(`${name} (best checkpoint):\n${formatReport(r.report, labels.names)}`);
  }
  return { model: best.model, labels, bestEpoch: result.bestEpoch, validAccuracy, testAccuracy, seconds: result.seconds };
}

function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train a sentence classifier (RNN encoder + pooling + linear layer)')
    .requiredOption('--train <file>', 'training data: TSV text<TAB>label (header optional), or one text per line with --train-labels')
    .option('--train-labels <file>', 'labels of --train, one per line (then --train holds only texts)')
    .option('--valid <file>', 'validation data (same format); the best epoch by validation accuracy is kept')
    .option('--valid-labels <file>', 'labels of --valid')
    .option('--test <file>', 'test data, evaluated with the best checkpoint at the end')
    .option('--test-labels <file>', 'labels of --test')
    .option('--header <mode>', 'TSV header line: auto (skip a first line whose label column is "label", "class"…) | yes | no', oneOf(HEADERS), 'auto')
    .option('--tokenizer <kind>', 'word | char | bpe (built from the training texts)', oneOf(['word', 'char', 'bpe'] as const), 'word')
    .option('--lowercase', 'word tokenizer: lowercase the text', false)
    .option('--min-count <n>', 'word tokenizer: drop words seen fewer times', int(1), 1)
    .option('--max-vocab <n>', 'word tokenizer: keep at most n types', int(2))
    .option('--bpe-merges <n>', 'bpe tokenizer: merge operations', int(0), 1000)
    .option('--init-from <dir>', 'initialise the embedding and recurrent layers from this language-model checkpoint (its tokenizer is used)')
    .option('--pretrained-embeddings <file>', 'initialise embeddings from GloVe / word2vec text vectors (their dimension must equal --emb)')
    .option(
      '--freeze <what>',
      'keep pretrained weights fixed: none | embedding | encoder (embedding + recurrent layers from --init-from)',
      oneOf(FREEZE),
      'none',
    )
    .option('--unfreeze-after <epochs>', 'train the frozen weights too after this many epochs (default: frozen for the whole run)', int(0))
    .option('--cell <cell>', RECURRENT_MODES.join(' | '), oneOf(RECURRENT_MODES), 'lstm')
    .option('--layers <n>', 'recurrent layers', int(1), 1)
    .option('--emb <n>', 'embedding size', int(1), 128)
    .option('--hidden <n>', 'hidden size (per direction)', int(1), 256)
    .option('--bidirectional', 'bidirectional encoder', false)
    .option('--pooling <kind>', POOLINGS.join(' | '), oneOf(POOLINGS), 'max')
    .option('--attention-size <n>', 'attention pooling: scorer hidden size (default: the encoder output size)', int(1))
    .option('--dropout <p>', 'dropout on the pooled vector and between recurrent layers', num(0, 0.99), 0.5)
    .option('--dropout-input <p>', 'dropout on the embeddings', num(0, 0.99), 0.3)
    .option('--optimizer <name>', OPTIMIZERS.join(' | '), oneOf(OPTIMIZERS), 'adam')
    .option('--lr <lr>', 'learning rate', num(0), 0.001)
    .option('--weight-decay <wd>', 'weight decay', num(0), 0)
    .option('--clip <norm>', 'clip the global gradient norm (0 = off)', num(0), 5)
    .option('--batch-size <n>', 'sentences per batch', int(1), 64)
    .option('--eval-batch-size <n>', 'sentences per evaluation batch', int(1), 128)
    .option('--epochs <n>', 'epochs', int(1), 5)
    .option('--max-minutes <m>', 'stop training after this much wall time (then validate, save, test)', num(0))
    .option('--max-steps <n>', 'stop after this many updates', int(1))
    .option('--plateau-factor <f>', 'multiply lr by f when validation accuracy stops improving (1 = never)', num(0, 1), 0.5)
    .option('--plateau-patience <n>', 'epochs without improvement before the lr drops', int(0), 0)
    .option('--seed <n>', 'random seed', int(0), 1)
    .option('--out <dir>', 'checkpoint directory', 'runs/classify')
    .option('--backend <name>', BACKENDS.join(' | '), oneOf(BACKENDS), 'auto')
    .option('--no-progress', 'no progress bar');
  return cmd.action(async (o: ClassifyTrainCli, c: Command) => {
    const explicit = new Set(c.options.map((x) => x.attributeName()).filter((k) => c.getOptionValueSource(k) === 'cli'));
    await runClassifyTrain(o, explicit, (s) => console.log(s));
  });
}

interface EvalCli {
  model: string;
  data: string;
  labels?: string;
  header: HeaderMode;
  batchSize: number;
  json: boolean;
  backend: Backend;
}

/** Encodes labelled examples for a loaded model; an unknown label is an error naming its line. */
function encodeFor(loaded: { tokenizer: Tokenizer; labels: LabelSet }, examples: readonly Example[], what: string): EncodedExample[] {
  return encodeExamples(examples, loaded.tokenizer, loaded.labels, what);
}

function evalCommand(): Command {
  return new Command('eval')
    .description('accuracy, macro-F1 and the confusion matrix of a classifier on labelled data')
    .requiredOption('--model <dir>', 'classifier checkpoint directory')
    .requiredOption('--data <file>', 'TSV text<TAB>label, or one text per line with --labels')
    .option('--labels <file>', 'labels of --data, one per line')
    .option('--header <mode>', 'TSV header line: auto | yes | no', oneOf(HEADERS), 'auto')
    .option('--batch-size <n>', 'sentences per batch', int(1), 128)
    .option('--json', 'print one JSON object', false)
    .option('--backend <name>', BACKENDS.join(' | '), oneOf(BACKENDS), 'auto')
    .action((o: EvalCli) => {
      useBackend(o.backend);
      const loaded = loadClassifier(o.model);
      const examples = readSplit(o.data, o.labels, o.header);
      const t0 = Date.now();
      const r = evaluateClassifier(loaded.model, encodeFor(loaded, examples, o.data), o.batchSize);
      const seconds = (Date.now() - t0) / 1000;
      if (o.json) {
        const perClass = Object.fromEntries(r.report.perClass.map((m, c) => [loaded.labels.name(c), m]));
        console.log(
          JSON.stringify({
            accuracy: r.report.accuracy,
            macroF1: r.report.macroF1,
            loss: r.loss,
            n: r.report.n,
            labels: loaded.labels.names,
            confusion: r.report.confusion,
            perClass,
            seconds,
          }),
        );
      } else {
        console.log(formatReport(r.report, loaded.labels.names));
        console.log(`\n${r.report.n} examples, loss ${r.loss.toFixed(4)}, ${seconds.toFixed(1)}s, backend ${describeBackend()}`);
      }
    });
}

interface PredictCli {
  model: string;
  input?: string;
  batchSize: number;
  json: boolean;
  backend: Backend;
}

/** One output line per text: label<TAB>name=p… (or JSON). */
export function formatPrediction(text: string, probs: ArrayLike<number>, labels: LabelSet, json: boolean): string {
  let best = 0;
  for (let c = 1; c < labels.size; c++) if (probs[c]! > probs[best]!) best = c;
  const named = labels.names.map((n, c) => [n, Number(probs[c]!.toFixed(6))] as const);
  if (json) return JSON.stringify({ text, label: labels.name(best), probs: Object.fromEntries(named) });
  return [labels.name(best), ...named.map(([n, p]) => `${n}=${p.toFixed(4)}`)].join('\t');
}

function predictCommand(): Command {
  return new Command('predict')
    .description('print the predicted label and the class probabilities of each input line')
    .requiredOption('--model <dir>', 'classifier checkpoint directory')
    .option('--input <file>', 'one text per line (default: standard input)')
    .option('--batch-size <n>', 'sentences per batch', int(1), 128)
    .option('--json', 'one JSON object per line: {text, label, probs}', false)
    .option('--backend <name>', BACKENDS.join(' | '), oneOf(BACKENDS), 'auto')
    .action((o: PredictCli) => {
      useBackend(o.backend);
      const loaded = loadClassifier(o.model);
      const what = o.input ?? 'standard input';
      const content = o.input ? fs.readFileSync(o.input, 'utf8') : fs.readFileSync(0, 'utf8');
      const examples = parseTextAndLabels(content, null, { what });
      const p = predictClasses(loaded.model, encodeExamples(examples, loaded.tokenizer, null, what), o.batchSize);
      const C = loaded.labels.size;
      examples.forEach((e, i) => process.stdout.write(`${formatPrediction(e.text, p.probs.subarray(i * C, (i + 1) * C), loaded.labels, o.json)}\n`));
    });
}

export function classifyCommandGroup(): Command {
  return new Command('classify')
    .description('sentence classification with an RNN encoder: train, eval (accuracy, macro-F1, confusion), predict')
    .addCommand(trainCommand())
    .addCommand(evalCommand())
    .addCommand(predictCommand());
}
