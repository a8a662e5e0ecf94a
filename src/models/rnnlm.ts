/**
 * The recurrent language model: Embedding → stacked RNN/LSTM/GRU → dropout → Linear decoder,
 * named as PyTorch's word_language_model (`encoder`, `rnn`, `decoder`) so state dicts move
 * between the two. Optional weight tying shares encoder.weight with decoder.weight (E = H).
 *
 * AWD-LSTM options (Merity et al. 2017), all off by default so the plain model is unchanged:
 * per-layer sizes (`hiddenSizes`, e.g. 1150/1150/400 — stored as `rnns.{k}.…` when they differ,
 * see nn/rnn.ts), locked dropout on the embedding output (`dropoutInput`), between layers
 * (`dropoutHidden`) and on the last layer's output (`dropoutOutput`), embedding dropout of whole
 * word types (`dropoutEmbedding`) and DropConnect on the recurrent weights (`weightDrop`).
 * forward() also returns the last layer's output before and after its dropout, for the AR/TAR
 * loss terms (activationPenalty).
 * Legend: T time, B batch, E embedding, H hidden (of the last layer), L layers, V vocabulary.
 */
import { kernelsFor } from '../backend/backend.js';
import { PRECISIONS, type Precision, RECURRENT_MODES, type RecurrentMode, type RecurrentWeights } from '../backend/kernels.js';
import { type ErrorCode, RnnlmError } from '../errors.js';
import { Embedding } from '../nn/embedding.js';
import { uniform_, zeros_ } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { RNN, type RNNState } from '../nn/rnn.js';
import { dropout, embeddingDropout, lockedDropout } from '../ops/dropout.js';
import { add, reshape, scale } from '../ops/elementwise.js';
import { meanSquare, timeDiff } from '../ops/regularization.js';
import { linearCrossEntropy } from '../ops/loss.js';
import { withMatmulPrecision } from '../ops/precision.js';
import { checkIds } from '../ops/util.js';
import { Rng } from '../tensor/random.js';
import { checkModelSize } from './limits.js';
import { ScratchBuffer } from '../tensor/scratch.js';
import type { DType, FloatArray, Tensor } from '../tensor/tensor.js';

export interface RNNLMConfig {
  vocabSize: number;
  embedSize: number;
  /** Hidden size (of the last layer when hiddenSizes is given). */
  hiddenSize: number;
  numLayers: number;
  cell: RecurrentMode;
  /**
   * Per-layer hidden sizes, e.g. [1150, 1150, 400] (AWD-LSTM); length numLayers, last = hiddenSize.
   * null/absent = every layer hiddenSize.
   */
  hiddenSizes?: readonly number[] | null;
  /** Dropout on embeddings, between layers and before the decoder (PyTorch example semantics). */
  dropout?: number;
  /** Locked (variational) dropout on the embedding output, one [B,E] mask per sequence (AWD dropouti). */
  dropoutInput?: number;
  /** Locked dropout between recurrent layers (AWD dropouth). */
  dropoutHidden?: number;
  /** Locked dropout on the last layer's output, before the decoder (AWD dropout). */
  dropoutOutput?: number;
  /** Drops whole rows (word types) of the embedding matrix per forward (AWD dropoute). */
  dropoutEmbedding?: number;
  /** DropConnect on every recurrent weight matrix weight_hh_l{k} (AWD wdrop). */
  weightDrop?: number;
  tieWeights?: boolean;
  /** 'torch' = PyTorch layer defaults; a number r = the word_language_model init: encoder/decoder U(±r), decoder bias 0. */
  init?: 'torch' | number;
  dtype?: DType;
  /**
   * Precision of the matrix products (PRECISIONS): 'bf16' = mixed precision, bf16 operands with
   * float32 sums, while weights, gradients, optimizer state, softmax and loss stay float32.
   */
  precision?: Precision;
  seed?: number;
}

export type { RNNState };

/** What forward() returns. */
export interface RNNLMOutput {
  logits: Tensor; // [T·B, V]
  state: RNNState;
  /** The last recurrent layer's output [T,B,H] (before dropoutOutput): TAR's input. */
  hidden: Tensor;
  /** The same after dropoutOutput [T,B,H] (= hidden when it is off): AR's input. */
  droppedHidden: Tensor;
}

