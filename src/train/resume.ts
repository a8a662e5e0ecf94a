/**
 * Exact resume: the training loop's whole state as a checkpoint TrainingState (JSON + tensors,
 * see io/checkpoint.ts), and loading a checkpoint back into a model ready to continue.
 *
 * The JSON part (training-state.json) holds: the training config, the data fingerprint, the
 * position (epoch, BPTT row, windows done, the epoch's running loss), global step and tokens,
 * the best validation loss, the optimizer's JSON state, the LR schedules, NT-ASGD's trigger state,
 * and the model RNG (dropout masks) and loop RNG (variable BPTT lengths) states. JSON has no
 * Infinity/NaN, so absent/non-finite numbers are stored as null. The tensor part
 * (optimizer.safetensors) holds the optimizer buffers ("optimizer.<i>.<buf>"), the NT-ASGD averages
 * ("ntasgd.<i>.ax") and the hidden state carried into the next window ("hidden.h", "hidden.c").
 * The model weights themselves are the checkpoint's model.safetensors.
 *
 * A run's output folder OUT holds the best model (OUT itself) and the latest resumable checkpoint
 * (OUT/resume, written by writeResumeCheckpoint with the run spec inside, found again by
 * findResumeCheckpoint, loaded by loadResumableCheckpoint).
 */
import { RnnlmError } from '../errors.js';
import { type TrainingState, isCheckpointDir, recoverCheckpointDir } from '../io/checkpoint.js';
import { type LoadedModel, loadLanguageModel, saveLanguageModel } from '../io/lm.js';
import type { RNNLM, RNNState } from '../models/rnnlm.js';
import type { NTASGDState } from '../optim/asgd.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import type { ScheduleState } from '../optim/schedule.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { platform } from '../platform/platform.js';
import type { LmRunSpec } from './spec.js';

export type { TrainingState };

export const TRAINING_STATE_FORMAT = 'rnnlm-training-state';
export const TRAINING_STATE_VERSION = 1;

/** Where the loop stands inside the run. */
export interface LoopPosition {
  /** The epoch in progress (1-based). */
  epoch: number;
  /** First row of the next BPTT window in the batchified stream (row ≥ L − 1: the epoch's windows are done). */
  row: number;
  /** Windows done in this epoch. */
  batch: number;
  /** Σ loss·tokens and tokens of this epoch so far (the running training loss). */
  nats: number;
  count: number;
  /** Wall seconds spent in this epoch so far. */
  epochSeconds: number;
}

/** The in-memory form of a training state. */
export interface LoopSnapshot {
  /** The training config as JSON (non-finite numbers as null). */
  config: Record<string, unknown>;
  data: { trainTokens: number; fingerprint: string };
  position: LoopPosition;
  step: number;
  tokens: number;
  trainSeconds: number;
  bestValidLoss: number | null;
  optimizer: OptimizerStateDict;
  schedules: { plateau: ScheduleState | null; decay: ScheduleState | null };
  ntasgd: NTASGDState | null;
  modelRng: number[];
  loopRng: number[];
  hidden: RNNState | null;
  /** Anything the caller adds (the CLI stores its options here); kept as is. */
  extra: Record<string, unknown>;
}

/** FNV-1a over the ids: tells whether a resumed run reads the same training stream. */
export function fingerprint(ids: Int32Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < ids.length; i++) {
    let v = ids[i]!;
    for (let k = 0; k < 4; k++) {
      h = Math.imul(h ^ (v & 0xff), 0x01000193) >>> 0;
      v >>>= 8;
    }
  }
  return `${ids.length}:${h.toString(16).padStart(8, '0')}`;
}

/** Rng.getState() → JSON (the spare normal NaN → null). */
export function rngToJson(s: readonly number[]): (number | null)[] {
  return s.map((x) => (Number.isFinite(x) ? x : null));
}

