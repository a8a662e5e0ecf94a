/**
 * Softmax cross-entropy over rows of logits, fused: forward keeps only the per-row
 * log-sum-exp [N]; backward recomputes the softmax from logits.
 * linearCrossEntropy also fuses the output layer in front of it (an LM's decoder): the logits
 * never leave the op, so backward writes dLogits over them and a ScratchBuffer can carry the
 * [N,V] block from step to step.
 * Legend: N rows (T·B), I in-features, V vocabulary.
 */
import { kernelsFor } from '../backend/backend.js';
import type { Kernels } from '../backend/kernels.js';
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { ScratchBuffer } from '../tensor/scratch.js';
import { expectShape } from '../tensor/shape.js';
import { type DType, type FloatArray, Tensor, allocArray } from '../tensor/tensor.js';
import { linearBackward, linearDims, linearInto } from './linear.js';
import { matmulPrecision } from './precision.js';
import { checkIds } from './util.js';

export interface CrossEntropyOptions {
  /** 'mean' over non-ignored rows (default), 'sum', or 'none' (per-row losses [N]). */
  reduction?: 'mean' | 'sum' | 'none';
  /** Rows whose target equals this are skipped (PyTorch default -100). */
  ignoreIndex?: number;
}

/** logits [N,V], targets [N] → loss in nats (torch.nn.functional.cross_entropy). */
export function crossEntropy(logits: Tensor, targets: Int32Array, opts: CrossEntropyOptions = {}): Tensor {
  expectShape('crossEntropy: logits', logits.shape, [-1, -1]);
  const [N, V] = logits.shape as [number, number];
  const x = xentForward('crossEntropy', logits.data, logits.dtype, N, V, targets, opts);
  if (needsGrad(logits)) {
    record('cross_entropy', [logits], [x.out], () => {
      const g = outputGrad(x.out);
      if (g) accumulateGrad(logits, (buf) => x.backward(logits.data, g, buf));
    });
  }
  return x.out;
}

export interface LinearCrossEntropyOptions extends CrossEntropyOptions {
  /** Where the [N,V] logits go when it is free (else a fresh allocation). */
  scratch?: ScratchBuffer;
}

/**
 * crossEntropy(linear(x, weight, bias), targets) as one op: x [N,I], weight [V,I], bias [V].
 * Same values and gradients as the two ops; the logits are private, so their block is reused
 * for dLogits and returned to `scratch` once backward (or, without a graph, forward) is done.
 */
export function linearCrossEntropy(x: Tensor, weight: Tensor, bias: Tensor | null, targets: Int32Array, opts: LinearCrossEntropyOptions = {}): Tensor {
  const { N, O: V } = linearDims('linearCrossEntropy', x, weight, bias);
  const p = matmulPrecision(); // the decoder gemms' precision; softmax and loss stay in x's dtype
  const logits = opts.scratch?.take(x.dtype, N * V) ?? allocArray(x.dtype, N * V); // [N,V]
  const release = (): void => opts.scratch?.release(logits);
  let xe: XentForward;
  try {
    linearInto(x, weight, bias, logits, p);
    xe = xentForward('linearCrossEntropy', logits, x.dtype, N, V, targets, opts);
  } catch (e) {
    release();
    throw e;
  }
  if (!needsGrad(x, weight, bias)) {
    release();
    return xe.out;
  }
  const k = kernelsFor(logits);
  record('linear_cross_entropy', bias ? [x, weight, bias] : [x, weight], [xe.out], () => {
    const g = outputGrad(xe.out);
    if (g) {
      xe.backward(logits, g, logits); // dLogits over the logits, row by row
      linearBackward(k, logits, x, weight, bias, p);
    }
    release();
  });
  return xe.out;
}

interface XentForward {
  out: Tensor;
  /** Writes dLoss/dLogits [N,V] for the loss gradient g into dLogits (which may be logits). */
  backward(logits: FloatArray, g: FloatArray, dLogits: FloatArray): void;
}

/** The loss of logits [N,V] and the backward that goes with it (shared by both ops above). */
function xentForward(op: string, logits: FloatArray, dtype: DType, N: number, V: number, targets: Int32Array, opts: CrossEntropyOptions): XentForward {
  const reduction = opts.reduction ?? 'mean';
  const ignoreIndex = opts.ignoreIndex ?? -100;
  if (targets.length !== N) throw new RnnlmError('shape_mismatch', `${op}: ${targets.length} targets for ${N} rows of logits`);
  checkIds(op, targets, V, ignoreIndex);
  const k: Kernels = kernelsFor(logits);
  const lse = allocArray(dtype, N);
  const losses = allocArray(dtype, N);
  k.softmaxXentForward(logits, targets, N, V, ignoreIndex, lse, losses);
  let count = 0;
  for (let n = 0; n < N; n++) if (targets[n] !== ignoreIndex) count++;

  let out: Tensor;
  if (reduction === 'none') out = new Tensor(losses, [N]);
  else {
    out = new Tensor(allocArray(dtype, 1), [1]);
    const total = k.sum(losses);
    // PyTorch returns NaN for a mean over zero rows; we do the same rather than hide it.
    out.data[0] = reduction === 'sum' ? total : total / count;
  }
  const tg = targets.slice();
  return {
    out,
    backward(lg, g, dLogits) {
      const scale = reduction === 'none' ? g : reduction === 'sum' ? g[0]! : g[0]! / count;
      k.softmaxXentBackward(lg, lse, tg, N, V, ignoreIndex, scale, dLogits);
    },
  };
}
