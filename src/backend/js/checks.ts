/**
 * Argument checks shared by the js kernels. They cost O(1) per call (lengths only), so the
 * reference backend can afford them everywhere: a wrong size is a clear RnnlmError, never a
 * silent read past the end of an array (which in JS would yield undefined → NaN garbage).
 */
import { RnnlmError } from '../../errors.js';
import { type F, PRECISIONS, type Precision } from '../kernels.js';

/** Throws shape_mismatch unless `a` holds at least `n` elements. */
export function needLength(kernel: string, what: string, a: ArrayLike<number>, n: number): void {
  if (a.length < n) {
    throw new RnnlmError('shape_mismatch', `${kernel}: ${what} has ${a.length} elements but needs ${n}; allocate it with the sizes passed to the kernel`);
  }
}

/** Throws shape_mismatch unless `a` holds exactly `n` elements. */
export function exactLength(kernel: string, what: string, a: ArrayLike<number>, n: number): void {
  if (a.length !== n) {
    throw new RnnlmError('shape_mismatch', `${kernel}: ${what} has ${a.length} elements but must have ${n}, like the array it pairs with`);
  }
}

/** Throws invalid_argument unless every size is a non-negative integer. */
export function checkSizes(kernel: string, sizes: Record<string, number>): void {
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 0) {
      throw new RnnlmError('invalid_argument', `${kernel}: size ${name} = ${v} must be a non-negative integer`);
    }
  }
}

/** Throws dtype_mismatch unless all arrays are of the same kind (all Float32Array or all Float64Array). */
export function sameDtype(kernel: string, ...arrays: (F | null)[]): void {
  let first: F | null = null;
  for (const a of arrays) {
    if (a === null) continue;
    if (!(a instanceof Float32Array) && !(a instanceof Float64Array)) {
      throw new RnnlmError('dtype_mismatch', `${kernel}: arrays must be Float32Array or Float64Array`);
    }
    if (first === null) first = a;
    else if (first.constructor !== a.constructor) {
      throw new RnnlmError('dtype_mismatch', `${kernel}: mixes Float32Array and Float64Array; convert all arguments to one dtype`);
    }
  }
}

/** A new zeroed array of the same kind as `like`. */
export function allocLike(like: F, n: number): F {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** Throws invalid_argument unless `p` is one of PRECISIONS (undefined means 'fp32'). */
export function checkPrecision(kernel: string, p: Precision | undefined): void {
  if (p !== undefined && !PRECISIONS.includes(p)) {
    throw new RnnlmError('invalid_argument', `${kernel}: unknown precision "${String(p)}"; use one of ${PRECISIONS.join(', ')}`);
  }
}
