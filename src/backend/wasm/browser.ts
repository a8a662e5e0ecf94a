/**
 * Browser loader of the wasm backend: fetches and compiles the kernel module (asynchronously, as
 * pages must for modules of this size). A cross-origin isolated page (served with
 * Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp) gets the
 * shared-memory build, where model parameters live in wasm memory and are never copied and the
 * kernels run on Web Workers too (threads.ts); any
 * other page gets the plain build, which copies operands per call, except weights pinned for a
 * generation (generateTokens), which it copies once. Where the engine runs relaxed SIMD (Chromium
 * does) the relaxed build of either, whose gemm uses the CPU's FMA.
 * No node:* import: src/web.ts bundles this.
 */
import { RnnlmError } from '../../errors.js';
import { relaxedSimd, webAssembly } from './abi.js';
import { type WasmBackend, createWasmBackend } from './index.js';
import type { SpawnWorker } from './threads.js';

/**
 * The module files, best first for a page that is (or is not) cross-origin isolated, in an engine
 * that does (or does not) run relaxed SIMD (abi.ts relaxedSimd: then the .relaxed builds first).
 */
export function wasmFilesFor(isolated: boolean, relaxed: boolean): string[] {
  const files = isolated ? ['rnnlm_kernels.shared.wasm', 'rnnlm_kernels.wasm'] : ['rnnlm_kernels.wasm'];
  return relaxed ? [...files.map((f) => f.replace(/\.wasm$/, '.relaxed.wasm')), ...files] : files;
}

/**
 * A Web Worker running threads.ts's worker source, from a Blob URL (so the page needs no extra
 * file; a blob worker inherits the page's cross-origin isolation).
 */
export const spawnWebWorker: SpawnWorker = (source, data) => {
  const g = globalThis as unknown as {
    Worker: new (url: string) => { postMessage(d: unknown): void; terminate(): void };
    Blob: new (parts: string[], o: { type: string }) => unknown;
    URL: { createObjectURL(b: unknown): string };
  };
  const url = g.URL.createObjectURL(new g.Blob([`${source}\nonmessage = (e) => rnnlmWorker(e.data);\n`], { type: 'text/javascript' }));
  const w = new g.Worker(url);
  w.postMessage(data);
  return w;
};

/** The page's logical CPUs (navigator.hardwareConcurrency), 1 when unknown. */
function defaultThreads(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}

/**
 * Fetches, compiles and instantiates the kernels from `base` (the URL of the folder holding the
 * .wasm files). In a cross-origin isolated page the shared-memory build runs the kernels'
 * parallel regions on `threads` threads (default: navigator.hardwareConcurrency): the page's
 * thread and Web Workers, which come online asynchronously (controls.threadsReady()).
 */
export async function loadWasmBackendFrom(base: string | URL, threads?: number): Promise<WasmBackend> {
  const wa = webAssembly();
  if (!wa) throw new RnnlmError('backend_unavailable', 'this browser has no WebAssembly');
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const tried: string[] = [];
  for (const name of wasmFilesFor(isolated, relaxedSimd())) {
    const url = new URL(name, base);
    try {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const module = await wa.compile(new Uint8Array(await res.arrayBuffer()));
      return createWasmBackend(module, { relaxedSimd: name.endsWith('.relaxed.wasm'), spawnWorker: spawnWebWorker, threads: threads ?? defaultThreads() });
    } catch (e) {
      tried.push(`${url.href} (${(e as Error).message})`);
    }
  }
  throw new RnnlmError('backend_unavailable', `wasm kernels not loaded: ${tried.join('; ')}`);
}
