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
  OPTIMIZER_NAMES,
  type ClassifierEpochInfo,
  type ClassifyRunSpec,
  FREEZE_MODES,
  HEADER_MODES,
  TOKENIZER_KINDS,
  defaultClassifySpec,
  type EncodedExample,
  type Example,
  type HeaderMode,
  LabelSet,
  POOLINGS,
  RECURRENT_MODES,
  RNNClassifier,
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
import { BACKEND_CHOICES, type BackendChoice, int, num, oneOf } from '../args.js';
import {
  type FlagTable,
  addFlags,
  applyFlags,
  at,
  attributeName,
  field,
  flag,
  givenFlags,
  maxMinutes,
  modelAndTrainSeed,
  required,
  tableCommand,
} from '../flags.js';
import { createProgress } from '../progress.js';

type Backend = BackendChoice;
type Spec = ClassifyRunSpec;

/** The classifier run spec, flag by flag (the order is the order of --help). */
const CLASSIFY_TRAIN_FLAGS: FlagTable<Spec> = [
  required(flag('--train <file>', 'training data: TSV text<TAB>label (header optional), or one text per line with --train-labels', at('data', 'train'))),
  flag('--train-labels <file>', 'labels of --train, one per line (then --train holds only texts)', at('data', 'trainLabels')),
  flag('--valid <file>', 'validation data (same format); the best epoch by validation accuracy is kept', at('data', 'valid')),
  flag('--valid-labels <file>', 'labels of --valid', at('data', 'validLabels')),
  flag('--test <file>', 'test data, evaluated with the best checkpoint at the end', at('data', 'test')),
  flag('--test-labels <file>', 'labels of --test', at('data', 'testLabels')),
  flag(
    '--header <mode>',
    'TSV header line: auto (skip a first line whose label column is "label", "class"…) | yes | no',
    at('data', 'header'),
    oneOf(HEADER_MODES),
  ),
  flag('--tokenizer <kind>', 'word | char | bpe (built from the training texts)', at('data', 'tokenizer'), oneOf(TOKENIZER_KINDS)),
  flag('--lowercase', 'word tokenizer: lowercase the text', at('data', 'lowercase')),
  flag('--min-count <n>', 'word tokenizer: drop words seen fewer times', at('data', 'minCount'), int(1)),
  flag('--max-vocab <n>', 'word tokenizer: keep at most n types', at('data', 'maxVocab'), int(2)),
  flag('--bpe-merges <n>', 'bpe tokenizer: merge operations', at('data', 'bpeMerges'), int(0)),
  flag(
    '--init-from <dir>',
    'initialise the embedding and recurrent layers from this language-model checkpoint (its tokenizer is used)',
    at('model', 'initFrom'),
  ),
  flag(
    '--pretrained-embeddings <file>',
    'initialise embeddings from GloVe / word2vec text vectors (their dimension must equal --emb)',
    at('model', 'pretrainedEmbeddings'),
  ),
  flag(
    '--freeze <what>',
    'keep pretrained weights fixed: none | embedding | encoder (embedding + recurrent layers from --init-from)',
    at('model', 'freeze'),
    oneOf(FREEZE_MODES),
  ),
  flag(
    '--unfreeze-after <epochs>',
    'train the frozen weights too after this many epochs (default: frozen for the whole run)',
    at('train', 'unfreezeAfter'),
    int(0),
  ),
  flag('--cell <cell>', RECURRENT_MODES.join(' | '), at('model', 'cell'), oneOf(RECURRENT_MODES)),
  flag('--layers <n>', 'recurrent layers', at('model', 'numLayers'), int(1)),
  flag('--emb <n>', 'embedding size', at('model', 'embedSize'), int(1)),
  flag('--hidden <n>', 'hidden size (per direction)', at('model', 'hiddenSize'), int(1)),
  flag('--bidirectional', 'bidirectional encoder', at('model', 'bidirectional')),
  flag('--pooling <kind>', POOLINGS.join(' | '), at('model', 'pooling'), oneOf(POOLINGS)),
  flag('--attention-size <n>', 'attention pooling: scorer hidden size (default: the encoder output size)', at('model', 'attentionSize'), int(1)),
  flag('--dropout <p>', 'dropout on the pooled vector and between recurrent layers', at('model', 'dropout'), num(0, 0.99)),
  flag('--dropout-input <p>', 'dropout on the embeddings', at('model', 'dropoutInput'), num(0, 0.99)),
  flag('--optimizer <name>', OPTIMIZER_NAMES.join(' | '), at('train', 'optimizer'), oneOf(OPTIMIZER_NAMES)),
  flag('--lr <lr>', 'learning rate', at('train', 'lr'), num(0)),
  flag(
    '--weight-decay <wd>',
    'weight decay',
    {
      get: (s: Spec) => s.train.optimizerOptions?.weightDecay ?? 0,
      set: (s: Spec, wd: number) => void (s.train.optimizerOptions = wd ? { weightDecay: wd } : {}),
    },
    num(0),
  ),
  flag('--clip <norm>', 'clip the global gradient norm (0 = off)', at('train', 'clip'), num(0)),
  flag('--batch-size <n>', 'sentences per batch', at('train', 'batchSize'), int(1)),
  flag('--eval-batch-size <n>', 'sentences per evaluation batch', at('train', 'evalBatchSize'), int(1)),
  flag('--epochs <n>', 'epochs', at('train', 'epochs'), int(1)),
  flag('--max-minutes <m>', 'stop training after this much wall time (then validate, save, test)', maxMinutes<Spec>(), num(0)),
  flag('--max-steps <n>', 'stop after this many updates', at('train', 'maxSteps'), int(1)),
  flag('--plateau-factor <f>', 'multiply lr by f when validation accuracy stops improving (1 = never)', at('train', 'plateauFactor'), num(0, 1)),
  flag('--plateau-patience <n>', 'epochs without improvement before the lr drops', at('train', 'plateauPatience'), int(0)),
  flag('--seed <n>', 'random seed', modelAndTrainSeed<Spec>(), int(0)),
];

