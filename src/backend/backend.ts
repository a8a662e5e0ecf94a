/**
 * A backend = a name, what it can do, and the kernels of kernels.ts.
 * The active backend is process-wide; float64 work (gradcheck) always runs on a backend
 * that declares float64 support, falling back to the js reference.
 */
import { RnnlmError } from '../errors.js';
import type { F, Kernels, Precision } from './kernels.js';

/** Every backend rnnlm has: the one list of their names. */
export const BACKEND_NAMES = ['js', 'native', 'wasm'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * How a backend runs gemms in 'bf16' precision, slowest first: 'emulated' (operands rounded to
 * bf16, float32 math: correct, no faster), 'vdpbf16ps' (AVX-512 BF16 dot products), 'amx' (Intel
 * AMX tiles). All three round the operands the same way and sum in float32.
 */
export const BF16_MODES = ['emulated', 'vdpbf16ps', 'amx'] as const;
export type Bf16Mode = (typeof BF16_MODES)[number];

export interface Backend {
  readonly name: BackendName;
  /** Human-readable detail for logs and `--version` (e.g. BLAS, threads, SIMD). */
  readonly description: string;
  readonly float64: boolean;
  readonly kernels: Kernels;
  /** How gemms in 'bf16' precision run (BF16_MODES). */
  readonly bf16: Bf16Mode;
  /**
   * For long-lived arrays (model parameters, nn/module.ts): a copy of `a` where this backend's
   * kernels read it without copying (the wasm backend's linear memory), or `a` itself. Absent
   * where kernels use arrays where they are (js, native).
   */
  readonly place?: ((a: Float32Array) => Float32Array) | undefined;
  /**
   * For arrays that stay unchanged for a while (a model's parameters during generation, whose
   * matrix products run in `precision`): the caller promises not to change them until it calls
   * the returned function. The backend may keep copies where its kernels read them (wasm: in its
   * memory, which kernels also update; native, for bf16: converted once to bf16). Absent on js.
   */
  readonly pin?: ((arrays: readonly Float32Array[], precision: Precision) => () => void) | undefined;
}

const registry = new Map<BackendName, Backend>();
let active: Backend | null = null;
let reference: Backend | null = null;

export function registerBackend(b: Backend): void {
  registry.set(b.name, b);
  if (b.name === 'js') reference = b;
}

export function availableBackends(): BackendName[] {
  return [...registry.keys()];
}

export function setBackend(name: BackendName): Backend {
  const b = registry.get(name);
  if (!b) {
    throw new RnnlmError('backend_unavailable', `backend "${name}" is not available here (available: ${availableBackends().join(', ') || 'none'})`);
  }
  active = b;
  return b;
}

/** The active backend. */
export function getBackend(): Backend {
  if (active) return active;
  if (reference) return (active = reference);
  throw new RnnlmError('backend_unavailable', 'no backend registered: import "rnnlm" (node) or the js backend first');
}

/** The active backend, or null while none is registered (never throws, unlike getBackend). */
export function peekBackend(): Backend | null {
  return active ?? reference;
}

/**
 * Pins the float32 arrays on the active backend (Backend.pin) for matrix products in `precision`
 * and returns the function that unpins them; a no-op where the backend does not pin. Callers must
 * not change the arrays in between.
 */
export function pinArrays(arrays: readonly F[], precision: Precision = 'fp32'): () => void {
  const pin = peekBackend()?.pin;
  return pin
    ? pin(
        arrays.filter((a): a is Float32Array => a instanceof Float32Array),
        precision,
      )
    : () => {};
}

/** Kernels to run on arrays of this kind: float64 goes to a float64-capable backend. */
export function kernelsFor(a: F): Kernels {
  const b = getBackend();
  if (a instanceof Float64Array && !b.float64) {
    if (!reference) throw new RnnlmError('backend_unavailable', 'float64 needs the js reference backend');
    return reference.kernels;
  }
  return b.kernels;
}
