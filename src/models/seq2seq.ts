/**
 * Sequence-to-sequence translation with Luong attention (no input feeding):
 *
 *   source ids → src_embed → encoder (stacked LSTM/GRU/RNN, optionally bidirectional) → memory
 *   target ids → tgt_embed → decoder RNN (initial state tanh(bridge(final encoder state)))
 *   → attention over the memory with the source padding mask → context c
 *   → h̃ = tanh(W_c [c; h])  (`combine`) → generator (Linear) → vocabulary logits
 *
 * Without input feeding the decoder RNN does not depend on earlier attention, so teacher-forced
 * training runs it as ONE fused recurrent call per layer over the whole target and attends for
 * all steps with batched matmuls. Step-by-step decoding (beam search, scheduled sampling) calls
 * the same `decode` with T = 1, carrying the state.
 *
 * A bidirectional layer runs the fused recurrent op a second time on each sequence reversed
 * within its own length (a row gather), so padding never reaches a real position in either
 * direction; final states are read at each sequence's last real step. Parameter names follow
 * PyTorch (`encoder.weight_ih_l0_reverse`, `decoder.weight_hh_l1`, ...).
 *
 * Legend: S source steps, T target steps, B batch, E embedding, H hidden, L layers,
 * D directions (1 or 2), Dm = D·H memory size, Vs/Vt source/target vocabulary.
 */
import { PRECISIONS, type Precision, RECURRENT_MODES, type RecurrentMode, gatesOf } from '../backend/kernels.js';
import { type ErrorCode, RnnlmError } from '../errors.js';
import { Embedding } from '../nn/embedding.js';
import { uniform_ } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { RNN, type RNNState } from '../nn/rnn.js';
import { bmm, maskedSoftmax } from '../ops/attention.js';
import { concatLast } from '../ops/concat-last.js';
import { dropout } from '../ops/dropout.js';
import { reshape, tanh } from '../ops/elementwise.js';
import { gatherRows, reverseWithinLengthIndex, transposeIndex } from '../ops/gather.js';
import { linearCrossEntropy } from '../ops/loss.js';
import { withMatmulPrecision } from '../ops/precision.js';
import { recurrent } from '../ops/recurrent.js';
import { stack } from '../ops/stack.js';
import { Rng } from '../tensor/random.js';
import { ScratchBuffer } from '../tensor/scratch.js';
import { type DType, Tensor } from '../tensor/tensor.js';
import { type AttentionKind, ATTENTION_KINDS, LuongAttention } from './attention.js';
import { checkModelSize } from './limits.js';

export interface Seq2SeqConfig {
  srcVocabSize: number;
  tgtVocabSize: number;
  embedSize: number;
  hiddenSize: number;
  /** Layers of the encoder and of the decoder. */
  numLayers: number;
  cell: RecurrentMode;
  bidirectional?: boolean;
  attention?: AttentionKind;
  /** Dropout on embeddings, between recurrent layers and on h̃ before the generator. */
  dropout?: number;
  /** 'torch' = PyTorch layer defaults; a number r = every parameter U(±r) (Luong et al. use 0.1). */
  init?: 'torch' | number;
  dtype?: DType;
  /** Precision of the matrix products (RNNLMConfig.precision): 'bf16' = bf16 operands, float32 sums. */
  precision?: Precision;
  seed?: number;
}

/** What the decoder attends to, for a batch of B source sentences. */
export interface Encoded {
  /** Encoder outputs [B,S,Dm] (values at padded positions are never attended to). */
  memory: Tensor;
  /** attention.prepare(memory) [B,S,·], computed once per batch. */
  keys: Tensor;
  /** [B,S]: 1 at real source tokens, 0 at padding. */
  mask: Uint8Array;
  B: number;
  S: number;
  /** The decoder's initial state [L,B,H]. */
  state: RNNState;
}

export interface DecodeResult {
  /** [B·T, Vt] batch-major: row b·T + t. */
  logits: Tensor;
  /** Decoder state after the T steps. */
  state: RNNState;
  /** Attention weights [B,T,S]. */
  attention: Tensor;
}

function withDefaults(cfg: Seq2SeqConfig): Required<Seq2SeqConfig> {
  return { bidirectional: false, attention: 'general', dropout: 0, init: 'torch', dtype: 'float32', precision: 'fp32', seed: 1, ...cfg };
}

