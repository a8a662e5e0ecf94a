/**
 * Backend selection: the fastest backend that loads wins (native → wasm → js), the js
 * reference is always there as the fallback, and the choice is recorded so the CLI and the
 * training log can say which backend runs.
 */
import { RnnlmError } from '../errors.js';
import { type Backend, type BackendName, getBackend, registerBackend, setBackend } from './backend.js';
import type { Precision } from './kernels.js';
import { jsBackend } from './js/index.js';

export type BackendPreference = 'auto' | BackendName;
/** Every backend a user may ask for (--backend, RNNLM_BACKEND); 'auto' picks the fastest that loads. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'native', 'wasm', 'js'];

export interface BackendCandidate {
  name: BackendName;
  /** Returns the backend, or null (with a reason) when it cannot run here. */
  load(): Backend | null;
}

export interface Selection {
  backend: Backend;
  /** Why faster candidates were skipped (for warnings). */
  skipped: { name: BackendName; reason: string }[];
}

/** Registers js plus whatever candidates load, then activates the preferred (or fastest) one. */
export function selectBackend(preference: BackendPreference, candidates: readonly BackendCandidate[]): Selection {
  registerBackend(jsBackend);
  const skipped: Selection['skipped'] = [];
  for (const c of candidates) {
    if (preference !== 'auto' && preference !== c.name) continue;
    try {
      const b = c.load();
      if (b) {
        registerBackend(b);
        return { backend: setBackend(b.name), skipped };
      }
      skipped.push({ name: c.name, reason: 'not built on this machine' });
    } catch (e) {
      skipped.push({ name: c.name, reason: (e as Error).message });
    }
  }
  if (preference !== 'auto' && preference !== 'js') {
    const why = skipped.find((s) => s.name === preference)?.reason ?? 'unknown backend';
    throw new RnnlmError('backend_unavailable', `backend "${preference}" cannot be used here (${why}); use --backend js or auto`);
  }
  return { backend: setBackend('js'), skipped };
}

export function describeBackend(): string {
  const b = getBackend();
  return `${b.name} (${b.description})`;
}

/** One line for logs: the precision of the matrix products and, for bf16, how this backend runs it. */
export function describePrecision(p: Precision): string {
  if (p === 'fp32') return 'fp32';
  const b = getBackend();
  const how =
    b.bf16 === 'amx'
      ? 'Intel AMX tiles'
      : b.bf16 === 'vdpbf16ps'
        ? 'AVX-512 BF16 vdpbf16ps'
        : `emulated on the ${b.name} backend (${b.name === 'native' ? 'this CPU has no avx512_bf16' : 'no bf16 instructions'}): same rounding, no faster than fp32`;
  return `bf16 mixed precision (bf16 gemm operands, fp32 sums, fp32 weights/gradients/optimizer; ${how})`;
}
