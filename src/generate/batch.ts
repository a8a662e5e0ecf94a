/**
 * Batched generation (continuous batching): many independent sequences advance together, one
 * model step (T = 1) per token for all of them. An RNN's state is a fixed-size vector per
 * sequence, so a sequence can join or leave at any step: each step gathers the states of the
 * sequences that are ready into one batch, runs the model once per group of rows, and scatters
 * the new states back. A prompt of up to STEP_PROMPT_MAX tokens is read inside the batched
 * steps, one token per step (its row samples nothing until the prompt's last token), so the
 * prompts of joining requests share the steps of the running ones instead of costing a
 * forward each; a longer prompt is read alone (B = 1, one forward over its T tokens), where
 * the recurrence's input projection runs once for all T steps. Either way the rule depends on
 * the prompt only, so generateTokens (this engine with one sequence) reads it the same way.
 *
 * Each sequence keeps its own sampling settings and its own seeded Rng, and its tokens are
 * exactly those it would get alone — generateTokens is this engine with one sequence. That
 * holds bit for bit because a step runs at most `rowGroup` rows per forward (default
 * EXACT_ROW_GROUP = 16): every backend computes each of ≤ 16 rows exactly as it computes a lone
 * row (the native gemm serves ≤ 16 rows by its dot-product path, where a row's sums read that
 * row only, and reads the weights once for all of them; the js gemm works row by row). A larger
 * rowGroup reads the weights once for still more rows but the native kernel then switches to its
 * blocked path, whose float32 rounding differs in the last bits from a lone row's.
 *
 * A decoding step of up to LM_STEP_MAX_B (16) rows is ONE backend call (RNNLM.decodeStep, the
 * lmStep kernel: every layer and the decoder fused, the op-by-op path's bits), on the sequence's
 * own state when it runs alone, so batch-1 generation allocates nothing per token but its outputs.
 *
 * Legend: G rows in one forward (≤ rowGroup), L layers, H_l size of layer l, V vocabulary.
 */
import { noGrad } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { RNNLM, RNNState } from '../models/rnnlm.js';
import { LM_STEP_MAX_B } from '../backend/kernels.js';
import { Rng } from '../tensor/random.js';
import { allocArray } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { logSoftmaxRow, sampleToken } from './sample.js';

/** Longest prompt read one token per batched step; longer ones are read alone (see the header). */
export const STEP_PROMPT_MAX = 32;

/** Rows per forward for which every backend gives each row the bits of a lone row (see the header). */
export const EXACT_ROW_GROUP = 16;

export interface SequenceOptions {
  /** Text to continue; empty or absent = start from startId. */
  prompt?: string;
  /** Prompt as token ids (instead of `prompt`). */
  promptIds?: Int32Array;
  maxTokens?: number;
  /** 0 = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** Stop when the model emits <eos> (word models). Default true. */
  stopAtEos?: boolean;
  /** Report each token's log-probability row [V] (BatchToken.logProbs). Default false. */
  distribution?: boolean;
}

export interface BatchToken {
  seq: Sequence;
  id: number;
  /** log p(· | context) [V] in nats when the sequence asked for its distribution, else null. */
  logProbs: Float64Array | null;
}

export type SequenceEnd = 'length' | 'eos' | 'cancelled';

/** The id generation starts from when the prompt is empty: <eos> (word models: a sentence start) or a line break (char models). */
export function startId(tokenizer: Tokenizer): number {
  return tokenizer.eosId ?? tokenizer.vocab.idOf('\n') ?? 0;
}

/** One sequence of a BatchGenerator. */
export class Sequence {
  /** Tokens generated so far. */
  produced = 0;
  /** Why it ended; null while it runs. */
  end: SequenceEnd | null = null;
  /** A paused sequence is skipped by decode steps (its state waits): back-pressure for slow readers. */
  paused = false;
  /** Prompt ids still to read alone (a prompt over STEP_PROMPT_MAX tokens; null once read). */
  prompt: Int32Array | null;
  /** Prompt ids still to feed after `next`, one per step (a short prompt); sampling starts when none is left. */
  feed: Int32Array = new Int32Array(0);
  /** Recurrent state after the last input (B = 1 layout); null before the prompt is read. */
  state: RNNState | null = null;
  /** The token to feed at the next decode step. */
  next = -1;
  readonly rng: Rng;

  constructor(
    readonly id: number,
    readonly opts: Required<Pick<SequenceOptions, 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'stopAtEos' | 'distribution'>>,
    prompt: Int32Array,
    seed: number,
  ) {
    this.prompt = prompt;
    this.rng = new Rng(seed);
  }

  get done(): boolean {
    return this.end !== null;
  }
}