function rngFromJson(v: unknown, what: string): number[] {
  if (
    !Array.isArray(v) ||
    v.length !== 5 ||
    !v.slice(0, 4).every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32) ||
    !(v[4] === null || typeof v[4] === 'number')
  ) {
    throw corrupt(`${what} must be 4 uint32 words and a spare normal (or null)`);
  }
  return v.map((x) => (x === null ? Number.NaN : (x as number)));
}

/** A JSON copy with non-finite numbers as null and undefined fields dropped. */
export function jsonSafe<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}

function corrupt(msg: string): RnnlmError {
  return new RnnlmError('corrupt_checkpoint', `training state: ${msg}; the checkpoint is damaged or from another rnnlm version`);
}

export function encodeTrainingState(s: LoopSnapshot): TrainingState {
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(s.optimizer.tensors)) tensors[`optimizer.${k}`] = t;
  if (s.ntasgd) for (const [k, t] of Object.entries(s.ntasgd.tensors)) tensors[`ntasgd.${k}`] = t;
  if (s.hidden) {
    tensors['hidden.h'] = s.hidden.h.clone();
    if (s.hidden.c) tensors['hidden.c'] = s.hidden.c.clone();
  }
  const json = {
    ...s.extra,
    format: TRAINING_STATE_FORMAT,
    version: TRAINING_STATE_VERSION,
    config: s.config,
    data: s.data,
    position: s.position,
    step: s.step,
    tokens: s.tokens,
    trainSeconds: s.trainSeconds,
    bestValidLoss: s.bestValidLoss,
    optimizer: s.optimizer.json,
    schedules: s.schedules,
    ntasgd: s.ntasgd ? s.ntasgd.json : null,
    rng: { model: rngToJson(s.modelRng), loop: rngToJson(s.loopRng) },
    hidden: s.hidden ? { c: s.hidden.c !== null } : null,
  };
  return { json: jsonSafe(json) as Record<string, unknown>, tensors };
}

const KNOWN = new Set([
  'format',
  'version',
  'config',
  'data',
  'position',
  'step',
  'tokens',
  'trainSeconds',
  'bestValidLoss',
  'optimizer',
  'schedules',
  'ntasgd',
  'rng',
  'hidden',
]);

