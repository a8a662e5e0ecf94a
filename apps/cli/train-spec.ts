/**
 * `rnnlm train`'s flags and how they become a run: the flag table of the language-model run spec
 * (src/train/spec.ts), the per-invocation settings (where to write, backend, progress bar), and
 * the three ways a run starts — from the defaults, from a preset (explicit flags win), or from a
 * resumable checkpoint (its saved spec; only the flags that bound the run may change).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from 'commander';
import {
  BACKEND_PREFERENCES,
  type BackendPreference,
  type LmRunSpec,
  PRECISIONS,
  RECURRENT_MODES,
  type ResumableCheckpoint,
  RnnlmError,
  TRAIN_OPTIMIZER_NAMES,
  checkRNNLMConfig,
  defaultLmSpec,
  findResumeCheckpoint,
  getPreset,
  loadResumableCheckpoint,
  presetNames,
  presetSpec,
  resumeConflicts,
  runDirOf,
  savedRunSpec,
} from '../../src/node.js';
import { int, num, oneOf } from './args.js';
import { type FlagTable, type GivenFlag, applyFlags, at, attributeName, flag, flagName } from './flags.js';
import { packageRoot } from './package-root.js';

export type BackendChoice = BackendPreference;
export const BACKEND_CHOICES: readonly BackendChoice[] = BACKEND_PREFERENCES;

/** commander parser for `--hidden-sizes 1150,1150,400`. */
export function sizeList(v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || !xs.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new InvalidArgumentError(`expected comma-separated positive integers such as 1150,1150,400, got "${v}"`);
  }
  return xs;
}

type Spec = LmRunSpec;
type Opts = NonNullable<Spec['train']['optimizerOptions']>;

/** An optimizer option that is absent when 0 (so a run without it saves no such field). */
const optimizerOption = (key: 'momentum' | 'weightDecay') => ({
  get: (s: Spec): number => s.train.optimizerOptions?.[key] ?? 0,
  set: (s: Spec, v: number): void => {
    const o: Opts = { ...s.train.optimizerOptions };
    if (v) o[key] = v;
    else delete o[key];
    s.train.optimizerOptions = o;
  },
});

/** A train field that is absent when 0 / false (the loop's default). */
const unlessZero = <K extends 'ar' | 'tar' | 'checkpointEvery' | 'variableBptt'>(key: K) => ({
  get: (s: Spec): Spec['train'][K] => s.train[key],
  set: (s: Spec, v: Spec['train'][K]): void => {
    if (v) s.train[key] = v;
    else delete s.train[key];
  },
});

/** --layers / --hidden: a uniform stack, replacing any per-layer sizes (--hidden-sizes, later in the table, wins). */
const uniform = (key: 'numLayers' | 'hiddenSize') => ({
  get: (s: Spec): number => s.model[key],
  set: (s: Spec, v: number): void => {
    s.model[key] = v;
    delete s.model.hiddenSizes;
  },
});

/** One half of Zaremba's per-epoch decay; finishSpec checks that both halves are there. */
const lrDecay = (key: 'startEpoch' | 'factor') => ({
  get: (s: Spec): number | undefined => s.train.lrDecay?.[key],
  set: (s: Spec, v: number): void => {
    s.train.lrDecay = { kind: 'after', startEpoch: Number.NaN, factor: Number.NaN, ...s.train.lrDecay, [key]: v };
  },
});

