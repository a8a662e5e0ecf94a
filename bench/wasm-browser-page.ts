/// <reference lib="dom" />
/**
 * Page side of bench/wasm-browser.ts: loads one build of the wasm kernels (?file=…), then
 *   task=gemm  GFLOP/s of the gemm shapes of bench/gemm.ts, operands in wasm memory (no copies),
 *              best of runs over ?ms= each, plus the module's own multiply-add probe;
 *   task=lm    the 2×512 char LSTM of bench/lm-rnnlm.ts (65-character vocabulary, random
 *              weights): batch-1 generation (ms/token, state carried, sampling included) and
 *              evaluation (characters/s, batch 10, bptt 35);
 * for each thread count of ?threads= (1 unless the build runs threads), and leaves the result in
 * window.__bench.
 *
 * Dimension legend: M/N/K gemm sizes.
 */
import { webAssembly } from '../src/backend/wasm/abi.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { CharTokenizer, RNNLM, evaluate, generateTokens, registerBackend, setBackend } from '../src/web.js';

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
  const backend = createWasmBackend(await wa.compile(new Uint8Array(await res.arrayBuffer())), { relaxedSimd: file.includes('.relaxed.') });
  const c = backend.controls;
  const result: Record<string, unknown> = { file, description: backend.description, fmaPeak: c.fmaPeakGflops(300), rows: [] };
  const rows = result.rows as Record<string, unknown>[];
  const rng = (() => {
    let s = 12345;
    return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  })();
  for (const threads of threadList) {
    if (q.get('task') === 'lm') {
      registerBackend(backend);
      setBackend('wasm');
      const alphabet = Array.from({ length: 65 }, (_, i) => String.fromCharCode(32 + i)).join('');
      const tok = CharTokenizer.fromText(alphabet);
      const model = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 512, hiddenSize: 512, numLayers: 2, cell: 'lstm', seed: 1 });
      const warm = 20;
      const n = Number(q.get('tokens') ?? 200);
      let k = 0;
      let t0 = 0;
      for (const _ of generateTokens(model, tok, { maxTokens: warm + n, temperature: 1, seed: 1, stopAtEos: false })) {
        if (++k === warm) t0 = performance.now();
      }
      const msPerToken = (performance.now() - t0) / n;
      const text = Array.from({ length: 10_000 }, (_, i) => alphabet[(i * 7 + (i >> 3)) % 65]).join('');
      const ids = Int32Array.from(tok.encode(text));
      evaluate(model, ids.subarray(0, 1000), { batchSize: 10, bptt: 35 });
      const e0 = performance.now();
      evaluate(model, ids, { batchSize: 10, bptt: 35 });
      rows.push({ threads, msPerToken, evalCharsPerSecond: ids.length / ((performance.now() - e0) / 1000) });
      setBackend('js');
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
