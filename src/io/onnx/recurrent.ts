/**
 * One recurrent layer as ONNX's own LSTM / GRU / RNN operator, from PyTorch-layout weights.
 *
 * Gate blocks (each H rows of the weight matrices) are reordered from PyTorch to ONNX:
 *   LSTM  PyTorch i f g o  →  ONNX i o f c      (block k of ONNX = PyTorch block [0, 3, 1, 2][k])
 *   GRU   PyTorch r z n    →  ONNX z r h        ([1, 0, 2]); linear_before_reset = 1 is PyTorch's
 *                                               n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
 *   RNN   one block; activations Tanh, Relu or Sigmoid (rnn_sigmoid).
 * W [D, G·H, I], R [D, G·H, H], B [D, 2·G·H] = [input biases; recurrent biases] per direction.
 * Legend: D directions (1 forward, 2 bidirectional), G gates, H hidden, I input size, T time, B batch.
 */
import { type RecurrentMode, gatesOf } from '../../backend/kernels.js';
import type { FloatArray } from '../../tensor/tensor.js';
import type { GraphBuilder } from './graph.js';

/** One direction of one layer in PyTorch's layout (biases null = zero). */
export interface TorchLayerWeights {
  weightIh: FloatArray; // [G·H, I]
  weightHh: FloatArray; // [G·H, H]
  biasIh: FloatArray | null; // [G·H]
  biasHh: FloatArray | null; // [G·H]
}

const ONNX_GATE_ORDER: Record<RecurrentMode, readonly number[]> = {
  lstm: [0, 3, 1, 2],
  gru: [1, 0, 2],
  rnn_tanh: [0],
  rnn_relu: [0],
  rnn_sigmoid: [0],
};

const OP: Record<RecurrentMode, string> = { lstm: 'LSTM', gru: 'GRU', rnn_tanh: 'RNN', rnn_relu: 'RNN', rnn_sigmoid: 'RNN' };
const RNN_ACTIVATION: Partial<Record<RecurrentMode, string>> = { rnn_tanh: 'Tanh', rnn_relu: 'Relu', rnn_sigmoid: 'Sigmoid' };

/** Copies the gate blocks of a [G·H, cols] matrix (or [G·H] vector, cols = 1) into ONNX order at `out[at…]`. */
function reorderInto(src: FloatArray | null, mode: RecurrentMode, H: number, cols: number, out: Float32Array, at: number): void {
  if (!src) return; // an absent bias stays zero
  const block = H * cols;
  ONNX_GATE_ORDER[mode].forEach((from, k) => out.set(src.subarray(from * block, (from + 1) * block), at + k * block));
}

/** The W, R, B initializers of a layer (1 or 2 directions), named `${prefix}.W` etc. */
export function recurrentInitializers(
  g: GraphBuilder,
  mode: RecurrentMode,
  prefix: string,
  dirs: readonly TorchLayerWeights[],
  H: number,
  I: number,
): { W: string; R: string; B: string } {
  const G = gatesOf(mode);
  const D = dirs.length;
  const W = new Float32Array(D * G * H * I); // [D, G·H, I]
  const R = new Float32Array(D * G * H * H); // [D, G·H, H]
  const B = new Float32Array(D * 2 * G * H); // [D, 2·G·H]
  dirs.forEach((d, k) => {
    reorderInto(d.weightIh, mode, H, I, W, k * G * H * I);
    reorderInto(d.weightHh, mode, H, H, R, k * G * H * H);
    reorderInto(d.biasIh, mode, H, 1, B, k * 2 * G * H);
    reorderInto(d.biasHh, mode, H, 1, B, k * 2 * G * H + G * H);
  });
  return {
    W: g.weight(`${prefix}.W`, W, [D, G * H, I]),
    R: g.weight(`${prefix}.R`, R, [D, G * H, H]),
    B: g.weight(`${prefix}.B`, B, [D, 2 * G * H]),
  };
}

export interface RecurrentNodeInputs {
  /** [T, B, I] */
  x: string;
  /** int32 [B] lengths, or '' for full length. */
  seqLens?: string;
  /** [D, B, H] initial states, or '' for zeros. */
  h0?: string;
  c0?: string;
}

/**
 * Adds the layer's operator: returns Y [T, D, B, H], Y_h [D, B, H] and (LSTM) Y_c [D, B, H].
 * With sequence lengths, Y is zero past each length and Y_h/Y_c are taken at the last real
 * step; the reverse direction runs each sequence backwards from its own last step.
 */
export function recurrentNode(
  g: GraphBuilder,
  mode: RecurrentMode,
  prefix: string,
  dirs: readonly TorchLayerWeights[],
  H: number,
  I: number,
  io: RecurrentNodeInputs,
): { y: string; yh: string; yc: string | null } {
  const { W, R, B } = recurrentInitializers(g, mode, prefix, dirs, H, I);
  const isLstm = mode === 'lstm';
  const inputs = [io.x, W, R, B, io.seqLens ?? '', io.h0 ?? ''];
  if (isLstm) inputs.push(io.c0 ?? '');
  while (inputs[inputs.length - 1] === '') inputs.pop(); // trailing optional inputs are left out
  const attrs: Record<string, number | string | string[]> = { hidden_size: H, direction: dirs.length === 2 ? 'bidirectional' : 'forward' };
  if (mode === 'gru') attrs.linear_before_reset = 1;
  const act = RNN_ACTIVATION[mode];
  if (act) attrs.activations = dirs.map(() => act);
  const outs = g.node(OP[mode], inputs, attrs, [g.fresh(`${prefix}.Y`), g.fresh(`${prefix}.Y_h`), ...(isLstm ? [g.fresh(`${prefix}.Y_c`)] : [])]);
  return { y: outs[0]!, yh: outs[1]!, yc: isLstm ? outs[2]! : null };
}
