/**
 * Inference for Seq2Seq: greedy and beam search, over batches of source sentences, one
 * decoder step (T = 1) at a time. Beam search runs B sentences × K hypotheses as B·K streams;
 * after each step every sentence keeps its K best continuations (from the top 2K of K·V
 * candidates), a candidate ending in <eos> becomes a finished hypothesis scored
 * log P / length^α (α = lengthNormalization; length counts <eos>), and a sentence stops once it has
 * K finished hypotheses or reaches its maximum length a·|source| + b (source length with
 * its <eos>). Two constraints shared with sampling (`sampleIds`) shape every step: with
 * noRepeatNgram = n no hypothesis may repeat an n-gram of its own output, and no hypothesis
 * ends before minLen tokens. `sampleIds` draws each next token instead (temperature, top-k,
 * top-p; see generate/sample.ts), one stream per source.
 * Legend: B sentences, K beam width, V target vocabulary, S source steps.
 */
import { noGrad } from '../autograd/graph.js';
import { kernelsFor } from '../backend/backend.js';
import { RnnlmError } from '../errors.js';
import { type Seq2Seq, selectEncoded, selectState } from '../models/seq2seq.js';
import { padBatch } from '../data/batchify.js';
import type { FloatArray } from '../tensor/tensor.js';
import { type SampleOptions, logSoftmaxRow, sampleToken } from '../generate/sample.js';

export interface DecodeOptions {
  /** Beam width; 1 = greedy. */
  beam?: number;
  /** Maximum output length a·srcLen + b (defaults 1.5 and 10). */
  maxLenA?: number;
  maxLenB?: number;
  /** α of the length normalisation: score = log P / length^α (default 1; 0 = raw log-probability). */
  lengthNormalization?: number;
  /** Sentences per batch (default 32). */
  batchSize?: number;
  /** The target side's <eos> (also the start symbol). */
  eosId: number;
  /** Never repeat an n-gram within one output (0 = off, the default). */
  noRepeatNgram?: number;
  /** No <eos> before this many output tokens (default 0). */
  minLen?: number;
}

export interface Hypothesis {
  /** Target ids, without <eos>. */
  ids: Int32Array;
  /** Total log-probability (nats). */
  logProb: number;
  /** logProb / length^α, what the beam ranks by. */
  score: number;
  /** For each output id, the source position it attended to most (for unknown-word replacement). */
  alignment: Int32Array;
}

