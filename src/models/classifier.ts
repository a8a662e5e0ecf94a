/**
 * Sentence classifier: a recurrent encoder, pooled over time, then a linear layer:
 *
 *   ids → encoder (Embedding) → dropoutInput → rnn (stacked LSTM/GRU/RNN, optionally
 *   bidirectional: the translation encoder, models/seq2seq.ts) → pooling → dropout → fc → logits
 *
 * Pooling reads only each sentence's real steps: 'last' = the final state of each direction
 * (the forward one at the sentence's own last token, the backward one at its first, since the
 * backward direction runs each sentence reversed within its length), 'mean' and 'max' over
 * t < len (ops/pool.ts), 'attention' = additive self-attention (Yang et al. 2016):
 * α = softmax_t(v·tanh(W h_t + b)) over real steps, pooled = Σ_t α_t h_t.
 *
 * Parameter names share the language model's where the parts are the same (`encoder.weight`,
 * `rnn.weight_ih_l0`…, PyTorch nn.LSTM names, `_reverse` for the backward direction), so an
 * RNNLM checkpoint initialises the classifier by name (classify/pretrain.ts); then
 * `attention.proj.*`, `attention.v.weight` and `fc.*` (torch.nn.Linear).
 * Legend: T time, B batch, E embedding, H hidden, D directions, Dm = D·H, A attention size,
 * C classes, V vocabulary.
 */
import { RECURRENT_MODES, type RecurrentMode } from '../backend/kernels.js';
import { RnnlmError } from '../errors.js';
import { Embedding } from '../nn/embedding.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { bmm, maskedSoftmax } from '../ops/attention.js';
import { dropout } from '../ops/dropout.js';
import { reshape, tanh } from '../ops/elementwise.js';
import { gatherRows, transposeIndex } from '../ops/gather.js';
import { maskedMaxPool, maskedMeanPool } from '../ops/pool.js';
import { Rng } from '../tensor/random.js';
import type { DType, Tensor } from '../tensor/tensor.js';
import { Encoder } from './seq2seq.js';

export const POOLINGS = ['last', 'mean', 'max', 'attention'] as const;
export type Pooling = (typeof POOLINGS)[number];

export interface RNNClassifierConfig {
  vocabSize: number;
  numClasses: number;
  embedSize: number;
  hiddenSize: number;
  numLayers: number;
  cell: RecurrentMode;
  bidirectional?: boolean;
  pooling?: Pooling;
  /** Attention pooling: size of the hidden layer that scores each step (default Dm). */
  attentionSize?: number;
  /** Dropout on the pooled vector and between recurrent layers. */
  dropout?: number;
  /** Dropout on the embeddings. */
  dropoutInput?: number;
  dtype?: DType;
  seed?: number;
}

/** Additive attention pooling: score_t = v·tanh(proj(h_t)). */
class AttentionPool extends Module {
  readonly proj: Linear;
  readonly v: Linear;
  constructor(Dm: number, A: number, opts: { dtype: DType; rng: Rng }) {
    super();
    this.proj = this.registerModule('proj', new Linear(Dm, A, opts));
    this.v = this.registerModule('v', new Linear(A, 1, { ...opts, bias: false }));
  }

  /** y [T,B,Dm], lengths [B] → pooled [B,Dm] and the weights α [B,T] (0 past each length). */
  forward(y: Tensor, lengths: Int32Array): { pooled: Tensor; weights: Tensor } {
    const [T, B, Dm] = y.shape as [number, number, number];
    const memory = reshape(gatherRows(reshape(y, [T * B, Dm]), transposeIndex(T, B)), [B, T, Dm]); // [B,T,Dm]
    const scores = this.v.forward(tanh(this.proj.forward(reshape(memory, [B * T, Dm])))); // [B·T,1]
    const mask = new Uint8Array(B * T); // [B,T]
    for (let b = 0; b < B; b++) mask.fill(1, b * T, b * T + lengths[b]!);
    const weights = maskedSoftmax(reshape(scores, [B, T]), mask); // [B,T]
    const pooled = bmm(reshape(weights, [B, 1, T]), memory); // [B,1,Dm]
    return { pooled: reshape(pooled, [B, Dm]), weights };
  }
}

export interface ClassifierOutput {
  /** [B,C] unnormalised class scores. */
  logits: Tensor;
  /** Attention pooling only: α [B,T] over each sentence's tokens. */
  attention: Tensor | null;
}