/** The language-model run spec, flag by flag (the order is the order of --help). */
export const TRAIN_FLAGS: FlagTable<Spec> = [
  flag('--train <file>', 'training text (UTF-8); required unless --preset or --resume supplies it', at('data', 'train')),
  flag('--valid <file>', 'validation text (default: hold out --valid-fraction of train)', at('data', 'valid')),
  flag('--test <file>', 'test text, evaluated with the best checkpoint at the end', at('data', 'test')),
  flag('--tokenizer <kind>', 'char | word | bpe', at('data', 'tokenizer'), oneOf(['char', 'word', 'bpe'] as const)),
  flag('--bpe-merges <n>', 'bpe tokenizer: merge operations to learn', at('data', 'bpeMerges'), int(0)),
  flag(
    '--pretrained-embeddings <file>',
    'initialise embeddings from GloVe / word2vec text vectors (their dimension must equal --emb)',
    at('data', 'pretrainedEmbeddings'),
  ),
  flag('--freeze-embeddings', 'keep the pretrained embeddings fixed (with --tied the decoder is frozen too)', at('data', 'freezeEmbeddings')),
  flag('--min-count <n>', 'word tokenizer: drop words seen fewer times', at('data', 'minCount'), int(1)),
  flag('--max-vocab <n>', 'word tokenizer: keep at most n types', at('data', 'maxVocab'), int(2)),
  flag('--valid-fraction <f>', 'fraction of train held out when no --valid', at('data', 'validFraction'), num(0, 0.9)),
  flag('--cell <cell>', RECURRENT_MODES.join(' | '), at('model', 'cell'), oneOf(RECURRENT_MODES)),
  flag('--layers <n>', 'recurrent layers', uniform('numLayers'), int(1)),
  flag('--emb <n>', 'embedding size', at('model', 'embedSize'), int(1)),
  flag('--hidden <n>', 'hidden size', uniform('hiddenSize'), int(1)),
  flag('--dropout <p>', 'dropout', at('model', 'dropout'), num(0, 0.99)),
  flag('--tied', 'tie encoder and decoder weights (needs --emb = --hidden)', at('model', 'tieWeights')),
  flag('--init-range <r>', "init embeddings/decoder U(±r), decoder bias 0 (PyTorch example: 0.1); default PyTorch's layer init", at('model', 'init'), num(0)),
  flag('--precision <p>', 'matrix products: fp32 | bf16 (mixed precision: bf16 operands, fp32 sums and weights)', at('model', 'precision'), oneOf(PRECISIONS)),
  flag('--optimizer <name>', TRAIN_OPTIMIZER_NAMES.join(' | '), at('train', 'optimizer'), oneOf(TRAIN_OPTIMIZER_NAMES)),
  flag('--lr <lr>', 'learning rate', at('train', 'lr'), num(0)),
  flag('--momentum <m>', 'SGD/RMSprop momentum', optimizerOption('momentum'), num(0, 1)),
  flag('--weight-decay <wd>', 'weight decay', optimizerOption('weightDecay'), num(0)),
  flag('--clip <norm>', 'clip the global gradient norm (0 = off)', at('train', 'clip'), num(0)),
  flag('--batch-size <n>', 'training streams', at('train', 'batchSize'), int(1)),
  flag('--eval-batch-size <n>', 'evaluation streams', at('train', 'evalBatchSize'), int(1)),
  flag('--bptt <n>', 'truncated BPTT window', at('train', 'bptt'), int(1)),
  flag('--epochs <n>', 'epochs', at('train', 'epochs'), int(1)),
  flag(
    '--max-minutes <m>',
    'stop after this much wall time (then validate and save)',
    {
      get: (s: Spec) => (s.train.maxSeconds === undefined ? undefined : s.train.maxSeconds / 60),
      set: (s: Spec, m: number) => void (s.train.maxSeconds = m * 60),
    },
    num(0),
  ),
  flag('--max-steps <n>', 'stop after this many updates', at('train', 'maxSteps'), int(1)),
  flag('--plateau-factor <f>', 'multiply lr by f when validation stops improving (1 = never)', at('train', 'plateauFactor'), num(0, 1)),
  flag('--seed <n>', 'random seed', at('model', 'seed'), int(0)),
  flag(
    '--hidden-sizes <list>',
    'per-layer hidden sizes, e.g. 1150,1150,400 (sets --layers and --hidden to match)',
    {
      get: (s: Spec) => s.model.hiddenSizes ?? undefined,
      set: (s: Spec, v: number[]) => {
        s.model.hiddenSizes = v;
        s.model.numLayers = v.length;
        s.model.hiddenSize = v[v.length - 1] ?? s.model.hiddenSize;
      },
    },
    sizeList,
  ),
  flag('--dropout-input <p>', 'locked dropout on the embedding output (AWD dropouti)', at('model', 'dropoutInput'), num(0, 0.99)),
  flag('--dropout-hidden <p>', 'locked dropout between recurrent layers (AWD dropouth)', at('model', 'dropoutHidden'), num(0, 0.99)),
  flag('--dropout-output <p>', 'locked dropout on the last layer output (AWD dropout)', at('model', 'dropoutOutput'), num(0, 0.99)),
  flag('--dropout-embedding <p>', 'drop whole word types from the embedding (AWD dropoute)', at('model', 'dropoutEmbedding'), num(0, 0.99)),
  flag('--weight-drop <p>', 'DropConnect on the recurrent weights weight_hh (AWD wdrop)', at('model', 'weightDrop'), num(0, 0.99)),
  flag('--ar <alpha>', 'activation regularisation α·mean(h²) (AWD: 2)', unlessZero('ar'), num(0)),
  flag('--tar <beta>', 'temporal activation regularisation β·mean((h_t−h_{t−1})²) (AWD: 1)', unlessZero('tar'), num(0)),
  flag('--nonmono <n>', 'ntasgd: validation checks without improvement before averaging (default 5)', at('train', 'nonmono'), int(0)),
  flag('--variable-bptt', 'AWD-LSTM variable-length BPTT windows around --bptt', unlessZero('variableBptt')),
  flag('--lr-decay-after <epoch>', 'multiply lr by --lr-decay-factor every epoch after this one (Zaremba: 4)', lrDecay('startEpoch'), int(0)),
  flag('--lr-decay-factor <f>', 'per-epoch lr factor for --lr-decay-after (Zaremba: 0.5)', lrDecay('factor'), num(0, 1)),
  flag(
    '--checkpoint-every <steps>',
    'also write a resumable checkpoint to OUT/resume every n updates and at each epoch end (Ctrl-C always writes one)',
    unlessZero('checkpointEvery'),
    int(0),
  ),
];

