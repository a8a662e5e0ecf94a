/**
 * Parallel data for translation: reading aligned source/target files or a TAB-separated pairs
 * file (Tatoeba/Anki format: en<TAB>zh<TAB>attribution), a seeded train/valid/test split, and
 * length-sorted padded batches with masks.
 *
 * Sequences: a source is its tokens + <eos>; the target input is <eos> (the start symbol) +
 * tokens, the target output tokens + <eos>. Batches are time-major for the recurrent layers
 * (src [S,B], tgtIn [T,B]) and batch-major for the loss (tgtOut [B,T], padding = IGNORE).
 * Legend: S source steps, T target steps, B batch.
 */
import { padBatch, shuffleInPlace } from '../data/batchify.js';
import { RnnlmError } from '../errors.js';
import { readTextFile } from '../platform/platform.js';
import { Rng } from '../tensor/random.js';
import { splitLines } from '../tokenizers/word.js';
import type { TranslationSide } from './side.js';

/** Target id of padding in tgtOut (crossEntropy's ignoreIndex). */
export const IGNORE = -100;

export interface ParallelText {
  src: string[];
  tgt: string[];
}

/** Lines of a UTF-8 file (a final newline does not add an empty line). */
export function readLines(path: string): string[] {
  return splitLines(readTextFile(path)).lines;
}

/** Aligned source and target files, one sentence per line. */
export function readParallel(srcPath: string, tgtPath: string): ParallelText {
  const src = readLines(srcPath);
  const tgt = readLines(tgtPath);
  if (src.length !== tgt.length) {
    throw new RnnlmError('invalid_argument', `${srcPath} has ${src.length} lines but ${tgtPath} has ${tgt.length}; parallel files must align line by line`);
  }
  if (src.length === 0) throw new RnnlmError('empty_corpus', `${srcPath} has no lines`);
  return { src, tgt };
}

/** TAB-separated pairs: column `srcColumn` → column `tgtColumn` (default 0 → 1); blank lines are skipped. */
export function parsePairs(text: string, opts: { srcColumn?: number; tgtColumn?: number; what?: string } = {}): ParallelText {
  const sc = opts.srcColumn ?? 0;
  const tc = opts.tgtColumn ?? 1;
  const src: string[] = [];
  const tgt: string[] = [];
  splitLines(text).lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cols = line.split('\t');
    if (cols.length <= Math.max(sc, tc)) {
      throw new RnnlmError(
        'invalid_argument',
        `${opts.what ?? 'pairs'} line ${i + 1} has ${cols.length} TAB-separated columns; need at least ${Math.max(sc, tc) + 1} (source<TAB>target)`,
      );
    }
    src.push(cols[sc]!);
    tgt.push(cols[tc]!);
  });
  if (src.length === 0) throw new RnnlmError('empty_corpus', `${opts.what ?? 'pairs'} has no pairs`);
  return { src, tgt };
}

/** A seeded shuffle, then consecutive train/valid/test slices of the given fractions (e.g. 0.9/0.05/0.05). */
export function splitParallel(
  p: ParallelText,
  fractions: readonly [number, number, number],
  seed: number,
): { train: ParallelText; valid: ParallelText; test: ParallelText } {
  const sum = fractions[0] + fractions[1] + fractions[2];
  if (!(fractions.every((f) => f >= 0) && Math.abs(sum - 1) < 1e-9))
    throw new RnnlmError('invalid_argument', `split fractions must be ≥ 0 and sum to 1, got ${fractions.join('/')}`);
  const order = Int32Array.from({ length: p.src.length }, (_, i) => i);
  shuffleInPlace(order, new Rng(seed));
  const n = order.length;
  const nTrain = Math.round(n * fractions[0]);
  const nValid = Math.round(n * fractions[1]);
  const take = (a: number, b: number): ParallelText => {
    const idx = Array.from(order.subarray(a, b));
    return { src: idx.map((i) => p.src[i]!), tgt: idx.map((i) => p.tgt[i]!) };
  };
  return { train: take(0, nTrain), valid: take(nTrain, nTrain + nValid), test: take(nTrain + nValid, n) };
}

