/**
 * Browser loader of the wasm backend: fetches and compiles the kernel module (asynchronously, as
 * pages must for modules of this size). A cross-origin isolated page (served with
 * Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp) gets the
 * shared-memory build, where model parameters live in wasm memory and are never copied; any
 * other page gets the plain build, which copies operands per call, except weights pinned for a
 * generation (generateTokens), which it copies once.
 * No node:* import: src/web.ts bundles this.
 */
import { RnnlmError } from '../../errors.js';
import { webAssembly } from './abi.js';
import { type WasmBackend, createWasmBackend } from './index.js';

/** The module files, best first for a page that is (or is not) cross-origin isolated. */
export function wasmFilesFor(isolated: boolean): string[] {
  return isolated ? ['rnnlm_kernels.shared.wasm', 'rnnlm_kernels.wasm'] : ['rnnlm_kernels.wasm'];
}

/** Fetches, compiles and instantiates the kernels from `base` (the URL of the folder holding the .wasm files). */
export async function loadWasmBackendFrom(base: string | URL): Promise<WasmBackend> {
  const wa = webAssembly();
  if (!wa) throw new RnnlmError('backend_unavailable', 'this browser has no WebAssembly');
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const tried: string[] = [];
  for (const name of wasmFilesFor(isolated)) {
    const url = new URL(name, base);
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const module = await wa.compile(new Uint8Array(await res.arrayBuffer()));
      return createWasmBackend(module);
    } catch (e) {
      tried.push(`${url.href} (${(e as Error).message})`);
    }
  }
  throw new RnnlmError('backend_unavailable', `wasm kernels not loaded: ${tried.join('; ')}`);
}
