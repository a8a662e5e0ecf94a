/**
 * Word error rate: the minimum-edit (Levenshtein) alignment of a hypothesis against its
 * reference, words split on whitespace, with unit costs for substitutions, deletions and
 * insertions (as NIST sclite and Kaldi's compute-wer count them).
 *   WER = (S + D + I) / reference words;  SER = sentences with any error / sentences.
 * Ties between alignments of equal cost prefer substitutions, then deletions (sclite's order), so
 * the counts are deterministic. Legend: R reference words, H hypothesis words.
 */
import { splitWords } from '../tokenizers/word.js';

export interface ErrorCounts {
  substitutions: number;
  deletions: number;
  insertions: number;
  /** Reference words. */
  words: number;
}

export interface WordAlignment extends ErrorCounts {
  /** S + D + I. */
  errors: number;
}

/** Minimum-edit alignment counts of one hypothesis against one reference (word lists). */
export function alignWords(ref: readonly string[], hyp: readonly string[]): WordAlignment {
  const R = ref.length;
  const H = hyp.length;
  // cost[i][j] for ref[0..i) vs hyp[0..j), one row at a time; ops[i][j]: 0 match/sub, 1 del, 2 ins.
  const ops = new Uint8Array((R + 1) * (H + 1)); // [R+1, H+1]
  let prev = new Int32Array(H + 1);
  let cur = new Int32Array(H + 1);
  for (let j = 0; j <= H; j++) {
    prev[j] = j;
    ops[j] = 2;
  }
  for (let i = 1; i <= R; i++) {
    cur[0] = i;
    ops[i * (H + 1)] = 1;
    for (let j = 1; j <= H; j++) {
      const diag = prev[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1);
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      let best = diag;
      let op = 0;
      if (del < best) {
        best = del;
        op = 1;
      }
      if (ins < best) {
        best = ins;
        op = 2;
      }
      cur[j] = best;
      ops[i * (H + 1) + j] = op;
    }
    [prev, cur] = [cur, prev];
  }
  let s = 0;
  let d = 0;
  let n = 0;
  for (let i = R, j = H; i > 0 || j > 0; ) {
    const op = i === 0 ? 2 : j === 0 ? 1 : ops[i * (H + 1) + j]!;
    if (op === 0) {
      if (ref[i - 1] !== hyp[j - 1]) s++;
      i--;
      j--;
    } else if (op === 1) {
      d++;
      i--;
    } else {
      n++;
      j--;
    }
  }
  return { substitutions: s, deletions: d, insertions: n, words: R, errors: s + d + n };
}

export interface CorpusErrorRate extends ErrorCounts {
  errors: number;
  /** (S + D + I) / words; NaN without reference words. */
  wer: number;
  sentences: number;
  sentencesWithErrors: number;
  ser: number;
}

/** WER and SER of hypotheses against references, pair by pair (texts, split on whitespace). */
export function wordErrorRate(pairs: readonly { ref: string; hyp: string }[]): CorpusErrorRate {
  const t: CorpusErrorRate = { substitutions: 0, deletions: 0, insertions: 0, words: 0, errors: 0, wer: NaN, sentences: 0, sentencesWithErrors: 0, ser: NaN };
  for (const { ref, hyp } of pairs) {
    const a = alignWords(splitWords(ref), splitWords(hyp));
    t.substitutions += a.substitutions;
    t.deletions += a.deletions;
    t.insertions += a.insertions;
    t.words += a.words;
    t.errors += a.errors;
    t.sentences++;
    if (a.errors > 0) t.sentencesWithErrors++;
  }
  t.wer = t.words > 0 ? t.errors / t.words : NaN;
  t.ser = t.sentences > 0 ? t.sentencesWithErrors / t.sentences : NaN;
  return t;
}