/** What one invocation of `rnnlm train` does beyond the spec: where it writes, how it runs, where it starts. */
export interface TrainRunSettings {
  out: string;
  backend: BackendChoice;
  progress: boolean;
  resume?: string;
  preset?: string;
  listPresets?: boolean;
}

export const DEFAULT_RUN: TrainRunSettings = { out: 'runs/model', backend: 'auto', progress: true };

export const RUN_FLAGS: FlagTable<TrainRunSettings> = [
  flag('--out <dir>', 'checkpoint directory (default: runs/model, runs/PRESET with --preset, the run folder with --resume)', at1('out')),
  flag('--backend <name>', BACKEND_CHOICES.join(' | '), at1('backend'), oneOf(BACKEND_CHOICES)),
  flag('--resume <dir>', 'continue the run saved in DIR (DIR/resume, or DIR itself) with its saved settings, writing into DIR', at1('resume')),
  flag('--preset <name>', 'a published recipe (see --list-presets); explicit options override it', at1('preset')),
  flag('--list-presets', 'list the presets and exit', at1('listPresets')),
  flag('--no-progress', 'no progress bar', at1('progress')),
];

/** The place settings[key] of a flat settings object. */
function at1<K extends keyof TrainRunSettings>(key: K) {
  return {
    get: (s: TrainRunSettings) => s[key],
    set: (s: TrainRunSettings, v: TrainRunSettings[K]) => {
      s[key] = v;
    },
  };
}

/** A run ready to train: its spec, its settings, and the checkpoint it continues (null for a new run). */
export interface TrainRun {
  spec: LmRunSpec;
  run: TrainRunSettings;
  resumed: { from: string; checkpoint: ResumableCheckpoint } | null;
}

/**
 * The run this invocation makes: a resumed run's saved spec (only free fields may change),
 * else the preset's spec under the explicit flags, else the defaults under them.
 */
export function resolveTrainRun(given: readonly GivenFlag<Spec>[], run: TrainRunSettings, runGiven: ReadonlySet<string>): TrainRun {
  if (run.resume) {
    if (run.preset) throw new RnnlmError('invalid_argument', '--preset and --resume do not go together: a resumed run keeps the settings it was started with');
    const from = findResumeCheckpoint(run.resume);
    const checkpoint = loadResumableCheckpoint(from);
    const spec = resumedSpec(checkpoint, from, given);
    return { spec, run: runGiven.has('out') ? run : { ...run, out: runDirOf(from) }, resumed: { from, checkpoint } };
  }
  let base = defaultLmSpec();
  if (run.preset) {
    const p = getPreset(run.preset);
    const dir = sharedDataDir();
    base = presetSpec(p, path.join, dir);
    if (given.some((g) => g.flag === TRAIN_FLAGS[0])) {
      // The user's own files replace the preset's data (its tokenizer settings still apply).
      delete base.data.valid;
      delete base.data.test;
    } else {
      for (const rel of [p.data.train, p.data.valid, p.data.test]) {
        if (rel === undefined || fs.existsSync(path.join(dir, rel))) continue;
        throw new RnnlmError(
          'file_not_found',
          `preset ${p.name} reads ${path.join(dir, rel)}, which does not exist; set RNNLM_DATA_DIR to the folder holding ${path.dirname(rel)}/, or give --train (and --valid/--test) yourself`,
        );
      }
    }
    if (!runGiven.has('out')) run = { ...run, out: path.join('runs', p.name) };
  }
  const spec = finishSpec(applyFlags(base, given));
  if (!spec.data.train) throw new RnnlmError('invalid_argument', 'give the training text with --train FILE (or use --preset NAME, or --resume DIR)');
  return { spec, run, resumed: null };
}