/** Reads and checks a TrainingState written by encodeTrainingState. */
export function decodeTrainingState(ts: TrainingState): LoopSnapshot {
  if (!ts || typeof ts.json !== 'object' || ts.json === null || typeof ts.tensors !== 'object' || ts.tensors === null) {
    throw corrupt('it must be { json, tensors }');
  }
  const j = ts.json;
  if (j.format !== TRAINING_STATE_FORMAT) throw corrupt(`"format" is ${JSON.stringify(j.format)}, expected "${TRAINING_STATE_FORMAT}"`);
  if (j.version !== TRAINING_STATE_VERSION) {
    throw new RnnlmError('corrupt_checkpoint', `training state version ${String(j.version)} is not the version this rnnlm reads (${TRAINING_STATE_VERSION})`);
  }
  const obj = (v: unknown, what: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw corrupt(`${what} must be an object`);
    return v as Record<string, unknown>;
  };
  const count = (v: unknown, what: string): number => {
    if (!Number.isInteger(v) || (v as number) < 0) throw corrupt(`${what} must be an integer ≥ 0`);
    return v as number;
  };
  const finite = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw corrupt(`${what} must be a finite number`);
    return v;
  };
  const config = obj(j.config, '"config"');
  const data = obj(j.data, '"data"');
  if (typeof data.fingerprint !== 'string') throw corrupt('"data.fingerprint" must be a string');
  const p = obj(j.position, '"position"');
  const position: LoopPosition = {
    epoch: count(p.epoch, 'position.epoch'),
    row: count(p.row, 'position.row'),
    batch: count(p.batch, 'position.batch'),
    nats: finite(p.nats, 'position.nats'),
    count: count(p.count, 'position.count'),
    epochSeconds: finite(p.epochSeconds, 'position.epochSeconds'),
  };
  if (position.epoch < 1) throw corrupt('position.epoch must be ≥ 1');
  const best = j.bestValidLoss;
  if (best !== null && typeof best !== 'number') throw corrupt('"bestValidLoss" must be a number or null');
  const group = (prefix: string): Record<string, Tensor> => {
    const out: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(ts.tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t;
    return out;
  };
  for (const k of Object.keys(ts.tensors)) {
    if (!/^(optimizer|ntasgd)\.|^hidden\.[hc]$/.test(k)) throw corrupt(`unexpected tensor "${k}"`);
  }
  const sched = obj(j.schedules, '"schedules"');
  const rng = obj(j.rng, '"rng"');
  let hidden: RNNState | null = null;
  if (j.hidden !== null) {
    const hj = obj(j.hidden, '"hidden"');
    const h = ts.tensors['hidden.h'];
    const c = ts.tensors['hidden.c'] ?? null;
    if (!(h instanceof Tensor)) throw corrupt('the carried hidden state "hidden.h" is missing');
    if ((hj.c === true) !== (c !== null)) throw corrupt('the carried cell state "hidden.c" does not match the record');
    hidden = { h, c };
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(j)) if (!KNOWN.has(k)) extra[k] = v;
  return {
    config,
    data: { trainTokens: count(data.trainTokens, 'data.trainTokens'), fingerprint: data.fingerprint },
    position,
    step: count(j.step, '"step"'),
    tokens: count(j.tokens, '"tokens"'),
    trainSeconds: finite(j.trainSeconds, '"trainSeconds"'),
    bestValidLoss: best as number | null,
    optimizer: { json: obj(j.optimizer, '"optimizer"'), tensors: group('optimizer.') },
    schedules: {
      plateau: sched.plateau === null || sched.plateau === undefined ? null : obj(sched.plateau, 'schedules.plateau'),
      decay: sched.decay === null || sched.decay === undefined ? null : obj(sched.decay, 'schedules.decay'),
    },
    ntasgd: j.ntasgd === null || j.ntasgd === undefined ? null : { json: obj(j.ntasgd, '"ntasgd"'), tensors: group('ntasgd.') },
    modelRng: rngFromJson(rng.model, 'rng.model'),
    loopRng: rngFromJson(rng.loop, 'rng.loop'),
    hidden,
    extra,
  };
}

/**
 * The fields of a run spec (spec.ts) that may change when a run is resumed: they bound the run or
 * say how often it checkpoints, not the path it takes. Everything else must match the saved run.
 */
export const RESUME_FREE: Readonly<Record<'data' | 'model' | 'train', readonly string[]>> = {
  data: [],
  model: [],
  train: ['epochs', 'maxSeconds', 'maxSteps', 'checkpointEvery'],
};

/**
 * The one resume-compatibility check: the fields ("section.key") whose values differ between a
 * saved run spec and this run's, free fields aside. Sections absent from either side are not
 * compared (the training loop checks `train`, the CLI all three). Absent, null and {} are equal.
 */
export function resumeConflicts(
  saved: Partial<Record<'data' | 'model' | 'train', object>>,
  now: Partial<Record<'data' | 'model' | 'train', object>>,
): string[] {
  const diff: string[] = [];
  for (const section of ['data', 'model', 'train'] as const) {
    const a = saved[section] as Record<string, unknown> | undefined;
    const b = now[section] as Record<string, unknown> | undefined;
    if (!a || !b) continue;
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!RESUME_FREE[section].includes(k) && stableJson(a[k]) !== stableJson(b[k])) diff.push(`${section}.${k}`);
    }
  }
  return diff;
}

