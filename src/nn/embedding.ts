/** Embedding table (torch.nn.Embedding): weight [V,E], default init N(0,1). Legend: V vocab, E embed, N ids. */
import { embedding } from '../ops/embedding.js';
import type { Rng } from '../tensor/random.js';
import { type DType, Tensor } from '../tensor/tensor.js';
import { normal_ } from './init.js';
import { Module } from './module.js';

export class Embedding extends Module {
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: { dtype?: DType; rng: Rng },
  ) {
    super();
    this.registerParameter('weight', normal_(Tensor.zeros([numEmbeddings, embeddingDim], opts.dtype ?? 'float32'), 0, 1, opts.rng));
  }

  get weight(): Tensor {
    return this.param('weight');
  }

  /** ids [N] → [N,E]. */
  forward(ids: Int32Array): Tensor {
    return embedding(this.weight, ids);
  }
}
