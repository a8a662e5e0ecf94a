/**
 * A back-off n-gram model in ARPA semantics, stored as a trie of typed arrays (no object per
 * n-gram): level k holds the (k+1)-grams, sorted by (context node, word), so the continuations
 * of a context are one contiguous, word-sorted range found by binary search.
 *
 *   p(w | h) = p*(h w)                        when the n-gram h w is stored
 *            = bow(h) · p(w | h′)             otherwise (h′ = h without its oldest word;
 *                                             bow(h) = 1 when h is not stored)
 * with log10 values as in ARPA files. Interpolated Kneser–Ney models (kn.ts) store their
 * interpolated probabilities this way, exactly as SRILM and KenLM write them.
 *
 * Legend: N order, V vocabulary size, n_k number of k-grams; level k−1 holds the k-grams.
 * Level 0 is dense: unigram i is word i. Memory: 4 + 4 + 4 (+4 child start) bytes per n-gram.
 */
import { RnnlmError } from '../errors.js';
import type { SentenceStream } from './text.js';
import type { NgramVocab } from './vocab.js';

/** log10 probability ARPA files use for "impossible" (`<s>` as a predicted word). */
export const LOG10_ZERO = -99;

export interface NgramLevel {
  /** [n_k] word id of each k-gram's last word; sorted within each context range. */
  words: Int32Array;
  /** [n_k] log10 p(w | context). */
  logProb: Float32Array;
  /** [n_k] log10 back-off weight of the k-gram as a context (0 when none); null at the top order. */
  backoff: Float32Array | null;
  /** [n_k + 1] children of k-gram i are level k+1 entries childStart[i] .. childStart[i+1]; null at the top. */
  childStart: Uint32Array | null;
}

/** Per-sentence score: log10 p of the scored words and </s>, SRILM's counts. */
export interface NgramSentenceScore {
  /** Σ log10 p over scored tokens (words and </s>, OOVs and zero probabilities skipped). */
  log10Prob: number;
  /** Words of the sentence (OOVs included, </s> excluded). */
  words: number;
  oovs: number;
  /** Tokens with probability 0 (log10 p ≤ −99), not counted in the perplexity. */
  zeroProbs: number;
}

export class NgramModel {
  readonly vocab: NgramVocab;
  readonly levels: readonly NgramLevel[];

  constructor(vocab: NgramVocab, levels: NgramLevel[]) {
    if (levels.length < 1) throw new RnnlmError('invalid_argument', 'an n-gram model needs at least unigrams');
    if (levels[0]!.words.length !== vocab.size) {
      throw new RnnlmError('invalid_argument', `the unigram level has ${levels[0]!.words.length} entries for ${vocab.size} words`);
    }
    this.vocab = vocab;
    this.levels = levels;
  }

  get order(): number {
    return this.levels.length;
  }

  /** Number of k-grams for k = 1..N. */
  counts(): number[] {
    return this.levels.map((l) => l.words.length);
  }

  /** Bytes held by the typed arrays. */
  bytes(): number {
    let b = 0;
    for (const l of this.levels) b += l.words.byteLength + l.logProb.byteLength + (l.backoff?.byteLength ?? 0) + (l.childStart?.byteLength ?? 0);
    return b;
  }

