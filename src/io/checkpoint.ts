/**
 * Checkpoint directories, versioned from day one:
 *
 *   model.safetensors      state dict under PyTorch names, metadata {format: 'rnnlm', version: '1'}
 *   tokenizer.json         the tokenizer's JSON form
 *   training-state.json    optional: step, RNG state, schedule... (exact resume)
 *   optimizer.safetensors  optional, with training-state.json: optimizer moments etc.
 *   config.json            { format: 'rnnlm-checkpoint', version: 1, model: config, files }
 *
 * A save replaces the whole checkpoint at once, even in a folder that holds other things (a run's
 * OUT also holds its log and resume/), and even if the process is killed at any point:
 *   1. every file is written to a staging folder DIR/.staging-PID;
 *   2. that folder is renamed to DIR/.commit — the commit point: from here on, DIR/.commit is the
 *      checkpoint readers get (loadCheckpoint, isCheckpointDir);
 *   3. its files are copied into DIR (each by writeFileAtomic, config.json last), files of the old
 *      checkpoint that the new one lacks are removed, and DIR/.commit is removed.
 * A save killed before 2 leaves the old checkpoint; after 2, the new one. The next save, or
 * recoverCheckpointDir when a run starts, finishes step 3 and removes staging folders (and
 * temporary files) of processes that no longer run. `files` in config.json records the size and
 * CRC-32 of each other file, so a hand-swapped or damaged file is still caught on load.
 */
import { RnnlmError, isRnnlmError } from '../errors.js';
import { decodeUtf8, platform } from '../platform/platform.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { crc32Hex } from './crc32.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export const CHECKPOINT_FORMAT = 'rnnlm-checkpoint';
export const CHECKPOINT_VERSION = 1;
/** safetensors metadata of model.safetensors / optimizer.safetensors. */
export const WEIGHTS_METADATA: Readonly<Record<string, string>> = { format: 'rnnlm', version: '1' };

export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  trainingState: 'training-state.json',
  optimizer: 'optimizer.safetensors',
} as const;

const REQUIRED = [CHECKPOINT_FILES.model, CHECKPOINT_FILES.config, CHECKPOINT_FILES.tokenizer];
const NEEDS = 'a checkpoint directory needs model.safetensors + config.json + tokenizer.json';

export interface TrainingState {
  /** JSON-able resume data (step, epoch, RNG state, learning-rate schedule...). */
  json: Record<string, unknown>;
  /** Optimizer tensors (moments etc.), stored in optimizer.safetensors. */
  tensors: Record<string, Tensor>;
}

export interface Checkpoint {
  stateDict: Record<string, Tensor>;
  /** Model configuration, stored as config.json's `model`. */
  config: Record<string, unknown>;
  /** JSON-able tokenizer description. */
  tokenizer: unknown;
  trainingState?: TrainingState;
  /** How model.safetensors stores float32 weights: 'F32' (default) or 'BF16' (rounded, half the size). */
  weightsAs?: 'F32' | 'BF16';
}

export interface LoadedCheckpoint {
  stateDict: Record<string, Tensor>;
  config: Record<string, unknown>;
  tokenizer: unknown;
  trainingState: TrainingState | null;
}

interface FileRecord {
  bytes: number;
  crc32: string;
}

// ---------------------------------------------------------------------------------------------
// Save
// ---------------------------------------------------------------------------------------------

