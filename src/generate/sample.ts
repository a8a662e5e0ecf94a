/**
 * Picking the next token from one row of logits: greedy argmax, or a seeded draw from the
 * temperature-scaled softmax, optionally truncated to the top-k tokens and then to the top-p
 * nucleus (in that order, as Hugging Face does). Pure functions; all arithmetic in float64.
 *
 * Dimension legend: V vocabulary (the length of one logits row).
 */
import { RnnlmError, check } from '../errors.js';
import type { Rng } from '../tensor/random.js';

export type Logits = Float32Array | Float64Array;

export interface SampleOptions {
  /** Divides the logits; 0 means greedy, < 1 sharpens, > 1 flattens. Default 1. */
  temperature?: number;
  /** Keep only the k most probable tokens; 0 turns it off. Default 0. */
  topK?: number;
  /** Keep the smallest set of most probable tokens whose probability sums to ≥ p; 1 turns it off. Default 1. */
  topP?: number;
  rng: Rng;
}

function checkRow(logits: Logits, what: string): void {
  check(logits.length > 0, `${what}: the logits row is empty (vocabulary size 0)`);
}

/** Index of the largest logit; the lowest index wins ties. NaN logits are an error. */
export function greedy(logits: Logits): number {
  checkRow(logits, 'greedy');
  let best = 0;
  let bestVal = -Infinity;
  for (let v = 0; v < logits.length; v++) {
    const x = logits[v]!;
    if (Number.isNaN(x)) throw nanError();
    if (x > bestVal) {
      bestVal = x;
      best = v;
    }
  }
  return best;
}

function nanError(): RnnlmError {
  return new RnnlmError(
    'non_finite',
    'the logits contain NaN: the model weights have diverged; use an earlier checkpoint or retrain with a lower learning rate',
  );
}

/** Largest logit, after checking the row has no NaN / +Infinity and at least one finite value. */
function rowMax(logits: Logits): number {
  let max = -Infinity;
  for (let v = 0; v < logits.length; v++) {
    const x = logits[v]!;
    if (Number.isNaN(x) || x === Infinity) throw nanError();
    if (x > max) max = x;
  }
  if (max === -Infinity) {
    throw new RnnlmError('non_finite', 'every logit is -Infinity: no token can be sampled; check the logits mask');
  }
  return max;
}

/**
 * out[v] = softmax(logits / temperature)[v], computed stably (max subtracted) in float64.
 * temperature 0 gives the one-hot distribution of greedy(). Returns out.
 */
export function softmaxInto<O extends Logits>(logits: Logits, out: O, temperature = 1): O {
  checkRow(logits, 'softmaxInto');
  check(out.length === logits.length, `softmaxInto: out has length ${out.length} but logits have ${logits.length}`);
  check(Number.isFinite(temperature) && temperature >= 0, `temperature must be a finite number ≥ 0, got ${temperature}`);
  if (temperature === 0) {
    const g = greedy(logits);
    out.fill(0);
    out[g] = 1;
    return out;
  }
  const max = rowMax(logits);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) {
    const e = Math.exp((logits[v]! - max) / temperature);
    out[v] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let v = 0; v < out.length; v++) out[v] = out[v]! * inv;
  return out;
}

/** out[v] = log_softmax(logits)[v] = logits[v] − max − log Σ exp(logits − max). out may be logits. Returns out. */
export function logSoftmaxRow<O extends Logits>(logits: Logits, out: O): O {
  checkRow(logits, 'logSoftmaxRow');
  check(out.length === logits.length, `logSoftmaxRow: out has length ${out.length} but logits have ${logits.length}`);
  const max = rowMax(logits);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) sum += Math.exp(logits[v]! - max);
  const shift = max + Math.log(sum);
  for (let v = 0; v < logits.length; v++) out[v] = logits[v]! - shift;
  return out;
}