  /**
   * Trie index of the n-gram ids[from..to) (oldest first) at level to − from − 1, or −1.
   * Ids must be in 0..V−1.
   */
  find(ids: ArrayLike<number>, from: number, to: number): number {
    let node = ids[from]!;
    for (let j = from + 1; j < to; j++) {
      const parent = this.levels[j - from - 1]!;
      const child = this.levels[j - from];
      if (!child || !parent.childStart) return -1;
      let lo = parent.childStart[node]!;
      let hi = parent.childStart[node + 1]!;
      const w = ids[j]!;
      const words = child.words;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (words[mid]! < w) lo = mid + 1;
        else hi = mid;
      }
      if (lo === parent.childStart[node + 1]! || words[lo] !== w) return -1;
      node = lo;
    }
    return node;
  }

  /**
   * log10 p(ids[pos] | ids[start..pos)) by back-off, where ids[start..pos) is the history
   * (oldest first; only its last N−1 words matter). All ids must be valid (no −1).
   */
  log10ProbAt(ids: ArrayLike<number>, start: number, pos: number): number {
    let from = Math.max(start, pos - (this.order - 1));
    let bow = 0;
    for (; from <= pos; from++) {
      const k = pos - from; // history length; the n-gram sits at level k
      const hit = this.find(ids, from, pos + 1);
      if (hit >= 0) return bow + this.levels[k]!.logProb[hit]!;
      if (k > 0) {
        const ctx = this.find(ids, from, pos);
        if (ctx >= 0) bow += this.levels[k - 1]!.backoff![ctx]!;
      }
    }
    return LOG10_ZERO; // unreachable: every word is a unigram
  }

  /**
   * log10 p of every position of a sentence stream (see text.ts): at a `<s>` NaN (context
   * only), at an OOV (−1) NaN; the history starts at the sentence's `<s>` and restarts after an
   * OOV (SRILM skips OOVs and cannot use them as context).
   */
  streamLog10Probs(stream: Int32Array): Float64Array {
    const out = new Float64Array(stream.length).fill(NaN);
    const bos = this.vocab.bos;
    let start = 0;
    for (let i = 0; i < stream.length; i++) {
      const w = stream[i]!;
      if (w === bos) {
        start = i;
        continue;
      }
      if (w < 0) {
        start = i + 1;
        continue;
      }
      out[i] = this.log10ProbAt(stream, start, i);
    }
    return out;
  }

  /** Sentence by sentence scores of a stream, SRILM's way (see NgramSentenceScore). */
  scoreStream(stream: SentenceStream): NgramSentenceScore[] {
    const lp = this.streamLog10Probs(stream.ids);
    const out: NgramSentenceScore[] = [];
    let cur: NgramSentenceScore | null = null;
    for (let i = 0; i < stream.ids.length; i++) {
      const w = stream.ids[i]!;
      if (w === this.vocab.bos) {
        cur = { log10Prob: 0, words: 0, oovs: 0, zeroProbs: 0 };
        out.push(cur);
        continue;
      }
      if (!cur) throw new RnnlmError('invalid_argument', 'a sentence stream must start with <s>');
      if (w !== this.vocab.eos) cur.words++;
      if (w < 0) cur.oovs++;
      else if (lp[i]! <= LOG10_ZERO) cur.zeroProbs++;
      else cur.log10Prob += lp[i]!;
    }
    return out;
  }
}

/** Corpus totals of sentence scores with SRILM's perplexities. */
export interface NgramCorpusScore {
  sentences: number;
  words: number;
  oovs: number;
  zeroProbs: number;
  log10Prob: number;
  /** Tokens scored: words − OOVs − zero probabilities + sentences (the </s>). */
  tokens: number;
  /** 10^(−log10Prob / tokens), </s> included (SRILM's ppl). */
  perplexity: number;
  /** Perplexity without the </s> tokens (SRILM's ppl1). */
  perplexity1: number;
}

export function summarizeNgramScores(scores: readonly NgramSentenceScore[]): NgramCorpusScore {
  let words = 0;
  let oovs = 0;
  let zeroProbs = 0;
  let log10Prob = 0;
  for (const s of scores) {
    words += s.words;
    oovs += s.oovs;
    zeroProbs += s.zeroProbs;
    log10Prob += s.log10Prob;
  }
  const sentences = scores.length;
  const tokens = words - oovs - zeroProbs + sentences;
  const noEnd = tokens - sentences;
  return {
    sentences,
    words,
    oovs,
    zeroProbs,
    log10Prob,
    tokens,
    perplexity: tokens > 0 ? 10 ** (-log10Prob / tokens) : NaN,
    perplexity1: noEnd > 0 ? 10 ** (-log10Prob / noEnd) : NaN,
  };
}
