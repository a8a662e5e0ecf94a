/**
 * The reference lmStep (kernels.ts): one inference step of a stacked recurrent LM composed from
 * a backend's own kernels, exactly the op-by-op path — embeddingForward, recurrentForward with
 * T = 1 per layer (no workspace), gemm(x, Wᵀ) + addRowVector for the decoder — so it gives that
 * path's bits on whatever backend runs it. The js backend uses it as its lmStep, the wasm backend
 * as its fallback; the native backend fuses the same arithmetic into one call (native/recurrent.cc).
 *
 * Dimension legend: B batch rows, E embedding, L layers, H_l size of layer l, I_l its input
 * (E, then H_{l−1}), G gates, V decoder rows.
 */
import { RnnlmError } from '../errors.js';
import { checkSizes, needLength, sameDtype } from './js/checks.js';
import { type F, type Kernels, LM_STEP_MAX_B, type LmStepArgs } from './kernels.js';

const KERNEL = 'lmStep';

/** Checks lmStep's sizes and array lengths (the per-layer weights are checked by recurrentForward). */
export function checkLmStep(a: LmStepArgs): void {
  const { B, E, V, hiddenSizes } = a;
  checkSizes(KERNEL, { B, E, V });
  if (!(B >= 1 && B <= LM_STEP_MAX_B)) throw new RnnlmError('invalid_argument', `${KERNEL}: B = ${B} rows; it takes 1 to ${LM_STEP_MAX_B}`);
  const L = hiddenSizes.length;
  if (L === 0 || a.layers.length !== L) {
    throw new RnnlmError('invalid_argument', `${KERNEL}: ${a.layers.length} layer weight sets for ${L} hidden sizes; give one per layer (at least one)`);
  }
  hiddenSizes.forEach((H, l) => checkSizes(KERNEL, { [`H_${l}`]: H }));
  const total = B * hiddenSizes.reduce((s, h) => s + h, 0);
  const isLstm = a.mode === 'lstm';
  if (isLstm !== (a.c !== null)) throw new RnnlmError('invalid_argument', `${KERNEL}: c must be given for an LSTM and null otherwise`);
  sameDtype(KERNEL, a.embedding, a.h, a.c, a.decoderWeight, a.decoderBias, a.logits);
  needLength(KERNEL, 'ids', a.ids, B);
  needLength(KERNEL, 'h', a.h, total);
  if (a.c) needLength(KERNEL, 'c', a.c, total);
  const Hl = hiddenSizes[L - 1]!;
  needLength(KERNEL, 'decoderWeight', a.decoderWeight, V * Hl);
  if (a.decoderBias) needLength(KERNEL, 'decoderBias', a.decoderBias, V);
  needLength(KERNEL, 'logits', a.logits, B * V);
}

/** lmStep on `k`'s op kernels (see the header). Allocates its temporaries: it is the reference, not the fast path. */
export function lmStepComposed(k: Kernels, a: LmStepArgs): void {
  checkLmStep(a);
  const { B, E, V, hiddenSizes, mode } = a;
  const make = (n: number): F => (a.h instanceof Float64Array ? new Float64Array(n) : new Float32Array(n));
  let x = make(B * E); // [B, I_0]
  k.embeddingForward(a.embedding, a.ids, E, x);
  let I = E;
  let off = 0; // B·Σ_{k<l} H_k
  hiddenSizes.forEach((H, l) => {
    const n = B * H;
    const h0 = a.h.subarray(off, off + n); // [B, H_l]
    const c0 = a.c ? a.c.subarray(off, off + n) : null;
    const y = make(n);
    const hT = make(n);
    const cT = c0 ? make(n) : null;
    k.recurrentForward({
      desc: { mode, T: 1, B, inputSize: I, hiddenSize: H, precision: a.precision ?? 'fp32' },
      w: a.layers[l]!,
      x,
      h0,
      c0,
      y,
      hT,
      cT,
      workspace: null,
    });
    h0.set(hT);
    if (c0 && cT) c0.set(cT);
    x = y;
    I = H;
    off += n;
  });
  const Hl = hiddenSizes[hiddenSizes.length - 1]!;
  const logits = a.logits.subarray(0, B * V);
  k.gemm(false, true, B, V, Hl, 1, x, a.decoderWeight, 0, logits, a.precision ?? 'fp32');
  if (a.decoderBias) k.addRowVector(logits, a.decoderBias, B, V);
}