/** The saved spec of a resumed run with the given flags applied; a flag that changes more than a free field is refused. */
function resumedSpec(ck: ResumableCheckpoint, from: string, given: readonly GivenFlag<Spec>[]): LmRunSpec {
  if (!ck.trainingState)
    throw new RnnlmError('corrupt_checkpoint', `${from}/config.json does not list its training state; the checkpoint is damaged, resume from another one`);
  const record = savedRunSpec(ck.trainingState, from);
  const saved = 'spec' in record ? structuredClone(record.spec) : specFromOptions(record.cliOptions);
  // Time and step limits belong to one invocation: a resumed run gets only the ones given now.
  delete saved.train.maxSeconds;
  delete saved.train.maxSteps;
  const conflicts = given.filter((g) => resumeConflicts(absolutePaths(saved), absolutePaths(applyFlags(saved, [g]))).length > 0);
  if (conflicts.length > 0) {
    const show = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));
    const free = TRAIN_FLAGS.filter((f) => isFree(f, saved)).map(flagName);
    throw new RnnlmError(
      'invalid_argument',
      `${conflicts.map((g) => `${flagName(g.flag)} ${show(g.value)} conflicts with the checkpoint's ${show(g.flag.get(saved))}`).join('; ')}. ` +
        `A resumed run keeps the settings it was started with; only ${[...free, '--out', '--backend'].join(', ')} and --no-progress may change. Leave the others out`,
    );
  }
  return finishSpec(applyFlags(saved, given));
}

/** True when setting the flag to a new value changes only fields that may change on resume. */
function isFree(f: (typeof TRAIN_FLAGS)[number], spec: Spec): boolean {
  const probe = f.parse ? 12345 : true; // any value other than the current one
  if (typeof f.get(spec) !== 'number' && f.get(spec) !== undefined) return false;
  return resumeConflicts(spec, applyFlags(spec, [{ flag: f, value: probe }])).length === 0;
}

/** A spec from the command-line options saved by rnnlm versions before run specs (their names are the flags'). */
export function specFromOptions(options: Record<string, unknown>): LmRunSpec {
  const given = TRAIN_FLAGS.filter((f) => options[attributeName(f)] !== undefined && options[attributeName(f)] !== null).map((f) => ({
    flag: f,
    value: options[attributeName(f)],
  }));
  return applyFlags(defaultLmSpec(), given);
}

/** Checks what single flags cannot: pairs, and options that only apply to some optimizers. */
export function finishSpec(spec: LmRunSpec): LmRunSpec {
  const d = spec.train.lrDecay;
  if (d && !(Number.isFinite(d.startEpoch) && Number.isFinite(d.factor))) {
    throw new RnnlmError('invalid_argument', '--lr-decay-after N and --lr-decay-factor F go together (Zaremba: --lr-decay-after 4 --lr-decay-factor 0.5)');
  }
  if (spec.data.freezeEmbeddings && !spec.data.pretrainedEmbeddings)
    throw new RnnlmError('invalid_argument', '--freeze-embeddings needs --pretrained-embeddings FILE');
  // Absurd sizes fail here, before any data is read (the vocabulary, known later, only adds to the size).
  checkRNNLMConfig({ ...spec.model, vocabSize: 1 }, 'invalid_argument', 'model');
  const o = spec.train.optimizerOptions;
  // Momentum belongs to SGD and RMSprop; other optimizers train without it.
  if (o?.momentum !== undefined && spec.train.optimizer !== 'sgd' && spec.train.optimizer !== 'rmsprop') {
    const { momentum: _m, ...rest } = o;
    spec.train.optimizerOptions = rest;
  }
  return spec;
}

/** The spec with its data paths absolute (how a resumable checkpoint stores them and how they compare). */
export function absolutePaths(spec: LmRunSpec): LmRunSpec {
  const data = { ...spec.data };
  for (const k of ['train', 'valid', 'test', 'pretrainedEmbeddings'] as const) {
    const v = data[k];
    if (typeof v === 'string' && v !== '') data[k] = path.resolve(v);
  }
  return { ...spec, data };
}

/** Where preset data lives: $RNNLM_DATA_DIR, else ../shared/data beside the package (or the working directory). */
export function sharedDataDir(): string {
  if (process.env.RNNLM_DATA_DIR) return path.resolve(process.env.RNNLM_DATA_DIR);
  const candidates = [path.join(packageRoot(), '..', 'shared', 'data'), path.join(process.cwd(), '..', 'shared', 'data')];
  return path.resolve(candidates.find((d) => fs.existsSync(d)) ?? candidates[0] ?? '.');
}

/** `rnnlm train --list-presets`. */
export function describePresets(): string {
  return presetNames()
    .map((n) => {
      const p = getPreset(n);
      return `${n}\n  ${p.summary}\n  data: ${[p.data.train, p.data.valid, p.data.test].filter(Boolean).join(', ')} (under ${sharedDataDir()})\n  expect: ${p.expected}\n  source: ${p.source}`;
    })
    .join('\n\n');
}
