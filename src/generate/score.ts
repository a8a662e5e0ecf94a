/**
 * Sentence scoring: log p(sentence) under the model, each sentence on its own from a fresh
 * (zero) state, in nats.
 *
 * What is scored (the conventions of the LM literature):
 * - Models with <eos> (word, BPE): the state is primed with <eos> (the conventional sentence
 *   start), then every token of the sentence AND the final <eos> is predicted and counted.
 * - Character models: primed with '\n' when the vocabulary has it, and every character plus a
 *   final '\n' (the character model's end of sentence) is predicted and counted. Without '\n'
 *   in the vocabulary the first character is the context only (not scored) and no end is added.
 *
 * Sentences are batched (sorted by length, padded; padded targets use ignoreIndex so they cost
 * nothing) and long batches are read in time chunks with the state carried, so memory stays
 * bounded. Batching does not change any result: every position sees only its own sentence.
 *
 * Legend: B sentences per batch, T time (longest sentence in the batch), V vocabulary, N = T·B.
 */
import { kernelsFor } from '../backend/backend.js';
import { noGrad } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { RNNLM, RNNState } from '../models/rnnlm.js';
import { allocArray } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { logSoftmaxRow } from './sample.js';

export interface ScoreOptions {
  /** Sentences per batch (default 32). */
  batchSize?: number;
  /** Most logits elements (T·B·V) held at once; longer batches are read in time chunks (default 2^22). */
  maxElements?: number;
}

export interface SentenceScore {
  /** log p(sentence) in nats (natural log), summed over the scored tokens. */
  logProb: number;
  /** Tokens scored (including the final <eos> / '\n'). */
  tokens: number;
  /** exp(−logProb / tokens); NaN when no token was scored. */
  perplexity: number;
}

export interface CorpusScore {
  sentences: number;
  tokens: number;
  logProb: number;
  /** exp(−Σ logProb / Σ tokens). */
  perplexity: number;
}

const IGNORE = -100;

/**
 * The ids a sentence is read as: position 0 is context only, positions 1.. are scored
 * (see the header for the conventions).
 */
export function sentenceIds(tokenizer: Tokenizer, sentence: string): Int32Array {
  if (typeof sentence !== 'string') throw new RnnlmError('invalid_argument', 'a sentence must be a string');
  const body = tokenizer.encode(sentence);
  if (tokenizer.eosId !== null) {
    const eos = tokenizer.eosId;
    const endsWithEos = body.length > 0 && body[body.length - 1] === eos;
    const out = new Int32Array(body.length + (endsWithEos ? 1 : 2));
    out[0] = eos;
    out.set(body, 1);
    if (!endsWithEos) out[out.length - 1] = eos;
    return out;
  }
  const nl = tokenizer.vocab.idOf('\n');
  if (nl === undefined) return body;
  const out = new Int32Array(body.length + 2);
  out[0] = nl;
  out.set(body, 1);
  out[out.length - 1] = nl;
  return out;
}

export function scoreSentences(model: RNNLM, tokenizer: Tokenizer, sentences: readonly string[], opts: ScoreOptions = {}): SentenceScore[] {
  return scoreAll(model, tokenizer, sentences, opts, false).scores;
}

/** One sentence read token by token: its ids (sentenceIds) and logProbs[k] = ln p(ids[k] | ids[0..k−1]), NaN at k = 0. */
export interface SentenceTokens {
  ids: Int32Array;
  logProbs: Float64Array;
}

/** Like scoreSentences, with every token's log-probability (for mixing with another model token by token). */
export function scoreSentenceTokens(model: RNNLM, tokenizer: Tokenizer, sentences: readonly string[], opts: ScoreOptions = {}): SentenceTokens[] {
  return scoreAll(model, tokenizer, sentences, opts, true).tokens!;
}

