/**
 * Stacked recurrent layers with PyTorch's names, shapes, gate orders and default init
 * (every weight and bias U(±1/√H)): `weight_ih_l{k}` [G·H, I_k], `weight_hh_l{k}` [G·H, H],
 * `bias_ih_l{k}`, `bias_hh_l{k}` [G·H]. Time-major like nn.LSTM(batch_first=False).
 * Dropout (if any) is applied to the outputs of every layer but the last, as PyTorch does.
 *
 * Two layouts:
 *   'stacked' (all layers the same size, the default): one nn.LSTM — names `weight_ih_l{k}`…,
 *             state h, c [L,B,H].
 *   'list'    (per-layer sizes that differ, e.g. AWD-LSTM's 1150/1150/400): nn.LSTM cannot hold
 *             these, so the layers are a ModuleList of single-layer RNNs as in the AWD-LSTM code:
 *             child k's names are `{k}.weight_ih_l0`… (`rnns.0.weight_ih_l0` inside RNNLM), and the
 *             state is flat [Σ_k B·H_k], layer k's [B,H_k] block after layer k−1's.
 *
 * AWD-LSTM regularisation options (Merity et al. 2017), all off by default and active only in
 * training mode: `dropoutHidden` (locked dropout between layers) and `weightDrop` (DropConnect on
 * every weight_hh: a masked copy is fed to the fused recurrent op each forward and gradients
 * reach the raw weight through the mask). The raw weight keeps the name `weight_hh_l{k}`;
 * AWD-LSTM's PyTorch code (WeightDrop wrapper) stores it as `rnns.{k}.module.weight_hh_l0_raw`.
 * Legend: T time, B batch, I input size, H hidden, L layers, G gates (LSTM 4, GRU 3, RNN 1).
 */
import { type RecurrentMode, gatesOf } from '../backend/kernels.js';
import { RnnlmError } from '../errors.js';
import { concatFlat, splitFlat } from '../ops/concat-flat.js';
import { dropout, lockedDropout } from '../ops/dropout.js';
import { type RecurrentParams, recurrent } from '../ops/recurrent.js';
import { stack, unstack } from '../ops/stack.js';
import { ScratchBuffer } from '../tensor/scratch.js';
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
  /**
   * Size of each layer (overrides hiddenSize/numLayers when given; hiddenSize then must be the last
   * entry). Sizes that differ switch to the 'list' layout (see the header).
   */
  hiddenSizes?: readonly number[] | null;
  bias?: boolean;
  /** Dropout between layers (on every layer's output except the last). */
  dropout?: number;
  /** Locked (variational) dropout between layers: one [B,H] mask per forward, shared over T. */
  dropoutHidden?: number;
  /** DropConnect probability on every weight_hh_l{k} (a new mask each training forward). */
  weightDrop?: number;
  dtype?: DType;
  rng: Rng;
}

/** PyTorch's state layout: h [L,B,H], and c [L,B,H] for an LSTM ('list' layout: flat [Σ_k B·H_k]). */
export interface RNNState {
  h: Tensor;
  c: Tensor | null;
}

export type RNNLayout = 'stacked' | 'list';

function checkProb(name: string, p: number): void {
  if (!(typeof p === 'number' && p >= 0 && p < 1)) throw new RnnlmError('invalid_argument', `${name} must be in [0, 1), got ${p}`);
}

export class RNN extends Module {
  readonly mode: RecurrentMode;
  readonly inputSize: number;
  /** The last layer's size (what the layer above, e.g. a decoder, sees). */
  readonly hiddenSize: number;
  readonly hiddenSizes: readonly number[];
  readonly numLayers: number;
  readonly layout: RNNLayout;
  readonly bias: boolean;
  readonly dropout: number;
  readonly dropoutHidden: number;
  readonly weightDrop: number;
  readonly dtype: DType;
  private readonly rng: Rng;
  /** 'list' layout: one single-layer RNN per layer. */
  private readonly layers: RNN[] = [];
  /** Each layer's forward-to-backward workspace, reused from step to step. */
  private readonly workspaces: ScratchBuffer[];

