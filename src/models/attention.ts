/**
 * Luong attention (Luong, Pham & Manning 2015) over a padded memory of encoder outputs:
 *   dot      score(h, m) = hᵀ m                    (needs Dm = H)
 *   general  score(h, m) = hᵀ W_a m                W_a [H, Dm]  (`weight`)
 *   concat   score(h, m) = vᵀ tanh(W_q h + W_k m)  W_q [H, H], W_k [H, Dm], v [1, H]
 * The memory-side product (W_a m, W_k m) is computed once per source batch (`prepare`), and the
 * scores of all T decoder steps come from one batched matmul, so teacher-forced training
 * attends for the whole target sequence at once.
 * Legend: B batch, T decoder steps, S source steps, H decoder hidden, Dm memory size.
 */
import { RnnlmError } from '../errors.js';
import { uniform_ } from '../nn/init.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { bmm } from '../ops/attention.js';
import { add, reshape, tanh } from '../ops/elementwise.js';
import { gatherRows } from '../ops/gather.js';
import { linear } from '../ops/linear.js';
import type { Rng } from '../tensor/random.js';
import { type DType, Tensor } from '../tensor/tensor.js';

export const ATTENTION_KINDS = ['dot', 'general', 'concat'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export class LuongAttention extends Module {
  readonly kind: AttentionKind;
  private readonly query: Linear | null = null;
  private readonly key: Linear | null = null;
  private readonly v: Linear | null = null;

  constructor(
    kind: AttentionKind,
    readonly querySize: number,
    readonly memorySize: number,
    opts: { dtype?: DType; rng: Rng },
  ) {
    super();
    if (!ATTENTION_KINDS.includes(kind)) throw new RnnlmError('invalid_argument', `unknown attention "${String(kind)}"; use ${ATTENTION_KINDS.join(', ')}`);
    this.kind = kind;
    const o = { bias: false, ...opts };
    if (kind === 'dot' && querySize !== memorySize) {
      throw new RnnlmError(
        'invalid_argument',
        `dot attention needs the encoder output size (${memorySize}) to equal the decoder hidden size (${querySize}); ` +
          'use --attention general (a bidirectional encoder doubles the output size)',
      );
    }
    if (kind === 'general') {
      // W_a [H, Dm] with nn.Linear(Dm, H)'s default init; the state dict calls it attn.weight.
      const bound = 1 / Math.sqrt(memorySize);
      this.registerParameter('weight', uniform_(Tensor.zeros([querySize, memorySize], opts.dtype ?? 'float32'), -bound, bound, opts.rng));
    } else if (kind === 'concat') {
      this.query = this.registerModule('query', new Linear(querySize, querySize, o));
      this.key = this.registerModule('key', new Linear(memorySize, querySize, o));
      this.v = this.registerModule('v', new Linear(querySize, 1, o));
    }
  }

  /** memory [B,S,Dm] → the memory-side operand of the scores: dot m, general W_a m, concat W_k m. */
  prepare(memory: Tensor): Tensor {
    const [B, S, Dm] = memory.shape as [number, number, number];
    if (Dm !== this.memorySize) throw new RnnlmError('shape_mismatch', `attention memory has size ${Dm}, expected ${this.memorySize}`);
    if (this.kind === 'dot') return memory;
    const w = this.kind === 'general' ? this.param('weight') : this.key!.weight;
    return reshape(linear(reshape(memory, [B * S, Dm]), w, null), [B, S, this.querySize]); // [B,S,H]
  }

  /** query [B,T,H], keys from prepare [B,S,·] → unnormalised scores [B,T,S]. */
  scores(query: Tensor, keys: Tensor): Tensor {
    if (this.kind !== 'concat') return bmm(query, keys, { transB: true }); // h · kᵀ
    const [B, T, H] = query.shape as [number, number, number];
    const S = keys.shape[1]!;
    const q = this.query!.forward(reshape(query, [B * T, H])); // [B·T,H]
    const k = reshape(keys, [B * S, H]); // [B·S,H]
    // Broadcast q over S and k over T by gathering rows: row (b·T + t)·S + s.
    const qi = new Int32Array(B * T * S);
    const ki = new Int32Array(B * T * S);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        for (let s = 0; s < S; s++) {
          qi[(b * T + t) * S + s] = b * T + t;
          ki[(b * T + t) * S + s] = b * S + s;
        }
      }
    }
    const e = tanh(add(gatherRows(q, qi), gatherRows(k, ki))); // [B·T·S, H]
    return reshape(this.v!.forward(e), [B, T, S]);
  }
}
