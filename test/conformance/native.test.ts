/**
 * The native backend (N-API addon, native/) against the conformance suite in float32, once per
 * instruction-set build this CPU can run (avx512 / avx2 / generic), plus what only the native
 * backend has: multithreaded and cache-blocked paths at sizes the suite does not reach, its
 * input checks (which must throw, never crash Node; both shared with wasm in compiled.ts), and
 * thread-count independence.
 * Skipped, with the reason printed, when the addon is not built (npm run build:native).
 *
 * Dimension legend: M/N/K gemm sizes, T time, B batch, I input, H hidden, V vocab.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Kernels } from '../../src/backend/kernels.js';
import { loadNativeBackend, nativeControls, nativeUnavailableReason } from '../../src/backend/native/index.js';
import { Rng } from '../../src/tensor/random.js';
import { inputChecks, rand, recurrentProblem, scaleTests } from './compiled.js';
import { runBackendSuite } from './suite.js';

const native = loadNativeBackend();
const controls = nativeControls();

if (!native || !controls) {
  const reason = nativeUnavailableReason() ?? 'unknown';
  console.log(`native backend conformance skipped: ${reason}`);
  test('native backend conformance', { skip: reason }, () => {});
} else {
  const info = controls.info();
  const best = info.isa;

  /** The same kernels, pinned to one ISA build for the duration of each call. */
  const onIsa = (isa: string): Kernels => {
    const pinned: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(native.kernels) as [string, (...a: unknown[]) => unknown][]) {
      pinned[name] = (...args: unknown[]) => {
        controls.setIsa(isa);
        try {
          return fn(...args);
        } finally {
          controls.setIsa(best);
        }
      };
    }
    return pinned as unknown as Kernels;
  };

  runBackendSuite(`native ${best}`, native.kernels, { dtypes: ['float32'] });
  for (const isa of info.isas.filter((i) => i !== best)) runBackendSuite(`native ${isa}`, onIsa(isa), { dtypes: ['float32'] });

  describe('native backend at scale', () => {
    for (const isa of info.isas) scaleTests(isa === best ? native.kernels : onIsa(isa), isa);
  });
  describe('native backend input checks', () => inputChecks(native.kernels));

  test('declares itself float32-only with its SIMD level and threads', () => {
    assert.equal(native.name, 'native');
    assert.equal(native.float64, false);
    assert.match(native.description, /AVX-512|AVX2|portable/);
    assert.match(native.description, /\d+ threads?/);
  });

  test('results do not depend on the thread count', () => {
    const k = native.kernels;
    const rng = new Rng(7);
    const [M, N, K] = [70, 530, 400];
    const A = rand(rng, M * K);
    const B = rand(rng, K * N);
    const A2 = rand(rng, 200 * 900);
    const B2 = rand(rng, 900 * 70);
    const run = (threads: number): { C: Float32Array; C2: Float32Array; y: Float32Array } => {
      controls.setThreads(threads);
      try {
        const C = new Float32Array(M * N); // threads split the columns
        k.gemm(false, true, M, N, K, 1, A, B, 0, C);
        const C2 = new Float32Array(200 * 70); // threads split the rows
        k.gemm(false, false, 200, 70, 900, 1, A2, B2, 0, C2);
        const p = recurrentProblem(new Rng(8), 'lstm', { T: 3, B: 8, I: 9, H: 90 });
        const y = new Float32Array(3 * 8 * 90);
        k.recurrentForward({ desc: p.desc, w: p.w, x: p.x, h0: p.h0, c0: p.c0, y, hT: new Float32Array(720), cT: new Float32Array(720), workspace: null });
        return { C, C2, y };
      } finally {
        controls.setThreads(info.threads);
      }
    };
    const one = run(1);
    const two = run(2);
    assert.deepEqual(two.C, one.C);
    assert.deepEqual(two.C2, one.C2);
    assert.deepEqual(two.y, one.y);
  });
}