/**
 * The one validation of a seq2seq config, run when a model is built and when a checkpoint is
 * loaded (code corrupt_checkpoint there), before anything is allocated; the same size limits as
 * the language model (limits.ts).
 */
export function checkSeq2SeqConfig(cfg: Seq2SeqConfig, code: ErrorCode = 'invalid_argument', where = 'model config'): void {
  const c = withDefaults(cfg);
  for (const k of ['srcVocabSize', 'tgtVocabSize', 'embedSize', 'hiddenSize', 'numLayers'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new RnnlmError(code, `${where}: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (!RECURRENT_MODES.includes(c.cell)) throw new RnnlmError(code, `${where}: cell must be one of ${RECURRENT_MODES.join(', ')}, got ${String(c.cell)}`);
  if (!ATTENTION_KINDS.includes(c.attention))
    throw new RnnlmError(code, `${where}: attention must be one of ${ATTENTION_KINDS.join(', ')}, got ${String(c.attention)}`);
  if (!(typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1)) throw new RnnlmError(code, `${where}: dropout must be in [0, 1), got ${c.dropout}`);
  if (!PRECISIONS.includes(c.precision)) throw new RnnlmError(code, `${where}: precision must be one of ${PRECISIONS.join(', ')}, got ${String(c.precision)}`);
  const { srcVocabSize: Vs, tgtVocabSize: Vt, embedSize: E, hiddenSize: H, numLayers: L } = c;
  const Dm = (c.bidirectional ? 2 : 1) * H;
  // An upper bound: embeddings, 4-gate encoder (both directions) and decoder stacks, attention, combine, generator.
  const params = (Vs + Vt) * E + 2 * L * 4 * Dm * (Math.max(E, Dm) + H + 2) + Dm * (H + Dm) + (Dm + H) * H + H * Vt + Vt;
  checkModelSize(L, params, `embedding ${E}, ${L} layer(s) of hidden size ${H}${Vs + Vt > 2 ? `, vocabularies ${Vs}/${Vt}` : ''}`, code, where);
}

/**
 * A seq2seq config from its JSON form (config.json's `model`), checked field by field: a bad
 * value is `corrupt_checkpoint` naming `where`. dtype is the loader's choice.
 */
export function parseSeq2SeqConfig(raw: Record<string, unknown>, where = 'config', dtype: DType = 'float32'): Seq2SeqConfig {
  const bad = (why: string): never => {
    throw new RnnlmError('corrupt_checkpoint', `${where}: ${why}`);
  };
  const int = (k: string): number => {
    const v = raw[k];
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : bad(`${k} must be a positive integer`);
  };
  const cell = raw.cell;
  if (typeof cell !== 'string' || !(RECURRENT_MODES as readonly string[]).includes(cell)) bad(`cell must be one of ${RECURRENT_MODES.join(', ')}`);
  const attention = raw.attention;
  if (typeof attention !== 'string' || !(ATTENTION_KINDS as readonly string[]).includes(attention))
    bad(`attention must be one of ${ATTENTION_KINDS.join(', ')}`);
  const cfg: Seq2SeqConfig = {
    srcVocabSize: int('srcVocabSize'),
    tgtVocabSize: int('tgtVocabSize'),
    embedSize: int('embedSize'),
    hiddenSize: int('hiddenSize'),
    numLayers: int('numLayers'),
    cell: cell as RecurrentMode,
    bidirectional: raw.bidirectional === true,
    attention: attention as AttentionKind,
    dropout: typeof raw.dropout === 'number' ? raw.dropout : 0,
    seed: typeof raw.seed === 'number' ? raw.seed : 1,
    dtype,
  };
  if (raw.precision !== undefined) {
    if (!(PRECISIONS as readonly unknown[]).includes(raw.precision)) bad(`precision must be one of ${PRECISIONS.join(', ')}`);
    cfg.precision = raw.precision as Precision;
  }
  checkSeq2SeqConfig(cfg, 'corrupt_checkpoint', where);
  return cfg;
}

/**
 * Stacked (bi)directional encoder; names as PyTorch's nn.LSTM(bidirectional=True). Also the
 * sentence classifier's encoder (models/classifier.ts).
 */
export class Encoder extends Module {
  constructor(
    readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly numLayers: number,
    readonly bidirectional: boolean,
    private readonly dropoutP: number,
    dtype: DType,
    private readonly rng: Rng,
  ) {
    super();
    const G = gatesOf(mode);
    const H = hiddenSize;
    const D = bidirectional ? 2 : 1;
    const k = 1 / Math.sqrt(H);
    for (let l = 0; l < numLayers; l++) {
      const I = l === 0 ? inputSize : D * H;
      for (const sfx of bidirectional ? ['', '_reverse'] : ['']) {
        const u = (shape: number[]): Tensor => uniform_(Tensor.zeros(shape, dtype), -k, k, rng);
        this.registerParameter(`weight_ih_l${l}${sfx}`, u([G * H, I]));
        this.registerParameter(`weight_hh_l${l}${sfx}`, u([G * H, H]));
        this.registerParameter(`bias_ih_l${l}${sfx}`, u([G * H]));
        this.registerParameter(`bias_hh_l${l}${sfx}`, u([G * H]));
      }
    }
  }

  private layer(l: number, sfx: string) {
    return {
      weightIh: this.param(`weight_ih_l${l}${sfx}`),
      weightHh: this.param(`weight_hh_l${l}${sfx}`),
      biasIh: this.param(`bias_ih_l${l}${sfx}`),
      biasHh: this.param(`bias_hh_l${l}${sfx}`),
    };
  }

  /** x [S,B,E], lengths [B] → outputs [S,B,Dm] and each layer's final state [B,Dm]. */
  forward(x: Tensor, lengths: Int32Array): { y: Tensor; finals: Tensor[] } {
    const [S, B] = x.shape as [number, number, number];
    const H = this.hiddenSize;
    const dt = x.dtype;
    const last = new Int32Array(B); // row of each sequence's last real step in [S·B, ·]
    for (let b = 0; b < B; b++) last[b] = (lengths[b]! - 1) * B + b;
    const rev = this.bidirectional ? reverseWithinLengthIndex(S, lengths) : null;
    const zeros = (): Tensor => Tensor.zeros([B, H], dt);
    const c0 = (): Tensor | null => (this.mode === 'lstm' ? zeros() : null);
    const finals: Tensor[] = [];
    let input = x;
    for (let l = 0; l < this.numLayers; l++) {
      const I = input.shape[2]!;
      const fwd = recurrent(this.mode, input, this.layer(l, ''), zeros(), c0()).y; // [S,B,H]
      const fwdFinal = gatherRows(reshape(fwd, [S * B, H]), last); // [B,H]
      let out = fwd;
      let final = fwdFinal;
      if (rev) {
        const xr = reshape(gatherRows(reshape(input, [S * B, I]), rev), [S, B, I]); // reversed within length
        const yr = reshape(recurrent(this.mode, xr, this.layer(l, '_reverse'), zeros(), c0()).y, [S * B, H]);
        const bwd = reshape(gatherRows(yr, rev), [S, B, H]); // back to source order
        out = concatLast([fwd, bwd]); // [S,B,2H]
        final = concatLast([fwdFinal, gatherRows(yr, last)]); // [B,2H]: reverse direction ends at position 0
      }
      finals.push(final);
      input = out;
      if (l < this.numLayers - 1 && this.training && this.dropoutP > 0) input = dropout(input, this.dropoutP, this.rng);
    }
    return { y: input, finals };
  }
}

export class Seq2Seq extends Module {
  readonly config: Required<Seq2SeqConfig>;
  readonly srcEmbed: Embedding;
  readonly tgtEmbed: Embedding;
  readonly encoder: Encoder;
  readonly bridge: Linear;
  readonly decoder: RNN;
  readonly attn: LuongAttention;
  readonly combine: Linear;
  readonly generator: Linear;
  /** decodeLoss's [B·T, Vt] logits block, kept from one training batch to the next. */
  private readonly generatorScratch = new ScratchBuffer();
  /** Drives initialisation and dropout masks. */
  readonly rng: Rng;

  constructor(cfg: Seq2SeqConfig) {
    super();
    this.config = withDefaults(cfg);
    const c = this.config;
    checkSeq2SeqConfig(c);
    this.rng = new Rng(c.seed);
    const { dtype, embedSize: E, hiddenSize: H, numLayers: L } = c;
    const rng = this.rng;
    const Dm = (c.bidirectional ? 2 : 1) * H;
    this.srcEmbed = this.registerModule('src_embed', new Embedding(c.srcVocabSize, E, { dtype, rng }));
    this.tgtEmbed = this.registerModule('tgt_embed', new Embedding(c.tgtVocabSize, E, { dtype, rng }));
    this.encoder = this.registerModule('encoder', new Encoder(c.cell, E, H, L, c.bidirectional, c.dropout, dtype, rng));
    this.bridge = this.registerModule('bridge', new Linear(Dm, H, { dtype, rng }));
    this.decoder = this.registerModule('decoder', new RNN({ mode: c.cell, inputSize: E, hiddenSize: H, numLayers: L, dropout: c.dropout, dtype, rng }));
    this.attn = this.registerModule('attn', new LuongAttention(c.attention, H, Dm, { dtype, rng }));
    this.combine = this.registerModule('combine', new Linear(Dm + H, H, { bias: false, dtype, rng }));
    this.generator = this.registerModule('generator', new Linear(H, c.tgtVocabSize, { dtype, rng }));
    if (typeof c.init === 'number') {
      if (!(c.init > 0)) throw new RnnlmError('invalid_argument', `init range must be > 0, got ${c.init}`);
      for (const p of this.parameters()) uniform_(p, -c.init, c.init, rng);
    }
  }

  get memorySize(): number {
    return (this.config.bidirectional ? 2 : 1) * this.config.hiddenSize;
  }

  private get dropoutP(): number {
    return this.training ? this.config.dropout : 0;
  }

  /**
   * src [S·B] time-major (src[s·B + b]) padded past each length, lengths [B] (each in [1, S])
   * → the memory, mask and initial decoder state for `decode`.
   */
  encode(src: Int32Array, S: number, B: number, lengths: Int32Array): Encoded {
    return withMatmulPrecision(this.config.precision, () => this.encodeIn(src, S, B, lengths));
  }

  private encodeIn(src: Int32Array, S: number, B: number, lengths: Int32Array): Encoded {
    if (src.length !== S * B) throw new RnnlmError('shape_mismatch', `encode: ${src.length} ids is not S·B = ${S}·${B}`);
    if (lengths.length !== B) throw new RnnlmError('shape_mismatch', `encode: ${lengths.length} lengths for a batch of ${B}`);
    for (let b = 0; b < B; b++) {
      const n = lengths[b]!;
      if (!(Number.isInteger(n) && n >= 1 && n <= S)) {
        throw new RnnlmError('invalid_argument', `encode: source ${b} has length ${n}; every source needs 1..${S} tokens (append <eos> to empty lines)`);
      }
    }
    const { embedSize: E, hiddenSize: H, numLayers: L } = this.config;
    const p = this.dropoutP;
    let emb = this.srcEmbed.forward(src); // [S·B, E]
    if (p > 0) emb = dropout(emb, p, this.rng);
    const { y, finals } = this.encoder.forward(reshape(emb, [S, B, E]), lengths); // [S,B,Dm]
    const Dm = this.memorySize;
    const memory = reshape(gatherRows(reshape(y, [S * B, Dm]), transposeIndex(S, B)), [B, S, Dm]); // [B,S,Dm]
    const mask = new Uint8Array(B * S); // [B,S]
    for (let b = 0; b < B; b++) mask.fill(1, b * S, b * S + lengths[b]!);
    const h0 = stack(finals.map((f) => tanh(this.bridge.forward(f)))); // [L,B,H]
    const c0 = this.config.cell === 'lstm' ? Tensor.zeros([L, B, H], this.config.dtype) : null;
    return this.prepareMemory(memory, mask, { h: h0, c: c0 });
  }

  /** Wraps an encoder memory [B,S,Dm], its mask [B,S] and a decoder state [L,B,H] for `decode`. */
  prepareMemory(memory: Tensor, mask: Uint8Array, state: RNNState): Encoded {
    if (memory.ndim !== 3 || memory.shape[2] !== this.memorySize) {
      throw new RnnlmError('shape_mismatch', `memory must be [B,S,${this.memorySize}], got [${memory.shape.join(', ')}]`);
    }
    const [B, S] = memory.shape as [number, number, number];
    return { memory, keys: withMatmulPrecision(this.config.precision, () => this.attn.prepare(memory)), mask, B, S, state };
  }

  /**
   * Teacher-forced (T > 1) or step-by-step (T = 1) decoding: ids [T·B] time-major target inputs
   * (starting with the start symbol), from `state` → logits [B·T, Vt] batch-major.
   */
  decode(enc: Encoded, ids: Int32Array, T: number, state: RNNState): DecodeResult {
    return withMatmulPrecision(this.config.precision, () => {
      const { features, ...rest } = this.decodeFeatures(enc, ids, T, state);
      return { logits: this.generator.forward(features), ...rest };
    });
  }

  /**
   * The summed cross-entropy of targets [B·T] batch-major (IGNORE rows skipped) after decode(),
   * with the generator fused into the loss: no [B·T, Vt] logits tensor (see linearCrossEntropy).
   */
  decodeLoss(
    enc: Encoded,
    ids: Int32Array,
    targets: Int32Array,
    T: number,
    state: RNNState,
    ignoreIndex: number,
  ): Omit<DecodeResult, 'logits'> & { loss: Tensor } {
    return withMatmulPrecision(this.config.precision, () => {
      const { features, ...rest } = this.decodeFeatures(enc, ids, T, state);
      const g = this.generator;
      return { loss: linearCrossEntropy(features, g.weight, g.bias, targets, { ignoreIndex, reduction: 'sum', scratch: this.generatorScratch }), ...rest };
    });
  }

  /** decode() up to the generator: h̃ [B·T, H] (after dropout), the state and the attention. */
  private decodeFeatures(enc: Encoded, ids: Int32Array, T: number, state: RNNState): Omit<DecodeResult, 'logits'> & { features: Tensor } {
    const { B } = enc;
    if (ids.length !== T * B) throw new RnnlmError('shape_mismatch', `decode: ${ids.length} ids is not T·B = ${T}·${B}`);
    const { embedSize: E, hiddenSize: H } = this.config;
    const Dm = this.memorySize;
    const p = this.dropoutP;
    let emb = this.tgtEmbed.forward(ids); // [T·B, E]
    if (p > 0) emb = dropout(emb, p, this.rng);
    const { y, state: next } = this.decoder.forward(reshape(emb, [T, B, E]), state); // [T,B,H]
    const query = T === 1 ? reshape(y, [B, 1, H]) : reshape(gatherRows(reshape(y, [T * B, H]), transposeIndex(T, B)), [B, T, H]); // [B,T,H]
    const attention = maskedSoftmax(this.attn.scores(query, enc.keys), enc.mask); // [B,T,S]
    const context = bmm(attention, enc.memory); // [B,T,Dm]
    let ht = tanh(this.combine.forward(reshape(concatLast([context, query]), [B * T, Dm + H]))); // h̃ [B·T,H]
    if (p > 0) ht = dropout(ht, p, this.rng);
    return { features: ht, state: next, attention };
  }
}

/**
 * Rows `rows` of a batch (inference only, no gradient): repeats/reorders sentences for beam
 * search. Memory, keys and mask follow the rows; so does the state [L,B,H].
 */
export function selectEncoded(enc: Encoded, rows: Int32Array): Encoded {
  const S = enc.S;
  const mask = new Uint8Array(rows.length * S);
  rows.forEach((r, i) => mask.set(enc.mask.subarray(r * S, (r + 1) * S), i * S));
  return {
    memory: gatherRows(enc.memory, rows).detach(),
    keys: gatherRows(enc.keys, rows).detach(),
    mask,
    B: rows.length,
    S,
    state: selectState(enc.state, rows),
  };
}

/** state [L,B,H] → [L,rows.length,H] taking batch rows `rows` (no gradient). */
export function selectState(state: RNNState, rows: Int32Array): RNNState {
  const pick = (t: Tensor): Tensor => {
    const [L, B, H] = t.shape as [number, number, number];
    const out = Tensor.zeros([L, rows.length, H], t.dtype);
    for (let l = 0; l < L; l++) {
      rows.forEach((r, i) => {
        if (!(r >= 0 && r < B)) throw new RnnlmError('invalid_argument', `selectState: row ${r} is outside the batch of ${B}`);
        out.data.set(t.data.subarray((l * B + r) * H, (l * B + r + 1) * H), (l * rows.length + i) * H);
      });
    }
    return out;
  };
  return { h: pick(state.h), c: state.c ? pick(state.c) : null };
}