export interface EncodedPair {
  /** Source ids + <eos>. */
  src: Int32Array;
  /** Target ids without <eos>. */
  tgt: Int32Array;
  /** Line number in the corpus it came from. */
  index: number;
}

/**
 * Encodes every pair. `maxLen` (training) drops pairs with more tokens than that on either
 * side, and pairs with an empty side; without it every line is kept (evaluation).
 */
export function encodeParallel(p: ParallelText, src: TranslationSide, tgt: TranslationSide, opts: { maxLen?: number } = {}): EncodedPair[] {
  const out: EncodedPair[] = [];
  for (let i = 0; i < p.src.length; i++) {
    const s = src.encode(p.src[i]!);
    const t = tgt.encode(p.tgt[i]!);
    if (opts.maxLen !== undefined && (s.length === 0 || t.length === 0 || s.length > opts.maxLen || t.length > opts.maxLen)) continue;
    out.push({ src: withEos(s, src.eosId), tgt: t, index: i });
  }
  return out;
}

/** ids + eos. */
export function withEos(ids: Int32Array, eos: number): Int32Array {
  const out = new Int32Array(ids.length + 1);
  out.set(ids);
  out[ids.length] = eos;
  return out;
}

export interface TranslationBatch {
  /** [S,B] time-major, padded with the source <eos>. */
  src: Int32Array;
  srcLengths: Int32Array;
  S: number;
  /** [T,B] time-major: <eos> + target, padded with <eos> (never scored). */
  tgtIn: Int32Array;
  /** [B,T] batch-major: target + <eos>, padded with IGNORE. */
  tgtOut: Int32Array;
  T: number;
  B: number;
  /** Scored target tokens (<eos> included). */
  tokens: number;
  /** EncodedPair.index of each row. */
  indices: number[];
}

export function makeBatch(pairs: readonly EncodedPair[], srcEos: number, tgtEos: number): TranslationBatch {
  const src = padBatch(
    pairs.map((p) => p.src),
    srcEos,
  );
  const tin = padBatch(
    pairs.map((p) => withBos(p.tgt, tgtEos)),
    tgtEos,
  );
  const tout = padBatch(
    pairs.map((p) => withEos(p.tgt, tgtEos)),
    IGNORE,
    { batchFirst: true },
  );
  let tokens = 0;
  for (const p of pairs) tokens += p.tgt.length + 1;
  return {
    src: src.ids,
    srcLengths: src.lengths,
    S: src.T,
    tgtIn: tin.ids,
    tgtOut: tout.ids,
    T: tin.T,
    B: pairs.length,
    tokens,
    indices: pairs.map((p) => p.index),
  };
}

function withBos(ids: Int32Array, bos: number): Int32Array {
  const out = new Int32Array(ids.length + 1);
  out[0] = bos;
  out.set(ids, 1);
  return out;
}

/**
 * Batches of up to `batchSize` pairs of similar length (sorted by source then target length,
 * so little padding), in a shuffled order when `rng` is given (the pairs within a length
 * band are shuffled first too, so batches differ between epochs).
 */
export function makeBatches(pairs: readonly EncodedPair[], batchSize: number, srcEos: number, tgtEos: number, rng?: Rng): TranslationBatch[] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RnnlmError('invalid_argument', `batch size must be an integer ≥ 1, got ${batchSize}`);
  const order = pairs.slice();
  if (rng) shuffleInPlace(order, rng);
  order.sort((a, b) => a.src.length - b.src.length || a.tgt.length - b.tgt.length); // stable: ties keep the shuffle
  const batches: TranslationBatch[] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(makeBatch(order.slice(i, i + batchSize), srcEos, tgtEos));
  if (rng) shuffleInPlace(batches, rng);
  return batches;
}
