/**
 * Argument checks of the wasm backend, before any pointer reaches the C kernels (which trust
 * their arguments): the same checks, errors and messages as the addon's N-API binding
 * (native/napi/binding.cc), reusing the js reference's length and size checks.
 *
 * Dimension legend: as in kernels.ts (T time, B batch, I input, H hidden, G gates, N rows, V vocab).
 */
import { RnnlmError } from '../../errors.js';
import { checkPrecision, checkSizes, needLength } from '../js/checks.js';
import { type Precision, RECURRENT_MODES, type RecurrentDesc, type RecurrentWeights, UNARY_OPS, type UnaryOp, gatesOf } from '../kernels.js';

/** TypeError with code 'dtype_mismatch', as the addon throws for a wrong array type. */
export function dtypeError(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'dtype_mismatch' });
}

export function f32(kernel: string, name: string, a: unknown): Float32Array {
  if (a instanceof Float32Array) return a;
  if (a instanceof Float64Array) {
    throw dtypeError(`${kernel}: ${name} is a Float64Array, but the wasm backend runs float32 only; float64 work goes to the js backend`);
  }
  throw dtypeError(`${kernel}: ${name} must be a Float32Array`);
}

export function f32OrNull(kernel: string, name: string, a: unknown): Float32Array | null {
  return a === null || a === undefined ? null : f32(kernel, name, a);
}

export function i32(kernel: string, name: string, a: unknown): Int32Array {
  if (a instanceof Int32Array) return a;
  throw dtypeError(`${kernel}: ${name} must be an Int32Array`);
}

/**
 * Sizes that passed checkSizes and the length checks and must also fit the C ABI's int32 (only a
 * size whose product with another is 0 can pass the length checks and still be larger).
 */
export function int32Sizes(kernel: string, s: Record<string, number>): void {
  for (const [name, v] of Object.entries(s)) {
    if (v > 0x7fffffff) throw new RnnlmError('invalid_argument', `${kernel}: size ${name} = ${v} is larger than the wasm backend's 2^31 − 1`);
  }
}

export function unaryCode(kernel: string, op: UnaryOp): number {
  const code = UNARY_OPS.indexOf(op);
  if (code < 0) throw new RnnlmError('invalid_argument', `${kernel}: unknown unary op "${String(op)}"; use one of ${UNARY_OPS.join(', ')}`);
  return code;
}

export function modeCode(kernel: string, d: RecurrentDesc): number {
  const code = RECURRENT_MODES.indexOf(d.mode);
  if (code < 0) throw new RnnlmError('invalid_argument', `${kernel}: unknown mode "${String(d.mode)}"; use one of ${RECURRENT_MODES.join(', ')}`);
  const s = { T: d.T, B: d.B, inputSize: d.inputSize, hiddenSize: d.hiddenSize };
  checkSizes(kernel, s);
  int32Sizes(kernel, s);
  return code;
}

export const bf16Flag = (kernel: string, p: Precision | undefined): number => {
  checkPrecision(kernel, p);
  return p === 'bf16' ? 1 : 0;
};

/** The four arrays of one layer's weights (or gradients), type- and length-checked. */
export function weights(
  kernel: string,
  what: string,
  d: RecurrentDesc,
  w: RecurrentWeights,
): [Float32Array, Float32Array, Float32Array | null, Float32Array | null] {
  const wih = f32(kernel, `${what}.weightIh`, w.weightIh);
  const whh = f32(kernel, `${what}.weightHh`, w.weightHh);
  const bih = f32OrNull(kernel, `${what}.biasIh`, w.biasIh);
  const bhh = f32OrNull(kernel, `${what}.biasHh`, w.biasHh);
  const GH = gatesOf(d.mode) * d.hiddenSize;
  needLength(kernel, `${what}.weightIh`, wih, GH * d.inputSize);
  needLength(kernel, `${what}.weightHh`, whh, GH * d.hiddenSize);
  if ((bih === null) !== (bhh === null)) {
    throw new RnnlmError('invalid_argument', `${kernel}: ${what}.biasIh and ${what}.biasHh must both be arrays or both null`);
  }
  if (bih && bhh) {
    needLength(kernel, `${what}.biasIh`, bih, GH);
    needLength(kernel, `${what}.biasHh`, bhh, GH);
  }
  return [wih, whh, bih, bhh];
}

/** The ignore index as the C kernels take it: −1 (matching no valid target) when it is not an int32. */
export function checkTargets(kernel: string, targets: Int32Array, N: number, V: number, ignoreIndex: number): number {
  if (targets.length < N) {
    throw new RnnlmError('shape_mismatch', `${kernel}: targets has ${targets.length} elements but needs ${N}; allocate it with the sizes passed to the kernel`);
  }
  const has = Number.isInteger(ignoreIndex) && ignoreIndex >= -(2 ** 31) && ignoreIndex < 2 ** 31;
  for (let n = 0; n < N; n++) {
    const t = targets[n]!;
    if (has && t === ignoreIndex) continue;
    if (t < 0 || t >= V) {
      throw new RnnlmError('invalid_argument', `${kernel}: target ${t} at row ${n} is outside [0, ${V}) and is not the ignore index ${ignoreIndex}`);
    }
  }
  return has ? ignoreIndex : -1;
}

export function oom(kernel: string): never {
  throw new RnnlmError('unsupported', `${kernel}: out of WebAssembly memory for the kernel's scratch buffers`);
}