  constructor(o: RNNOptions) {
    super();
    this.mode = o.mode;
    this.inputSize = o.inputSize;
    this.bias = o.bias ?? true;
    this.dropout = o.dropout ?? 0;
    this.dropoutHidden = o.dropoutHidden ?? 0;
    this.weightDrop = o.weightDrop ?? 0;
    this.dtype = o.dtype ?? 'float32';
    this.rng = o.rng;
    if (o.hiddenSizes !== undefined && o.hiddenSizes !== null) {
      const hs = o.hiddenSizes;
      if (!Array.isArray(hs) || hs.length === 0 || !hs.every((h) => Number.isInteger(h) && h >= 1)) {
        throw new RnnlmError('invalid_argument', `hiddenSizes must be a non-empty list of positive integers, got ${JSON.stringify(hs)}`);
      }
      if (o.numLayers !== undefined && o.numLayers !== hs.length) {
        throw new RnnlmError('invalid_argument', `numLayers is ${o.numLayers} but hiddenSizes lists ${hs.length} layers; make them agree`);
      }
      if (o.hiddenSize !== hs[hs.length - 1]) {
        throw new RnnlmError(
          'invalid_argument',
          `hiddenSize (${o.hiddenSize}) must be the last of hiddenSizes (${hs.join('/')}): it is the size the layer above sees`,
        );
      }
      this.hiddenSizes = [...hs];
    } else {
      const L = o.numLayers ?? 1;
      if (!(L >= 1 && Number.isInteger(L))) throw new RnnlmError('invalid_argument', `numLayers must be a positive integer, got ${o.numLayers}`);
      if (!(o.hiddenSize >= 1 && Number.isInteger(o.hiddenSize))) {
        throw new RnnlmError('invalid_argument', `hiddenSize must be a positive integer, got ${o.hiddenSize}`);
      }
      this.hiddenSizes = Array.from({ length: L }, () => o.hiddenSize);
    }
    this.numLayers = this.hiddenSizes.length;
    this.hiddenSize = this.hiddenSizes[this.numLayers - 1]!;
    this.layout = this.hiddenSizes.every((h) => h === this.hiddenSize) ? 'stacked' : 'list';
    this.workspaces = this.hiddenSizes.map(() => new ScratchBuffer());
    checkProb('dropout', this.dropout);
    checkProb('dropoutHidden', this.dropoutHidden);
    checkProb('weightDrop', this.weightDrop);

    if (this.layout === 'list') {
      for (let l = 0; l < this.numLayers; l++) {
        const I = l === 0 ? this.inputSize : this.hiddenSizes[l - 1]!;
        const layer = new RNN({ mode: this.mode, inputSize: I, hiddenSize: this.hiddenSizes[l]!, bias: this.bias, dtype: this.dtype, rng: this.rng });
        this.layers.push(this.registerModule(String(l), layer));
      }
      return;
    }
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
    const isLstm = this.mode === 'lstm';
    if (this.layout === 'list') {
      const n = B * this.hiddenSizes.reduce((s, h) => s + h, 0); // [Σ_k B·H_k]
      return { h: Tensor.zeros([n], this.dtype), c: isLstm ? Tensor.zeros([n], this.dtype) : null };
    }
    const shape = [this.numLayers, B, this.hiddenSize];
    return { h: Tensor.zeros(shape, this.dtype), c: isLstm ? Tensor.zeros(shape, this.dtype) : null };
  }

  /** Layer l's raw parameters (PyTorch layout). */
  layerParams(l: number): RecurrentParams {
    if (this.layout === 'list') return this.layers[l]!.layerParams(0);
    const opt = (n: string): Tensor | null => (this.bias ? this.param(`${n}_l${l}`) : null);
    return {
      weightIh: this.param(`weight_ih_l${l}`),
      weightHh: this.param(`weight_hh_l${l}`),
      biasIh: opt('bias_ih'),
      biasHh: opt('bias_hh'),
    };
  }

  /** Checks a state against batch size B and splits it into per-layer [B,H_l] tensors. */
  private splitState(s: RNNState, B: number): { h: Tensor[]; c: Tensor[] | null } {
    const isLstm = this.mode === 'lstm';
    if (isLstm && !s.c) throw new RnnlmError('invalid_argument', 'an LSTM state needs c as well as h');
    if (this.layout === 'stacked') {
      const L = this.numLayers;
      expectShape('RNN state h', s.h.shape, [L, B, this.hiddenSize]);
      if (isLstm) expectShape('RNN state c', s.c!.shape, [L, B, this.hiddenSize]);
      return { h: unstack(s.h), c: isLstm ? unstack(s.c!) : null }; // [L,B,H] → L × [B,H]
    }
    const shapes = this.hiddenSizes.map((H) => [B, H]);
    const n = B * this.hiddenSizes.reduce((a, h) => a + h, 0);
    expectShape('RNN state h (per-layer sizes: flat)', s.h.shape, [n]);
    if (isLstm) expectShape('RNN state c (per-layer sizes: flat)', s.c!.shape, [n]);
    return { h: splitFlat(s.h, shapes), c: isLstm ? splitFlat(s.c!, shapes) : null }; // [Σ B·H_l] → [B,H_l] each
  }

  /** x [T,B,I], state (zeros when null) → y [T,B,H_last], state (see RNNState). */
  forward(x: Tensor, state: RNNState | null = null): { y: Tensor; state: RNNState } {
    expectShape('RNN input', x.shape, [-1, -1, this.inputSize]);
    const B = x.shape[1]!;
    const s0 = this.splitState(state ?? this.initState(B), B);
    const isLstm = this.mode === 'lstm';
    const L = this.numLayers;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let input = x;
    for (let l = 0; l < L; l++) {
      let p = this.layerParams(l);
      if (this.training && this.weightDrop > 0) p = { ...p, weightHh: dropout(p.weightHh, this.weightDrop, this.rng) }; // DropConnect
      const r = recurrent(this.mode, input, p, s0.h[l]!, s0.c ? s0.c[l]! : null, this.workspaces[l]);
      hs.push(r.h);
      if (r.c) cs.push(r.c);
      input = r.y;
      if (l < L - 1 && this.training) {
        if (this.dropout > 0) input = dropout(input, this.dropout, this.rng);
        if (this.dropoutHidden > 0) input = lockedDropout(input, this.dropoutHidden, this.rng);
      }
    }
    const pack = this.layout === 'stacked' ? stack : concatFlat;
    return { y: input, state: { h: pack(hs), c: isLstm ? pack(cs) : null } };
  }
}
