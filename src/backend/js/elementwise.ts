/**
 * Elementwise kernels and reductions for the js reference backend.
 *
 * Dimension legend: n = out.length for the flat kernels; R rows, C columns for the row kernels.
 * Arithmetic happens in JS numbers (float64); storing into a Float32Array rounds once per element.
 * sum / sumSquares accumulate in a JS number, so even float32 data is summed in float64.
 */
import { RnnlmError } from '../../errors.js';
import type { F, UnaryOp } from '../kernels.js';
import { checkSizes, exactLength, needLength } from './checks.js';

/** out = a + b */
export function add(a: F, b: F, out: F): void {
  const n = out.length;
  exactLength('add', 'a', a, n);
  exactLength('add', 'b', b, n);
  for (let p = 0; p < n; p++) out[p] = a[p]! + b[p]!;
}

/** out = a ⊙ b */
export function mul(a: F, b: F, out: F): void {
  const n = out.length;
  exactLength('mul', 'a', a, n);
  exactLength('mul', 'b', b, n);
  for (let p = 0; p < n; p++) out[p] = a[p]! * b[p]!;
}

/** y += alpha · x */
export function axpy(alpha: number, x: F, y: F): void {
  const n = y.length;
  exactLength('axpy', 'x', x, n);
  for (let p = 0; p < n; p++) y[p]! += alpha * x[p]!;
}

/** out = alpha · x */
export function scale(x: F, alpha: number, out: F): void {
  const n = out.length;
  exactLength('scale', 'x', x, n);
  for (let p = 0; p < n; p++) out[p] = alpha * x[p]!;
}

/** Logistic function. Safe for any v in float64: exp(−v) = Inf for v ≪ 0 gives 1/Inf = 0, not NaN. */
export function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}

/** max(v, 0); NaN stays NaN so a blown-up activation is still detected downstream. */
export function relu(v: number): number {
  return Math.max(v, 0);
}

/** out = op(x) (out may be x). */
export function unary(op: UnaryOp, x: F, out: F): void {
  const n = out.length;
  exactLength(`unary(${op})`, 'x', x, n);
  switch (op) {
    case 'tanh':
      for (let p = 0; p < n; p++) out[p] = Math.tanh(x[p]!);
      return;
    case 'sigmoid':
      for (let p = 0; p < n; p++) out[p] = sigmoid(x[p]!);
      return;
    case 'relu':
      for (let p = 0; p < n; p++) out[p] = relu(x[p]!);
      return;
    case 'exp':
      for (let p = 0; p < n; p++) out[p] = Math.exp(x[p]!);
      return;
    case 'log':
      for (let p = 0; p < n; p++) out[p] = Math.log(x[p]!);
      return;
    case 'neg':
      for (let p = 0; p < n; p++) out[p] = -x[p]!;
      return;
    default:
      throw unknownOp(op);
  }
}

/**
 * dx += dy ⊙ op'(·). The derivative is written from whichever of x (input) and y (output) is
 * cheapest: tanh' = 1 − y², sigmoid' = y(1 − y), exp' = y, relu' = [x > 0], log' = 1/x, neg' = −1.
 */
export function unaryBackward(op: UnaryOp, x: F, y: F, dy: F, dx: F): void {
  const n = dx.length;
  const k = `unaryBackward(${op})`;
  exactLength(k, 'dy', dy, n);
  // Only the operand the derivative reads has to match (the other may be an empty placeholder).
  if (op === 'tanh' || op === 'sigmoid' || op === 'exp') exactLength(k, 'y', y, n);
  if (op === 'relu' || op === 'log') exactLength(k, 'x', x, n);
  switch (op) {
    case 'tanh':
      for (let p = 0; p < n; p++) dx[p]! += dy[p]! * (1 - y[p]! * y[p]!);
      return;
    case 'sigmoid':
      for (let p = 0; p < n; p++) dx[p]! += dy[p]! * y[p]! * (1 - y[p]!);
      return;
    case 'relu':
      for (let p = 0; p < n; p++) if (x[p]! > 0) dx[p]! += dy[p]!;
      return;
    case 'exp':
      for (let p = 0; p < n; p++) dx[p]! += dy[p]! * y[p]!;
      return;
    case 'log':
      for (let p = 0; p < n; p++) dx[p]! += dy[p]! / x[p]!;
      return;
    case 'neg':
      for (let p = 0; p < n; p++) dx[p]! -= dy[p]!;
      return;
    default:
      throw unknownOp(op);
  }
}

/** x[r, c] += v[c] for x [R, C] (bias add, in place). */
export function addRowVector(x: F, v: F, R: number, C: number): void {
  checkSizes('addRowVector', { R, C });
  needLength('addRowVector', 'x', x, R * C);
  needLength('addRowVector', 'v', v, C);
  for (let r = 0; r < R; r++) {
    const row = r * C; // x[r, 0]
    for (let c = 0; c < C; c++) x[row + c]! += v[c]!;
  }
}

/** out[c] = beta · out[c] + Σ_r x[r, c] for x [R, C] (bias gradient). beta = 0 ignores out. */
export function sumRows(x: F, R: number, C: number, beta: number, out: F): void {
  checkSizes('sumRows', { R, C });
  needLength('sumRows', 'x', x, R * C);
  needLength('sumRows', 'out', out, C);
  // Sum in a float64 row (row by row, so the inner loop is contiguous), then combine with out.
  const acc = new Float64Array(C);
  for (let r = 0; r < R; r++) {
    const row = r * C; // x[r, 0]
    for (let c = 0; c < C; c++) acc[c]! += x[row + c]!;
  }
  if (beta === 0) for (let c = 0; c < C; c++) out[c] = acc[c]!;
  else for (let c = 0; c < C; c++) out[c] = beta * out[c]! + acc[c]!;
}

/** Σ x, accumulated in float64. */
export function sum(x: F): number {
  let s = 0;
  for (let p = 0; p < x.length; p++) s += x[p]!;
  return s;
}

/** Σ x², accumulated in float64 (gradient norms). */
export function sumSquares(x: F): number {
  let s = 0;
  for (let p = 0; p < x.length; p++) s += x[p]! * x[p]!;
  return s;
}

function unknownOp(op: never): RnnlmError {
  return new RnnlmError('invalid_argument', `unknown unary op "${String(op)}"; use one of tanh, sigmoid, relu, exp, log, neg`);
}