export class RNNClassifier extends Module {
  readonly config: Required<RNNClassifierConfig>;
  readonly encoder: Embedding;
  readonly rnn: Encoder;
  readonly attention: AttentionPool | null;
  readonly fc: Linear;
  /** Drives initialisation and dropout masks. */
  readonly rng: Rng;

  constructor(cfg: RNNClassifierConfig) {
    super();
    const given = Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== undefined)) as RNNClassifierConfig;
    const Dm0 = (given.bidirectional ? 2 : 1) * given.hiddenSize;
    this.config = { bidirectional: false, pooling: 'last', attentionSize: Dm0, dropout: 0, dropoutInput: 0, dtype: 'float32', seed: 1, ...given };
    const c = this.config;
    for (const k of ['vocabSize', 'embedSize', 'hiddenSize', 'numLayers', 'attentionSize'] as const) {
      if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new RnnlmError('invalid_argument', `${k} must be a positive integer, got ${c[k]}`);
    }
    if (!(Number.isInteger(c.numClasses) && c.numClasses >= 2)) {
      throw new RnnlmError('invalid_argument', `a classifier needs at least 2 classes, got ${c.numClasses}; check the labels of the training data`);
    }
    if (!RECURRENT_MODES.includes(c.cell)) throw new RnnlmError('invalid_argument', `cell must be one of ${RECURRENT_MODES.join(', ')}, got ${String(c.cell)}`);
    if (!POOLINGS.includes(c.pooling)) throw new RnnlmError('invalid_argument', `pooling must be one of ${POOLINGS.join(', ')}, got ${String(c.pooling)}`);
    for (const k of ['dropout', 'dropoutInput'] as const) {
      if (!(c[k] >= 0 && c[k] < 1)) throw new RnnlmError('invalid_argument', `${k} must be in [0, 1), got ${c[k]}`);
    }
    this.rng = new Rng(c.seed);
    const { dtype, embedSize: E, hiddenSize: H, numLayers: L } = c;
    const rng = this.rng;
    this.encoder = this.registerModule('encoder', new Embedding(c.vocabSize, E, { dtype, rng }));
    this.rnn = this.registerModule('rnn', new Encoder(c.cell, E, H, L, c.bidirectional, c.dropout, dtype, rng));
    this.attention = c.pooling === 'attention' ? this.registerModule('attention', new AttentionPool(this.featureSize, c.attentionSize, { dtype, rng })) : null;
    this.fc = this.registerModule('fc', new Linear(this.featureSize, c.numClasses, { dtype, rng }));
  }

  /** Size of the pooled sentence vector: Dm = D·H. */
  get featureSize(): number {
    return (this.config.bidirectional ? 2 : 1) * this.config.hiddenSize;
  }

  /**
   * ids [T·B] time-major (ids[t·B + b]), padded past each length; lengths [B], each in 1..T
   * → logits [B,C].
   */
  forward(ids: Int32Array, T: number, B: number, lengths: Int32Array): ClassifierOutput {
    if (ids.length !== T * B) throw new RnnlmError('shape_mismatch', `classifier: ${ids.length} ids is not T·B = ${T}·${B}`);
    if (lengths.length !== B) throw new RnnlmError('shape_mismatch', `classifier: ${lengths.length} lengths for a batch of ${B}`);
    for (let b = 0; b < B; b++) {
      const n = lengths[b]!;
      if (!(Number.isInteger(n) && n >= 1 && n <= T)) {
        throw new RnnlmError('invalid_argument', `classifier: sentence ${b} has length ${n}; every sentence needs 1..${T} tokens`);
      }
    }
    const { embedSize: E, pooling } = this.config;
    const train = this.training;
    let emb = this.encoder.forward(ids); // [T·B,E]
    if (train && this.config.dropoutInput > 0) emb = dropout(emb, this.config.dropoutInput, this.rng);
    const { y, finals } = this.rnn.forward(reshape(emb, [T, B, E]), lengths); // y [T,B,Dm]
    let pooled: Tensor;
    let attention: Tensor | null = null;
    if (pooling === 'last')
      pooled = finals[finals.length - 1]!; // [B,Dm]
    else if (pooling === 'mean') pooled = maskedMeanPool(y, lengths);
    else if (pooling === 'max') pooled = maskedMaxPool(y, lengths);
    else {
      const r = this.attention!.forward(y, lengths);
      pooled = r.pooled;
      attention = r.weights;
    }
    if (train && this.config.dropout > 0) pooled = dropout(pooled, this.config.dropout, this.rng);
    return { logits: this.fc.forward(pooled), attention };
  }
}