function scoreAll(
  model: RNNLM,
  tokenizer: Tokenizer,
  sentences: readonly string[],
  opts: ScoreOptions,
  perToken: boolean,
): { scores: SentenceScore[]; tokens: SentenceTokens[] | null } {
  const batchSize = opts.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RnnlmError('invalid_argument', `batchSize must be an integer ≥ 1, got ${batchSize}`);
  const maxElements = opts.maxElements ?? 1 << 22;
  if (!(Number.isInteger(maxElements) && maxElements >= 1)) throw new RnnlmError('invalid_argument', `maxElements must be an integer ≥ 1, got ${maxElements}`);
  if (!Array.isArray(sentences)) throw new RnnlmError('invalid_argument', 'scoreSentences needs an array of strings');
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new RnnlmError('checkpoint_mismatch', `the tokenizer has ${tokenizer.vocabSize} tokens but the model expects ${model.config.vocabSize}`);
  }
  const seqs = sentences.map((s, i) => {
    try {
      return sentenceIds(tokenizer, s);
    } catch (e) {
      if (e instanceof RnnlmError) throw new RnnlmError(e.code, `sentence ${i + 1}: ${e.message}`, e.details);
      throw e;
    }
  });
  const tokenLps = perToken ? seqs.map((q) => new Float64Array(q.length).fill(NaN)) : null;
  const logProb = scoreSequences(model, seqs, batchSize, maxElements, tokenLps, null);
  const scores = seqs.map((s, i) => {
    const tokens = Math.max(0, s.length - 1);
    const lp = logProb[i]!;
    return { logProb: lp, tokens, perplexity: tokens > 0 ? Math.exp(-lp / tokens) : NaN };
  });
  return { scores, tokens: tokenLps ? seqs.map((ids, i) => ({ ids, logProbs: tokenLps[i]! })) : null };
}

/**
 * Σ ln p(ids[k] | ids[0..k−1]) over positions k ≥ from[i] (≥ 1) of each sequence: the log-probability
 * of a continuation given its context (e.g. a response after a dialogue context), batched as
 * scoreSentences is. Returns one sum per sequence, in input order.
 */
export function scoreContinuations(model: RNNLM, seqs: readonly Int32Array[], from: readonly number[], opts: ScoreOptions = {}): Float64Array {
  const batchSize = opts.batchSize ?? 32;
  const maxElements = opts.maxElements ?? 1 << 22;
  if (from.length !== seqs.length) throw new RnnlmError('invalid_argument', `${from.length} start positions for ${seqs.length} sequences`);
  seqs.forEach((s, i) => {
    if (!(Number.isInteger(from[i]) && from[i]! >= 1 && from[i]! <= s.length))
      throw new RnnlmError('invalid_argument', `sequence ${i}: the scored part must start at a position in 1..${s.length}, got ${from[i]}`);
  });
  return scoreSequences(model, seqs, batchSize, maxElements, null, from);
}

/**
 * Σ log p of each sequence from position from[i] (default 1) on, in input order: batches of
 * similar length (longest first, so each pads little), eval mode, no graph. perToken[i] gets
 * each position's log p when given.
 */
