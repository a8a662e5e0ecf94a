/**
 * Elementwise ops, reductions and reshape, differentiable. Shapes must match exactly
 * (no broadcasting: the models never need it, and explicit shapes catch bugs early).
 */
import { kernelsFor } from '../backend/backend.js';
import type { UnaryOp } from '../backend/kernels.js';
import { RnnlmError } from '../errors.js';
import { accumulateGrad, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { type Shape, fmtShape, numel } from '../tensor/shape.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { sameDtype, sameShape } from './util.js';

function like(t: Tensor): Tensor {
  return new Tensor(allocArray(t.dtype, t.size), t.shape);
}

export function add(a: Tensor, b: Tensor): Tensor {
  sameDtype('add', a, b);
  sameShape('add', a, b);
  const out = like(a);
  kernelsFor(a.data).add(a.data, b.data, out.data);
  if (needsGrad(a, b)) {
    record('add', [a, b], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      accumulateGrad(a, (buf) => buf.set(g));
      accumulateGrad(b, (buf) => buf.set(g));
    });
  }
  return out;
}

export function mul(a: Tensor, b: Tensor): Tensor {
  sameDtype('mul', a, b);
  sameShape('mul', a, b);
  const k = kernelsFor(a.data);
  const out = like(a);
  k.mul(a.data, b.data, out.data);
  if (needsGrad(a, b)) {
    record('mul', [a, b], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      accumulateGrad(a, (buf) => k.mul(g, b.data, buf));
      accumulateGrad(b, (buf) => k.mul(g, a.data, buf));
    });
  }
  return out;
}

export function scale(a: Tensor, alpha: number): Tensor {
  const k = kernelsFor(a.data);
  const out = like(a);
  k.scale(a.data, alpha, out.data);
  if (needsGrad(a)) {
    record('scale', [a], [out], () => {
      const g = outputGrad(out);
      if (g) accumulateGrad(a, (buf) => k.scale(g, alpha, buf));
    });
  }
  return out;
}

export function unary(op: UnaryOp, a: Tensor): Tensor {
  const k = kernelsFor(a.data);
  const out = like(a);
  k.unary(op, a.data, out.data);
  if (needsGrad(a)) {
    record(op, [a], [out], () => {
      const g = outputGrad(out);
      if (!g) return;
      accumulateGrad(a, (buf) => {
        buf.fill(0);
        k.unaryBackward(op, a.data, out.data, g, buf);
      });
    });
  }
  return out;
}

export const tanh = (a: Tensor): Tensor => unary('tanh', a);
export const sigmoid = (a: Tensor): Tensor => unary('sigmoid', a);
export const relu = (a: Tensor): Tensor => unary('relu', a);
export const exp = (a: Tensor): Tensor => unary('exp', a);
export const log = (a: Tensor): Tensor => unary('log', a);
export const neg = (a: Tensor): Tensor => unary('neg', a);

/** Σ a → one-element tensor [1]. */
export function sum(a: Tensor): Tensor {
  const out = new Tensor(allocArray(a.dtype, 1), [1]);
  out.data[0] = kernelsFor(a.data).sum(a.data);
  if (needsGrad(a)) {
    record('sum', [a], [out], () => {
      const g = outputGrad(out);
      if (g) accumulateGrad(a, (buf) => buf.fill(g[0]!));
    });
  }
  return out;
}

export function mean(a: Tensor): Tensor {
  return scale(sum(a), 1 / Math.max(1, a.size));
}

/** Same data, new shape (a view: no copy). */
export function reshape(a: Tensor, shape: Shape): Tensor {
  if (numel(shape) !== a.size) {
    throw new RnnlmError('shape_mismatch', `reshape: cannot view ${fmtShape(a.shape)} as ${fmtShape(shape)}`);
  }
  const out = new Tensor(a.data, shape);
  if (needsGrad(a)) {
    record('reshape', [a], [out], () => {
      const g = outputGrad(out);
      if (g) accumulateGrad(a, (buf) => buf.set(g));
    });
  }
  return out;
}
