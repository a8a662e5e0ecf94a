/**
 * Recurrent layers (LSTM, GRU, Elman RNN) over a whole sequence for the js reference backend:
 * the shared gemm structure of forward and backward. The per-step gate math is in lstm.ts,
 * gru.ts and rnn.ts.
 *
 * Dimension legend: T time, B batch, I input size, H hidden, G gate blocks (LSTM 4, GRU 3, RNN 1).
 * x [T,B,I], y [T,B,H], h0/hT/c0/cT [B,H], weight_ih [G·H, I], weight_hh [G·H, H], biases [G·H].
 *
 * Forward:  Gx = x · W_ihᵀ + b_ih           one gemm over all T·B rows → [T·B, G·H]
 *           per step t: Gh = h_{t-1} · W_hhᵀ + b_hh  ([B, G·H]), then the fused cell math.
 * Backward: BPTT from t = T−1 down to 0, each step: cell math → gate gradients dG_t, then
 *           dh_{t-1} = dG_t · W_hh. Afterwards, over all T at once:
 *           dW_ih += dGxᵀ · x, dW_hh += dGhᵀ · [h0; y_0..y_{T-2}], db_ih/db_hh += column sums,
 *           dx = dGx · W_ih. (dGx = dGh except for GRU's n block, see gru.ts.)
 *
 * Workspace layout (what backward needs beyond x, h0, c0, y), two regions:
 *   LSTM: [ gates T·B·4H (post-activation i, f, g, o) | cells T·B·H (c_t) ]
 *   GRU:  [ gates T·B·3H (post-activation r, z, n)    | hn T·B·H (W_hn h_{t-1} + b_hn) ]
 *   RNN:  empty (the activation's derivative is computed from y).
 */
import { RnnlmError } from '../../errors.js';
import {
  type F,
  type RecurrentBackwardArgs,
  type RecurrentDesc,
  type RecurrentForwardArgs,
  type RecurrentMode,
  RECURRENT_MODES,
  type RecurrentWeights,
  gatesOf,
} from '../kernels.js';
import { allocLike, checkPrecision, checkSizes, needLength, sameDtype } from './checks.js';
import { addRowVector, sumRows } from './elementwise.js';
import { gruStepBackward, gruStepForward } from './gru.js';
import { lstmStepBackward, lstmStepForward } from './lstm.js';
import { gemm } from './matmul.js';
import { type RnnActivation, rnnStepBackward, rnnStepForward } from './rnn.js';

/** Floats per time step in each workspace region: [gates, extra] (see the layout above). */
function workspaceRegions(mode: RecurrentMode, B: number, H: number): [number, number] {
  if (mode === 'lstm') return [B * 4 * H, B * H];
  if (mode === 'gru') return [B * 3 * H, B * H];
  return [0, 0];
}

export function recurrentWorkspaceSize(desc: RecurrentDesc): number {
  checkDesc('recurrentWorkspaceSize', desc);
  const [gates, extra] = workspaceRegions(desc.mode, desc.B, desc.hiddenSize);
  return desc.T * (gates + extra);
}

/** Views of one step's slots: into the workspace when there is one, else reused scratch. */
class StepStore {
  private readonly gatesStep: number;
  private readonly extraStep: number;
  private readonly gatesRegion: F;
  private readonly extraRegion: F;
  private readonly perStep: boolean;

  constructor(mode: RecurrentMode, T: number, B: number, H: number, workspace: F | null, like: F) {
    [this.gatesStep, this.extraStep] = workspaceRegions(mode, B, H);
    this.perStep = workspace !== null;
    if (workspace !== null) {
      this.gatesRegion = workspace.subarray(0, T * this.gatesStep);
      this.extraRegion = workspace.subarray(T * this.gatesStep, T * (this.gatesStep + this.extraStep));
    } else {
      // Inference: one step's worth, overwritten every step (LSTM then updates c in place).
      this.gatesRegion = allocLike(like, this.gatesStep);
      this.extraRegion = allocLike(like, this.extraStep);
    }
  }

  /** [B, G·H] post-activation gates of step t. */
  gates(t: number): F {
    const s = this.perStep ? t * this.gatesStep : 0;
    return this.gatesRegion.subarray(s, s + this.gatesStep);
  }

  /** [B, H] LSTM cell c_t or GRU W_hn h_{t-1} + b_hn of step t. */
  extra(t: number): F {
    const s = this.perStep ? t * this.extraStep : 0;
    return this.extraRegion.subarray(s, s + this.extraStep);
  }
}

