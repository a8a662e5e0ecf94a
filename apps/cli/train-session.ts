/**
 * The parts of `rnnlm train` beyond option parsing: named presets (explicit options win), resuming
 * a run from its checkpoint (its saved options are reused; a conflicting option is an error),
 * resumable checkpoints written atomically to OUT/resume, and Ctrl-C / SIGTERM handling that
 * stops after the current step so a resumable checkpoint can be saved.
 */
import { type Command, InvalidArgumentError } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type EpochInfo,
  type RNNLM,
  type RNNLMConfig,
  type ResumableCheckpoint,
  RnnlmError,
  type Tokenizer,
  type TrainConfig,
  type TrainPreset,
  type TrainingState,
  getPreset,
  isCheckpointDir,
  presetNames,
  saveLanguageModel,
} from '../../src/node.js';
import type { TrainCliOptions } from './commands/train.js';

/** Options a resumed run may change: they bound the run or say where it writes, not how it trains. */
const FREE_ON_RESUME = ['epochs', 'maxMinutes', 'maxSteps', 'checkpointEvery', 'out', 'backend', 'progress', 'resume'] as const;
/** Options that only make sense for the invocation that gives them (not saved for a resume). */
const NOT_SAVED = ['resume', 'preset', 'listPresets', 'maxMinutes', 'maxSteps', 'progress', 'backend'] as const;
const PATH_KEYS = ['train', 'valid', 'test', 'pretrainedEmbeddings', 'out'] as const;
export const RESUME_SUBDIR = 'resume';

const flag = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Attribute names of the options given on the command line (not defaults). */
export function explicitOptions(cmd: Command): Set<string> {
  const out = new Set<string>();
  for (const opt of cmd.options) {
    const key = opt.attributeName();
    if (cmd.getOptionValueSource(key) === 'cli') out.add(key);
  }
  return out;
}

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** Where preset data lives: $RNNLM_DATA_DIR, else ../shared/data beside the package (or the working directory). */
export function sharedDataDir(): string {
  if (process.env.RNNLM_DATA_DIR) return path.resolve(process.env.RNNLM_DATA_DIR);
  const candidates = [path.join(packageRoot(), '..', 'shared', 'data'), path.join(process.cwd(), '..', 'shared', 'data')];
  return path.resolve(candidates.find((d) => fs.existsSync(d)) ?? candidates[0]!);
}

/** A preset as CLI option values. */
export function presetCliOptions(p: TrainPreset): Partial<TrainCliOptions> {
  const m = p.model;
  const t = p.train;
  const o: Partial<TrainCliOptions> = {
    tokenizer: p.data.tokenizer,
    cell: m.cell,
    layers: m.numLayers,
    emb: m.embedSize,
    hidden: m.hiddenSize,
    dropout: m.dropout ?? 0,
    dropoutInput: m.dropoutInput ?? 0,
    dropoutHidden: m.dropoutHidden ?? 0,
    dropoutOutput: m.dropoutOutput ?? 0,
    dropoutEmbedding: m.dropoutEmbedding ?? 0,
    weightDrop: m.weightDrop ?? 0,
    tied: m.tieWeights ?? false,
    seed: m.seed ?? 1,
    optimizer: t.optimizer,
    lr: t.lr,
    momentum: t.optimizerOptions?.momentum ?? 0,
    weightDecay: t.optimizerOptions?.weightDecay ?? 0,
    clip: t.clip,
    batchSize: t.batchSize,
    evalBatchSize: t.evalBatchSize,
    bptt: t.bptt,
    epochs: t.epochs,
    plateauFactor: t.plateauFactor,
    variableBptt: t.variableBptt ?? false,
    ar: t.ar ?? 0,
    tar: t.tar ?? 0,
  };
  if (m.hiddenSizes) o.hiddenSizes = [...m.hiddenSizes];
  if (typeof m.init === 'number') o.initRange = m.init;
  if (p.data.validFraction !== undefined) o.validFraction = p.data.validFraction;
  if (t.nonmono !== undefined) o.nonmono = t.nonmono;
  if (t.lrDecay) {
    o.lrDecayAfter = t.lrDecay.startEpoch;
    o.lrDecayFactor = t.lrDecay.factor;
  }
  if (t.checkpointEvery !== undefined) o.checkpointEvery = t.checkpointEvery;
  return o;
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

/** The resumable checkpoint of a run: DIR/resume (or DIR/resume.old after a crash mid-swap), or DIR itself. */
export function findResumeCheckpoint(dir: string): string {
  for (const d of [path.join(dir, RESUME_SUBDIR), path.join(dir, `${RESUME_SUBDIR}.old`), dir]) {
    if (isCheckpointDir(d) && fs.existsSync(path.join(d, 'training-state.json'))) return d;
  }
  throw new RnnlmError(
    'file_not_found',
    `${dir} holds no resumable checkpoint (looked for ${path.join(dir, RESUME_SUBDIR)} and ${dir} with training-state.json); ` +
      'runs write one with --checkpoint-every N, at each epoch end when that is set, and on Ctrl-C',
  );
}

/** The options a resumable checkpoint was trained with (saved by runTrain in its training state). */
function savedOptions(ckDir: string): Partial<TrainCliOptions> {
  const file = path.join(ckDir, 'training-state.json');
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RnnlmError('corrupt_checkpoint', `${file} cannot be read as JSON (${(e as Error).message}); the checkpoint is damaged`);
  }
  const cli = (json as { cli?: unknown }).cli;
  if (typeof cli !== 'object' || cli === null) {
    throw new RnnlmError('corrupt_checkpoint', `${file} has no saved training options ("cli"): it was not written by rnnlm train, so --resume cannot rebuild the run`);
  }
  return cli as Partial<TrainCliOptions>;
}