/** Translates every source (ids ending in the source <eos>) and returns the best hypothesis of each, in input order. */
export function translateIds(model: Seq2Seq, sources: readonly Int32Array[], o: DecodeOptions): Hypothesis[] {
  const beam = o.beam ?? 1;
  const batchSize = o.batchSize ?? 32;
  if (!(Number.isInteger(beam) && beam >= 1)) throw new RnnlmError('invalid_argument', `beam width must be an integer ≥ 1, got ${beam}`);
  if ('lengthPenalty' in o) throw new RnnlmError('invalid_argument', 'translateIds: lengthPenalty is now lengthNormalization (α of log P / length^α)');
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RnnlmError('invalid_argument', `batch size must be an integer ≥ 1, got ${batchSize}`);
  if (!(Number.isInteger(o.eosId) && o.eosId >= 0 && o.eosId < model.config.tgtVocabSize))
    throw new RnnlmError('invalid_argument', `eosId ${o.eosId} is not a target id`);
  sources.forEach((s, i) => {
    if (s.length === 0) throw new RnnlmError('invalid_argument', `source ${i} is empty; end every source with the source <eos> id`);
  });
  // Sort by length so batches carry little padding; restore the order at the end.
  const order = sources.map((_, i) => i).sort((a, b) => sources[a]!.length - sources[b]!.length);
  const out = new Array<Hypothesis>(sources.length);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let i = 0; i < order.length; i += batchSize) {
        const idx = order.slice(i, i + batchSize);
        const hyps = beamBatch(
          model,
          idx.map((j) => sources[j]!),
          beam,
          o,
        );
        idx.forEach((j, k) => (out[j] = hyps[k]!));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/** One batch of B sources, K = beam (K = 1 is greedy search). */
function beamBatch(model: Seq2Seq, sources: Int32Array[], K: number, o: DecodeOptions): Hypothesis[] {
  const eos = o.eosId;
  const a = o.maxLenA ?? 1.5;
  const bLen = o.maxLenB ?? 10;
  const alpha = o.lengthNormalization ?? 1;
  const V = model.config.tgtVocabSize;
  const B = sources.length;
  const padded = padBatch(sources, sources[0]![sources[0]!.length - 1]!); // [S,B], padded with any id
  const enc0 = model.encode(padded.ids, padded.T, B, padded.lengths);
  const rows = new Int32Array(B * K);
  for (let b = 0; b < B; b++) rows.fill(b, b * K, (b + 1) * K); // stream b·K + k belongs to sentence b
  const enc = K === 1 ? enc0 : selectEncoded(enc0, rows);
  const N = B * K;
  const maxLen = sources.map((s) => Math.max(1, Math.floor(a * s.length + bLen)));
  let scores = new Float64Array(N).fill(-Infinity); // cumulative log-probabilities
  for (let b = 0; b < B; b++) scores[b * K] = 0; // one live hypothesis per sentence at the start
  let hist: number[][] = Array.from({ length: N }, () => []);
  let align: number[][] = Array.from({ length: N }, () => []);
  const S = enc.S;
  const finished: Hypothesis[][] = Array.from({ length: B }, () => []);
  const done = new Array<boolean>(B).fill(false);
  let input = new Int32Array(N).fill(eos);
  let state = enc.state;
  const norm = (logProb: number, len: number): number => logProb / len ** alpha;
  const finish = (b: number, ids: number[], al: number[], logProb: number, len: number): void => {
    finished[b]!.push({ ids: Int32Array.from(ids), logProb, score: norm(logProb, len), alignment: Int32Array.from(al.slice(0, ids.length)) });
  };
  const longest = Math.max(...maxLen);
  for (let step = 0; step < longest && done.some((d) => !d); step++) {
    const res = model.decode(enc, input, 1, state); // logits [N,V]
    const logp: FloatArray = res.logits.data;
    kernelsFor(logp).logSoftmax(logp, N, V, logp);
    for (let r = 0; r < N; r++) if (scores[r]! > -Infinity) forbid(logp.subarray(r * V, (r + 1) * V), hist[r]!, eos, o);
    const attn = res.attention.data; // [N,1,S]
    const focus = new Int32Array(N); // most-attended source position of each stream's new token
    for (let r = 0; r < N; r++) {
      let best = 0;
      for (let s = 1; s < S; s++) if (attn[r * S + s]! > attn[r * S + best]!) best = s;
      focus[r] = best;
    }
    const nextScores = new Float64Array(N).fill(-Infinity);
    const nextHist: number[][] = new Array(N);
    const nextAlign: number[][] = new Array(N);
    const nextInput = new Int32Array(N).fill(eos);
    const srcRows = new Int32Array(N);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        srcRows[b * K + k] = b * K; // done sentences: any row of their own
        nextHist[b * K + k] = [];
        nextAlign[b * K + k] = [];
      }
      if (done[b]) continue;
      const top = topExpansions(scores, logp, b * K, K, V, 2 * K);
      let kept = 0;
      for (const c of top) {
        const ids = hist[c.row]!;
        if (c.token === eos) {
          finish(b, ids, align[c.row]!, c.score, ids.length + 1);
          continue;
        }
        const r = b * K + kept;
        nextScores[r] = c.score;
        nextHist[r] = [...ids, c.token];
        nextAlign[r] = [...align[c.row]!, focus[c.row]!];
        nextInput[r] = c.token;
        srcRows[r] = c.row;
        if (++kept === K) break;
      }
      const atLimit = step + 1 >= maxLen[b]!;
      if (finished[b]!.length >= K || atLimit || kept === 0) {
        // Unfinished beams at the length limit still count as hypotheses (without <eos>).
        if (finished[b]!.length < K) {
          for (let k = 0; k < kept; k++) finish(b, nextHist[b * K + k]!, nextAlign[b * K + k]!, nextScores[b * K + k]!, nextHist[b * K + k]!.length);
        }
        done[b] = true;
        for (let k = 0; k < K; k++) nextScores[b * K + k] = -Infinity;
      }
    }
    state = selectState(res.state, srcRows);
    scores = nextScores;
    hist = nextHist;
    align = nextAlign;
    input = nextInput;
  }
  return finished.map((f) => f.reduce((best, h) => (h.score > best.score ? h : best)));
}

interface Candidate {
  row: number;
  token: number;
  score: number;
}

/** The `n` best (row, token) continuations of rows [first, first+K) by score + logp, best first. */
function topExpansions(scores: Float64Array, logp: FloatArray, first: number, K: number, V: number, n: number): Candidate[] {
  const best: Candidate[] = [];
  for (let k = 0; k < K; k++) {
    const row = first + k;
    const base = scores[row]!;
    if (base === -Infinity) continue;
    const off = row * V;
    for (let v = 0; v < V; v++) {
      const s = base + logp[off + v]!;
      if (s === -Infinity || (best.length === n && s <= best[n - 1]!.score)) continue;
      let i = best.length === n ? n - 1 : best.length;
      if (best.length < n) best.push({ row, token: v, score: s });
      while (i > 0 && best[i - 1]!.score < s) {
        best[i] = best[i - 1]!;
        i--;
      }
      best[i] = { row, token: v, score: s };
    }
  }
  return best;
}

/**
 * Sets to −Infinity, in one row of logits or log-probabilities [V], every token the
 * constraints forbid after the output `ids`: <eos> before minLen tokens, and each token that
 * would complete an n-gram (n = noRepeatNgram) already in ids.
 */