export interface BatchGeneratorOptions {
  /** Rows per forward (default EXACT_ROW_GROUP; see the header for the trade-off). */
  rowGroup?: number;
  /** Prompt tokens read per step at most (at least one whole prompt per step); default 2048. */
  prefillBudget?: number;
}

export class BatchGenerator {
  private readonly seqs: Sequence[] = [];
  private nextId = 0;
  private readonly rowGroup: number;
  private readonly prefillBudget: number;
  /** Offsets of layer l in a B = 1 state: Σ_{k<l} H_k (stacked [L,1,H] and flat layouts alike). */
  private readonly layerOffsets: number[];
  private readonly layerSizes: readonly number[];
  /** Logits of the last decode step [G,V] and the batch states by G, reused (see decode). */
  private logits: Float32Array | Float64Array | null = null;
  private readonly batchStates = new Map<number, RNNState>();

  constructor(
    readonly model: RNNLM,
    readonly tokenizer: Tokenizer,
    opts: BatchGeneratorOptions = {},
  ) {
    this.rowGroup = opts.rowGroup ?? EXACT_ROW_GROUP;
    if (!(Number.isInteger(this.rowGroup) && this.rowGroup >= 1))
      throw new RnnlmError('invalid_argument', `rowGroup must be an integer ≥ 1, got ${this.rowGroup}`);
    this.prefillBudget = opts.prefillBudget ?? 2048;
    this.layerSizes = model.rnn.hiddenSizes;
    this.layerOffsets = [];
    let off = 0;
    for (const h of this.layerSizes) {
      this.layerOffsets.push(off);
      off += h;
    }
  }

  /** Sequences not yet ended. */
  get size(): number {
    return this.seqs.length;
  }

  /** Whether every sequence not yet ended is paused (a step would do nothing). */
  get allPaused(): boolean {
    return this.seqs.every((s) => s.paused);
  }