export function recurrentForward(a: RecurrentForwardArgs): void {
  const k = 'recurrentForward';
  const { desc, w, x, h0, c0, y, hT, cT, workspace } = a;
  const { mode, T, B, inputSize: I, hiddenSize: H } = desc;
  const precision = desc.precision ?? 'fp32';
  checkDesc(k, desc);
  checkWeights(k, desc, w, 'w');
  sameDtype(k, x, w.weightIh, h0, c0, y, hT, cT, workspace);
  needLength(k, 'x', x, T * B * I);
  needLength(k, 'h0', h0, B * H);
  needLength(k, 'y', y, T * B * H);
  needLength(k, 'hT', hT, B * H);
  if (mode === 'lstm') {
    if (c0 === null || cT === null) {
      throw new RnnlmError('invalid_argument', `${k}: an LSTM needs c0 and cT arrays of [B, H]; pass them (not null)`);
    }
    needLength(k, 'c0', c0, B * H);
    needLength(k, 'cT', cT, B * H);
  }
  if (workspace !== null) needLength(k, 'workspace', workspace, recurrentWorkspaceSize(desc));

  const GH = gatesOf(mode) * H;
  const BH = B * H;
  if (T === 0) {
    // Empty sequence: the state passes through unchanged.
    hT.set(h0.subarray(0, BH));
    if (mode === 'lstm') cT!.set(c0!.subarray(0, BH));
    return;
  }

  const gx = inputProjection(desc, w, x); // [T·B, G·H]
  const gh = allocLike(x, B * GH); // [B, G·H], recomputed each step
  const store = new StepStore(mode, T, B, H, workspace, x);

  for (let t = 0; t < T; t++) {
    const hPrev = t === 0 ? h0 : y.subarray((t - 1) * BH, t * BH); // [B,H]
    const h = y.subarray(t * BH, (t + 1) * BH); // [B,H]
    const gxT = gx.subarray(t * B * GH, (t + 1) * B * GH); // [B, G·H]
    gemm(false, true, B, GH, H, 1, hPrev, w.weightHh, 0, gh, precision);
    if (w.biasHh) addRowVector(gh, w.biasHh, B, GH);

    if (mode === 'lstm') {
      // Without a workspace extra(t) is one buffer for all t, so c is updated in place.
      const cPrev = t === 0 ? c0! : store.extra(t - 1);
      lstmStepForward(B, H, gxT, gh, cPrev, store.gates(t), store.extra(t), h);
    } else if (mode === 'gru') {
      gruStepForward(B, H, gxT, gh, hPrev, store.gates(t), store.extra(t), h);
    } else {
      rnnStepForward(rnnActivation(mode), BH, gxT, gh, h);
    }
  }

  hT.set(y.subarray((T - 1) * BH, T * BH));
  if (mode === 'lstm') cT!.set(store.extra(T - 1));
}