function sameValue(key: string, a: unknown, b: unknown): boolean {
  if ((PATH_KEYS as readonly string[]).includes(key) && typeof a === 'string' && typeof b === 'string') return path.resolve(a) === path.resolve(b);
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * The options this invocation trains with: a resumed run's saved options (with only the
 * free ones overridable), else the preset's values under the explicit options, else `o` as parsed.
 * `resumeFrom` is the checkpoint directory to continue from (null for a fresh run).
 */
export function resolveTrainOptions(o: TrainCliOptions, explicit: ReadonlySet<string>): { opts: TrainCliOptions; resumeFrom: string | null } {
  if (o.resume) {
    const ck = findResumeCheckpoint(o.resume);
    const saved = savedOptions(ck);
    const conflicts = [...explicit]
      .filter((k) => !(FREE_ON_RESUME as readonly string[]).includes(k))
      .filter((k) => !sameValue(k, (saved as Record<string, unknown>)[k], (o as unknown as Record<string, unknown>)[k]));
    if (conflicts.length > 0) {
      const show = (v: unknown): string => (v === undefined ? 'unset' : JSON.stringify(v));
      throw new RnnlmError(
        'invalid_argument',
        `${conflicts.map((k) => `${flag(k)} ${show((o as unknown as Record<string, unknown>)[k])} conflicts with the checkpoint's ${show((saved as Record<string, unknown>)[k])}`).join('; ')}. ` +
          `A resumed run keeps the settings it was started with; only ${FREE_ON_RESUME.filter((k) => k !== 'resume' && k !== 'progress').map(flag).join(', ')} and --no-progress may change. Leave the others out`,
      );
    }
    const opts = { ...saved } as TrainCliOptions;
    for (const k of FREE_ON_RESUME) {
      if (explicit.has(k)) (opts as unknown as Record<string, unknown>)[k] = (o as unknown as Record<string, unknown>)[k];
    }
    // Time and step limits belong to one invocation: a resumed run gets only the ones given now.
    if (!explicit.has('maxMinutes')) delete opts.maxMinutes;
    if (!explicit.has('maxSteps')) delete opts.maxSteps;
    opts.backend = o.backend;
    opts.progress = o.progress;
    opts.resume = o.resume;
    return { opts, resumeFrom: ck };
  }
  if (!o.preset) return { opts: o, resumeFrom: null };
  const p = getPreset(o.preset);
  const opts = { ...o } as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(presetCliOptions(p))) if (!explicit.has(k)) opts[k] = v;
  // An explicit --layers/--hidden replaces the preset's per-layer sizes rather than being overruled by them.
  if (!explicit.has('hiddenSizes') && (explicit.has('layers') || explicit.has('hidden'))) delete opts.hiddenSizes;
  if (!explicit.has('train')) {
    // The preset's own data, unless the user points at other files.
    const dir = sharedDataDir();
    for (const k of ['train', 'valid', 'test'] as const) {
      const rel = p.data[k];
      if (rel === undefined) continue;
      const file = path.join(dir, rel);
      if (!fs.existsSync(file)) {
        throw new RnnlmError(
          'file_not_found',
          `preset ${p.name} reads ${file}, which does not exist; set RNNLM_DATA_DIR to the folder holding ${path.dirname(rel)}/, or give --train (and --valid/--test) yourself`,
        );
      }
      if (!explicit.has(k)) opts[k] = file;
    }
  }
  if (!explicit.has('out')) opts.out = path.join('runs', p.name);
  return { opts: opts as unknown as TrainCliOptions, resumeFrom: null };
}

