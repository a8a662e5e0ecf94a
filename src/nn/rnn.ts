/**
 * Stacked recurrent layers with PyTorch's names, shapes, gate orders and default init
 * (every weight and bias U(±1/√H)): `weight_ih_l{k}` [G·H, I_k], `weight_hh_l{k}` [G·H, H],
 * `bias_ih_l{k}`, `bias_hh_l{k}` [G·H]. Time-major like nn.LSTM(batch_first=False).
 * Dropout (if any) is applied to the outputs of every layer but the last, as PyTorch does.
 * Legend: T time, B batch, I input size, H hidden, L layers, G gates (LSTM 4, GRU 3, RNN 1).
 */
import { type RecurrentMode, gatesOf } from '../backend/kernels.js';
import { RnnlmError } from '../errors.js';
import { dropout } from '../ops/dropout.js';
import { recurrent } from '../ops/recurrent.js';
import { stack, unstack } from '../ops/stack.js';
import { expectShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/random.js';
import { type DType, Tensor } from '../tensor/tensor.js';
import { uniform_ } from './init.js';
import { Module } from './module.js';

export interface RNNOptions {
  mode: RecurrentMode;
  inputSize: number;
  hiddenSize: number;
  numLayers?: number;
  bias?: boolean;
  /** Dropout between layers (on every layer's output except the last). */
  dropout?: number;
  dtype?: DType;
  rng: Rng;
}

/** PyTorch's state layout: h [L,B,H], and c [L,B,H] for an LSTM. */
export interface RNNState {
  h: Tensor;
  c: Tensor | null;
}

export class RNN extends Module {
  readonly mode: RecurrentMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly dropout: number;
  readonly dtype: DType;
  private readonly rng: Rng;

  constructor(o: RNNOptions) {
    super();
    this.mode = o.mode;
    this.inputSize = o.inputSize;
    this.hiddenSize = o.hiddenSize;
    this.numLayers = o.numLayers ?? 1;
    this.bias = o.bias ?? true;
    this.dropout = o.dropout ?? 0;
    this.dtype = o.dtype ?? 'float32';
    this.rng = o.rng;
    if (!(this.numLayers >= 1 && Number.isInteger(this.numLayers))) {
      throw new RnnlmError('invalid_argument', `numLayers must be a positive integer, got ${o.numLayers}`);
    }
    if (!(this.hiddenSize >= 1 && Number.isInteger(this.hiddenSize))) {
      throw new RnnlmError('invalid_argument', `hiddenSize must be a positive integer, got ${o.hiddenSize}`);
    }
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new RnnlmError('invalid_argument', `dropout must be in [0, 1), got ${o.dropout}`);
    const G = gatesOf(this.mode);
    const H = this.hiddenSize;
    const k = 1 / Math.sqrt(H);
    for (let l = 0; l < this.numLayers; l++) {
      const I = l === 0 ? this.inputSize : H;
      const u = (shape: number[]): Tensor => uniform_(Tensor.zeros(shape, this.dtype), -k, k, this.rng);
      // Registration order = PyTorch's _flat_weights order, so state dicts list the same way.
      this.registerParameter(`weight_ih_l${l}`, u([G * H, I]));
      this.registerParameter(`weight_hh_l${l}`, u([G * H, H]));
      if (this.bias) {
        this.registerParameter(`bias_ih_l${l}`, u([G * H]));
        this.registerParameter(`bias_hh_l${l}`, u([G * H]));
      }
    }
  }

  /** Zero state for batch size B. */
  initState(B: number): RNNState {
    const shape = [this.numLayers, B, this.hiddenSize];
    return { h: Tensor.zeros(shape, this.dtype), c: this.mode === 'lstm' ? Tensor.zeros(shape, this.dtype) : null };
  }

  layerParams(l: number) {
    const opt = (n: string): Tensor | null => (this.bias ? this.param(`${n}_l${l}`) : null);
    return {
      weightIh: this.param(`weight_ih_l${l}`),
      weightHh: this.param(`weight_hh_l${l}`),
      biasIh: opt('bias_ih'),
      biasHh: opt('bias_hh'),
    };
  }

  /** x [T,B,I], state (zeros when null) → y [T,B,H], state [L,B,H]. */
  forward(x: Tensor, state: RNNState | null = null): { y: Tensor; state: RNNState } {
    expectShape('RNN input', x.shape, [-1, -1, this.inputSize]);
    const B = x.shape[1]!;
    const s = state ?? this.initState(B);
    const L = this.numLayers;
    expectShape('RNN state h', s.h.shape, [L, B, this.hiddenSize]);
    const isLstm = this.mode === 'lstm';
    if (isLstm) {
      if (!s.c) throw new RnnlmError('invalid_argument', 'an LSTM state needs c as well as h');
      expectShape('RNN state c', s.c.shape, [L, B, this.hiddenSize]);
    }
    const h0 = unstack(s.h); // [L,B,H] → L × [B,H]
    const c0 = isLstm ? unstack(s.c!) : null;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let input = x;
    for (let l = 0; l < L; l++) {
      const r = recurrent(this.mode, input, this.layerParams(l), h0[l]!, c0 ? c0[l]! : null);
      hs.push(r.h);
      if (r.c) cs.push(r.c);
      input = r.y;
      if (l < L - 1 && this.training && this.dropout > 0) input = dropout(input, this.dropout, this.rng);
    }
    return { y: input, state: { h: stack(hs), c: isLstm ? stack(cs) : null } };
  }
}
