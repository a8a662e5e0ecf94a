/**
 * The precision of the matrix products inside ops (like torch.autocast for matmuls): ops read
 * it when they run forward and keep it for their backward, so one scope around a model's forward
 * covers the whole step. 'bf16' = bf16 operands, float32 sums (kernels.ts Precision); everything
 * else (elementwise math, softmax, loss, gradients, optimizer) stays in the tensors' own dtype.
 * Models set it from their config (RNNLMConfig.precision); the default is 'fp32'.
 */
import type { Precision } from '../backend/kernels.js';

let current: Precision = 'fp32';

/** The precision ops use for their gemms right now. */
export function matmulPrecision(): Precision {
  return current;
}

/** Runs fn with the ops' gemms in precision p (restored afterwards, also on throw). */
export function withMatmulPrecision<R>(p: Precision, fn: () => R): R {
  const prev = current;
  current = p;
  try {
    return fn();
  } finally {
    current = prev;
  }
}
