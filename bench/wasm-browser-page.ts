/// <reference lib="dom" />
/**
 * Page side of bench/wasm-browser.ts: loads one build of the wasm kernels (?file=…), then
 *   task=gemm  GFLOP/s of the gemm shapes of bench/gemm.ts, operands in wasm memory (no copies),
 *              best of runs over ?ms= each, plus the module's own multiply-add probe;
 *   task=lm    bench/wasm-lm-task.ts: the 2×512 char LSTM's batch-1 generation (ms/token) and
 *              evaluation (characters/s, batch 10, bptt 35);
 * for each thread count of ?threads= (threads online: 1 unless the build runs threads, i.e. a
 * shared build in an isolated page), and leaves the result in window.__bench.
 *
 * Dimension legend: M/N/K gemm sizes.
 */
import { webAssembly } from '../src/backend/wasm/abi.js';
import { spawnWebWorker } from '../src/backend/wasm/browser.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import '../src/web.js';
import { lmTask } from './wasm-lm-task.js';

const q = new URLSearchParams(location.search);
const file = q.get('file') ?? 'rnnlm_kernels.wasm';
const ms = Number(q.get('ms') ?? 800);
const threadList = (q.get('threads') ?? '1').split(',').map(Number);
const out = window as unknown as { __bench: unknown };

const SHAPES: [string, boolean, boolean, number, number, number][] = [
  ['700×650 · 650×2600', false, false, 700, 2600, 650],
  ['20×650 · 650×2600', false, false, 20, 2600, 650],
  ['700×650 · 650×10000', false, false, 700, 10000, 650],
  ['700×2600 · 2600×650', false, false, 700, 650, 2600],
  ['1×650 · (10000×650)ᵀ', false, true, 1, 10000, 650],
];

/** Best wall-clock time (ms) of `run` over runs lasting at least `ms` (3 warm-up runs). */
function bestMs(run: () => void): number {
  for (let i = 0; i < 3; i++) run();
  let best = Infinity;
  const t0 = performance.now();
  let n = 0;
  do {
    const t = performance.now();
    run();
    best = Math.min(best, performance.now() - t);
    n++;
  } while (performance.now() - t0 < ms || n < 5);
  return best;
}

try {
  const wa = webAssembly()!;
  const res = await fetch(new URL(file, import.meta.url));
  const module = await wa.compile(new Uint8Array(await res.arrayBuffer()));
  const backend = createWasmBackend(module, { relaxedSimd: file.includes('.relaxed.'), spawnWorker: spawnWebWorker });
  const c = backend.controls;
  // The probe is one long call: run it a few times first, so that it runs tiered-up code.
  for (let i = 0; i < 5; i++) c.fmaPeakGflops(30);
  const result: Record<string, unknown> = { file, fmaPeak: c.fmaPeakGflops(300), rows: [] };
  const rng = (() => {
    let s = 12345;
    return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  })();
  // A first, unrecorded pass warms the engine up (tier-up to optimised code happens in the background).
  for (const [pass, want] of [threadList[0]!, ...threadList].entries()) {
    const rows = pass === 0 ? [] : (result.rows as Record<string, unknown>[]);
    c.setThreads(want);
    const threads = await c.threadsReady(20_000);
    result.description = backend.description;
    if (q.get('task') === 'lm') {
      rows.push({ threads, ...lmTask(backend, Number(q.get('tokens') ?? 200)) });
    } else {
      for (const [label, ta, tb, M, N, K] of SHAPES) {
        // One copied run first: it grows the kernels' scratch, so the memory does not grow while
        // the views below are in use (a plain memory detaches every view when it grows).
        backend.kernels.gemm(ta, tb, M, N, K, 1, new Float32Array(M * K), new Float32Array(K * N), 0, new Float32Array(M * N));
        const block = c.allocResident(M * K + K * N + M * N);
        for (let i = 0; i < block.length; i++) block[i] = rng();
        const A = block.subarray(0, M * K);
        const B = block.subarray(M * K, M * K + K * N);
        const C = block.subarray(M * K + K * N);
        const t = bestMs(() => backend.kernels.gemm(ta, tb, M, N, K, 1, A, B, 0, C));
        rows.push({ threads, shape: label, gflops: (2 * M * N * K) / (t * 1e6) });
      }
    }
  }
  out.__bench = result;
} catch (e) {
  out.__bench = { error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) };
}