/** What forwardLoss() returns: the loss [1] in place of the logits. */
export interface RNNLMLossOutput extends Omit<RNNLMOutput, 'logits'> {
  loss: Tensor;
}

const PROBS = ['dropout', 'dropoutInput', 'dropoutHidden', 'dropoutOutput', 'dropoutEmbedding', 'weightDrop'] as const;

/** A config with every option filled in; an option passed as undefined means "the default", as when it is left out. */
function withDefaults(cfg: RNNLMConfig): Required<RNNLMConfig> {
  const defaults = {
    hiddenSizes: null,
    dropout: 0,
    dropoutInput: 0,
    dropoutHidden: 0,
    dropoutOutput: 0,
    dropoutEmbedding: 0,
    weightDrop: 0,
    tieWeights: false,
    init: 'torch',
    dtype: 'float32',
    precision: 'fp32',
    seed: 1,
  } as const;
  const given = Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== undefined)) as RNNLMConfig;
  return { ...defaults, ...given };
}

/**
 * The one validation of a language-model config, run when a model is built and when a checkpoint
 * is loaded (code corrupt_checkpoint there), before anything is allocated: sizes, probabilities,
 * tying, and the size limits of limits.ts. Per-layer sizes are checked by RNN.
 */
export function checkRNNLMConfig(cfg: RNNLMConfig, code: ErrorCode = 'invalid_argument', where = 'model config'): void {
  const c = withDefaults(cfg);
  for (const k of ['vocabSize', 'embedSize', 'hiddenSize', 'numLayers'] as const) {
    if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new RnnlmError(code, `${where}: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (!RECURRENT_MODES.includes(c.cell)) throw new RnnlmError(code, `${where}: cell must be one of ${RECURRENT_MODES.join(', ')}, got ${String(c.cell)}`);
  for (const k of PROBS) {
    const p = c[k];
    if (!(typeof p === 'number' && p >= 0 && p < 1)) throw new RnnlmError(code, `${where}: ${k} must be a probability in [0, 1), got ${p}`);
  }
  if (!PRECISIONS.includes(c.precision)) throw new RnnlmError(code, `${where}: precision must be one of ${PRECISIONS.join(', ')}, got ${String(c.precision)}`);
  if (c.tieWeights && c.embedSize !== c.hiddenSize) {
    throw new RnnlmError(
      code,
      `${where}: tieWeights needs the last layer size to equal embedSize (tied weights need embedSize == hiddenSize${c.hiddenSizes ? ' of the last layer' : ''}; got ${c.embedSize} and ${c.hiddenSize})`,
    );
  }
  const { vocabSize: V, embedSize: E, numLayers: L } = c;
  const widest = Math.max(c.hiddenSize, ...(c.hiddenSizes ?? []));
  const layers = Math.max(L, c.hiddenSizes?.length ?? 0);
  // An upper bound (4 gates, every layer as wide as the widest), cheap to compute before any allocation.
  const params = V * E + widest * V + layers * 4 * widest * (Math.max(E, widest) + widest + 2);
  checkModelSize(layers, params, `embedding ${E}, ${layers} layer(s) of hidden size up to ${widest}${V > 1 ? `, vocabulary ${V}` : ''}`, code, where);
}

export class RNNLM extends Module {
  readonly config: Required<RNNLMConfig>;
  readonly encoder: Embedding;
  /** The recurrent stack: state-dict prefix `rnn.` (nn.LSTM layout) or `rnns.` (per-layer sizes that differ). */
  readonly rnn: RNN;
  readonly decoder: Linear;
  /** Drives dropout masks; its state is saved with training checkpoints. */
  readonly rng: Rng;
  /** forwardLoss's [T·B, V] logits block, kept from one training step to the next. */
  private readonly headScratch = new ScratchBuffer();

  constructor(cfg: RNNLMConfig) {
    super();
    this.config = withDefaults(cfg);
    const c = this.config;
    checkRNNLMConfig(c);
    this.rng = new Rng(c.seed);
    const dtype = c.dtype;
    this.encoder = this.registerModule('encoder', new Embedding(c.vocabSize, c.embedSize, { dtype, rng: this.rng }));
    const rnn = new RNN({
      mode: c.cell,
      inputSize: c.embedSize,
      hiddenSize: c.hiddenSize,
      numLayers: c.numLayers,
      hiddenSizes: c.hiddenSizes,
      dropout: c.dropout,
      dropoutHidden: c.dropoutHidden,
      weightDrop: c.weightDrop,
      dtype,
      rng: this.rng,
    });
    this.rnn = this.registerModule(rnn.layout === 'stacked' ? 'rnn' : 'rnns', rnn);
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
  forward(ids: Int32Array, T: number, B: number, state: RNNState | null = null): RNNLMOutput {
    return withMatmulPrecision(this.config.precision, () => {
      const { features, ...rest } = this.features(ids, T, B, state);
      return { logits: this.decoder.forward(features), ...rest }; // logits [T·B, V]
    });
  }

  /**
   * The mean cross-entropy of targets [T·B] (ignoreIndex −100 skips a row) given ids, as
   * crossEntropy(forward(…).logits, targets) but with the decoder fused into the loss, so
   * training never holds a [T·B, V] logits tensor (see linearCrossEntropy).
   */
  forwardLoss(ids: Int32Array, targets: Int32Array, T: number, B: number, state: RNNState | null = null): RNNLMLossOutput {
    return withMatmulPrecision(this.config.precision, () => {
      const { features, ...rest } = this.features(ids, T, B, state);
      const d = this.decoder;
      return { loss: linearCrossEntropy(features, d.weight, d.bias, targets, { scratch: this.headScratch }), ...rest };
    });
  }

  /**
   * One inference step (T = 1) for B ≤ LM_STEP_MAX_B rows as ONE backend call (the lmStep
   * kernel): ids [B] → logits [B,V] written into `logits`, and `state` (B rows, initState's
   * layout) advanced in place. No graph and no dropout: the bits of forward(ids, 1, B, state)
   * in eval mode, without its allocations. Generation (generate/batch.ts) runs on it.
   */
  decodeStep(ids: Int32Array, state: RNNState, logits: FloatArray): void {
    const c = this.config;
    const B = ids.length;
    checkIds('decodeStep', ids, c.vocabSize);
    const layers: RecurrentWeights[] = [];
    for (let l = 0; l < this.rnn.numLayers; l++) {
      const p = this.rnn.layerParams(l);
      layers.push({ weightIh: p.weightIh.data, weightHh: p.weightHh.data, biasIh: p.biasIh?.data ?? null, biasHh: p.biasHh?.data ?? null });
    }
    const d = this.decoder;
    kernelsFor(state.h.data).lmStep({
      mode: c.cell,
      B,
      E: c.embedSize,
      hiddenSizes: this.rnn.hiddenSizes,
      V: c.vocabSize,
      precision: c.precision,
      embedding: this.encoder.weight.data,
      ids,
      layers,
      h: state.h.data,
      c: state.c?.data ?? null,
      decoderWeight: d.weight.data,
      decoderBias: d.bias?.data ?? null,
      logits,
    });
  }

  /** Everything before the decoder: the (dropped-out) last layer output [T·B, H]. */
  private features(ids: Int32Array, T: number, B: number, state: RNNState | null): Omit<RNNLMOutput, 'logits'> & { features: Tensor } {
    if (ids.length !== T * B) throw new RnnlmError('shape_mismatch', `forward: ${ids.length} ids is not T·B = ${T}·${B}`);
    const c = this.config;
    const train = this.training;
    const p = train ? c.dropout : 0;
    // Mask draws happen in a fixed order (embedding, input, layers, output) so a seed fixes them all.
    let emb = train && c.dropoutEmbedding > 0 ? embeddingDropout(this.encoder.weight, ids, c.dropoutEmbedding, this.rng) : this.encoder.forward(ids); // [T·B, E]
    if (p > 0) emb = dropout(emb, p, this.rng);
    let x = reshape(emb, [T, B, c.embedSize]); // [T,B,E]
    if (train && c.dropoutInput > 0) x = lockedDropout(x, c.dropoutInput, this.rng);
    const { y, state: next } = this.rnn.forward(x, state); // [T,B,H]
    const dropped = train && c.dropoutOutput > 0 ? lockedDropout(y, c.dropoutOutput, this.rng) : y;
    let out = reshape(dropped, [T * B, c.hiddenSize]); // [T·B, H]
    if (p > 0) out = dropout(out, p, this.rng);
    return { features: out, state: next, hidden: y, droppedHidden: dropped };
  }
}

/**
 * AWD-LSTM's activation regularisation on one forward's output: α·mean(droppedHidden²) (AR) +
 * β·mean((hidden_t − hidden_{t−1})²) (TAR, skipped for a one-step window). null when both are 0.
 */
export function activationPenalty(out: Pick<RNNLMOutput, 'hidden' | 'droppedHidden'>, alpha: number, beta: number): Tensor | null {
  let pen: Tensor | null = null;
  if (alpha > 0) pen = scale(meanSquare(out.droppedHidden), alpha);
  if (beta > 0 && out.hidden.shape[0]! > 1) {
    const tar = scale(meanSquare(timeDiff(out.hidden)), beta);
    pen = pen ? add(pen, tar) : tar;
  }
  return pen;
}

/** Cuts the graph between BPTT windows: same values, no history. */
export function detachState(s: RNNState): RNNState {
  return { h: s.h.detach(), c: s.c ? s.c.detach() : null };
}

/**
 * A model configuration from its JSON form (config.json's `model`), checked field by field:
 * a bad value is `corrupt_checkpoint` naming `where`. Reads every RNNLMConfig field (the AWD
 * options and hiddenSizes included) except dtype, which the loader chooses.
 */
export function parseRNNLMConfig(raw: Record<string, unknown>, where = 'config'): RNNLMConfig {
  const bad = (why: string): never => {
    throw new RnnlmError('corrupt_checkpoint', `${where}: ${why}`);
  };
  const int = (k: string): number => {
    const v = raw[k];
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : bad(`${k} must be a positive integer`);
  };
  const prob = (k: string): number => {
    const v = raw[k];
    if (v === undefined) return 0;
    return typeof v === 'number' && v >= 0 && v < 1 ? v : bad(`${k} must be a number in [0, 1)`);
  };
  const cell = raw.cell;
  if (typeof cell !== 'string' || !(RECURRENT_MODES as readonly string[]).includes(cell)) bad(`cell must be one of ${RECURRENT_MODES.join(', ')}`);
  const hs = raw.hiddenSizes;
  if (hs !== undefined && hs !== null && !(Array.isArray(hs) && hs.length > 0 && hs.every((h) => Number.isInteger(h) && h > 0))) {
    bad('hiddenSizes must be null or a list of positive integers');
  }
  const init = raw.init;
  if (init !== undefined && init !== 'torch' && !(typeof init === 'number' && init >= 0)) bad('init must be "torch" or a number ≥ 0');
  const seed = raw.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) bad('seed must be an integer');
  const tieWeights = raw.tieWeights ?? false;
  if (typeof tieWeights !== 'boolean') bad('tieWeights must be true or false');
  const precision = raw.precision ?? 'fp32';
  if (!(PRECISIONS as readonly unknown[]).includes(precision)) bad(`precision must be one of ${PRECISIONS.join(', ')}`);
  const cfg: RNNLMConfig = {
    vocabSize: int('vocabSize'),
    embedSize: int('embedSize'),
    hiddenSize: int('hiddenSize'),
    numLayers: int('numLayers'),
    cell: cell as RecurrentMode,
    hiddenSizes: Array.isArray(hs) ? (hs as number[]) : null,
    dropout: prob('dropout'),
    dropoutInput: prob('dropoutInput'),
    dropoutHidden: prob('dropoutHidden'),
    dropoutOutput: prob('dropoutOutput'),
    dropoutEmbedding: prob('dropoutEmbedding'),
    weightDrop: prob('weightDrop'),
    tieWeights: tieWeights as boolean,
    precision: precision as Precision,
    ...(init !== undefined ? { init: init as 'torch' | number } : {}),
    seed: seed as number,
  };
  checkRNNLMConfig(cfg, 'corrupt_checkpoint', where);
  return cfg;
}
