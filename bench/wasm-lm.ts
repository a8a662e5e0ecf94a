/**
 * bench/wasm-lm-task.ts in Node on the wasm backend (the build the loader picks: run node with
 * --experimental-wasm-relaxed-simd for the relaxed one), for each thread count of --threads
 * (worker_threads of the shared build), after one unrecorded warm-up pass.
 *
 *   node [--experimental-wasm-relaxed-simd] --import tsx bench/wasm-lm.ts [--threads 1,2] [--tokens 300]
 */
import { parseArgs } from 'node:util';
import '../src/node.js';
import { loadWasmBackend, wasmUnavailableReason } from '../src/backend/wasm/node.js';
import { lmTask } from './wasm-lm-task.js';

const { values: a } = parseArgs({ options: { threads: { type: 'string', default: '1,2' }, tokens: { type: 'string', default: '300' } } });
const wasm = loadWasmBackend();
if (!wasm) {
  console.error(`bench/wasm-lm: ${wasmUnavailableReason()}`);
  process.exit(1);
}
const list = a.threads!.split(',').map(Number);
for (const [pass, want] of [list[0]!, ...list].entries()) {
  wasm.controls.setThreads(want);
  const threads = await wasm.controls.threadsReady(20_000);
  const r = lmTask(wasm, Number(a.tokens));
  if (pass === 0) continue;
  console.log(`${wasm.description}\n  threads ${threads}  generate ${r.msPerToken.toFixed(2)} ms/token  eval ${r.evalCharsPerSecond.toFixed(0)} chars/s`);
}
process.exit(0);
