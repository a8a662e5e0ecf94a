/**
 * Naive float64 references for the backend conformance suite: textbook loops straight from the
 * definitions (PyTorch's formulas), no blocking, no fusion, no tricks, so they are easy to trust.
 *
 * Dimension legend: M/N/K gemm sizes, T time, B batch, I input, H hidden, G gate blocks, V vocab.
 */
import type { RecurrentMode, UnaryOp } from '../../src/backend/kernels.js';
import { gatesOf } from '../../src/backend/kernels.js';

type Arr = ArrayLike<number>;

/** alpha · op(A) · op(B) + beta · C, one dot product per output element. */
export function naiveGemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Arr,
  B: Arr,
  beta: number,
  C: Arr,
): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * M + i]! : A[i * K + k]!; // op(A)[i, k]
        const b = transB ? B[j * K + k]! : B[k * N + j]!; // op(B)[k, j]
        s += a * b;
      }
      out[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * N + j]!);
    }
  }
  return out;
}

export function naiveSigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

export const naiveUnary: Record<UnaryOp, (v: number) => number> = {
  tanh: Math.tanh,
  sigmoid: naiveSigmoid,
  relu: (v) => Math.max(v, 0),
  exp: Math.exp,
  log: Math.log,
  neg: (v) => -v,
};

/** d op(v) / dv, from the input v (relu'(0) = 0, as PyTorch). */
export const naiveUnaryDerivative: Record<UnaryOp, (v: number) => number> = {
  tanh: (v) => 1 - Math.tanh(v) ** 2,
  sigmoid: (v) => naiveSigmoid(v) * (1 - naiveSigmoid(v)),
  relu: (v) => (v > 0 ? 1 : 0),
  exp: Math.exp,
  log: (v) => 1 / v,
  neg: () => -1,
};

/** log Σ exp(row), summed directly (callers keep logits small, or shift them first). */
export function naiveLogSumExp(row: Arr): number {
  let s = 0;
  for (let v = 0; v < row.length; v++) s += Math.exp(row[v]!);
  return Math.log(s);
}

export interface NaiveRecurrentWeights {
  wIh: Arr; // [G·H, I]
  wHh: Arr; // [G·H, H]
  bIh: Arr | null; // [G·H]
  bHh: Arr | null; // [G·H]
}

export interface NaiveRecurrentResult {
  y: Float64Array; // [T,B,H]
  hT: Float64Array; // [B,H]
  cT: Float64Array; // [B,H] (zeros unless LSTM)
}

/**
 * One layer over a sequence, one batch row and one step at a time, with PyTorch's cell equations:
 *   LSTM: i,f,o = σ(·), g = tanh(·), c' = f c + i g, h' = o tanh(c')
 *   GRU:  r,z = σ(·), n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 − z) n + z h
 *   RNN:  h' = act(W_ih x + b_ih + W_hh h + b_hh)
 */
export function naiveRecurrentForward(
  mode: RecurrentMode,
  T: number,
  B: number,
  I: number,
  H: number,
  w: NaiveRecurrentWeights,
  x: Arr,
  h0: Arr,
  c0: Arr | null,
): NaiveRecurrentResult {
  const GH = gatesOf(mode) * H;
  const y = new Float64Array(T * B * H);
  let h = Float64Array.from({ length: B * H }, (_, k) => h0[k]!);
  let c = Float64Array.from({ length: B * H }, (_, k) => (c0 ? c0[k]! : 0));
  const act = mode === 'rnn_relu' ? naiveUnary.relu : mode === 'rnn_sigmoid' ? naiveSigmoid : Math.tanh;

  for (let t = 0; t < T; t++) {
    const hNew = new Float64Array(B * H);
    const cNew = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      // ax[r] = (W_ih x + b_ih)[r], ah[r] = (W_hh h + b_hh)[r] for every gate row r
      const ax = new Float64Array(GH);
      const ah = new Float64Array(GH);
      for (let r = 0; r < GH; r++) {
        let sx = w.bIh ? w.bIh[r]! : 0;
        for (let i = 0; i < I; i++) sx += w.wIh[r * I + i]! * x[(t * B + b) * I + i]!;
        let sh = w.bHh ? w.bHh[r]! : 0;
        for (let j = 0; j < H; j++) sh += w.wHh[r * H + j]! * h[b * H + j]!;
        ax[r] = sx;
        ah[r] = sh;
      }
      for (let j = 0; j < H; j++) {
        const k = b * H + j;
        if (mode === 'lstm') {
          const ig = naiveSigmoid(ax[j]! + ah[j]!);
          const fg = naiveSigmoid(ax[H + j]! + ah[H + j]!);
          const gg = Math.tanh(ax[2 * H + j]! + ah[2 * H + j]!);
          const og = naiveSigmoid(ax[3 * H + j]! + ah[3 * H + j]!);
          cNew[k] = fg * c[k]! + ig * gg;
          hNew[k] = og * Math.tanh(cNew[k]!);
        } else if (mode === 'gru') {
          const r = naiveSigmoid(ax[j]! + ah[j]!);
          const z = naiveSigmoid(ax[H + j]! + ah[H + j]!);
          const n = Math.tanh(ax[2 * H + j]! + r * ah[2 * H + j]!);
          hNew[k] = (1 - z) * n + z * h[k]!;
        } else {
          hNew[k] = act(ax[j]! + ah[j]!);
        }
      }
    }
    y.set(hNew, t * B * H);
    h = hNew;
    c = cNew;
  }
  return { y, hT: h, cT: mode === 'lstm' ? c : new Float64Array(B * H) };
}

/** Central finite differences of loss() w.r.t. every element of `arr` (perturbed in place, restored). */
export function finiteDifferences(loss: () => number, arr: Float32Array | Float64Array, eps: number): Float64Array {
  const g = new Float64Array(arr.length);
  for (let p = 0; p < arr.length; p++) {
    const orig = arr[p]!;
    arr[p] = orig + eps;
    const lp = loss();
    arr[p] = orig - eps;
    const lm = loss();
    arr[p] = orig;
    g[p] = (lp - lm) / (2 * eps);
  }
  return g;
}
