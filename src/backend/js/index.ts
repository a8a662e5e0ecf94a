/**
 * The js reference backend: every kernel of kernels.ts in plain TypeScript, for Float32Array and
 * Float64Array alike. It is the "living spec" other backends are checked against
 * (test/conformance) and the float64 backend for gradient checks.
 */
import type { Backend } from '../backend.js';
import type { Kernels } from '../kernels.js';
import { lmStepComposed } from '../lm-step.js';
import { add, addRowVector, axpy, mul, scale, sum, sumRows, sumSquares, unary, unaryBackward } from './elementwise.js';
import { embeddingBackward, embeddingForward } from './embedding.js';
import { gemm } from './matmul.js';
import { adamStep, sgdStep } from './optim.js';
import { recurrentBackward, recurrentForward, recurrentWorkspaceSize } from './recurrent.js';
import { logSoftmax, softmaxXentBackward, softmaxXentForward } from './softmax-xent.js';

export const jsKernels: Kernels = {
  gemm,
  add,
  mul,
  axpy,
  scale,
  unary,
  unaryBackward,
  addRowVector,
  sumRows,
  sum,
  sumSquares,
  embeddingForward,
  embeddingBackward,
  softmaxXentForward,
  softmaxXentBackward,
  logSoftmax,
  recurrentWorkspaceSize,
  recurrentForward,
  recurrentBackward,
  lmStep: (a) => lmStepComposed(jsKernels, a),
  sgdStep,
  adamStep,
};

export const jsBackend: Backend = {
  name: 'js',
  description: 'pure TypeScript reference',
  float64: true,
  kernels: jsKernels,
  bf16: 'emulated',
};
