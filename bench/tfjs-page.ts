/// <reference lib="dom" />
/**
 * The Chromium page of bench/tfjs.ts: ?side=tfjs-wasm|tfjs-cpu|rnnlm-wasm|rnnlm-js&opts=JSON.
 * Fetches Tiny Shakespeare (input.txt) and the wasm modules from its own folder, runs the side
 * (bench/tfjs-lm.ts runSide) and leaves a SideReport in globalThis.__report.
 */
import * as tf from '@tensorflow/tfjs';
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { CharTokenizer, describeBackend, useWasmBackend } from '../src/web.js';
import { type BenchOptions, runSide } from './tfjs-lm.js';
import type { SideReport } from './tfjs.js';

const q = new URLSearchParams(location.search);
const side = q.get('side') ?? '';
const base = new URL('./', location.href);
const report: SideReport = { side, rows: [], info: { crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency } };

try {
  const opts = JSON.parse(q.get('opts') ?? '{}') as BenchOptions;
  const text = await (await fetch(new URL('input.txt', base))).text();
  const tokenizer = CharTokenizer.fromText(text, { unk: false });
  const ids = tokenizer.encode(text);
  if (side === 'rnnlm-wasm') {
    const sel = await useWasmBackend(base);
    if (sel.skipped.length) throw new Error(`rnnlm wasm backend not loaded: ${sel.skipped.map((s) => s.reason).join('; ')}`);
  } else if (side !== 'rnnlm-js' && side !== 'tfjs-wasm' && side !== 'tfjs-cpu') throw new Error(`unknown side ${side}`);
  report.info.rnnlm = describeBackend();
  if (side.startsWith('tfjs-')) {
    if (side === 'tfjs-wasm') {
      tfWasm.setWasmPaths(base.href);
      // TF.js's own default is one thread per two cores; a cross-origin isolated page may use them all.
      tfWasm.setThreadsCount(navigator.hardwareConcurrency);
      if (!(await tf.setBackend('wasm'))) throw new Error('TF.js wasm backend did not initialise');
      await tf.ready();
      Object.assign(report.info, {
        tfThreads: tfWasm.getThreadsCount(),
        simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
        multithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      });
    } else await tf.setBackend('cpu');
    await tf.ready();
    Object.assign(report.info, { tfjs: tf.version.tfjs, tfBackend: tf.getBackend() });
  }
  report.rows = await runSide(side, tokenizer, ids, opts, side.startsWith('tfjs-') ? tf : undefined);
} catch (e) {
  report.error = `${(e as Error).message}\n${(e as Error).stack ?? ''}`;
}
(globalThis as { __report?: SideReport }).__report = report;
