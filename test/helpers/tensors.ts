/** Test inputs: float64 tensors filled from a seeded Rng, for gradient checks. */
import type { Rng } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

/** A float64 tensor of U(lo, hi) values drawn from rng, requiring grad unless told otherwise. */
export function randTensor(rng: Rng, shape: number[], lo = -1, hi = 1, requiresGrad = true): Tensor {
  const t = Tensor.zeros(shape, 'float64', requiresGrad);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformRange(lo, hi);
  return t;
}
