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
 */
import { RnnlmError } from '../errors.js';
import type { TrainingState } from '../io/checkpoint.js';
import { type LoadedModel, loadLanguageModel } from '../io/lm.js';
import type { RNNState } from '../models/rnnlm.js';
import type { NTASGDState } from '../optim/asgd.js';
import type { OptimizerStateDict } from '../optim/optimizer.js';
import type { ScheduleState } from '../optim/schedule.js';
import { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/tensor.js';

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
  if (!Array.isArray(v) || v.length !== 5 || !v.slice(0, 4).every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32) || !(v[4] === null || typeof v[4] === 'number')) {
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

const KNOWN = new Set(['format', 'version', 'config', 'data', 'position', 'step', 'tokens', 'trainSeconds', 'bestValidLoss', 'optimizer', 'schedules', 'ntasgd', 'rng', 'hidden']);

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

/** Training-config fields that may change when a run is resumed (they bound the run, not its path). */
export const RESUME_FREE_KEYS: readonly string[] = ['epochs', 'maxSeconds', 'maxSteps', 'checkpointEvery'];

/** Names of the config fields whose values differ between a saved config and this run's (free keys ignored). */
export function configDifferences(saved: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
  const diff: string[] = [];
  for (const k of [...keys].sort()) {
    if (RESUME_FREE_KEYS.includes(k)) continue;
    if (stableJson(saved[k]) !== stableJson(current[k])) diff.push(k);
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
