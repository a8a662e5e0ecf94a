/**
 * Response metrics as the dialogue literature reports them (PLATO, Bao et al. 2020, and the
 * works it compares with), on token lists:
 *
 * - BLEU-1/2: sentence-level BLEU of each response against its one reference, averaged over
 *   responses, with n-gram weights (1,0,0,0) and (0.5,0.5,0,0) and NLTK's smoothing method 7
 *   (Chen & Cherry 2014: method 4 then method 5), as `nltk.translate.bleu_score.sentence_bleu`
 *   computes it in NLTK ≥ 3.6 (the method-4 formula changed in 3.6). Method 5 averages each
 *   precision with its neighbours, so BLEU-1 is not the plain unigram precision. An empty
 *   response, or one without a single matching unigram, scores 0.
 * - distinct-1/2: distinct n-grams / all n-grams over the whole set of responses (PLATO's
 *   "inter" distinct).
 * - average length: tokens per response.
 */

import { RnnlmError } from '../errors.js';

export type Tokens = readonly string[];

function ngramCounts(tokens: Tokens, n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0001');
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/** NLTK modified_precision with one reference: clipped matches and max(1, hypothesis n-grams). */
function modifiedPrecision(ref: Tokens, hyp: Tokens, n: number): { num: number; den: number } {
  const h = ngramCounts(hyp, n);
  const r = ngramCounts(ref, n);
  let num = 0;
  let total = 0;
  for (const [g, c] of h) {
    total += c;
    num += Math.min(c, r.get(g) ?? 0);
  }
  return { num, den: Math.max(1, total) };
}

/**
 * NLTK's sentence_bleu([ref], hyp, weights, SmoothingFunction().method7) (NLTK ≥ 3.6), for up
 * to 4 weights. k = 5 is NLTK's default of method 4.
 */
export function sentenceBleuMethod7(ref: Tokens, hyp: Tokens, weights: readonly number[]): number {
  const N = 4; // NLTK always computes precisions for as many orders as there are weights; PLATO passes 4
  if (weights.length !== N) throw new RnnlmError('invalid_argument', `sentenceBleuMethod7 needs 4 weights, got ${weights.length}`);
  const raw = Array.from({ length: N }, (_, i) => modifiedPrecision(ref, hyp, i + 1));
  if (raw[0]!.num === 0) return 0;
  const c = hyp.length;
  const r = ref.length;
  const bp = c > r ? 1 : c === 0 ? 0 : Math.exp(1 - r / c);
  // Method 4: a zero count of order n becomes 1 / (2^i · k / ln c) (i counts the zero orders so far), over the same denominator.
  const k = 5;
  let incvnt = 1;
  const p4 = raw.map(({ num, den }) => {
    if (num === 0 && c > 1) {
      const v = 1 / ((2 ** incvnt * k) / Math.log(c)) / den;
      incvnt++;
      return v;
    }
    return num / den;
  });
  // Method 5: p'_n = (p'_{n−1} + p_n + p_{n+1}) / 3 with p'_0 = p_1 + 1 and p_5 the raw order-5 precision.
  const p5 = modifiedPrecision(ref, hyp, 5);
  const next = [...p4, p5.num / p5.den];
  const p: number[] = [];
  let prev = p4[0]! + 1;
  for (let i = 0; i < N; i++) {
    const v = (prev + p4[i]! + next[i + 1]!) / 3;
    p.push(v);
    prev = v;
  }
  let s = 0;
  for (let i = 0; i < N; i++) if (weights[i]! !== 0 && p[i]! > 0) s += weights[i]! * Math.log(p[i]!);
  return bp * Math.exp(s);
}

export interface DialogueMetrics {
  responses: number;
  bleu1: number;
  bleu2: number;
  distinct1: number;
  distinct2: number;
  /** Mean tokens per generated response. */
  avgLength: number;
  /** Mean tokens per reference response. */
  refAvgLength: number;
}

/** distinct n-grams / all n-grams over every sequence (0 when there are none). */
export function distinctN(seqs: readonly Tokens[], n: number): number {
  const all = new Set<string>();
  let total = 0;
  for (const s of seqs) {
    for (const [g, c] of ngramCounts(s, n)) {
      all.add(g);
      total += c;
    }
  }
  return total > 0 ? all.size / total : 0;
}

/** The header's metrics of hypotheses against references (aligned token lists). */
export function dialogueMetrics(hyps: readonly Tokens[], refs: readonly Tokens[]): DialogueMetrics {
  if (hyps.length !== refs.length) throw new RnnlmError('invalid_argument', `${hyps.length} hypotheses but ${refs.length} references`);
  let b1 = 0;
  let b2 = 0;
  let len = 0;
  let refLen = 0;
  hyps.forEach((h, i) => {
    const r = refs[i]!;
    b1 += sentenceBleuMethod7(r, h, [1, 0, 0, 0]);
    b2 += sentenceBleuMethod7(r, h, [0.5, 0.5, 0, 0]);
    len += h.length;
    refLen += r.length;
  });
  const n = Math.max(1, hyps.length);
  return {
    responses: hyps.length,
    bleu1: b1 / n,
    bleu2: b2 / n,
    distinct1: distinctN(hyps, 1),
    distinct2: distinctN(hyps, 2),
    avgLength: len / n,
    refAvgLength: refLen / n,
  };
}
