/**
 * Interpolated modified Kneser–Ney estimation (Chen & Goodman 1998, §3–4), with the
 * conventions of SRILM `ngram-count -kndiscount -interpolate -unk` and KenLM `lmplz`:
 *
 * - Counts come from sentences `<s> w1 … wn </s>`; n-grams never cross a sentence.
 * - The top order uses raw counts c. A lower order k-gram g uses its continuation count
 *   N1+(• g) = the number of distinct words seen before it, except when g starts with `<s>`
 *   (nothing can precede it): then its raw count.
 * - Three discounts per order from the count-of-counts n1..n4 of that order's counts:
 *   Y = n1/(n1 + 2 n2), D1 = 1 − 2Y n2/n1, D2 = 2 − 3Y n3/n2, D3+ = 3 − 4Y n4/n3.
 *   (When a count-of-count is 0 or a discount falls outside (0, i), as in tiny corpora, the
 *   absolute discount Y is used, or 0.5 when Y is undefined.)
 * - Interpolation, for a context h with continuations counted c(h w), C(h) = Σ_w c(h w):
 *     p(w | h) = max(c(h w) − D(c(h w)), 0) / C(h) + γ(h) · p(w | h′)
 *     γ(h)     = (D1 N1(h •) + D2 N2(h •) + D3+ N3+(h •)) / C(h)
 *   and at the unigram level h′ is the uniform distribution over the vocabulary without `<s>`
 *   (so `<unk>` and other unseen words get the unigram level's left-over mass). `<s>` is never
 *   predicted (log10 p = −99, as in SRILM's and KenLM's ARPA files).
 * - Count pruning (min counts per order, SRILM's -gtNmin): an n-gram below its order's minimum
 *   is dropped and its discounted mass goes to γ(h), so every distribution still sums to 1; an
 *   n-gram that is the context or the suffix of a kept higher-order n-gram is always kept.
 * The back-off weight of h in the ARPA file is γ(h).
 *
 * Counting needs no hash table: the k-grams are the sorted distinct keys (index of the
 * (k−1)-gram prefix) · V + last word, so each level comes out of one typed-array sort, already
 * in trie order (model.ts). Legend: N order, V vocabulary, P corpus positions, n_k k-grams.
 */
import { RnnlmError } from '../errors.js';
import { LOG10_ZERO, type NgramLevel, NgramModel } from './model.js';
import type { NgramVocab } from './vocab.js';

export interface KneserNeyOptions {
  /** Model order N ≥ 1. */
  order: number;
  /**
   * Minimum count per order (index 0 = unigrams, ignored: every vocabulary word is kept);
   * default all 1 = no pruning. A shorter list repeats its last value for higher orders.
   */
  minCounts?: readonly number[];
}

/** What estimation found, per order k = 1..N. */
export interface KneserNeyStats {
  /** Discounts [D1, D2, D3+] of each order. */
  discounts: [number, number, number][];
  /** Count-of-counts [n1, n2, n3, n4] of each order's counts (raw at N, continuation below). */
  countOfCounts: [number, number, number, number][];
  /** n-grams before pruning. */
  ngramsBeforePruning: number[];
}

/** One level during estimation: the trie arrays plus counts and suffix links. */
interface BuildLevel {
  /** [n_k] index of the (k−1)-gram prefix at the level below (unused at k = 1). */
  parent: Int32Array;
  words: Int32Array;
  /** [n_k] raw counts. */
  raw: Int32Array;
  /** [n_k] the counts this order's estimate uses (raw or continuation). */
  used: Int32Array;
  /** [n_k] index of the suffix (k−1)-gram w2..wk at the level below (unused at k = 1). */
  suffix: Int32Array;
  /** [n_k] 1 when the n-gram starts with <s>. */
  startsBos: Uint8Array;
}

/** Modified KN discounts from count-of-counts (see the header for the fallbacks). */
export function modifiedKnDiscounts(n: readonly [number, number, number, number]): [number, number, number] {
  const [n1, n2, n3, n4] = n;
  const Y = n1 > 0 && n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  const d = (i: number, ni: number, nNext: number): number => {
    const v = ni > 0 ? i - (i + 1) * Y * (nNext / ni) : NaN;
    return Number.isFinite(v) && v > 0 && v < i ? v : Y; // D = i would remove all of a count-i n-gram's mass
  };
  return [d(1, n1, n2), d(2, n2, n3), d(3, n3, n4)];
}

/**
 * Counts a sentence stream (`<s> w… </s>` concatenated, ids in 0..V−1, no OOV −1) and builds
 * the interpolated modified Kneser–Ney model.
 */