/** Writes a complete checkpoint into `dir` (created if needed); see the header for the layout. */
export function saveCheckpoint(dir: string, ck: Checkpoint): void {
  if (typeof dir !== 'string' || dir === '') throw new RnnlmError('invalid_argument', 'saveCheckpoint needs a directory path');
  if (typeof ck !== 'object' || ck === null) throw new RnnlmError('invalid_argument', 'saveCheckpoint needs { stateDict, config, tokenizer }');
  checkRecord(ck.stateDict, 'stateDict');
  checkRecord(ck.config, 'config');

  // Serialize everything before touching the disk, so bad input leaves nothing behind.
  const files: [string, Uint8Array][] = [
    [CHECKPOINT_FILES.model, encodeSafetensors(ck.stateDict, WEIGHTS_METADATA, { float32As: ck.weightsAs ?? 'F32' })],
    [CHECKPOINT_FILES.tokenizer, utf8(toJson(ck.tokenizer, 'tokenizer', 0))],
  ];
  if (ck.trainingState !== undefined) {
    const ts = ck.trainingState;
    if (typeof ts !== 'object' || ts === null) {
      throw new RnnlmError('invalid_argument', 'trainingState must be { json, tensors } or left out');
    }
    checkRecord(ts.json, 'trainingState.json');
    checkRecord(ts.tensors, 'trainingState.tensors');
    files.push([CHECKPOINT_FILES.trainingState, utf8(toJson(ts.json, 'trainingState.json', 0))]);
    files.push([CHECKPOINT_FILES.optimizer, encodeSafetensors(ts.tensors, WEIGHTS_METADATA)]);
  }
  const manifest: Record<string, FileRecord> = {};
  for (const [name, bytes] of files) manifest[name] = { bytes: bytes.length, crc32: crc32Hex(bytes) };
  const config = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, model: ck.config, files: manifest };
  files.push([CHECKPOINT_FILES.config, utf8(toJson(config, 'config'))]);

  const p = platform();
  try {
    p.mkdirp(dir);
  } catch (e) {
    if (isRnnlmError(e)) throw e;
    throw new RnnlmError('io_error', `cannot create checkpoint directory ${dir}: ${(e as Error).message}`);
  }
  recoverCheckpointDir(dir);
  for (const [name] of files) {
    // The one failure the copy into DIR could meet that staging does not: found now, before the commit.
    const target = p.joinPath(dir, name);
    if (p.isDirectory(target)) throw new RnnlmError('io_error', `cannot write ${target}: a directory is in the way; move it elsewhere`);
  }
  const staging = p.joinPath(dir, `${STAGING}${p.processId}`);
  p.removeAll(staging);
  try {
    p.mkdirp(staging);
    for (const [name, bytes] of files) p.writeFileAtomic(p.joinPath(staging, name), bytes);
  } catch (e) {
    p.removeAll(staging); // a failed save leaves nothing behind (a killed one: the next save or run removes it)
    throw e;
  }
  p.rename(staging, p.joinPath(dir, COMMIT)); // the commit point
  applyCommit(dir);
}

/** Staging folders are DIR/.staging-PID; a complete, committed save is DIR/.commit until it is copied into DIR. */
const STAGING = '.staging-';
const COMMIT = '.commit';

/** Copies a committed save (DIR/.commit) into DIR, config.json last, drops the old checkpoint's leftovers, then DIR/.commit. */
function applyCommit(dir: string): void {
  const p = platform();
  const commit = p.joinPath(dir, COMMIT);
  const names = p.listDir(commit);
  for (const name of [...names.filter((n) => n !== CHECKPOINT_FILES.config), CHECKPOINT_FILES.config]) {
    if (names.includes(name)) p.writeFileAtomic(p.joinPath(dir, name), p.readFile(p.joinPath(commit, name)));
  }
  // A previous save's training state may stay beside a save without one: config.json's `files` no longer lists it, so it is never read.
  p.removeAll(p.joinPath(commit, CHECKPOINT_FILES.config)); // first, so a half-removed .commit is never read as current
  p.removeAll(commit);
}

/**
 * Puts a checkpoint folder in order after a crash: finishes a save that was committed but not yet
 * copied into place, and removes staging folders and temporary files left by processes that no
 * longer run. Every save does this first; a training run does it when it starts.
 */
export function recoverCheckpointDir(dir: string): void {
  const p = platform();
  const entries = p.listDir(dir);
  if (entries.includes(COMMIT)) {
    if (p.exists(p.joinPath(dir, COMMIT, CHECKPOINT_FILES.config))) applyCommit(dir);
    else p.removeAll(p.joinPath(dir, COMMIT)); // not a save of this layout: nothing to finish
  }
  for (const name of entries) {
    // DIR/.staging-PID (a staging folder), or NAME.tmp-PID-… (writeFileAtomic's temporary file).
    const m = /^\.staging-(\d+)$/.exec(name) ?? /\.tmp-(\d+)-\d+$/.exec(name);
    const pid = m ? Number(m[1]) : null;
    if (pid !== null && pid !== p.processId && !p.isProcessAlive(pid)) p.removeAll(p.joinPath(dir, name));
  }
}

/** The folder that holds a checkpoint's current files: DIR, or DIR/.commit while a save is being put in place. */
function currentDir(dir: string): string {
  const p = platform();
  const commit = p.joinPath(dir, COMMIT);
  return p.exists(p.joinPath(commit, CHECKPOINT_FILES.config)) ? commit : dir;
}