function scoreSequences(
  model: RNNLM,
  seqs: readonly Int32Array[],
  batchSize: number,
  maxElements: number,
  perToken: Float64Array[] | null,
  from: readonly number[] | null,
): Float64Array {
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[b]!.length - seqs[a]!.length || a - b);
  const out = new Float64Array(seqs.length);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let start = 0; start < order.length; start += batchSize) {
        const idx = order.slice(start, start + batchSize);
        const sums = scoreBatch(
          model,
          idx.map((i) => seqs[i]!),
          maxElements,
          perToken ? idx.map((i) => perToken[i]!) : null,
          from ? idx.map((i) => from[i]!) : undefined,
        );
        idx.forEach((i, b) => (out[i] = sums[b]!));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/**
 * Σ log p over positions from[b] (default 1).. of each sequence (one batch, time-major, padded);
 * each position's log p into perToken[b] when given.
 */
function scoreBatch(model: RNNLM, seqs: Int32Array[], maxElements: number, perToken: Float64Array[] | null, from?: readonly number[]): Float64Array {
  const B = seqs.length;
  const V = model.config.vocabSize;
  const T = Math.max(0, ...seqs.map((s) => s.length - 1));
  const sums = new Float64Array(B);
  if (T === 0) return sums;
  const input = new Int32Array(T * B); // [T,B]; padding reads id 0, its predictions are ignored
  const target = new Int32Array(T * B).fill(IGNORE); // [T,B]
  for (let b = 0; b < B; b++) {
    const s = seqs[b]!;
    for (let t = 0; t + 1 < s.length; t++) {
      input[t * B + b] = s[t]!;
      if (t + 1 >= (from?.[b] ?? 1)) target[t * B + b] = s[t + 1]!;
    }
  }
  const chunk = Math.max(1, Math.floor(maxElements / (B * V))); // time steps per forward
  let state: RNNState | null = null;
  for (let t0 = 0; t0 < T; t0 += chunk) {
    const Tc = Math.min(chunk, T - t0);
    const N = Tc * B;
    const out = model.forward(input.subarray(t0 * B, t0 * B + N), Tc, B, state);
    state = out.state;
    const k = kernelsFor(out.logits.data);
    const lse = allocArray(out.logits.dtype, N);
    const losses = allocArray(out.logits.dtype, N);
    k.softmaxXentForward(out.logits.data, target.subarray(t0 * B, t0 * B + N), N, V, IGNORE, lse, losses);
    for (let n = 0; n < N; n++) sums[n % B] = sums[n % B]! - losses[n]!; // row n = (t, b) with b = n mod B
    if (perToken) {
      for (let n = 0; n < N; n++) {
        const b = n % B;
        const t = t0 + (n - b) / B + 1; // the position row n predicts
        if (t < seqs[b]!.length) perToken[b]![t] = -losses[n]!;
      }
    }
  }
  for (let b = 0; b < B; b++) {
    if (!Number.isFinite(sums[b]!)) {
      throw new RnnlmError('non_finite', 'a sentence log-probability is not finite: the model weights hold NaN or Inf; use another checkpoint');
    }
  }
  return sums;
}

/** Totals over a set of sentence scores. */
export function summarizeScores(scores: readonly SentenceScore[]): CorpusScore {
  let tokens = 0;
  let logProb = 0;
  for (const s of scores) {
    tokens += s.tokens;
    logProb += s.logProb;
  }
  return { sentences: scores.length, tokens, logProb, perplexity: tokens > 0 ? Math.exp(-logProb / tokens) : NaN };
}

/**
 * ln p(ids[k] | ids[0..k−1]) for every position k ≥ 1 of one sequence (B = 1), as [n] values
 * with out[0] = NaN (position 0 is context only). The sequence is read in chunks of `chunk`
 * steps with the state carried, so memory stays O(chunk·V); the generator yields the number of
 * positions done after each chunk, so an async caller can yield to its event loop or abort, and
 * returns the log-probs. `drain` runs it to the end synchronously.
 */
export function* tokenLogProbs(
  model: RNNLM,
  ids: Int32Array,
  chunk = 128,
  /** Sees each position's whole row log p(· | ids[0..k−1]) [V] (valid during the call), e.g. for top alternatives. */
  onRow?: (k: number, row: Float64Array) => void,
): Generator<number, Float64Array, void> {
  const n = ids.length;
  const out = new Float64Array(n).fill(NaN);
  const V = model.config.vocabSize;
  const row = new Float64Array(V);
  let state: RNNState | null = null;
  // Inputs are ids[0..n−2]; input s + t predicts ids[s + t + 1].
  for (let s = 0; s < n - 1; s += chunk) {
    const T = Math.min(chunk, n - 1 - s);
    const wasTraining = model.training;
    model.eval();
    try {
      noGrad(() => {
        const fwd = model.forward(ids.subarray(s, s + T), T, 1, state);
        state = fwd.state;
        const logits = fwd.logits.data; // [T, V]
        for (let t = 0; t < T; t++) {
          logSoftmaxRow(logits.subarray(t * V, (t + 1) * V), row);
          out[s + t + 1] = row[ids[s + t + 1]!]!;
          onRow?.(s + t + 1, row);
        }
      });
    } finally {
      model.train(wasTraining);
    }
    if (!out.subarray(s + 1, s + T + 1).every(Number.isFinite)) {
      throw new RnnlmError('non_finite', 'the model produced non-finite log-probabilities: its weights hold NaN or Inf; use another checkpoint');
    }
    yield s + T;
  }
  return out;
}

/** Runs a generator to completion and returns its result. */
export function drain<R>(gen: Generator<unknown, R, void>): R {
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}