export function recurrentBackward(a: RecurrentBackwardArgs): void {
  const k = 'recurrentBackward';
  const { desc, w, x, h0, c0, y, workspace, dy, dhT, dcT, dx, dh0, dc0, grads } = a;
  const { mode, T, B, inputSize: I, hiddenSize: H } = desc;
  const precision = desc.precision ?? 'fp32';
  checkDesc(k, desc);
  checkWeights(k, desc, w, 'w');
  checkWeights(k, desc, grads, 'grads');
  sameDtype(k, x, w.weightIh, grads.weightIh, h0, c0, y, workspace, dy, dhT, dcT, dx, dh0, dc0);
  needLength(k, 'x', x, T * B * I);
  needLength(k, 'h0', h0, B * H);
  needLength(k, 'y', y, T * B * H);
  needLength(k, 'dy', dy, T * B * H);
  needLength(k, 'workspace', workspace, recurrentWorkspaceSize(desc));
  if (dhT) needLength(k, 'dhT', dhT, B * H);
  if (dx) needLength(k, 'dx', dx, T * B * I);
  if (dh0) needLength(k, 'dh0', dh0, B * H);
  if (mode === 'lstm') {
    if (c0 === null) throw new RnnlmError('invalid_argument', `${k}: an LSTM needs the forward's c0 [B, H]; pass it (not null)`);
    needLength(k, 'c0', c0, B * H);
    if (dcT) needLength(k, 'dcT', dcT, B * H);
    if (dc0) needLength(k, 'dc0', dc0, B * H);
  }

  const GH = gatesOf(mode) * H;
  const BH = B * H;
  const store = new StepStore(mode, T, B, H, workspace, x);

  // Running gradients of h_t and (LSTM) c_t flowing back from later steps.
  const dh = allocLike(x, BH); // [B,H]
  const dc = allocLike(x, BH); // [B,H]
  if (dhT) dh.set(dhT.subarray(0, BH));
  if (dcT && mode === 'lstm') dc.set(dcT.subarray(0, BH));
  // Gate gradients of all steps, kept for the big weight gemms: input side and hidden side.
  const dGx = allocLike(x, T * B * GH); // [T·B, G·H]
  const dGh = mode === 'gru' ? allocLike(x, T * B * GH) : dGx; // [T·B, G·H]

  for (let t = T - 1; t >= 0; t--) {
    const hPrev = t === 0 ? h0 : y.subarray((t - 1) * BH, t * BH); // [B,H]
    const dyT = dy.subarray(t * BH, (t + 1) * BH); // [B,H]
    for (let p = 0; p < BH; p++) dh[p]! += dyT[p]!; // total gradient of h_t
    const dGxT = dGx.subarray(t * B * GH, (t + 1) * B * GH); // [B, G·H]
    const dGhT = dGh.subarray(t * B * GH, (t + 1) * B * GH); // [B, G·H]

    if (mode === 'lstm') {
      const cPrev = t === 0 ? c0! : store.extra(t - 1);
      lstmStepBackward(B, H, store.gates(t), store.extra(t), cPrev, dh, dc, dGxT);
    } else if (mode === 'gru') {
      gruStepBackward(B, H, store.gates(t), store.extra(t), hPrev, dh, dGxT, dGhT);
    } else {
      rnnStepBackward(rnnActivation(mode), BH, y.subarray(t * BH, (t + 1) * BH), dh, dGxT);
    }
    // dh_{t-1} = dGh_t · W_hh; GRU adds to its direct z ⊙ dh term, the others overwrite.
    gemm(false, false, B, H, GH, 1, dGhT, w.weightHh, mode === 'gru' ? 1 : 0, dh, precision);
  }

  if (dh0) dh0.set(dh);
  if (dc0 && mode === 'lstm') dc0.set(dc);
  if (T === 0) return;

  // Parameter gradients over all T·B rows at once (accumulated).
  gemm(true, false, GH, I, T * B, 1, dGx, x, 1, grads.weightIh, precision);
  gemm(true, false, GH, H, B, 1, dGh, h0, 1, grads.weightHh, precision); // step 0 saw h0
  if (T > 1) {
    // steps 1..T-1 saw y_0..y_{T-2}: rows B.. of dGh against rows 0.. of y
    gemm(true, false, GH, H, (T - 1) * B, 1, dGh.subarray(B * GH), y, 1, grads.weightHh, precision);
  }
  if (grads.biasIh) sumRows(dGx, T * B, GH, 1, grads.biasIh);
  if (grads.biasHh) sumRows(dGh, T * B, GH, 1, grads.biasHh);
  if (dx) gemm(false, false, T * B, I, GH, 1, dGx, w.weightIh, 0, dx, precision);
}

/** Gx = x · W_ihᵀ + b_ih for all T·B rows at once → new [T·B, G·H]. */
function inputProjection(desc: RecurrentDesc, w: RecurrentWeights, x: F): F {
  const { T, B, inputSize: I, hiddenSize: H } = desc;
  const GH = gatesOf(desc.mode) * H;
  const gx = allocLike(x, T * B * GH); // [T·B, G·H]
  gemm(false, true, T * B, GH, I, 1, x, w.weightIh, 0, gx, desc.precision);
  if (w.biasIh) addRowVector(gx, w.biasIh, T * B, GH);
  return gx;
}

function rnnActivation(mode: RecurrentMode): RnnActivation {
  return mode === 'rnn_relu' ? 'relu' : mode === 'rnn_sigmoid' ? 'sigmoid' : 'tanh';
}

function checkDesc(kernel: string, desc: RecurrentDesc): void {
  if (!(RECURRENT_MODES as readonly string[]).includes(desc.mode)) {
    throw new RnnlmError('invalid_argument', `${kernel}: unknown mode "${desc.mode}"; use one of ${RECURRENT_MODES.join(', ')}`);
  }
  checkSizes(kernel, { T: desc.T, B: desc.B, inputSize: desc.inputSize, hiddenSize: desc.hiddenSize });
  checkPrecision(kernel, desc.precision);
}

/** Weight (or gradient) arrays hold [G·H, I], [G·H, H] and [G·H]; both biases present or both null. */
function checkWeights(kernel: string, desc: RecurrentDesc, w: RecurrentWeights, what: string): void {
  const GH = gatesOf(desc.mode) * desc.hiddenSize;
  sameDtype(kernel, w.weightIh, w.weightHh, w.biasIh, w.biasHh);
  needLength(kernel, `${what}.weightIh`, w.weightIh, GH * desc.inputSize);
  needLength(kernel, `${what}.weightHh`, w.weightHh, GH * desc.hiddenSize);
  if ((w.biasIh === null) !== (w.biasHh === null)) {
    throw new RnnlmError('invalid_argument', `${kernel}: ${what}.biasIh and ${what}.biasHh must both be arrays or both null`);
  }
  if (w.biasIh) needLength(kernel, `${what}.biasIh`, w.biasIh, GH);
  if (w.biasHh) needLength(kernel, `${what}.biasHh`, w.biasHh, GH);
}
