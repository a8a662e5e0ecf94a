/**
 * Softmax cross-entropy over rows of logits, fused: forward keeps only the per-row
 * log-sum-exp [N]; backward recomputes the softmax from logits.
 * Legend: N rows (T·B), V vocabulary.
 */
import { kernelsFor } from '../backend/backend.js';
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import { expectShape } from '../tensor/shape.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { checkIds } from './util.js';

export interface CrossEntropyOptions {
  /** 'mean' over non-ignored rows (default), 'sum', or 'none' (per-row losses [N]). */
  reduction?: 'mean' | 'sum' | 'none';
  /** Rows whose target equals this are skipped (PyTorch default -100). */
  ignoreIndex?: number;
}

/** logits [N,V], targets [N] → loss in nats (torch.nn.functional.cross_entropy). */
export function crossEntropy(logits: Tensor, targets: Int32Array, opts: CrossEntropyOptions = {}): Tensor {
  const reduction = opts.reduction ?? 'mean';
  const ignoreIndex = opts.ignoreIndex ?? -100;
  expectShape('crossEntropy: logits', logits.shape, [-1, -1]);
  const [N, V] = logits.shape as [number, number];
  if (targets.length !== N) {
    throw new RnnlmError('shape_mismatch', `crossEntropy: ${targets.length} targets for ${N} rows of logits`);
  }
  checkIds('crossEntropy', targets, V, ignoreIndex);
  const k = kernelsFor(logits.data);
  const lse = allocArray(logits.dtype, N);
  const losses = allocArray(logits.dtype, N);
  k.softmaxXentForward(logits.data, targets, N, V, ignoreIndex, lse, losses);
  let count = 0;
  for (let n = 0; n < N; n++) if (targets[n] !== ignoreIndex) count++;

  let out: Tensor;
  if (reduction === 'none') out = new Tensor(losses, [N]);
  else {
    out = new Tensor(allocArray(logits.dtype, 1), [1]);
    const total = k.sum(losses);
    // PyTorch returns NaN for a mean over zero rows; we do the same rather than hide it.
    out.data[0] = reduction === 'sum' ? total : total / count;
  }
  if (needsGrad(logits)) {
    const tg = targets.slice();
    record('cross_entropy', [logits], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      const scale = reduction === 'none' ? g : reduction === 'sum' ? g[0]! : g[0]! / count;
      accumulateGrad(logits, (buf) => k.softmaxXentBackward(logits.data, lse, tg, N, V, ignoreIndex, scale, buf));
    });
  }
  return out;
}