function checkRecord(v: unknown, what: string): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new RnnlmError('invalid_argument', `checkpoint ${what} must be an object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  }
}

/** JSON text, refusing values JSON would silently turn into null or drop. */
function toJson(value: unknown, what: string, indent = 2): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(
      value,
      (key, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) {
          throw new RnnlmError('invalid_argument', `checkpoint ${what}: "${key}" is ${v}, which JSON cannot store; store null or a string instead`);
        }
        if (typeof v === 'function' || typeof v === 'symbol') {
          throw new RnnlmError('invalid_argument', `checkpoint ${what}: "${key}" is a ${typeof v}, which JSON cannot store`);
        }
        return v;
      },
      indent,
    );
  } catch (e) {
    if (isRnnlmError(e)) throw e;
    throw new RnnlmError('invalid_argument', `checkpoint ${what} is not JSON-serializable: ${(e as Error).message}`);
  }
  if (text === undefined) throw new RnnlmError('invalid_argument', `checkpoint ${what} is not JSON-serializable (got ${typeof value})`);
  return `${text}\n`;
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

// ---------------------------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------------------------

/** Reads and validates a checkpoint directory written by saveCheckpoint. */
export function loadCheckpoint(dir: string, opts: { dtype?: DType } = {}): LoadedCheckpoint {
  const p = platform();
  if (typeof dir !== 'string' || dir === '') throw new RnnlmError('invalid_argument', 'loadCheckpoint needs a directory path');
  if (!p.exists(dir)) throw new RnnlmError('file_not_found', `checkpoint directory ${dir} does not exist; ${NEEDS}`);
  const current = currentDir(dir);
  if (current === dir) return loadFiles(dir, opts);
  try {
    return loadFiles(current, opts);
  } catch (e) {
    // The save being put in place finished meanwhile and removed its folder: DIR is complete now.
    if (isRnnlmError(e, 'file_not_found') && !p.exists(p.joinPath(current, CHECKPOINT_FILES.config))) return loadFiles(dir, opts);
    throw e;
  }
}

function loadFiles(dir: string, opts: { dtype?: DType }): LoadedCheckpoint {
  const p = platform();
  for (const f of REQUIRED) {
    if (p.isDirectory(p.joinPath(dir, f))) throw new RnnlmError('io_error', `${p.joinPath(dir, f)} is a directory; ${NEEDS}`);
  }
  const missing = REQUIRED.filter((f) => !p.exists(p.joinPath(dir, f)));
  if (missing.length > 0) {
    throw new RnnlmError('file_not_found', `${missing.map((f) => p.joinPath(dir, f)).join(', ')} not found; ${NEEDS}`, {
      missing,
    });
  }

  const configPath = p.joinPath(dir, CHECKPOINT_FILES.config);
  const { model, files } = parseConfig(readJson(configPath), configPath);

  /** Reads one file, checking it against config.json's record when there is one. */
  const read = (name: string): Uint8Array => {
    const path = p.joinPath(dir, name);
    const bytes = p.readFile(path);
    const rec = files?.[name];
    if (rec && (rec.bytes !== bytes.length || rec.crc32 !== crc32Hex(bytes))) {
      throw new RnnlmError(
        'corrupt_checkpoint',
        `${path} does not match config.json (${bytes.length} bytes, crc32 ${crc32Hex(bytes)}; config.json recorded ` +
          `${rec.bytes} bytes, crc32 ${rec.crc32}): the checkpoint was damaged, partly overwritten by an interrupted save, ` +
          `or the file was replaced. Re-save it, or remove "${name}" from "files" in config.json to accept the file as it is`,
      );
    }
    return bytes;
  };

  const modelPath = p.joinPath(dir, CHECKPOINT_FILES.model);
  const modelBytes = read(CHECKPOINT_FILES.model);
  const weights = withPath(modelPath, () => decodeSafetensors(modelBytes, opts));
  checkWeightsMetadata(weights.metadata, modelPath);
  const tokenizerPath = p.joinPath(dir, CHECKPOINT_FILES.tokenizer);
  const tokenizer = readJson(tokenizerPath, read(CHECKPOINT_FILES.tokenizer));

  // The training state belongs to this save only if config.json lists it; without a `files`
  // record (a hand-made checkpoint) it is used when both of its files are present.
  const tsPath = p.joinPath(dir, CHECKPOINT_FILES.trainingState);
  const optPath = p.joinPath(dir, CHECKPOINT_FILES.optimizer);
  const hasTs = files
    ? files[CHECKPOINT_FILES.trainingState] !== undefined || files[CHECKPOINT_FILES.optimizer] !== undefined
    : p.exists(tsPath) || p.exists(optPath);
  let trainingState: TrainingState | null = null;
  if (hasTs) {
    for (const path of [tsPath, optPath]) {
      if (!p.exists(path)) {
        throw new RnnlmError('file_not_found', `${path} not found: a checkpoint's training state needs both training-state.json and optimizer.safetensors`);
      }
    }
    const json = readJson(tsPath, read(CHECKPOINT_FILES.trainingState));
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new RnnlmError('corrupt_checkpoint', `${tsPath} must hold a JSON object; re-save the checkpoint`);
    }
    const optBytes = read(CHECKPOINT_FILES.optimizer);
    const opt = withPath(optPath, () => decodeSafetensors(optBytes, opts));
    checkWeightsMetadata(opt.metadata, optPath);
    trainingState = { json: json as Record<string, unknown>, tensors: opt.tensors };
  }
  return { stateDict: weights.tensors, config: model, tokenizer, trainingState };
}

