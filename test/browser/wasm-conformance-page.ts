/// <reference lib="dom" />
/**
 * Page entry of test/browser/wasm.test.ts: loads the wasm backend as a page does
 * (src/backend/wasm/browser.ts, from the folder of this script; on two threads where the build
 * has threads), registers the conformance suite on it through the node:test / node:assert shims, runs it and leaves the outcome in
 * window.__conformance for the test to read.
 */
import { loadWasmBackendFrom } from '../../src/backend/wasm/browser.js';
import { runBackendSuite } from '../conformance/suite.js';
import { run } from './shims/node-test.js';

const w = window as unknown as { __conformance: unknown };
try {
  // Two threads (the page's and a Web Worker) where the build has them (isolated pages).
  const b = await loadWasmBackendFrom(new URL('./', import.meta.url), 2);
  const c = b.controls;
  const threads = await c.threadsReady(20_000);
  runBackendSuite('wasm', b.kernels, { dtypes: ['float32'] });
  const outcomes = await run();
  w.__conformance = {
    description: b.description,
    shared: c.shared,
    relaxedSimd: c.relaxedSimd,
    threads,
    threadsAfter: c.threads(),
    isolated: crossOriginIsolated,
    outcomes,
  };
} catch (e) {
  w.__conformance = { error: e instanceof Error ? e.message : String(e) };
}
