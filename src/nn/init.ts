/** Parameter initialisers with PyTorch's defaults, drawn from the seeded Rng. */
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

export function uniform_(t: Tensor, lo: number, hi: number, rng: Rng): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformRange(lo, hi);
  return t;
}

export function normal_(t: Tensor, mean: number, std: number, rng: Rng): Tensor {
  for (let i = 0; i < t.size; i++) t.data[i] = mean + std * rng.normal();
  return t;
}

export function zeros_(t: Tensor): Tensor {
  t.data.fill(0);
  return t;
}
