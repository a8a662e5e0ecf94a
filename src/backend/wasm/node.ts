/**
 * Node loader of the wasm backend: reads native/wasm/rnnlm_kernels.wasm (committed and shipped
 * in the package: no compiler needed) and compiles it synchronously, so backend selection stays
 * synchronous. RNNLM_WASM_PATH points at another build of the module (e.g. the plain-memory one;
 * a name ending in .relaxed.wasm marks a relaxed-SIMD build). The shared-memory builds run the
 * kernels' parallel regions on worker_threads (threads.ts): RNNLM_THREADS of them, as for the
 * native backend, else one per CPU.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { relaxedSimd, webAssembly } from './abi.js';
import { type WasmBackend, createWasmBackend } from './index.js';
import type { SpawnWorker } from './threads.js';

// The shared-memory build first (parameters then live in wasm memory, see index.ts), the plain
// one if this Node cannot make shared memory; the relaxed-SIMD builds before them where this
// engine validates relaxed SIMD (Node 20: only with --experimental-wasm-relaxed-simd). Each from
// src/backend/wasm/ (tsx) and from dist/src/backend/wasm/ (built).
function wasmPaths(relaxed: boolean): string[] {
  const files = ['rnnlm_kernels.shared.wasm', 'rnnlm_kernels.wasm'];
  return (relaxed ? [...files.map((f) => f.replace(/\.wasm$/, '.relaxed.wasm')), ...files] : files).flatMap((f) => [
    `../../../native/wasm/${f}`,
    `../../../../native/wasm/${f}`,
  ]);
}

/** A worker_threads worker running threads.ts's worker source; unref'd, so it never keeps the process alive. */
export const spawnNodeWorker: SpawnWorker = (source, data) => {
  const w = new Worker(`const { workerData } = require('node:worker_threads');\n${source}\nrnnlmWorker(workerData);`, { eval: true, workerData: data });
  w.unref();
  // A worker that fails to start never comes online, so regions just run without it; without a
  // listener its 'error' event would throw in this thread instead.
  w.on('error', () => {});
  return w;
};

/** RNNLM_THREADS when set (as for the native backend), else the CPUs this process may use. */
function defaultThreads(): number {
  const env = Number(process.env.RNNLM_THREADS);
  return Number.isInteger(env) && env >= 1 ? env : availableParallelism();
}

let cached: { backend: WasmBackend | null; reason: string | null } | null = null;

function load(): { backend: WasmBackend | null; reason: string | null } {
  if (cached) return cached;
  const wa = webAssembly();
  if (!wa) return (cached = { backend: null, reason: 'this Node has no WebAssembly' });
  const override = process.env.RNNLM_WASM_PATH;
  const tried: string[] = [];
  for (const rel of override ? [override] : wasmPaths(relaxedSimd())) {
    const path = override ? rel : fileURLToPath(new URL(rel, import.meta.url));
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      tried.push(`${path} (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message})`);
      continue;
    }
    try {
      const info = { relaxedSimd: /\.relaxed\.wasm$/.test(path), spawnWorker: spawnNodeWorker, threads: defaultThreads() };
      return (cached = { backend: createWasmBackend(new wa.Module(bytes), info), reason: null });
    } catch (e) {
      // A CompileError here is usually an engine without SIMD128 (Node < 16.4).
      tried.push(`${path} (${(e as Error).message})`);
    }
  }
  return (cached = { backend: null, reason: `wasm kernels not loaded: ${tried.join('; ')}` });
}

/** The wasm backend, or null (never throws) when the module is missing or this engine cannot run it. */
export function loadWasmBackend(): WasmBackend | null {
  return load().backend;
}

/** Why loadWasmBackend() returns null (null when it loads). */
export function wasmUnavailableReason(): string | null {
  return load().reason;
}