/** The options to save with a resumable checkpoint (paths absolute, per-invocation ones left out). */
export function optionsToSave(o: TrainCliOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  for (const k of NOT_SAVED) delete out[k];
  for (const k of PATH_KEYS) if (typeof out[k] === 'string') out[k] = path.resolve(out[k] as string);
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/**
 * Writes OUT/resume atomically: a complete checkpoint goes to a temporary folder first, then
 * replaces the previous one by renames, so a crash leaves either the old or the new checkpoint.
 */
export function writeResumeCheckpoint(out: string, model: RNNLM, tokenizer: Tokenizer, state: TrainingState, cli: Record<string, unknown>): string {
  const final = path.join(out, RESUME_SUBDIR);
  const tmp = path.join(out, `${RESUME_SUBDIR}.tmp-${process.pid}`);
  const old = path.join(out, `${RESUME_SUBDIR}.old`);
  fs.rmSync(tmp, { recursive: true, force: true });
  saveLanguageModel(tmp, model, tokenizer, { json: { ...state.json, cli }, tensors: state.tensors });
  fs.rmSync(old, { recursive: true, force: true });
  if (fs.existsSync(final)) fs.renameSync(final, old);
  fs.renameSync(tmp, final);
  fs.rmSync(old, { recursive: true, force: true });
  return final;
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

/** The RNNLMConfig fields beyond the original CLI options (AWD-LSTM regularisation, per-layer sizes). */
export function modelExtras(o: TrainCliOptions): Partial<RNNLMConfig> {
  return {
    ...(o.hiddenSizes ? { hiddenSizes: o.hiddenSizes } : {}),
    dropoutInput: o.dropoutInput ?? 0,
    dropoutHidden: o.dropoutHidden ?? 0,
    dropoutOutput: o.dropoutOutput ?? 0,
    dropoutEmbedding: o.dropoutEmbedding ?? 0,
    weightDrop: o.weightDrop ?? 0,
    precision: o.precision ?? 'fp32',
  };
}

/** The TrainConfig fields beyond the original CLI options. */
export function trainExtras(o: TrainCliOptions): Partial<TrainConfig> {
  if ((o.lrDecayAfter === undefined) !== (o.lrDecayFactor === undefined)) {
    throw new RnnlmError('invalid_argument', '--lr-decay-after N and --lr-decay-factor F go together (Zaremba: --lr-decay-after 4 --lr-decay-factor 0.5)');
  }
  return {
    ...(o.nonmono !== undefined ? { nonmono: o.nonmono } : {}),
    ...(o.variableBptt ? { variableBptt: true } : {}),
    ...(o.lrDecayAfter !== undefined ? { lrDecay: { kind: 'after' as const, startEpoch: o.lrDecayAfter, factor: o.lrDecayFactor! } } : {}),
    ...(o.ar ? { ar: o.ar } : {}),
    ...(o.tar ? { tar: o.tar } : {}),
    ...(o.checkpointEvery ? { checkpointEvery: o.checkpointEvery } : {}),
  };
}

/**
 * The model of a resumed run: the checkpoint's, after checking that the data gave the same
 * tokenizer (same files and tokenizer options), with frozen embeddings frozen again.
 */
export function resumedModel(r: ResumableCheckpoint, tokenizer: Tokenizer, o: TrainCliOptions, from: string): RNNLM {
  if (JSON.stringify(r.tokenizer.toJSON()) !== JSON.stringify(tokenizer.toJSON())) {
    throw new RnnlmError(
      'checkpoint_mismatch',
      `the tokenizer built from ${o.train} differs from the one saved in ${from}: the training files changed since the run started; resume on the same data`,
    );
  }
  if (o.freezeEmbeddings) {
    r.model.encoder.weight.requiresGrad = false;
    r.model.encoder.weight.grad = null;
  }
  return r.model;
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
  fs.appendFileSync(file, `${JSON.stringify({ kind: 'resume', from: resumedFrom, step: j.step ?? null, epoch: (j.position as { epoch?: number } | undefined)?.epoch ?? null })}\n`);
}

/** commander parser for `--hidden-sizes 1150,1150,400`. */
export function sizeList(v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || !xs.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new InvalidArgumentError(`expected comma-separated positive integers such as 1150,1150,400, got "${v}"`);
  }
  return xs;
}