function checkSampleOptions(opts: SampleOptions): { temperature: number; topK: number; topP: number } {
  check(opts !== null && typeof opts === 'object', 'sampleToken needs an options object with an rng');
  const { temperature = 1, topK = 0, topP = 1, rng } = opts;
  check(rng !== undefined && typeof rng.uniform === 'function', 'sampleToken needs { rng }: pass a seeded Rng from tensor/random');
  check(
    typeof temperature === 'number' && Number.isFinite(temperature) && temperature >= 0,
    `temperature must be a finite number ≥ 0 (0 = greedy), got ${temperature}`,
  );
  check(Number.isInteger(topK) && topK >= 0, `topK must be an integer ≥ 0 (0 = off), got ${topK}`);
  check(typeof topP === 'number' && topP > 0 && topP <= 1, `topP must be in (0, 1] (1 = off), got ${topP}`);
  return { temperature, topK, topP };
}

/**
 * Draws one token id from softmax(logits / temperature), restricted to the top-k tokens and
 * then to the top-p nucleus of what remains (renormalised). Uses exactly one rng.uniform()
 * per call unless temperature is 0 (greedy, no draw). Ties in probability are broken by the
 * lower token id, so the kept set is deterministic.
 */
export function sampleToken(logits: Logits, opts: SampleOptions): number {
  const { temperature, topK, topP } = checkSampleOptions(opts);
  checkRow(logits, 'sampleToken');
  if (temperature === 0) return greedy(logits);
  const V = logits.length;
  const probs = softmaxInto(logits, new Float64Array(V), temperature); // [V]

  const truncateK = topK > 0 && topK < V;
  const truncateP = topP < 1;
  if (!truncateK && !truncateP) return drawFrom(probs, null, opts.rng);

  // Token ids by probability, most probable first (lower id first on ties).
  const order = Array.from({ length: V }, (_, v) => v);
  order.sort((a, b) => probs[b]! - probs[a]! || a - b);
  let keep = truncateK ? topK : V;
  if (truncateP) {
    let kept = 0;
    for (let r = 0; r < keep; r++) kept += probs[order[r]!]!;
    // Smallest prefix of the (top-k renormalised) ranking whose mass reaches topP; at least one token.
    const target = topP * kept;
    let cum = 0;
    let n = 0;
    while (n < keep) {
      cum += probs[order[n]!]!;
      n++;
      if (cum >= target) break;
    }
    keep = n;
  }
  const mask = new Uint8Array(V); // [V] 1 = may be drawn
  for (let r = 0; r < keep; r++) mask[order[r]!] = 1;
  return drawFrom(probs, mask, opts.rng);
}

/** Inverse-CDF draw over the allowed tokens in id order; tokens of probability 0 are never drawn. */
function drawFrom(probs: Float64Array, mask: Uint8Array | null, rng: Rng): number {
  let total = 0;
  let last = -1;
  for (let v = 0; v < probs.length; v++) {
    if (mask && !mask[v]) continue;
    total += probs[v]!;
    if (probs[v]! > 0) last = v;
  }
  const u = rng.uniform() * total;
  let cum = 0;
  for (let v = 0; v < probs.length; v++) {
    if (mask && !mask[v]) continue;
    cum += probs[v]!;
    if (u < cum) return v;
  }
  // Rounding can leave u ≥ the running sum at the very end: the last possible token takes it.
  return last;
}

export interface TokenCandidate {
  id: number;
  /** log p(token | context) in nats. */
  logProb: number;
}

/**
 * The k most probable tokens of one row of log-probabilities [V], most probable first (the
 * lower id wins ties): next-token candidates for autocomplete, `--candidates` and OpenAI-style
 * `logprobs`. One partial selection pass, O(V·k), no full sort of the vocabulary.
 */
export function topCandidates(logProbs: Logits, k: number): TokenCandidate[] {
  checkRow(logProbs, 'topCandidates');
  if (!(Number.isInteger(k) && k >= 0)) throw new RnnlmError('invalid_argument', `the number of candidates must be an integer ≥ 0, got ${k}`);
  const n = Math.min(k, logProbs.length);
  const top: TokenCandidate[] = [];
  for (let v = 0; v < logProbs.length; v++) {
    const lp = logProbs[v]!;
    if (Number.isNaN(lp)) throw nanError();
    if (top.length === n && (n === 0 || !(lp > top[n - 1]!.logProb))) continue;
    // Insertion into the sorted list; only strictly greater moves up, so earlier ids win ties.
    let i = top.length < n ? top.length : n - 1;
    while (i > 0 && lp > top[i - 1]!.logProb) {
      top[i] = top[i - 1]!;
      i--;
    }
    top[i] = { id: v, logProb: lp };
  }
  return top;
}
