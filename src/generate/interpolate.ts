/**
 * Linear interpolation of the RNN with an n-gram model, token by token (Mikolov et al. 2011):
 *
 *   p(w | history) = (1 − λ) · p_rnn(w | history) + λ · p_ngram(w | last N−1 words of the sentence)
 *
 * Both models must predict the same vocabulary: the n-gram's words are the tokenizer's tokens in
 * ARPA spelling (src/ngram/vocab.ts: the RNN's sentence end `<eos>`, or '\n' of a character
 * model, is `</s>`; the RNN's <eos> as context is the n-gram's `<s>`). The n-gram history
 * restarts at every sentence end, as in SRILM; the RNN keeps its state across sentences in
 * stream evaluation (as `evaluate`) and starts fresh per sentence in sentence scoring.
 * λ is tuned by EM on held-out text (SRILM's compute-best-mix): λ ← mean over tokens of the
 * n-gram's posterior share λ p_ng / p_mix, which never lowers the held-out likelihood.
 *
 * Legend: B streams, T window, V vocabulary, N = T·B rows, n tokens of the stream.
 */
import { RnnlmError } from '../errors.js';
import type { RNNLM } from '../models/rnnlm.js';
import type { NgramModel } from '../ngram/model.js';
import { NgramVocab, sentenceEndId } from '../ngram/vocab.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { scanEvalWindows } from '../train/evaluate.js';
import { type SentenceScore, scoreSentenceTokens } from './score.js';

/** An n-gram model ready to mix with an RNN of a given tokenizer. */
export interface NgramMix {
  ngram: NgramModel;
  /** [V_tokenizer] n-gram id of each tokenizer id. */
  map: Int32Array;
  /** Tokenizer id of the sentence end. */
  endId: number;
  /** λ, the n-gram's weight in [0, 1]. */
  weight: number;
}

/**
 * Checks that the n-gram model predicts exactly the tokenizer's vocabulary and returns the id
 * map; a clear `vocab_mismatch` error otherwise. `what` names the n-gram file.
 */
export function ngramMix(tokenizer: Tokenizer, ngram: NgramModel, weight: number, what = 'the n-gram model'): NgramMix {
  if (!(typeof weight === 'number' && weight >= 0 && weight <= 1))
    throw new RnnlmError('invalid_argument', `the n-gram weight λ must be in [0, 1], got ${weight}`);
  const endId = sentenceEndId(tokenizer);
  const fix = `train the n-gram on the RNN's training text with its tokenizer: rnnlm ngram train --tokenizer-from MODEL_DIR --train TRAIN.txt --out FILE.arpa`;
  if (endId === null)
    throw new RnnlmError(
      'vocab_mismatch',
      `the RNN's vocabulary has no sentence end (<eos> or a newline), so its tokens cannot be matched with an n-gram model's </s>`,
    );
  const want = NgramVocab.fromTokenizer(tokenizer).words; // tokenizer ids, then <s>
  const map = new Int32Array(tokenizer.vocabSize);
  const missing: string[] = [];
  for (let i = 0; i < tokenizer.vocabSize; i++) {
    const id = ngram.vocab.idOf(want[i]!);
    if (id === undefined) missing.push(want[i]!);
    map[i] = id ?? -1;
  }
  const extra = ngram.vocab.words.filter((w) => !want.includes(w));
  if (missing.length > 0 || extra.length > 0) {
    const ex = (a: string[]): string =>
      a
        .slice(0, 5)
        .map((w) => JSON.stringify(w))
        .join(', ') + (a.length > 5 ? ', …' : '');
    throw new RnnlmError(
      'vocab_mismatch',
      `${what} and the RNN predict different vocabularies (${missing.length} RNN tokens missing from the n-gram${missing.length ? `: ${ex(missing)}` : ''}; ${extra.length} n-gram words the RNN lacks${extra.length ? `: ${ex(extra)}` : ''}), so their probabilities cannot be mixed; ${fix}`,
      { missing: missing.length, extra: extra.length },
    );
  }
  return { ngram, map, endId, weight };
}

/**
 * ln p_ngram of each position of a token stream of the tokenizer (sentence ends included);
 * the history is the current sentence, started by `<s>`.
 */
export function ngramStreamLogProbs(mix: NgramMix, ids: Int32Array): Float64Array {
  const { ngram, map, endId } = mix;
  const N = ngram.order;
  const out = new Float64Array(ids.length);
  const cap = Math.max(64, 4 * N);
  const hist = new Int32Array(cap); // <s> w1 … of the current sentence (last N−1 kept when it fills)
  hist[0] = ngram.vocab.bos;
  let len = 1;
  for (let t = 0; t < ids.length; t++) {
    if (len === cap) {
      hist.copyWithin(0, cap - (N - 1), cap);
      len = N - 1;
    }
    const w = map[ids[t]!]!;
    hist[len] = w;
    out[t] = ngram.log10ProbAt(hist, Math.max(0, len - (N - 1)), len) * Math.LN10;
    if (ids[t] === endId) {
      hist[0] = ngram.vocab.bos; // the copy above may have overwritten it
      len = 1;
    } else len++;
  }
  return out;
}

