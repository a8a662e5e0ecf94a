/**
 * Beam search for language-model continuation. The prompt is read once (B = 1); its state is
 * then broadcast to the beam, which runs as ONE batch of B ≤ beamSize streams with T = 1 per
 * step. After each step the [L,B,H] state rows of the surviving hypotheses are gathered by
 * parent index, so no prefix is ever re-read.
 *
 * Per step, the candidates (every live hypothesis × every token) are ranked by total log-prob
 * (ties: lower hypothesis index, then lower token id — so beam size 1 is exactly greedy).
 * A candidate ending in <eos> (word/BPE models, stopAtEos) that ranks within the top beamSize
 * is set aside as finished; the first beamSize other candidates form the next beam.
 *
 * Ranking of finished hypotheses: score = logProb / lp(len), with the GNMT length penalty
 * lp(len) = ((5 + len) / 6)^α (Wu et al. 2016), len = generated tokens incl. <eos>; α = 0
 * (the default) ranks by plain log-prob. Search stops at maxTokens, or as soon as nBest
 * finished hypotheses all score at least the best score any live one could still reach
 * (logProb / lp(maxTokens): log-probs only fall as tokens are added) — an exact cut-off.
 * Hypotheses still live at maxTokens are returned as unfinished.
 *
 * Legend: B beam (live hypotheses), V vocabulary, L layers, H hidden, T time.
 */
import { noGrad } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { RNNLM, RNNState } from '../models/rnnlm.js';
import { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { startId } from './generate.js';
import { logSoftmaxRow } from './sample.js';

export interface BeamSearchOptions {
  prompt?: string;
  /** Hypotheses kept per step (default 4). */
  beamSize?: number;
  /** Most tokens generated (default 50). */
  maxTokens?: number;
  /** α of the GNMT length penalty: score = log P / ((5 + len) / 6)^α; 0 = rank by total log-prob (default 0). */
  gnmtAlpha?: number;
  /** Finish a hypothesis when it emits <eos> (word and BPE models; default true). */
  stopAtEos?: boolean;
  /** Hypotheses returned, best first (default 1, at most beamSize). */
  nBest?: number;
}

export interface BeamHypothesis {
  /** Generated ids (not the prompt), including the final <eos> when finished. */
  ids: number[];
  /** Decoded continuation, without a final <eos>. */
  text: string;
  /** Total log p(ids | prompt) in nats. */
  logProb: number;
  /** logProb / lp(ids.length): what hypotheses are ranked by. */
  score: number;
  /** True when the hypothesis ended with <eos>; false when it reached maxTokens. */
  finished: boolean;
}

/** GNMT length penalty ((5 + len) / 6)^α (Wu et al. 2016); the translation decoder's plain length^α is another formula. */
export function gnmtLengthPenalty(len: number, alpha: number): number {
  return alpha === 0 ? 1 : ((5 + len) / 6) ** alpha;
}

interface Hyp {
  ids: number[];
  logProb: number;
}

export function beamSearch(model: RNNLM, tokenizer: Tokenizer, opts: BeamSearchOptions = {}): BeamHypothesis[] {
  const beamSize = opts.beamSize ?? 4;
  const maxTokens = opts.maxTokens ?? 50;
  if ('lengthPenalty' in opts) throw new RnnlmError('invalid_argument', 'beamSearch: lengthPenalty is now gnmtAlpha (α of log P / ((5 + len) / 6)^α)');
  const alpha = opts.gnmtAlpha ?? 0;
  const nBest = opts.nBest ?? 1;
  const stopAtEos = opts.stopAtEos ?? true;
  if (!(Number.isInteger(beamSize) && beamSize >= 1)) throw new RnnlmError('invalid_argument', `beamSize must be an integer ≥ 1, got ${beamSize}`);
  if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) throw new RnnlmError('invalid_argument', `maxTokens must be an integer ≥ 0, got ${maxTokens}`);
  if (!(typeof alpha === 'number' && Number.isFinite(alpha) && alpha >= 0)) {
    throw new RnnlmError('invalid_argument', `gnmtAlpha (α) must be a finite number ≥ 0 (0 = none, 0.6–1 typical), got ${alpha}`);
  }
  if (!(Number.isInteger(nBest) && nBest >= 1 && nBest <= beamSize)) {
    throw new RnnlmError('invalid_argument', `nBest must be an integer in [1, beamSize = ${beamSize}], got ${nBest}`);
  }
  if (maxTokens === 0) return [];
  const V = model.config.vocabSize;
  const eos = stopAtEos ? tokenizer.eosId : null;
  let prompt = opts.prompt ? tokenizer.encode(opts.prompt, { addEos: false }) : new Int32Array(0);
  if (prompt.length === 0) prompt = Int32Array.of(startId(tokenizer));

  const score = (h: Hyp): number => h.logProb / gnmtLengthPenalty(h.ids.length, alpha);
  const finished: BeamHypothesis[] = [];
  const finish = (h: Hyp, done: boolean): void => {
    const body = done ? h.ids.slice(0, -1) : h.ids;
    finished.push({ ids: h.ids, text: tokenizer.decode(body), logProb: h.logProb, score: score(h), finished: done });
  };
  const byScore = (a: BeamHypothesis, b: BeamHypothesis): number => b.score - a.score;

  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const first = model.forward(prompt, prompt.length, 1, null);
      let state: RNNState = first.state;
      let logits = first.logits.data.subarray((prompt.length - 1) * V, prompt.length * V); // [1,V] last prompt position
      let live: Hyp[] = [{ ids: [], logProb: 0 }];
      const rowLp = new Float64Array(V);
      for (let step = 1; step <= maxTokens; step++) {
        const B = live.length;
        // Candidates: total log-prob of every (hypothesis, token), keep the best K.
        const K = Math.min(2 * beamSize, B * V);
        const top = new TopK(K);
        for (let b = 0; b < B; b++) {
          logSoftmaxRow(logits.subarray(b * V, (b + 1) * V), rowLp);
          const base = live[b]!.logProb;
          for (let v = 0; v < V; v++) top.offer(base + rowLp[v]!, b * V + v);
        }
        const next: Hyp[] = [];
        const parents: number[] = [];
        for (const [rank, [total, flat]] of top.sorted().entries()) {
          const b = Math.floor(flat / V);
          const v = flat - b * V;
          const h: Hyp = { ids: [...live[b]!.ids, v], logProb: total };
          if (eos !== null && v === eos) {
            if (rank < beamSize) finish(h, true);
          } else if (next.length < beamSize) {
            next.push(h);
            parents.push(b);
          }
        }
        if (step === maxTokens || next.length === 0) {
          for (const h of next) finish(h, false);
          break;
        }
        if (finished.length >= nBest) {
          finished.sort(byScore);
          const bestLive = Math.max(...next.map((h) => h.logProb)) / gnmtLengthPenalty(maxTokens, alpha);
          if (finished[nBest - 1]!.score >= bestLive) break;
        }
        state = gatherState(state, parents); // [L,B,H] rows reordered by parent
        const out = model.forward(
          Int32Array.from(next, (h) => h.ids[h.ids.length - 1]!),
          1,
          next.length,
          state,
        );
        state = out.state;
        logits = out.logits.data; // [B,V]
        live = next;
      }
      finished.sort(byScore);
      return finished.slice(0, nBest);
    });
  } finally {
    model.train(wasTraining);
  }
}

