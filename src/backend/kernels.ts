/**
 * THE kernel contract. Every backend (js reference, native, wasm) implements exactly this.
 * Kernels are plain functions over contiguous row-major typed arrays with explicit sizes
 * (like llm.c): no tensors, no autograd, no allocation of outputs. Callers allocate outputs,
 * so backends stay small and can be checked one kernel at a time (test/conformance).
 *
 * Dimension legend: B batch, T time, E embedding, I layer input size, H hidden, G gates
 * (LSTM 4, GRU 3, RNN 1), V vocabulary, N rows (usually T·B), M/N/K gemm sizes.
 *
 * Conventions
 * - `F` arrays are all Float32Array or all Float64Array within one call (never mixed).
 * - "accumulate" means `out += value`; otherwise outputs are overwritten.
 * - Recurrent tensors are time-major: x [T,B,I], y [T,B,H]; states [B,H].
 * - Weights follow PyTorch exactly: weight_ih [G·H, I], weight_hh [G·H, H], biases [G·H],
 *   gate blocks in PyTorch order: LSTM (i, f, g, o), GRU (r, z, n), RNN (one block).
 * - GRU is PyTorch's "reset after": n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
 */

export type F = Float32Array | Float64Array;

/** Every recurrent cell, in the order option lists show them: the one list of cell names. */
export const RECURRENT_MODES = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu', 'rnn_sigmoid'] as const;
export type RecurrentMode = (typeof RECURRENT_MODES)[number];

export type UnaryOp = 'tanh' | 'sigmoid' | 'relu' | 'exp' | 'log' | 'neg';
/** Every unary op, in the order of the C kernels' op codes (native/kernels.h UnaryOpCode). */
export const UNARY_OPS: readonly UnaryOp[] = ['tanh', 'sigmoid', 'relu', 'exp', 'log', 'neg'];

/**
 * Precision of the matrix products (the gemm operands), one list for the whole toolkit.
 * 'fp32': operands as stored. 'bf16': mixed precision — each operand element is rounded to
 * bfloat16 (round to nearest, ties to even; 8 significant bits) and the products are summed in
 * float32 (exactly so: a product of two bf16 values fits a float32). Everything else (outputs,
 * gate math, softmax, loss, gradients, optimizer state) stays in the array's own precision.
 */
