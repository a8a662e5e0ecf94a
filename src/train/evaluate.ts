/**
 * Evaluation over a whole split, statefully: the split is batchified into B streams and read
 * window by window with the hidden state carried across windows (as in training), so every
 * token is predicted with its full left context up to the stream start.
 * Legend: T time (window), B batch, V vocabulary, N = T·B rows.
 */
import { kernelsFor } from '../backend/backend.js';
import { noGrad } from '../autograd/graph.js';
import { type Batch, batchify, bpttWindows } from '../data/batchify.js';
import { RnnlmError } from '../errors.js';
import type { RNNLM, RNNState } from '../models/rnnlm.js';
import { type FloatArray, allocArray } from '../tensor/tensor.js';

export interface EvalResult {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  perplexity: number;
  /** Bits per token (= bits per character for a character model). */
  bitsPerToken: number;
  /** Fraction of tokens whose argmax prediction is right. */
  accuracy: number;
  tokens: number;
}

export interface EvalOptions {
  batchSize?: number;
  bptt?: number;
  /** What the caller calls batchSize, for error messages (e.g. '--eval-batch-size'); default 'batchSize'. */
  batchSizeName?: string;
  /** Called after each window with the number of tokens done so far. */
  onProgress?: (done: number, total: number) => void;
}

export function summarize(totalNats: number, correct: number, tokens: number): EvalResult {
  const loss = totalNats / tokens;
  return { loss, perplexity: Math.exp(loss), bitsPerToken: loss / Math.LN2, accuracy: correct / tokens, tokens };
}

/** One window of an evaluation pass: row n = t·B + b is position i + t of column b. */
export interface EvalWindow {
  /** The batchified stream: B columns of L rows each (column b is ids[b·L .. (b+1)·L)). */
  L: number;
  B: number;
  /** Input and target ids [T,B], T and the window start i (a row of the batchified stream). */
  window: Batch & { i: number };
  /** Rows of this window (T·B). */
  N: number;
  /** Logits [N,V] and the cross-entropy −ln p(target) of each row [N] (nats). */
  logits: FloatArray;
  losses: FloatArray;
}

/**
 * Reads `ids` as evaluation does (B columns of L rows, windows of bptt, the hidden state carried
 * across windows, eval mode, no gradients) and hands every window's logits and per-row losses to
 * `visit`. evaluate() and the n-gram mixture's
 * per-token log-probabilities (generate/interpolate.ts) both read a stream this way.
 */
export function scanEvalWindows(model: RNNLM, ids: Int32Array, opts: EvalOptions, visit: (w: EvalWindow) => void): void {
  const B = opts.batchSize ?? 10;
  const bptt = opts.bptt ?? 35;
  if (ids.length < 2 * B) {
    throw new RnnlmError(
      'empty_corpus',
      `evaluation needs at least ${2 * B} tokens (got ${ids.length}) for ${opts.batchSizeName ?? 'batchSize'} ${B}; use a smaller ${opts.batchSizeName ?? 'batchSize'} (at most ${Math.max(1, Math.floor(ids.length / 2))}) or more text`,
      { need: 2 * B, got: ids.length },
    );
  }
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      const batched = batchify(ids, B);
      const V = model.config.vocabSize;
      const total = (batched.L - 1) * B;
      let state: RNNState | null = null;
      let done = 0;
      for (const w of bpttWindows(batched, bptt)) {
        const out = model.forward(w.input, w.T, B, state);
        state = out.state;
        const N = w.T * B;
        const k = kernelsFor(out.logits.data);
        const lse = allocArray(out.logits.dtype, N);
        const losses = allocArray(out.logits.dtype, N);
        k.softmaxXentForward(out.logits.data, w.target, N, V, -100, lse, losses);
        visit({ L: batched.L, B, window: w, N, logits: out.logits.data, losses });
        done += N;
        opts.onProgress?.(done, total);
      }
    });
  } finally {
    model.train(wasTraining);
  }
}

export function evaluate(model: RNNLM, ids: Int32Array, opts: EvalOptions = {}): EvalResult {
  const V = model.config.vocabSize;
  let nats = 0;
  let correct = 0;
  let done = 0;
  scanEvalWindows(model, ids, opts, ({ window, N, logits, losses }) => {
    nats += kernelsFor(losses).sum(losses);
    correct += countCorrect(logits, window.target, N, V);
    done += N;
  });
  if (!Number.isFinite(nats)) throw new RnnlmError('non_finite', 'evaluation loss is not finite: the model weights hold NaN or Inf');
  return summarize(nats, correct, done);
}

/** Rows of logits [N,V] whose argmax equals the target. */
export function countCorrect(logits: ArrayLike<number>, targets: Int32Array, N: number, V: number): number {
  let correct = 0;
  for (let n = 0; n < N; n++) {
    const off = n * V;
    let best = 0;
    let bestV = logits[off]!;
    for (let v = 1; v < V; v++) {
      const x = logits[off + v]!;
      if (x > bestV) {
        bestV = x;
        best = v;
      }
    }
    if (best === targets[n]) correct++;
  }
  return correct;
}