/** What one `rnnlm classify train` does beyond the spec: where it writes, how it runs. */
export interface ClassifyRunSettings {
  out: string;
  backend: Backend;
  progress: boolean;
}

const DEFAULT_CLASSIFY_RUN: ClassifyRunSettings = { out: 'runs/classify', backend: 'auto', progress: true };

const CLASSIFY_RUN_FLAGS: FlagTable<ClassifyRunSettings> = [
  flag('--out <dir>', 'checkpoint directory', field('out')),
  flag('--backend <name>', BACKEND_CHOICES.join(' | '), field('backend'), oneOf(BACKEND_CHOICES)),
  flag('--no-progress', 'no progress bar', field('progress')),
];

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

export async function runClassifyTrain(
  spec: ClassifyRunSpec,
  run: ClassifyRunSettings,
  explicit: ReadonlySet<string>,
  log: (s: string) => void,
): Promise<ClassifyTrainOutcome> {
  useBackend(run.backend);
  log(`backend: ${describeBackend()}`);
  const { data: d, train: t } = spec;
  let m = spec.model;
  if (m.freeze !== 'none' && !m.initFrom && !(m.freeze === 'embedding' && m.pretrainedEmbeddings)) {
    throw new RnnlmError(
      'invalid_argument',
      `--freeze ${m.freeze} needs pretrained weights: --init-from LM_DIR${m.freeze === 'embedding' ? ' or --pretrained-embeddings FILE' : ''}`,
    );
  }
  if (t.unfreezeAfter != null && m.freeze === 'none') throw new RnnlmError('invalid_argument', '--unfreeze-after needs --freeze embedding|encoder');
  const train = readSplit(d.train, d.trainLabels, d.header);
  const valid = d.valid ? readSplit(d.valid, d.validLabels, d.header) : null;
  const test = d.test ? readSplit(d.test, d.testLabels, d.header) : null;
  const labels = LabelSet.fromExamples(train);

  // The LM fixes the tokenizer and, unless given, the encoder's shape.
  const lm = m.initFrom ? loadLanguageModel(m.initFrom) : null;
  if (lm) {
    const c = lm.model.config;
    if (!explicit.has('cell')) m = { ...m, cell: c.cell };
    if (!explicit.has('emb')) m = { ...m, embedSize: c.embedSize };
    if (!explicit.has('hidden')) m = { ...m, hiddenSize: c.hiddenSize };
    if (!explicit.has('layers')) m = { ...m, numLayers: c.numLayers };
    for (const k of ['tokenizer', 'minCount', 'maxVocab', 'bpeMerges', 'lowercase']) {
      if (explicit.has(k)) log(`note: --init-from uses the language model's tokenizer; ignoring the tokenizer option you gave`);
    }
  }
  const tokenizer: Tokenizer = lm
    ? lm.tokenizer
    : buildTokenizer(train.map((e) => e.text).join('\n'), {
        tokenizer: d.tokenizer,
        minCount: d.minCount,
        ...(d.lowercase ? { lowercase: true } : {}),
        ...(d.maxVocab ? { maxSize: d.maxVocab } : {}),
        bpeMerges: d.bpeMerges,
      });
  const trainEnc = encodeExamples(train, tokenizer, labels, d.train);
  const validEnc = valid ? encodeExamples(valid, tokenizer, labels, d.valid) : null;
  const testEnc = test ? encodeExamples(test, tokenizer, labels, d.test) : null;
  log(
    `data: ${train.length} train / ${valid?.length ?? 0} valid / ${test?.length ?? 0} test examples, ` +
      `${labels.size} classes (${labels.names.join(', ')}), vocabulary ${tokenizer.vocabSize} (${tokenizer.kind}${lm ? `, from ${m.initFrom}` : ''})`,
  );
  const { initFrom, pretrainedEmbeddings, freeze, ...shape } = m;
  const model = new RNNClassifier({ ...shape, vocabSize: tokenizer.vocabSize, numClasses: labels.size });
  const frozen: Tensor[] = [];
  if (lm) {
    const r = initFromLanguageModel(model, tokenizer, lm.model, lm.tokenizer, initFrom);
    log(`init: embedding (${r.embeddingsFound} tokens) and ${r.layers} recurrent layer(s) from ${initFrom}${m.bidirectional ? ' (forward direction)' : ''}`);
    if (freeze === 'embedding' || freeze === 'encoder') frozen.push(r.embedding);
    if (freeze === 'encoder') frozen.push(...r.recurrent);
  }
  if (pretrainedEmbeddings) {
    const r = loadPretrainedEmbeddings(model, tokenizer, pretrainedEmbeddings);
    log(`embeddings: ${r.found} of ${tokenizer.vocabSize} tokens from ${pretrainedEmbeddings} (${r.missing} keep their init)`);
    if (freeze !== 'none' && !frozen.includes(model.encoder.weight)) frozen.push(model.encoder.weight);
  }
  if (frozen.length) log(`frozen: ${freeze}${t.unfreezeAfter != null ? ` for ${t.unfreezeAfter} epoch(s)` : ''}`);
  log(
    `model: ${m.numLayers}×${m.hiddenSize} ${m.bidirectional ? 'bidirectional ' : ''}${m.cell}, embedding ${m.embedSize}, ${m.pooling} pooling, ` +
      `${model.numParameters().toLocaleString('en-US')} parameters`,
  );

  const out = run.out;
  fs.mkdirSync(out, { recursive: true });
  const logPath = path.join(out, 'train-log.jsonl');
  fs.writeFileSync(logPath, '');
  const extra = { train: path.resolve(d.train), ...(initFrom ? { initFrom: path.resolve(initFrom) } : {}) };
  const progress = createProgress({ enabled: run.progress, label: 'classify' });
  let saved = false;
  const result = await trainClassifier(
    model,
    { train: trainEnc, valid: validEnc },
    { ...t, frozen, unfreezeAfter: t.unfreezeAfter ?? null },
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
          saveClassifier(out, model, tokenizer, labels, { ...extra, epoch: e.epoch });
          saved = true;
          log(`saved ${out}`);
        }
      },
    },
  );
  progress.stop();
  if (!saved) saveClassifier(out, model, tokenizer, labels, extra);
  log(`trained in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}; best epoch ${result.bestEpoch ?? '-'})`);
  const best = loadClassifier(out);
  let validAccuracy: number | null = null;
  let testAccuracy: number | null = null;
  for (const [name, enc] of [
    ['valid', validEnc],
    ['test', testEnc],
  ] as const) {
    if (!enc) continue;
    const r = evaluateClassifier(best.model, enc, t.evalBatchSize);
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
  const defaults = defaultClassifySpec();
  const cmd = new Command('train').description('train a sentence classifier (RNN encoder + pooling + linear layer)');
  addFlags(cmd, CLASSIFY_TRAIN_FLAGS, defaults);
  addFlags(cmd, CLASSIFY_RUN_FLAGS, DEFAULT_CLASSIFY_RUN);
  return cmd.action(async (_o: unknown, c: Command) => {
    const given = givenFlags(c, CLASSIFY_TRAIN_FLAGS);
    const spec = applyFlags(defaults, given);
    const run = applyFlags(DEFAULT_CLASSIFY_RUN, givenFlags(c, CLASSIFY_RUN_FLAGS));
    const explicit = new Set(given.map((g) => attributeName(g.flag)));
    await runClassifyTrain(spec, run, explicit, (s) => console.log(s));
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

const EVAL_FLAGS: FlagTable<EvalCli> = [
  required(flag('--model <dir>', 'classifier checkpoint directory', field('model'))),
  required(flag('--data <file>', 'TSV text<TAB>label, or one text per line with --labels', field('data'))),
  flag('--labels <file>', 'labels of --data, one per line', field('labels')),
  flag('--header <mode>', 'TSV header line: auto | yes | no', field('header'), oneOf(HEADER_MODES)),
  flag('--batch-size <n>', 'sentences per batch', field('batchSize'), int(1)),
  flag('--json', 'print one JSON object', field('json')),
  flag('--backend <name>', BACKEND_CHOICES.join(' | '), field('backend'), oneOf(BACKEND_CHOICES)),
];

const DEFAULT_EVAL: EvalCli = { model: '', data: '', header: 'auto', batchSize: 128, json: false, backend: 'auto' };

function evalCommand(): Command {
  return tableCommand('eval', 'accuracy, macro-F1 and the confusion matrix of a classifier on labelled data', EVAL_FLAGS, DEFAULT_EVAL, (o) => {
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

const PREDICT_FLAGS: FlagTable<PredictCli> = [
  required(flag('--model <dir>', 'classifier checkpoint directory', field('model'))),
  flag('--input <file>', 'one text per line (default: standard input)', field('input')),
  flag('--batch-size <n>', 'sentences per batch', field('batchSize'), int(1)),
  flag('--json', 'one JSON object per line: {text, label, probs}', field('json')),
  flag('--backend <name>', BACKEND_CHOICES.join(' | '), field('backend'), oneOf(BACKEND_CHOICES)),
];

const DEFAULT_PREDICT: PredictCli = { model: '', batchSize: 128, json: false, backend: 'auto' };

function predictCommand(): Command {
  return tableCommand('predict', 'print the predicted label and the class probabilities of each input line', PREDICT_FLAGS, DEFAULT_PREDICT, (o) => {
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
