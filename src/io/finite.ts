/**
 * Weights must be finite: a model whose training diverged can be saved with NaN or Inf in its
 * tensors, and nothing downstream can use it (every evaluation and sample turns into NaN). The
 * language-model and translation loaders refuse such a file at once, naming the tensor, instead
 * of letting a full evaluation pass or a server run discover it. (loadCheckpoint itself keeps
 * every bit, NaN included: it is also a plain tensor store.)
 */
import { RnnlmError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** Throws `non_finite` naming the first tensor of `tensors` that holds NaN or ±Infinity. */
export function checkFiniteTensors(tensors: Record<string, Tensor>, path: string): void {
  for (const [name, t] of Object.entries(tensors)) {
    const d = t.data;
    // Fast scan: x − x is 0 for every finite x and NaN for NaN and ±Infinity.
    let acc = 0;
    for (let i = 0; i < d.length; i++) acc += d[i]! - d[i]!;
    if (acc === 0) continue;
    let nan = 0;
    let inf = 0;
    let first = -1;
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!;
      if (Number.isFinite(x)) continue;
      if (first < 0) first = i;
      if (Number.isNaN(x)) nan++;
      else inf++;
    }
    throw new RnnlmError(
      'non_finite',
      `${path}: tensor "${name}" holds ${nan} NaN and ${inf} infinite values (of ${d.length}, first at index ${first}): ` +
        'the training diverged before this save. Use an earlier checkpoint, or retrain with a lower learning rate or gradient clipping',
      { tensor: name, nan, inf, first },
    );
  }
}
