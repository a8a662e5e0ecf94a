/**
 * The recurrent language model: Embedding → stacked RNN/LSTM/GRU → dropout → Linear decoder,
 * named as PyTorch's word_language_model (`encoder`, `rnn`, `decoder`) so state dicts move
 * between the two. Optional weight tying shares encoder.weight with decoder.weight (E = H).
 * Legend: T time, B batch, E embedding, H hidden, L layers, V vocabulary.
 */
import type { RecurrentMode } from '../backend/kernels.js';
import { RnnlmError } from '../errors.js';
import { Embedding } from '../nn/embedding.js';
import { uniform_, zeros_ } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { RNN, type RNNState } from '../nn/rnn.js';
import { dropout } from '../ops/dropout.js';
import { reshape } from '../ops/elementwise.js';
import { Rng } from '../tensor/random.js';
import type { DType, Tensor } from '../tensor/tensor.js';

export interface RNNLMConfig {
  vocabSize: number;
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  cell: RecurrentMode;
  /** Dropout on embeddings, between layers and before the decoder (PyTorch example semantics). */
  dropout?: number;
  tieWeights?: boolean;
  /** 'torch' = PyTorch layer defaults; a number r = the word_language_model init: encoder/decoder U(±r), decoder bias 0. */
  init?: 'torch' | number;
  dtype?: DType;
  seed?: number;
}

export type { RNNState };

export class RNNLM extends Module {
  readonly config: Required<RNNLMConfig>;
  readonly encoder: Embedding;
  readonly rnn: RNN;
  readonly decoder: Linear;
  /** Drives dropout masks; its state is saved with training checkpoints. */
  readonly rng: Rng;

  constructor(cfg: RNNLMConfig) {
    super();
    this.config = {
      dropout: 0,
      tieWeights: false,
      init: 'torch',
      dtype: 'float32',
      seed: 1,
      ...cfg,
    };
    const c = this.config;
    for (const k of ['vocabSize', 'embedSize', 'hiddenSize', 'numLayers'] as const) {
      if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new RnnlmError('invalid_argument', `${k} must be a positive integer, got ${c[k]}`);
    }
    if (c.tieWeights && c.embedSize !== c.hiddenSize) {
      throw new RnnlmError('invalid_argument', `tied weights need embedSize == hiddenSize (got ${c.embedSize} and ${c.hiddenSize})`);
    }
    this.rng = new Rng(c.seed);
    const dtype = c.dtype;
    this.encoder = this.registerModule('encoder', new Embedding(c.vocabSize, c.embedSize, { dtype, rng: this.rng }));
    this.rnn = this.registerModule(
      'rnn',
      new RNN({ mode: c.cell, inputSize: c.embedSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, dropout: c.dropout, dtype, rng: this.rng }),
    );
    this.decoder = this.registerModule('decoder', new Linear(c.hiddenSize, c.vocabSize, { dtype, rng: this.rng }));
    if (typeof c.init === 'number') {
      uniform_(this.encoder.weight, -c.init, c.init, this.rng);
      uniform_(this.decoder.weight, -c.init, c.init, this.rng);
      zeros_(this.decoder.bias!);
    }
    if (c.tieWeights) this.decoder.tieWeight(this.encoder.weight);
  }

  initState(B: number): RNNState {
    return this.rnn.initState(B);
  }

  /**
   * ids [T·B] time-major (ids[t·B + b]) → logits [T·B, V] and the final state.
   * state null = zeros. Detach the returned state before feeding the next BPTT window.
   */
  forward(ids: Int32Array, T: number, B: number, state: RNNState | null = null): { logits: Tensor; state: RNNState } {
    if (ids.length !== T * B) throw new RnnlmError('shape_mismatch', `forward: ${ids.length} ids is not T·B = ${T}·${B}`);
    const p = this.training ? this.config.dropout : 0;
    let emb = this.encoder.forward(ids); // [T·B, E]
    if (p > 0) emb = dropout(emb, p, this.rng);
    const { y, state: next } = this.rnn.forward(reshape(emb, [T, B, this.config.embedSize]), state); // [T,B,H]
    let out = reshape(y, [T * B, this.config.hiddenSize]); // [T·B, H]
    if (p > 0) out = dropout(out, p, this.rng);
    return { logits: this.decoder.forward(out), state: next }; // [T·B, V]
  }
}

/** Cuts the graph between BPTT windows: same values, no history. */
export function detachState(s: RNNState): RNNState {
  return { h: s.h.detach(), c: s.c ? s.c.detach() : null };
}