export function estimateKneserNey(vocab: NgramVocab, stream: Int32Array, opts: KneserNeyOptions): { model: NgramModel; stats: KneserNeyStats } {
  const N = opts.order;
  if (!(Number.isInteger(N) && N >= 1)) throw new RnnlmError('invalid_argument', `the n-gram order must be an integer ≥ 1, got ${N}`);
  const minCounts = Array.from({ length: N }, (_, k) => {
    const m = opts.minCounts && opts.minCounts.length > 0 ? opts.minCounts[Math.min(k, opts.minCounts.length - 1)]! : 1;
    if (!(Number.isInteger(m) && m >= 1)) throw new RnnlmError('invalid_argument', `min counts must be integers ≥ 1, got ${m}`);
    return k === 0 ? 1 : m;
  });
  const V = vocab.size;
  const P = stream.length;
  if (P === 0) throw new RnnlmError('empty_corpus', 'the n-gram training text has no sentences; give a non-empty file');
  // end[p]: position of the </s> closing p's sentence, so n-grams never cross sentences.
  const end = new Int32Array(P);
  for (let p = P - 1, e = P - 1; p >= 0; p--) {
    const w = stream[p]!;
    if (!(w >= 0 && w < V)) throw new RnnlmError('invalid_argument', `n-gram training id ${w} at position ${p} is not in the vocabulary (0..${V - 1})`);
    if (w === vocab.eos) e = p;
    end[p] = e;
  }

  // ---- Counting, level by level (rank[p] = index of the k-gram starting at p, −1 if none).
  const levels: BuildLevel[] = [];
  const uniRaw = new Int32Array(V);
  const uni: BuildLevel = {
    parent: new Int32Array(V),
    words: Int32Array.from({ length: V }, (_, i) => i),
    raw: uniRaw,
    used: uniRaw, // replaced by continuation counts below unless N = 1
    suffix: new Int32Array(V),
    startsBos: new Uint8Array(V),
  };
  uni.startsBos[vocab.bos] = 1;
  for (let p = 0; p < P; p++) uni.raw[stream[p]!]!++;
  levels.push(uni);
  let rank = Int32Array.from(stream); // [P] unigram index = word id
  for (let k = 2; k <= N; k++) {
    let m = 0;
    for (let p = 0; p + k - 1 < P; p++) if (rank[p]! >= 0 && p + k - 1 <= end[p]!) m++;
    const keys = new Float64Array(m); // [m] prefix index · V + last word
    m = 0;
    for (let p = 0; p + k - 1 < P; p++) if (rank[p]! >= 0 && p + k - 1 <= end[p]!) keys[m++] = rank[p]! * V + stream[p + k - 1]!;
    keys.sort();
    let n = 0;
    for (let i = 0; i < m; i++) if (i === 0 || keys[i] !== keys[i - 1]) n++;
    const uniq = new Float64Array(n);
    const raw = new Int32Array(n);
    n = -1;
    for (let i = 0; i < m; i++) {
      if (i === 0 || keys[i] !== keys[i - 1]) uniq[++n] = keys[i]!;
      raw[n]!++;
    }
    n++;
    const lower = levels[k - 2]!;
    const lvl: BuildLevel = { parent: new Int32Array(n), words: new Int32Array(n), raw, used: raw, suffix: new Int32Array(n), startsBos: new Uint8Array(n) };
    for (let j = 0; j < n; j++) {
      const parent = Math.floor(uniq[j]! / V);
      lvl.parent[j] = parent;
      lvl.words[j] = uniq[j]! - parent * V;
      lvl.startsBos[j] = lower.startsBos[parent]!;
    }
    const next = new Int32Array(P).fill(-1);
    for (let p = 0; p + k - 1 < P; p++) {
      if (rank[p]! < 0 || p + k - 1 > end[p]!) continue;
      const j = lowerBound(uniq, rank[p]! * V + stream[p + k - 1]!);
      next[p] = j;
      lvl.suffix[j] = rank[p + 1]!; // the (k−1)-gram starting at p+1 fits in the sentence too
    }
    rank = next;
    levels.push(lvl);
  }

  // ---- Continuation counts for the lower orders.
  for (let k = 1; k < N; k++) {
    const lvl = levels[k - 1]!;
    const up = levels[k]!;
    const cont = new Int32Array(lvl.words.length);
    for (let j = 0; j < up.words.length; j++) cont[up.suffix[j]!]!++;
    for (let i = 0; i < cont.length; i++) if (lvl.startsBos[i]) cont[i] = lvl.raw[i]!;
    lvl.used = cont;
  }
  levels[0]!.used[vocab.bos] = 0; // <s> is context only

  // ---- Discounts.
  const stats: KneserNeyStats = { discounts: [], countOfCounts: [], ngramsBeforePruning: levels.map((l) => l.words.length) };
  for (const lvl of levels) {
    const cc: [number, number, number, number] = [0, 0, 0, 0];
    for (let i = 0; i < lvl.used.length; i++) {
      const c = lvl.used[i]!;
      if (c >= 1 && c <= 4) cc[c - 1]!++;
    }
    stats.countOfCounts.push(cc);
    stats.discounts.push(modifiedKnDiscounts(cc));
  }
  const disc = (k: number, c: number): number => (c <= 0 ? 0 : stats.discounts[k]![Math.min(c, 3) - 1]!);

  // ---- Pruning flags, top down: below the minimum and not needed by a kept higher n-gram.
  const keep: Uint8Array[] = levels.map((l) => new Uint8Array(l.words.length));
  keep[0]!.fill(1);
  for (let k = N; k >= 2; k--) {
    const lvl = levels[k - 1]!;
    const kp = keep[k - 1]!;
    for (let j = 0; j < kp.length; j++) if (lvl.used[j]! >= minCounts[k - 1]!) kp[j] = 1;
    if (k > 2) {
      const below = keep[k - 2]!;
      for (let j = 0; j < kp.length; j++) {
        if (kp[j]) {
          below[lvl.parent[j]!] = 1;
          below[lvl.suffix[j]!] = 1;
        }
      }
    }
  }

  // ---- Probabilities, bottom up (natural log in Float64 while building).
  const probs: Float64Array[] = [];
  const gammas: Float64Array[] = []; // gammas[k−1][i]: γ of k-gram i as a context
  {
    const u = levels[0]!;
    let total = 0;
    let mass = 0;
    for (let w = 0; w < V; w++) {
      total += u.used[w]!;
      mass += disc(0, u.used[w]!);
    }
    if (total === 0) throw new RnnlmError('empty_corpus', 'the n-gram training text has no words');
    const uniform = 1 / (V - 1); // all words but <s>
    const p = new Float64Array(V);
    for (let w = 0; w < V; w++) p[w] = w === vocab.bos ? 0 : Math.max(u.used[w]! - disc(0, u.used[w]!), 0) / total + (mass / total) * uniform;
    probs.push(p);
  }
  for (let k = 2; k <= N; k++) {
    const lvl = levels[k - 1]!;
    const below = levels[k - 2]!;
    const C = new Float64Array(below.words.length); // Σ counts of each context's continuations
    const G = new Float64Array(below.words.length); // discounted + pruned mass of each context
    const kp = keep[k - 1]!;
    for (let j = 0; j < lvl.words.length; j++) {
      const c = lvl.used[j]!;
      const d = Math.min(disc(k - 1, c), c);
      const h = lvl.parent[j]!;
      C[h] = C[h]! + c;
      G[h] = G[h]! + (kp[j] ? d : c);
    }
    const gamma = new Float64Array(below.words.length);
    for (let i = 0; i < gamma.length; i++) gamma[i] = C[i]! > 0 ? G[i]! / C[i]! : 1;
    gammas.push(gamma);
    const lowerP = probs[k - 2]!;
    const p = new Float64Array(lvl.words.length);
    for (let j = 0; j < p.length; j++) {
      const h = lvl.parent[j]!;
      const c = lvl.used[j]!;
      p[j] = Math.max(c - disc(k - 1, c), 0) / C[h]! + gamma[h]! * lowerP[lvl.suffix[j]!]!;
    }
    probs.push(p);
  }

  // ---- Compact the kept n-grams into the trie.
  const out: NgramLevel[] = [];
  let remap = Int32Array.from({ length: V }, (_, i) => i); // old index → new index at the level below
  for (let k = 1; k <= N; k++) {
    const lvl = levels[k - 1]!;
    const kp = keep[k - 1]!;
    const n = kp.reduce((a, b) => a + b, 0);
    const words = new Int32Array(n);
    const logProb = new Float32Array(n);
    const newIndex = new Int32Array(kp.length).fill(-1);
    const parents = new Int32Array(n);
    let j2 = 0;
    for (let j = 0; j < kp.length; j++) {
      if (!kp[j]) continue;
      newIndex[j] = j2;
      words[j2] = lvl.words[j]!;
      const pj = probs[k - 1]![j]!;
      logProb[j2] = pj > 0 ? Math.log10(pj) : LOG10_ZERO;
      if (k > 1) parents[j2] = remap[lvl.parent[j]!]!;
      j2++;
    }
    if (k > 1) {
      const prev = out[k - 2]!;
      const childStart = new Uint32Array(prev.words.length + 1);
      for (let j = 0; j < n; j++) childStart[parents[j]! + 1]!++;
      for (let i = 0; i < prev.words.length; i++) childStart[i + 1] = childStart[i + 1]! + childStart[i]!;
      prev.childStart = childStart;
      const g = gammas[k - 2]!;
      const bo = new Float32Array(prev.words.length);
      const oldOf = new Int32Array(prev.words.length);
      remap.forEach((nw, old) => {
        if (nw >= 0) oldOf[nw] = old;
      });
      for (let i = 0; i < bo.length; i++) bo[i] = childStart[i + 1]! > childStart[i]! ? Math.log10(g[oldOf[i]!]!) : 0;
      prev.backoff = bo;
    }
    out.push({ words, logProb, backoff: null, childStart: null });
    remap = newIndex;
  }
  return { model: new NgramModel(vocab, out), stats };
}

/** First index i with a[i] ≥ x in a sorted array. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