/** New state whose row b is row parents[b] of `s` (h and c are [L,B,H]). */
export function gatherState(s: RNNState, parents: readonly number[]): RNNState {
  const gather = (t: Tensor): Tensor => {
    const [L, B, H] = t.shape as [number, number, number];
    const out = Tensor.zeros([L, parents.length, H], t.dtype);
    for (let l = 0; l < L; l++) {
      for (let b = 0; b < parents.length; b++) {
        const p = parents[b]!;
        if (!(p >= 0 && p < B)) throw new RnnlmError('invalid_argument', `gatherState: parent ${p} is out of range for a batch of ${B}`);
        const src = (l * B + p) * H; // [L,B,H] row (l, p)
        out.data.set(t.data.subarray(src, src + H), (l * parents.length + b) * H);
      }
    }
    return out;
  };
  return { h: gather(s.h), c: s.c ? gather(s.c) : null };
}

/**
 * The K best (value, index) pairs seen: higher value first, lower index first on ties.
 * A min-heap of size K, so offering N items costs O(N log K).
 */
class TopK {
  private readonly vals: Float64Array;
  private readonly idx: Int32Array;
  private n = 0;
  constructor(private readonly k: number) {
    this.vals = new Float64Array(k);
    this.idx = new Int32Array(k);
  }

  /** True when (va, ia) ranks below (vb, ib). */
  private static worse(va: number, ia: number, vb: number, ib: number): boolean {
    return va < vb || (va === vb && ia > ib);
  }

  offer(v: number, i: number): void {
    if (Number.isNaN(v)) return;
    const { vals, idx } = this;
    if (this.n < this.k) {
      let c = this.n++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!TopK.worse(v, i, vals[p]!, idx[p]!)) break;
        vals[c] = vals[p]!;
        idx[c] = idx[p]!;
        c = p;
      }
      vals[c] = v;
      idx[c] = i;
      return;
    }
    if (!TopK.worse(vals[0]!, idx[0]!, v, i)) return; // not better than the worst kept
    let c = 0;
    for (;;) {
      const l = 2 * c + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const m = r < this.n && TopK.worse(vals[r]!, idx[r]!, vals[l]!, idx[l]!) ? r : l;
      if (!TopK.worse(vals[m]!, idx[m]!, v, i)) break;
      vals[c] = vals[m]!;
      idx[c] = idx[m]!;
      c = m;
    }
    vals[c] = v;
    idx[c] = i;
  }

  /** Kept pairs, best first. */
  sorted(): [number, number][] {
    const out: [number, number][] = [];
    for (let j = 0; j < this.n; j++) out.push([this.vals[j]!, this.idx[j]!]);
    return out.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  }
}