/** True when `dir` holds the three required files and a config.json of this format. Never throws. */
export function isCheckpointDir(dir: string): boolean {
  try {
    const p = platform();
    dir = currentDir(dir);
    if (!REQUIRED.every((f) => p.exists(p.joinPath(dir, f)))) return false;
    const cfg = readJson(p.joinPath(dir, CHECKPOINT_FILES.config));
    return typeof cfg === 'object' && cfg !== null && (cfg as Record<string, unknown>).format === CHECKPOINT_FORMAT;
  } catch {
    return false;
  }
}

function parseConfig(cfg: unknown, path: string): { model: Record<string, unknown>; files: Record<string, FileRecord> | null } {
  const bad = (msg: string) => new RnnlmError('corrupt_checkpoint', `${path}: ${msg}`);
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) throw bad('must hold a JSON object; re-save the checkpoint');
  const c = cfg as Record<string, unknown>;
  if (c.format !== CHECKPOINT_FORMAT) {
    throw bad(`"format" is ${JSON.stringify(c.format)}, expected "${CHECKPOINT_FORMAT}": this is not an rnnlm checkpoint config`);
  }
  const v = c.version;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw bad(`"version" is ${JSON.stringify(v)}, expected a positive integer`);
  if (v > CHECKPOINT_VERSION) {
    throw bad(`checkpoint version ${v} is newer than this rnnlm reads (version ${CHECKPOINT_VERSION}): written by a newer rnnlm? Upgrade rnnlm to load it`);
  }
  if (typeof c.model !== 'object' || c.model === null || Array.isArray(c.model)) throw bad('"model" must be an object of model settings');

  let files: Record<string, FileRecord> | null = null;
  if (c.files !== undefined) {
    if (typeof c.files !== 'object' || c.files === null || Array.isArray(c.files)) throw bad('"files" must be an object');
    files = Object.create(null) as Record<string, FileRecord>;
    for (const [name, rec] of Object.entries(c.files)) {
      const r = rec as Partial<FileRecord> | null;
      if (typeof r !== 'object' || r === null || !Number.isSafeInteger(r.bytes) || typeof r.crc32 !== 'string' || !/^[0-9a-f]{8}$/.test(r.crc32)) {
        throw bad(`"files"."${name}" must be { bytes: integer, crc32: 8 hex digits }`);
      }
      files[name] = r as FileRecord;
    }
  }
  return { model: c.model as Record<string, unknown>, files };
}

function checkWeightsMetadata(meta: Record<string, string>, path: string): void {
  // Files from other tools (e.g. a state dict saved from PyTorch) carry other or no metadata.
  if (meta.format === WEIGHTS_METADATA.format && meta.version !== WEIGHTS_METADATA.version) {
    throw new RnnlmError(
      'corrupt_checkpoint',
      `${path}: weights format version ${JSON.stringify(meta.version)}, this rnnlm reads version ${WEIGHTS_METADATA.version}: written by a newer rnnlm? Upgrade rnnlm to load it`,
    );
  }
}

function readJson(path: string, bytes: Uint8Array = platform().readFile(path)): unknown {
  let text: string;
  try {
    text = decodeUtf8(bytes, path);
  } catch (e) {
    throw new RnnlmError('corrupt_checkpoint', `${(e as Error).message.replace(/; re-encode.*$/, '')}; the checkpoint is damaged, re-save it`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RnnlmError(
      'corrupt_checkpoint',
      `${path} is not valid JSON (${(e as Error).message}); the checkpoint is damaged or was edited by hand, fix or re-save it`,
    );
  }
}

/** Puts the file name in front of errors from decoding it. */
function withPath<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isRnnlmError(e) && (e.code === 'corrupt_checkpoint' || e.code === 'unsupported')) {
      throw new RnnlmError(e.code, `${path}: ${e.message}`, e.details);
    }
    throw e;
  }
}