function stableJson(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined && o[k] !== null);
    if (keys.length === 0) return 'null'; // {} and an absent object mean the same (no options)
    return `{${keys
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export type ResumableCheckpoint = LoadedModel;

/**
 * Loads a checkpoint directory for further training: the model (every RNNLMConfig field,
 * per-layer sizes and AWD options included) in training mode, its tokenizer and its training
 * state (null when it was saved without one).
 */
export function loadResumableCheckpoint(dir: string, opts: { dtype?: DType } = {}): ResumableCheckpoint {
  const loaded = loadLanguageModel(dir, opts);
  loaded.model.train();
  return loaded;
}

/** The sub-folder of a run's output folder that holds its latest resumable checkpoint. */
export const RESUME_SUBDIR = 'resume';

/** The resumable checkpoint of a run: DIR/resume (or DIR/resume.old, left by a crash in earlier rnnlm versions), or DIR itself. */
export function findResumeCheckpoint(dir: string): string {
  const p = platform();
  const candidates = [p.joinPath(dir, RESUME_SUBDIR), p.joinPath(dir, `${RESUME_SUBDIR}.old`), dir];
  for (const d of candidates) {
    if (isCheckpointDir(d) && p.exists(p.joinPath(d, 'training-state.json'))) return d;
  }
  throw new RnnlmError(
    'file_not_found',
    `${dir} holds no resumable checkpoint (looked for ${candidates[0]} and ${dir} with training-state.json); ` +
      'runs write one with --checkpoint-every N, at each epoch end when that is set, and on Ctrl-C',
  );
}

/**
 * The output folder of the run a resumable checkpoint belongs to: the folder holding resume/
 * (so a copied run folder resumes into the copy), or the checkpoint folder itself.
 */
export function runDirOf(checkpointDir: string): string {
  const parts = checkpointDir.replace(/[\\/]+$/, '').split(/[\\/]/);
  const last = parts[parts.length - 1];
  if (last === RESUME_SUBDIR || last === `${RESUME_SUBDIR}.old`) return parts.slice(0, -1).join('/') || (checkpointDir.startsWith('/') ? '/' : '.');
  return checkpointDir;
}

/**
 * Writes OUT/resume (a whole-checkpoint atomic replacement, see io/checkpoint.ts) with the run spec
 * inside its training state, and returns its path.
 */
export function writeResumeCheckpoint(out: string, model: RNNLM, tokenizer: Tokenizer, state: TrainingState, spec: LmRunSpec): string {
  const dir = platform().joinPath(out, RESUME_SUBDIR);
  saveLanguageModel(dir, model, tokenizer, { json: { ...state.json, spec: jsonSafe(spec) }, tensors: state.tensors });
  return dir;
}

/**
 * Puts a run's output folder in order when a run starts: finishes checkpoint saves a crash
 * interrupted (OUT and OUT/resume) and removes the staging folders of runs that were killed,
 * including OUT/resume.tmp-PID folders of earlier rnnlm versions.
 */
export function recoverRunDir(out: string): void {
  const p = platform();
  if (!p.exists(out)) return;
  recoverCheckpointDir(out);
  if (p.exists(p.joinPath(out, RESUME_SUBDIR))) recoverCheckpointDir(p.joinPath(out, RESUME_SUBDIR));
  for (const name of p.listDir(out)) {
    const m = new RegExp(`^${RESUME_SUBDIR}\\.tmp-(\\d+)$`).exec(name);
    if (m && Number(m[1]) !== p.processId && !p.isProcessAlive(Number(m[1]))) p.removeAll(p.joinPath(out, name));
  }
}

/**
 * What a resumable checkpoint says about the run that wrote it: its run spec, or for checkpoints
 * written before run specs existed, the command-line options it was started with.
 */
export function savedRunSpec(state: TrainingState, dir: string): { spec: LmRunSpec } | { cliOptions: Record<string, unknown> } {
  const { spec, cli } = state.json;
  if (isRunSpec(spec)) return { spec };
  if (isObject(cli)) return { cliOptions: cli };
  throw new RnnlmError(
    'corrupt_checkpoint',
    `${dir}/training-state.json has no run spec ("spec"): it was not written by rnnlm train, so --resume cannot rebuild the run`,
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The shape of a saved run spec (its values are checked where they are used: the model, the loop). */
function isRunSpec(v: unknown): v is LmRunSpec {
  return isObject(v) && isObject(v.data) && typeof v.data.train === 'string' && isObject(v.model) && isObject(v.train);
}
