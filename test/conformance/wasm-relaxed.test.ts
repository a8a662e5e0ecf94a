/**
 * The relaxed-SIMD builds of the wasm kernels (native/wasm/rnnlm_kernels*.relaxed.wasm: the gemm's
 * multiply-add is f32x4.relaxed_madd, which the engine may run fused or not) against the
 * conformance suite in float32, with the suite's default tolerances — the ones the plain SIMD128
 * build (never fused) and the native FMA builds (always fused) pass, so both readings of
 * relaxed_madd are accepted — and the scale tests, on two threads. Node 20 validates relaxed SIMD only with
 * --experimental-wasm-relaxed-simd, so this file turns that V8 flag on for its own process
 * before compiling (the loaders never do; they take the relaxed build where it validates).
 *
 * Dimension legend: M/N/K gemm sizes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { relaxedSimd, webAssembly } from '../../src/backend/wasm/abi.js';
import { createWasmBackend } from '../../src/backend/wasm/index.js';
import { spawnNodeWorker } from '../../src/backend/wasm/node.js';
import { Rng } from '../../src/tensor/random.js';
import { rand, scaleTests } from './compiled.js';
import { runBackendSuite } from './suite.js';

const wa = webAssembly();
if (wa && !relaxedSimd()) setFlagsFromString('--experimental-wasm-relaxed-simd');
const skip = !wa ? 'no WebAssembly' : relaxedSimd() ? false : 'this engine has no relaxed SIMD, even with --experimental-wasm-relaxed-simd';

const load = (file: string) =>
  createWasmBackend(new wa!.Module(readFileSync(new URL(`../../native/wasm/${file}`, import.meta.url))), {
    relaxedSimd: file.includes('.relaxed.'),
    spawnWorker: spawnNodeWorker,
    threads: 2,
  });
// The shared build on two threads (worker_threads), the plain one on one (it has no threads).
const shared = skip ? null : load('rnnlm_kernels.shared.relaxed.wasm');
const plain = skip ? null : load('rnnlm_kernels.relaxed.wasm');
await shared?.controls.threadsReady(20_000);

describe('wasm relaxed-SIMD builds', { skip }, () => {
  if (!shared || !plain) return;

  test('declare themselves relaxed, shared or not', () => {
    assert.equal(shared.controls.relaxedSimd, true);
    assert.equal(shared.controls.shared, true);
    assert.equal(plain.controls.shared, false);
    assert.equal(shared.controls.threads(), 2);
    assert.equal(plain.controls.threads(), 1);
    assert.match(shared.description, /SIMD128, 2 threads \(workers\).*relaxed-SIMD multiply-add/);
  });

  runBackendSuite('wasm relaxed (shared memory)', shared.kernels, { dtypes: ['float32'] });
  describe('at scale', () => scaleTests(shared.kernels, 'wasm relaxed'));

  test('the plain-memory relaxed build computes what the shared one does, bit for bit', () => {
    const rng = new Rng(7);
    const [M, N, K] = [33, 70, 129];
    const A = rand(rng, M * K);
    const B = rand(rng, K * N);
    const run = (b: NonNullable<typeof plain>) => {
      const C = new Float32Array(M * N);
      b.kernels.gemm(false, false, M, N, K, 1, A, B, 0, C);
      return C;
    };
    assert.deepEqual(run(plain), run(shared));
  });
});
