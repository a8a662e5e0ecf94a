/** Linear layer (torch.nn.Linear): weight [O,I], bias [O]; default init U(±1/√I). Legend: N rows, I in, O out. */
import { RnnlmError } from '../errors.js';
import { linear } from '../ops/linear.js';
import type { Rng } from '../tensor/random.js';
import { type DType, Tensor } from '../tensor/tensor.js';
import { uniform_ } from './init.js';
import { Module } from './module.js';

export class Linear extends Module {
  private readonly hasBias: boolean;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; dtype?: DType; rng: Rng },
  ) {
    super();
    const dt = opts.dtype ?? 'float32';
    const bound = 1 / Math.sqrt(inFeatures);
    this.hasBias = opts.bias ?? true;
    this.registerParameter('weight', uniform_(Tensor.zeros([outFeatures, inFeatures], dt), -bound, bound, opts.rng));
    if (this.hasBias) this.registerParameter('bias', uniform_(Tensor.zeros([outFeatures], dt), -bound, bound, opts.rng));
  }

  get weight(): Tensor {
    return this.param('weight');
  }

  get bias(): Tensor | null {
    return this.hasBias ? this.param('bias') : null;
  }

  /** Shares `weight` (e.g. the embedding table [V,E] as the decoder's [O,I]). */
  tieWeight(weight: Tensor): void {
    if (weight.shape[0] !== this.outFeatures || weight.shape[1] !== this.inFeatures) {
      throw new RnnlmError('shape_mismatch', `cannot tie a [${weight.shape.join(', ')}] weight to a ${this.outFeatures}×${this.inFeatures} linear layer`);
    }
    this.setParameter('weight', weight);
  }

  /** x [N,I] → [N,O]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
