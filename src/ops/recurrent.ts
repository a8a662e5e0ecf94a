/**
 * One recurrent layer (LSTM, GRU or Elman RNN) over a whole sequence as ONE autograd node:
 * the backend runs the time loop inside its fused kernel, never step by step from here.
 * Legend: T time, B batch, I layer input, H hidden, G gates (LSTM 4, GRU 3, RNN 1).
 */
import { kernelsFor } from '../backend/backend.js';
import { type RecurrentDesc, type RecurrentMode, type RecurrentWeights, gatesOf } from '../backend/kernels.js';
import { addGrad, gradBuffer, isGradEnabled, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { ScratchBuffer } from '../tensor/scratch.js';
import { expectShape } from '../tensor/shape.js';
import { type FloatArray, Tensor, allocArray } from '../tensor/tensor.js';
import { matmulPrecision } from './precision.js';
import { sameDtype } from './util.js';

export interface RecurrentParams {
  weightIh: Tensor; // [G·H, I]
  weightHh: Tensor; // [G·H, H]
  biasIh: Tensor | null; // [G·H]
  biasHh: Tensor | null; // [G·H]
}

export interface RecurrentResult {
  y: Tensor; // [T,B,H]
  h: Tensor; // [B,H]
  c: Tensor | null; // [B,H], LSTM only
}

/**
 * x [T,B,I], h0 [B,H], c0 [B,H] (LSTM) → y [T,B,H], h [B,H], c [B,H]. `scratch` (a layer's
 * own) holds the workspace that backward reads, from step to step, when it is free.
 */
export function recurrent(mode: RecurrentMode, x: Tensor, p: RecurrentParams, h0: Tensor, c0: Tensor | null, scratch?: ScratchBuffer): RecurrentResult {
  sameDtype('recurrent', x, p.weightIh, p.weightHh, p.biasIh, p.biasHh, h0, c0);
  expectShape('recurrent: input', x.shape, [-1, -1, -1]);
  const [T, B, I] = x.shape as [number, number, number];
  const G = gatesOf(mode);
  expectShape('recurrent: weight_hh', p.weightHh.shape, [-1, -1]);
  const H = p.weightHh.shape[1]!;
  expectShape('recurrent: weight_hh', p.weightHh.shape, [G * H, H]);
  expectShape('recurrent: weight_ih', p.weightIh.shape, [G * H, I]);
  if (p.biasIh) expectShape('recurrent: bias_ih', p.biasIh.shape, [G * H]);
  if (p.biasHh) expectShape('recurrent: bias_hh', p.biasHh.shape, [G * H]);
  expectShape('recurrent: h0', h0.shape, [B, H]);
  const isLstm = mode === 'lstm';
  if (isLstm) {
    if (!c0) throw new RnnlmError('invalid_argument', 'recurrent: an LSTM needs an initial cell state c0');
    expectShape('recurrent: c0', c0.shape, [B, H]);
  }
  if (T === 0) throw new RnnlmError('invalid_argument', 'recurrent: the sequence is empty (T = 0)');

  const desc: RecurrentDesc = { mode, T, B, inputSize: I, hiddenSize: H, precision: matmulPrecision() };
  const k = kernelsFor(x.data);
  const dt = x.dtype;
  const w: RecurrentWeights = {
    weightIh: p.weightIh.data,
    weightHh: p.weightHh.data,
    biasIh: p.biasIh?.data ?? null,
    biasHh: p.biasHh?.data ?? null,
  };
  const y = new Tensor(allocArray(dt, T * B * H), [T, B, H]);
  const h = new Tensor(allocArray(dt, B * H), [B, H]);
  const c = isLstm ? new Tensor(allocArray(dt, B * H), [B, H]) : null;
  const inputs = [x, p.weightIh, p.weightHh, p.biasIh, p.biasHh, h0, c0].filter((t): t is Tensor => t !== null);
  const grad = isGradEnabled() && needsGrad(...inputs);
  const wsSize = grad ? k.recurrentWorkspaceSize(desc) : 0;
  const workspace = grad ? (scratch?.take(dt, wsSize) ?? allocArray(dt, wsSize)) : null;
  try {
    k.recurrentForward({ desc, w, x: x.data, h0: h0.data, c0: isLstm ? c0!.data : null, y: y.data, hT: h.data, cT: c ? c.data : null, workspace });
  } catch (e) {
    if (workspace) scratch?.release(workspace);
    throw e;
  }

  if (grad) {
    record(`${mode}`, inputs, c ? [y, h, c] : [y, h], () => {
      const dyOut = outputGrad(y);
      const dhT = outputGrad(h);
      const dcT = c ? outputGrad(c) : null;
      if (!dyOut && !dhT && !dcT) {
        scratch?.release(workspace!);
        return;
      }
      const dy = dyOut ?? allocArray(dt, y.size);
      // Frozen weights still need somewhere for the kernel to put their gradients.
      const gw = (t: Tensor): FloatArray => (t.requiresGrad ? gradBuffer(t) : allocArray(dt, t.size));
      const grads: RecurrentWeights = {
        weightIh: gw(p.weightIh),
        weightHh: gw(p.weightHh),
        biasIh: p.biasIh ? gw(p.biasIh) : null,
        biasHh: p.biasHh ? gw(p.biasHh) : null,
      };
      const dx = x.requiresGrad ? allocArray(dt, x.size) : null;
      const dh0 = h0.requiresGrad ? allocArray(dt, h0.size) : null;
      const dc0 = c0?.requiresGrad ? allocArray(dt, c0.size) : null;
      try {
        k.recurrentBackward({ desc, w, x: x.data, h0: h0.data, c0: c0?.data ?? null, y: y.data, workspace: workspace!, dy, dhT, dcT, dx, dh0, dc0, grads });
      } finally {
        scratch?.release(workspace!);
      }
      if (dx) addGrad(x, dx);
      if (dh0) addGrad(h0, dh0);
      if (dc0 && c0) addGrad(c0, dc0);
    });
  }
  return { y, h, c };
}