  /** Adds a sequence; its prompt is read at the next step. Bad options throw invalid_argument. */
  add(o: SequenceOptions = {}): Sequence {
    const maxTokens = o.maxTokens ?? 200;
    if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) throw new RnnlmError('invalid_argument', `maxTokens must be an integer ≥ 0, got ${maxTokens}`);
    let ids = o.promptIds ?? (o.prompt ? this.tokenizer.encode(o.prompt, { addEos: false }) : new Int32Array(0));
    if (ids.length === 0) ids = Int32Array.from([startId(this.tokenizer)]);
    const seq = new Sequence(
      this.nextId++,
      {
        maxTokens,
        temperature: o.temperature ?? 1,
        topK: o.topK ?? 0,
        topP: o.topP ?? 1,
        stopAtEos: o.stopAtEos ?? true,
        distribution: o.distribution ?? false,
      },
      ids,
      o.seed ?? Date.now(),
    );
    if (maxTokens === 0) {
      seq.end = 'length';
      return seq;
    }
    if (ids.length <= STEP_PROMPT_MAX) {
      // Read in the batched steps: from the zero state (as a forward with no state starts), one token a step.
      seq.prompt = null;
      seq.state = this.model.initState(1);
      seq.next = ids[0]!;
      seq.feed = ids.subarray(1);
    }
    this.seqs.push(seq);
    return seq;
  }

  /** Ends a sequence now (idempotent); it takes no further part in steps. */
  cancel(seq: Sequence): void {
    if (!seq.end) seq.end = 'cancelled';
    this.drop(seq);
  }

  /**
   * One step: reads the long prompts of sequences that joined (within the prefill budget), then
   * one batched forward per group of rows (decoding, or reading a short prompt). Returns the
   * tokens generated, in sequence order (none when every row only read a prompt token).
   */
  step(): BatchToken[] {
    const out: BatchToken[] = [];
    if (this.seqs.length === 0) return out;
    const model = this.model;
    const wasTraining = model.training;
    model.eval();
    try {
      noGrad(() => {
        const ready: Sequence[] = [];
        let budget = this.prefillBudget;
        let prefilled = false;
        for (const seq of [...this.seqs]) {
          if (seq.prompt) {
            if (prefilled && seq.prompt.length > budget) continue; // next step
            budget -= seq.prompt.length;
            prefilled = true;
            this.prefill(seq, out);
          } else if (!seq.paused) {
            ready.push(seq);
          }
        }
        for (let g = 0; g < ready.length; g += this.rowGroup) this.decode(ready.slice(g, g + this.rowGroup), out);
      });
    } finally {
      model.train(wasTraining);
    }
    return out;
  }

  /** Reads a prompt alone (B = 1, one forward over its T tokens) and samples the first token. */
  private prefill(seq: Sequence, out: BatchToken[]): void {
    const ids = seq.prompt!;
    seq.prompt = null;
    const V = this.model.config.vocabSize;
    const fwd = this.model.forward(ids, ids.length, 1, null);
    seq.state = fwd.state;
    this.sample(seq, fwd.logits.data.subarray((ids.length - 1) * V, ids.length * V), out); // last position's logits [V]
  }

  /**
   * One step for G decoding rows: one fused model step (RNNLM.decodeStep) on the sequence's own
   * state when G = 1, else on a batch state gathered from theirs and scattered back (a forward
   * beyond LM_STEP_MAX_B rows); then each row samples.
   */
  private decode(group: Sequence[], out: BatchToken[]): void {
    const G = group.length;
    const V = this.model.config.vocabSize;
    const input = Int32Array.from(group, (s) => s.next);
    const isLstm = group[0]!.state!.c !== null;
    let logits: Float32Array | Float64Array;
    if (G === 1) {
      logits = this.logitsBuffer(G);
      this.model.decodeStep(input, group[0]!.state!, logits);
    } else {
      const state = G <= LM_STEP_MAX_B ? this.batchState(G) : this.model.initState(G);
      group.forEach((s, g) => {
        this.copyRow(s.state!.h.data, 1, 0, state.h.data, G, g);
        if (isLstm) this.copyRow(s.state!.c!.data, 1, 0, state.c!.data, G, g);
      });
      let next = state;
      if (G <= LM_STEP_MAX_B) {
        logits = this.logitsBuffer(G);
        this.model.decodeStep(input, state, logits);
      } else {
        const fwd = this.model.forward(input, 1, G, state);
        logits = fwd.logits.data;
        next = fwd.state;
      }
      group.forEach((s, g) => {
        this.copyRow(next.h.data, G, g, s.state!.h.data, 1, 0);
        if (isLstm) this.copyRow(next.c!.data, G, g, s.state!.c!.data, 1, 0);
      });
    }
    group.forEach((s, g) => {
      if (s.feed.length > 0) {
        // Still reading its prompt: the next prompt token is the next input, nothing is sampled.
        s.next = s.feed[0]!;
        s.feed = s.feed.subarray(1);
      } else {
        this.sample(s, logits.subarray(g * V, (g + 1) * V), out); // row g's logits [V]
      }
    });
  }

  /** The engine's logits block, for at least G rows [G,V] (rewritten by every step). */
  private logitsBuffer(G: number): Float32Array | Float64Array {
    const n = G * this.model.config.vocabSize;
    if (!this.logits || this.logits.length < n) {
      this.logits = allocArray(this.model.config.dtype, Math.max(n, this.model.config.vocabSize * Math.min(this.rowGroup, LM_STEP_MAX_B)));
    }
    return this.logits;
  }

  /** A state for G rows, kept from step to step (every row is gathered into it before use). */
  private batchState(G: number): RNNState {
    let s = this.batchStates.get(G);
    if (!s) this.batchStates.set(G, (s = this.model.initState(G)));
    return s;
  }

  /**
   * Copies row `from` of a state for Bs rows into row `to` of a state for Bd rows. Layer l of a
   * state for B rows is a [B, H_l] block at B·Σ_{k<l} H_k (the stacked [L,B,H] layout and the
   * flat per-layer layout alike).
   */
  private copyRow(src: Float32Array | Float64Array, Bs: number, from: number, dst: Float32Array | Float64Array, Bd: number, to: number): void {
    for (let l = 0; l < this.layerSizes.length; l++) {
      const H = this.layerSizes[l]!;
      const off = this.layerOffsets[l]!;
      const s = Bs * off + from * H;
      dst.set(src.subarray(s, s + H), Bd * off + to * H);
    }
  }

  private sample(seq: Sequence, row: Float32Array | Float64Array, out: BatchToken[]): void {
    const o = seq.opts;
    const id = sampleToken(row, { temperature: o.temperature, topK: o.topK, topP: o.topP, rng: seq.rng });
    const logProbs = o.distribution ? logSoftmaxRow(row, new Float64Array(row.length)) : null;
    seq.produced++;
    out.push({ seq, id, logProbs });
    const eos = this.tokenizer.eosId;
    if (o.stopAtEos && eos !== null && id === eos) seq.end = 'eos';
    else if (seq.produced >= o.maxTokens)
      seq.end = 'length'; // the last token's successor is never computed
    else seq.next = id;
    if (seq.end) this.drop(seq);
  }

  private drop(seq: Sequence): void {
    const i = this.seqs.indexOf(seq);
    if (i >= 0) this.seqs.splice(i, 1);
    seq.state = null;
  }
}