export const PRECISIONS = ['fp32', 'bf16'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** Gate blocks per mode: LSTM 4, GRU 3, RNN 1. */
export function gatesOf(mode: RecurrentMode): number {
  return mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
}

/** One layer, one direction, a whole sequence. */
export interface RecurrentDesc {
  mode: RecurrentMode;
  T: number;
  B: number;
  /** Layer input size I. */
  inputSize: number;
  /** Hidden size H. */
  hiddenSize: number;
  /** Precision of the layer's matrix products (default 'fp32'); the gate math is always in F's precision. */
  precision?: Precision;
}

/** One layer's parameters (or their gradients), PyTorch layout. Biases may be null (bias=False). */
export interface RecurrentWeights {
  weightIh: F; // [G·H, I]
  weightHh: F; // [G·H, H]
  biasIh: F | null; // [G·H]
  biasHh: F | null; // [G·H]
}

/** The operands of recurrentForward: one layer, one direction, a whole sequence. */
export interface RecurrentForwardArgs {
  desc: RecurrentDesc;
  w: RecurrentWeights;
  x: F; // [T,B,I]
  h0: F; // [B,H]
  c0: F | null; // [B,H], LSTM only
  y: F; // [T,B,H] out
  hT: F; // [B,H] out
  cT: F | null; // [B,H] out, LSTM only
  /** null for inference (nothing kept), else recurrentWorkspaceSize(desc) floats that receive what backward needs. */
  workspace: F | null;
}

/** The operands of recurrentBackward: the forward's inputs, its outputs and workspace, and the gradients. */
export interface RecurrentBackwardArgs {
  desc: RecurrentDesc;
  w: RecurrentWeights;
  x: F; // [T,B,I]
  h0: F; // [B,H]
  c0: F | null; // [B,H], LSTM only
  y: F; // [T,B,H] the forward's output
  workspace: F; // as filled by the forward
  dy: F; // [T,B,H] (may be all zero; may be used as scratch)
  dhT: F | null; // [B,H], null = zero
  dcT: F | null; // [B,H] LSTM, null = zero
  dx: F | null; // [T,B,I] out (overwritten), null if not needed
  dh0: F | null; // [B,H] out (overwritten), null if not needed
  dc0: F | null; // [B,H] out (overwritten), null if not needed
  /** The four parameter gradients, ACCUMULATED (biases null when bias=False). */
  grads: RecurrentWeights;
}

/**
 * The operands of lmStep: one inference step (T = 1) of a stacked recurrent language model for
 * B ≤ LM_STEP_MAX_B rows: embedding lookup → every recurrent layer → decoder (Linear) logits.
 * Layer l has hidden size hiddenSizes[l] = H_l and input size E (l = 0) or H_{l−1}.
 */
export interface LmStepArgs {
  mode: RecurrentMode;
  B: number;
  /** Embedding size E (layer 0's input). */
  E: number;
  /** Hidden size of each layer, H_l; the decoder reads the last one. */
  hiddenSizes: readonly number[];
  /** Rows of the decoder (vocabulary V). */
  V: number;
  /** Precision of every matrix product (default 'fp32'). */
  precision?: Precision;
  embedding: F; // [V_in, E]
  ids: Int32Array; // [B], checked by the caller against the embedding's rows
  /** One entry per layer, PyTorch layout. */
  layers: readonly RecurrentWeights[];
  /** [Σ_l B·H_l]: layer l's [B,H_l] block at B·Σ_{k<l} H_k (the stacked [L,B,H] layout when all H_l agree). In: h_{t−1}; out: h_t. */
  h: F;
  /** Same layout as h, LSTM only (else null). In: c_{t−1}; out: c_t. */
  c: F | null;
  decoderWeight: F; // [V, H_last]
  decoderBias: F | null; // [V]
  logits: F; // [B, V] out
}

/** Rows lmStep takes at most: those for which each row's products give the bits of a lone row (the gemm's dot path). */
export const LM_STEP_MAX_B = 16;

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** True on the first step for this parameter: the momentum buffer is set to the gradient, as PyTorch does. */
  firstStep: boolean;
}

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the weights directly (p -= lr·wd·p) instead of adding wd·p to the gradient. */
  decoupled: boolean;
  /** 1-based step count of this update (for bias correction). */
  step: number;
}

export interface Kernels {
  // ---------------------------------------------------------------- linear algebra
  /**
   * C[M,N] = alpha · op(A) · op(B) + beta · C (row-major).
   * op(A) is [M,K]: A is [M,K], or [K,M] when transA. op(B) is [K,N]: B is [K,N], or [N,K] when transB.
   * beta = 0 must ignore C's previous contents (even NaN).
   * precision 'bf16' (default 'fp32') rounds every element of op(A) and op(B) to bfloat16 and sums
   * the products in float32; alpha, beta and C stay as they are.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: F, B: F, beta: number, C: F, precision?: Precision): void;

  // ---------------------------------------------------------------- elementwise (all length n = out.length)
  /** out = a + b */
  add(a: F, b: F, out: F): void;
  /** out = a ⊙ b */
  mul(a: F, b: F, out: F): void;
  /** y += alpha · x */
  axpy(alpha: number, x: F, y: F): void;
  /** out = alpha · x */
  scale(x: F, alpha: number, out: F): void;
  /** out = op(x) */
  unary(op: UnaryOp, x: F, out: F): void;
  /**
   * dx += dy ⊙ op'(·), where op' is written from the forward input x and/or output y
   * (tanh, sigmoid, exp use y; relu, log use x; neg uses neither).
   */
  unaryBackward(op: UnaryOp, x: F, y: F, dy: F, dx: F): void;
  /** x[r, c] += v[c] for an x of [R, C] (bias add, in place). */
  addRowVector(x: F, v: F, R: number, C: number): void;
  /** out[c] = beta · out[c] + Σ_r x[r, c] for an x of [R, C] (bias gradient); beta = 0 ignores out (even NaN). */
  sumRows(x: F, R: number, C: number, beta: number, out: F): void;
  /** Σ x. */
  sum(x: F): number;
  /** Σ x² (for gradient norms). */
  sumSquares(x: F): number;