/**
 * ln p_rnn of each position of a stream, read as `evaluate` reads it (scanEvalWindows: B
 * columns, windows of `bptt`, state carried); NaN where nothing is predicted (each column's
 * first token and the remainder batchify drops).
 */
export function rnnStreamLogProbs(
  model: RNNLM,
  ids: Int32Array,
  opts: { batchSize?: number; bptt?: number; onProgress?: (done: number, total: number) => void } = {},
): Float64Array {
  const out = new Float64Array(ids.length).fill(NaN);
  scanEvalWindows(model, ids, opts, ({ L, B, window, N, losses }) => {
    for (let n = 0; n < N; n++) {
      const b = n % B;
      const t = (n - b) / B; // row n = (t, b)
      out[b * L + window.i + t + 1] = -losses[n]!; // column b is ids[b·L .. (b+1)·L)
    }
  });
  return out;
}

/** ln((1 − λ) e^a + λ e^b), stable. */
export function mixLogProb(a: number, b: number, lambda: number): number {
  if (lambda <= 0) return a;
  if (lambda >= 1) return b;
  const x = Math.log1p(-lambda) + a;
  const y = Math.log(lambda) + b;
  const m = Math.max(x, y);
  return m + Math.log(Math.exp(x - m) + Math.exp(y - m));
}

export interface MixedPerplexities {
  /** Tokens scored (positions both models predict). */
  tokens: number;
  rnn: number;
  ngram: number;
  mixed: number;
  weight: number;
}

/** Perplexities of the RNN, the n-gram and their mixture over the positions where `rnn` is not NaN. */
export function mixedPerplexities(rnn: Float64Array, ngram: Float64Array, weight: number): MixedPerplexities {
  let n = 0;
  let a = 0;
  let b = 0;
  let m = 0;
  for (let t = 0; t < rnn.length; t++) {
    const x = rnn[t]!;
    if (Number.isNaN(x)) continue;
    const y = ngram[t]!;
    n++;
    a += x;
    b += y;
    m += mixLogProb(x, y, weight);
  }
  if (n === 0) throw new RnnlmError('empty_corpus', 'no token is scored by both models');
  return { tokens: n, rnn: Math.exp(-a / n), ngram: Math.exp(-b / n), mixed: Math.exp(-m / n), weight };
}

/** The λ that maximises the mixture's likelihood of the positions (EM, see the header). */
export function tuneNgramWeight(rnn: Float64Array, ngram: Float64Array, opts: { maxIterations?: number; tolerance?: number } = {}): number {
  const maxIt = opts.maxIterations ?? 500;
  const tol = opts.tolerance ?? 1e-6;
  let lambda = 0.5;
  for (let it = 0; it < maxIt; it++) {
    let share = 0;
    let n = 0;
    for (let t = 0; t < rnn.length; t++) {
      const x = rnn[t]!;
      if (Number.isNaN(x)) continue;
      // posterior of the n-gram component: λ e^y / ((1 − λ) e^x + λ e^y)
      share += Math.exp(Math.log(lambda) + ngram[t]! - mixLogProb(x, ngram[t]!, lambda));
      n++;
    }
    if (n === 0) throw new RnnlmError('empty_corpus', 'no token to tune the n-gram weight on');
    const next = share / n;
    const done = Math.abs(next - lambda) < tol;
    lambda = next;
    if (done) break;
  }
  return lambda;
}

/** Sentence scores (as scoreSentences) of the mixture, token by token; the n-gram history starts at <s>. */
export function scoreSentencesMixed(
  model: RNNLM,
  tokenizer: Tokenizer,
  sentences: readonly string[],
  mix: NgramMix,
  opts: { batchSize?: number } = {},
): SentenceScore[] {
  const per = scoreSentenceTokens(model, tokenizer, sentences, opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {});
  return per.map(({ ids, logProbs }) => {
    // sentenceIds starts with the sentence end as context: the n-gram's <s>.
    const ng = ngramStreamLogProbs(mix, ids.subarray(1));
    let lp = 0;
    for (let k = 1; k < ids.length; k++) lp += mixLogProb(logProbs[k]!, ng[k - 1]!, mix.weight);
    const tokens = Math.max(0, ids.length - 1);
    return { logProb: lp, tokens, perplexity: tokens > 0 ? Math.exp(-lp / tokens) : NaN };
  });
}
