/**
 * Matrix products, differentiable.
 * Legend: N rows (T·B for sequences), I in-features, O out-features; M, K, Nc gemm sizes.
 */
import { kernelsFor } from '../backend/backend.js';
import { needsGrad, outputGrad, record, writeGrad } from '../autograd/graph.js';
import { expectShape } from '../tensor/shape.js';
import type { Kernels, Precision } from '../backend/kernels.js';
import { type FloatArray, Tensor, allocArray } from '../tensor/tensor.js';
import { matmulPrecision } from './precision.js';
import { sameDtype } from './util.js';

/** a [M,K] · b [K,Nc] → [M,Nc]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  sameDtype('matmul', a, b);
  expectShape('matmul: a', a.shape, [-1, -1]);
  const [M, K] = a.shape as [number, number];
  expectShape('matmul: b', b.shape, [K, -1]);
  const Nc = b.shape[1]!;
  const k = kernelsFor(a.data);
  const p = matmulPrecision();
  const out = new Tensor(allocArray(a.dtype, M * Nc), [M, Nc]);
  k.gemm(false, false, M, Nc, K, 1, a.data, b.data, 0, out.data, p);
  if (needsGrad(a, b)) {
    record('matmul', [a, b], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      writeGrad(a, (buf, beta) => k.gemm(false, true, M, K, Nc, 1, g, b.data, beta, buf, p)); // dA (+)= g·bᵀ
      writeGrad(b, (buf, beta) => k.gemm(true, false, K, Nc, M, 1, a.data, g, beta, buf, p)); // dB (+)= aᵀ·g
    });
  }
  return out;
}

/** x [N,I] · weightᵀ [I,O] + bias [O] → [N,O] (torch.nn.functional.linear). */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const { N, O } = linearDims('linear', x, weight, bias);
  const k = kernelsFor(x.data);
  const p = matmulPrecision();
  const out = new Tensor(allocArray(x.dtype, N * O), [N, O]);
  linearInto(x, weight, bias, out.data, p);
  if (needsGrad(x, weight, bias)) {
    record('linear', bias ? [x, weight, bias] : [x, weight], [out], () => {
      const g = outputGrad(out);
      if (g) linearBackward(k, g, x, weight, bias, p);
    });
  }
  return out;
}

/** Checks linear's operands; N rows, I in-features, O out-features. */
export function linearDims(op: string, x: Tensor, weight: Tensor, bias: Tensor | null): { N: number; I: number; O: number } {
  sameDtype(op, x, weight, bias);
  expectShape(`${op}: weight`, weight.shape, [-1, -1]);
  const [O, I] = weight.shape as [number, number];
  expectShape(`${op}: input`, x.shape, [-1, I]);
  if (bias) expectShape(`${op}: bias`, bias.shape, [O]);
  return { N: x.shape[0]!, I, O };
}

/** out [N,O] = x · weightᵀ + bias, no graph (operands checked by linearDims). */
export function linearInto(x: Tensor, weight: Tensor, bias: Tensor | null, out: FloatArray, p: Precision = matmulPrecision()): void {
  const [O, I] = weight.shape as [number, number];
  const N = x.shape[0]!;
  const k = kernelsFor(x.data);
  k.gemm(false, true, N, O, I, 1, x.data, weight.data, 0, out, p);
  if (bias) k.addRowVector(out, bias.data, N, O);
}

/** Accumulates linear's input, weight and bias gradients from g = dLoss/dOut [N,O]. */
export function linearBackward(k: Kernels, g: FloatArray, x: Tensor, weight: Tensor, bias: Tensor | null, p: Precision): void {
  const [O, I] = weight.shape as [number, number];
  const N = x.shape[0]!;
  writeGrad(x, (buf, beta) => k.gemm(false, false, N, I, O, 1, g, weight.data, beta, buf, p)); // dx (+)= g·W
  writeGrad(weight, (buf, beta) => k.gemm(true, false, O, I, N, 1, g, x.data, beta, buf, p)); // dW (+)= gᵀ·x
  if (bias) writeGrad(bias, (buf, beta) => k.sumRows(g, N, O, beta, buf)); // db (+)= Σ_n g
}