  // ---------------------------------------------------------------- embedding
  /** out[n, :] = weight[ids[n], :]; weight [V, E], ids [N], out [N, E]. Ids are checked by the caller. */
  embeddingForward(weight: F, ids: Int32Array, E: number, out: F): void;
  /** dWeight[ids[n], :] += dOut[n, :] (accumulate; repeated ids add up). */
  embeddingBackward(dOut: F, ids: Int32Array, E: number, dWeight: F): void;

  // ---------------------------------------------------------------- softmax + cross-entropy
  /**
   * Fused log-softmax + negative log-likelihood over rows of logits [N, V].
   * Writes lse[n] = log Σ_v exp(logits[n, v]) and losses[n] = lse[n] − logits[n, targets[n]],
   * or losses[n] = 0 where targets[n] === ignoreIndex. Keeps nothing else: backward recomputes
   * the softmax from logits and lse.
   */
  softmaxXentForward(logits: F, targets: Int32Array, N: number, V: number, ignoreIndex: number, lse: F, losses: F): void;
  /**
   * dLogits[n, :] = scale[n] · (softmax(logits[n, :]) − onehot(targets[n])), rows with
   * targets[n] === ignoreIndex get 0. `scale` is one number for all rows or one per row
   * (the incoming gradient of each row's loss). dLogits may be the same array as logits.
   */
  softmaxXentBackward(logits: F, lse: F, targets: Int32Array, N: number, V: number, ignoreIndex: number, scale: number | F, dLogits: F): void;
  /** out[n, :] = log_softmax(logits[n, :]) (inference; out may be logits). */
  logSoftmax(logits: F, N: number, V: number, out: F): void;

  // ---------------------------------------------------------------- recurrent layers
  /** Length of the workspace recurrentForward fills for backward (backend-specific; 0 allowed). */
  recurrentWorkspaceSize(desc: RecurrentDesc): number;
  /**
   * Runs one layer over the whole sequence: the input projection of all T steps as one gemm,
   * then per step the recurrent gemm and fused gate math.
   * x [T,B,I], h0 [B,H], c0 [B,H] (LSTM only, else null) → y [T,B,H], hT [B,H], cT [B,H] (LSTM only);
   * the workspace (when given) receives what backward needs.
   */
  recurrentForward(a: RecurrentForwardArgs): void;
  /**
   * Backward of recurrentForward through all T steps (BPTT within the window): dx, dh0, dc0
   * overwritten (each null if not needed), the parameter gradients accumulated. May use dy as scratch.
   */
  recurrentBackward(a: RecurrentBackwardArgs): void;

  /**
   * One fused inference step of a stacked recurrent LM (LmStepArgs): h and c updated in place,
   * logits [B,V] written. Must give the bits of the op-by-op path on the same backend:
   * embeddingForward, recurrentForward with T = 1 per layer (no workspace), then
   * gemm(x, decoderWeightᵀ) and addRowVector(decoderBias). Generation calls it once per token.
   */
  lmStep(a: LmStepArgs): void;

  // ---------------------------------------------------------------- optimizers (in place, per parameter)
  /** PyTorch torch.optim.SGD for one parameter. momentumBuf is null when momentum = 0. */
  sgdStep(param: F, grad: F, momentumBuf: F | null, o: SgdOptions): void;
  /** PyTorch torch.optim.Adam / AdamW (o.decoupled) for one parameter; m, v are the moment buffers. */
  adamStep(param: F, grad: F, m: F, v: F, o: AdamOptions): void;
}