export function forbid(row: FloatArray, ids: readonly number[], eosId: number, o: { noRepeatNgram?: number; minLen?: number }): void {
  if (ids.length < (o.minLen ?? 0)) row[eosId] = -Infinity;
  const n = o.noRepeatNgram ?? 0;
  if (n <= 0 || ids.length < n - 1) return;
  const L = ids.length;
  // Every earlier position j whose n−1 tokens equal the last n−1 bans the token that followed them.
  for (let j = 0; j + n - 1 < L; j++) {
    let same = true;
    for (let i = 0; i < n - 1 && same; i++) same = ids[j + i] === ids[L - n + 1 + i];
    if (same) row[ids[j + n - 1]!] = -Infinity;
  }
}

export interface SampleDecodeOptions extends Omit<SampleOptions, 'rng'> {
  rng: SampleOptions['rng'];
  eosId: number;
  /** At most this many output tokens. */
  maxLen: number;
  noRepeatNgram?: number;
  minLen?: number;
  /** Sources decoded together (default 32). */
  batchSize?: number;
}

/**
 * Draws one output per source (ids ending in the source <eos>) from the model's distribution
 * step by step: temperature, then top-k, then top-p (sampleToken), under the constraints of
 * `forbid`. Hypothesis.score is the log-probability of the drawn tokens under the model.
 */
export function sampleIds(model: Seq2Seq, sources: readonly Int32Array[], o: SampleDecodeOptions): Hypothesis[] {
  const batchSize = o.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RnnlmError('invalid_argument', `batch size must be an integer ≥ 1, got ${batchSize}`);
  const out: Hypothesis[] = [];
  for (let first = 0; first < sources.length; first += batchSize) {
    const steps = sampleSteps(model, sources.slice(first, first + batchSize), o);
    for (;;) {
      const r = steps.next();
      if (r.done) {
        out.push(...r.value);
        break;
      }
    }
  }
  return out;
}

/**
 * sampleIds for one batch, one decoder step per iteration: yields the tokens drawn at each
 * step (row = source index in the batch; <eos> is not yielded) and returns the hypotheses.
 * For streaming: the caller may stop iterating at any point.
 */
export function* sampleSteps(
  model: Seq2Seq,
  sources: readonly Int32Array[],
  o: SampleDecodeOptions,
): Generator<{ row: number; id: number }[], Hypothesis[], void> {
  if (!(Number.isInteger(o.maxLen) && o.maxLen >= 1)) throw new RnnlmError('invalid_argument', `maxLen must be an integer ≥ 1, got ${o.maxLen}`);
  if (!(Number.isInteger(o.eosId) && o.eosId >= 0 && o.eosId < model.config.tgtVocabSize))
    throw new RnnlmError('invalid_argument', `eosId ${o.eosId} is not a target id`);
  if (sources.length === 0) return [];
  sources.forEach((s, i) => {
    if (s.length === 0) throw new RnnlmError('invalid_argument', `source ${i} is empty; end every source with the source <eos> id`);
  });
  const V = model.config.tgtVocabSize;
  const B = sources.length;
  const wasTraining = model.training;
  model.eval();
  try {
    const padded = padBatch(sources, sources[0]![sources[0]!.length - 1]!); // [S,B]
    const enc = noGrad(() => model.encode(padded.ids, padded.T, B, padded.lengths));
    const hist: number[][] = Array.from({ length: B }, () => []);
    const align: number[][] = Array.from({ length: B }, () => []);
    const logProb = new Float64Array(B);
    const done = new Array<boolean>(B).fill(false);
    let input = new Int32Array(B).fill(o.eosId);
    let state = enc.state;
    const lp = new Float64Array(V);
    for (let step = 0; step < o.maxLen && done.some((d) => !d); step++) {
      const res = noGrad(() => model.decode(enc, input, 1, state)); // logits [B,V]
      state = res.state;
      const logits = res.logits.data;
      const next = new Int32Array(B).fill(o.eosId);
      const drawn: { row: number; id: number }[] = [];
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        const row = logits.subarray(b * V, (b + 1) * V);
        forbid(row, hist[b]!, o.eosId, o);
        const id = sampleToken(row, o);
        logProb[b] = logProb[b]! + logSoftmaxRow(row, lp)[id]!;
        if (id === o.eosId) {
          done[b] = true;
          continue;
        }
        hist[b]!.push(id);
        align[b]!.push(argmax(res.attention.data.subarray(b * enc.S, (b + 1) * enc.S)));
        next[b] = id;
        drawn.push({ row: b, id });
      }
      input = next;
      if (drawn.length > 0) yield drawn;
    }
    return hist.map((h, b) => ({ ids: Int32Array.from(h), logProb: logProb[b]!, score: logProb[b]!, alignment: Int32Array.from(align[b]!) }));
  } finally {
    model.train(wasTraining);
  }
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}
