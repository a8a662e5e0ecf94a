/**
 * Batching for language-model training, with exactly the semantics of PyTorch's
 * word_language_model example (batchify / get_batch), plus padding for variable-length
 * sentences and a seeded Fisher–Yates shuffle.
 *
 * Dimensions: L rows (time steps) of the batched stream, B batch (columns), T time steps
 * of one window. Layouts are time-major: [L, B] means data[t*B + b].
 */
import { RnnlmError } from '../errors.js';
import type { Rng } from '../tensor/random.js';

export interface Batched {
  /** [L, B] time-major: data[t*B + b]; column b is the b-th contiguous chunk of the stream. */
  data: Int32Array;
  L: number;
  B: number;
}

export interface Batch {
  /** [T, B] time-major. */
  input: Int32Array;
  /** [T, B] time-major: the next token of each input position. */
  target: Int32Array;
  T: number;
}

function checkPositiveInt(v: number, name: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RnnlmError('invalid_argument', `${name} is ${v}; give an integer >= 1`);
  }
}

/**
 * Cuts the stream into B equal columns (the remainder that does not fill a row is dropped,
 * as torch's `narrow`), laid out [L, B] time-major. Needs at least 2·B tokens so every
 * column has an input and a target.
 */
export function batchify(ids: Int32Array, B: number): Batched {
  if (!(ids instanceof Int32Array)) throw new RnnlmError('invalid_argument', 'batchify needs an Int32Array of token ids');
  checkPositiveInt(B, 'batch size');
  if (ids.length < 2 * B) {
    throw new RnnlmError(
      'invalid_argument',
      `batchify: ${ids.length} tokens cannot fill batch size ${B} (need at least ${2 * B}); use a smaller batch size or more text`,
    );
  }
  const L = Math.floor(ids.length / B);
  const data = new Int32Array(L * B); // [L, B]
  for (let b = 0; b < B; b++) {
    const src = b * L; // column b = ids[b*L .. (b+1)*L)
    for (let t = 0; t < L; t++) data[t * B + b] = ids[src + t]!;
  }
  return { data, L, B };
}

/**
 * Window of rows [i, i+T) as input and [i+1, i+T+1) as target, T = min(bptt, L − 1 − i).
 * Returns copies, so callers may keep or modify them.
 */
export function getBatch(batched: Batched, i: number, bptt: number): Batch {
  checkPositiveInt(bptt, 'bptt');
  const { data, L, B } = batched;
  if (!Number.isInteger(i) || i < 0 || i > L - 2) {
    throw new RnnlmError('invalid_argument', `getBatch: row ${i} has no target; give 0 <= i <= ${L - 2}`);
  }
  const T = Math.min(bptt, L - 1 - i);
  const input = data.slice(i * B, (i + T) * B); // [T, B]
  const target = data.slice((i + 1) * B, (i + 1 + T) * B); // [T, B]
  return { input, target, T };
}

/** Every window of the stream in order: i = 0, bptt, 2·bptt, … while i < L − 1. */
export function* bpttWindows(batched: Batched, bptt: number): Generator<Batch & { i: number }> {
  checkPositiveInt(bptt, 'bptt');
  for (let i = 0; i < batched.L - 1; i += bptt) yield { ...getBatch(batched, i, bptt), i };
}

/** Number of windows `bpttWindows` yields. */
export function numWindows(batched: Batched, bptt: number): number {
  checkPositiveInt(bptt, 'bptt');
  return Math.ceil((batched.L - 1) / bptt);
}

export interface PaddedBatch {
  /** [T, B] time-major (ids[t*B + b]), or [B, T] (ids[b*T + t]) with batchFirst. */
  ids: Int32Array;
  /** Same layout as ids: 1 at real tokens, 0 at padding. */
  mask: Uint8Array;
  /** [B] length of each sequence. */
  lengths: Int32Array;
  T: number;
  B: number;
}

/** Pads B sequences to the longest one (T) with `padId`. */
export function padBatch(seqs: readonly Int32Array[], padId: number, options: { batchFirst?: boolean } = {}): PaddedBatch {
  if (!Array.isArray(seqs) || seqs.length === 0) throw new RnnlmError('invalid_argument', 'padBatch needs at least one sequence');
  if (!Number.isInteger(padId)) throw new RnnlmError('invalid_argument', `padId is ${padId}; give an integer token id`);
  const batchFirst = options.batchFirst ?? false;
  const B = seqs.length;
  const lengths = new Int32Array(B);
  let T = 0;
  for (let b = 0; b < B; b++) {
    const s = seqs[b];
    if (!(s instanceof Int32Array)) throw new RnnlmError('invalid_argument', `padBatch: sequence ${b} is not an Int32Array`);
    lengths[b] = s.length;
    if (s.length > T) T = s.length;
  }
  const ids = new Int32Array(T * B).fill(padId);
  const mask = new Uint8Array(T * B);
  for (let b = 0; b < B; b++) {
    const s = seqs[b]!;
    for (let t = 0; t < s.length; t++) {
      const k = batchFirst ? b * T + t : t * B + b; // [B, T] or [T, B]
      ids[k] = s[t]!;
      mask[k] = 1;
    }
  }
  return { ids, mask, lengths, T, B };
}

/** Fisher–Yates shuffle driven by the seeded Rng; returns `arr`. */
export function shuffleInPlace<A extends { length: number; [i: number]: unknown }>(arr: A, rng: Rng): A {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = arr[i];
    arr[i] = arr[j];
    arr[j] = tmp;
  }
  return arr;
}
