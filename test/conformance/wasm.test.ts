/**
 * The wasm backend (native/wasm/rnnlm_kernels.wasm: the native kernels compiled to WebAssembly
 * SIMD128) against the conformance suite in float32, plus the checks it shares with the addon
 * (compiled.ts: sizes past the suite's, input checks that must throw), and what only it has: the
 * copy of operands into its memory (heap.ts) must be invisible — arrays already in its memory
 * (run in place) give bit-identical results, aliased operands stay aliased, and the part of an
 * array past a kernel's extent is never touched.
 * It runs on two threads (the shared-memory build's worker_threads), and checks that results do
 * not depend on the thread count.
 * Skipped, with the reason printed, when the module is missing or this Node cannot run it.
 *
 * Dimension legend: M/N/K gemm sizes, T time, B batch, I input, H hidden, V vocab, E embedding.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RecurrentWeights } from '../../src/backend/kernels.js';
import { loadWasmBackend, wasmUnavailableReason } from '../../src/backend/wasm/node.js';
import { Rng } from '../../src/tensor/random.js';
import { inputChecks, rand, recurrentProblem, scaleTests } from './compiled.js';
import { runBackendSuite } from './suite.js';

const wasm = loadWasmBackend();

if (!wasm) {
  const reason = wasmUnavailableReason() ?? 'unknown';
  console.log(`wasm backend conformance skipped: ${reason}`);
  test('wasm backend conformance', { skip: reason }, () => {});
} else {
  const k = wasm.kernels;
  // Two threads (the caller and a worker) whatever the CPU count, so the suite runs threaded.
  wasm.controls.setThreads(2);
  await wasm.controls.threadsReady(20_000);
  runBackendSuite('wasm', k, { dtypes: ['float32'] });
  describe('wasm backend at scale', () => scaleTests(k, 'wasm'));
  describe('wasm backend input checks', () => inputChecks(k));

  test('declares itself float32-only, SIMD128, bf16 emulated, with its threads', () => {
    assert.equal(wasm.name, 'wasm');
    assert.equal(wasm.float64, false);
    assert.equal(wasm.bf16, 'emulated');
    assert.match(wasm.description, /SIMD128, (1 thread|\d+ threads \(workers\)),/);
  });

  // The shared-memory build runs parallel regions on worker_threads (threads.ts, pool_threads.cc).
  test('threads: workers come online, and results do not depend on the thread count', async () => {
    const c = wasm.controls;
    assert.equal(c.shared, true, 'Node loads the shared-memory (threaded) build');
    assert.equal(c.threads(), 2, 'the suite above ran on two threads');
    c.setThreads(1);
    const rng = new Rng(7);
    const [M, N, K] = [70, 530, 400];
    const A = rand(rng, M * K);
    const B = rand(rng, K * N);
    const A2 = rand(rng, 200 * 900);
    const B2 = rand(rng, 900 * 70);
    const big = rand(rng, 300_000);
    const p = recurrentProblem(new Rng(8), 'lstm', { T: 3, B: 8, I: 9, H: 90 });
    const run = () => {
      const C = new Float32Array(M * N); // threads split the columns
      k.gemm(false, true, M, N, K, 1, A, B, 0, C);
      const C2 = new Float32Array(200 * 70); // threads split the rows
      k.gemm(false, false, 200, 70, 900, 1, A2, B2, 0, C2);
      const y = new Float32Array(3 * 8 * 90);
      const ws = new Float32Array(k.recurrentWorkspaceSize(p.desc));
      k.recurrentForward({ desc: p.desc, w: p.w, x: p.x, h0: p.h0, c0: p.c0, y, hT: new Float32Array(720), cT: new Float32Array(720), workspace: ws });
      const g = {
        weightIh: new Float32Array(p.w.weightIh.length),
        weightHh: new Float32Array(p.w.weightHh.length),
        biasIh: new Float32Array(360),
        biasHh: new Float32Array(360),
      };
      const dx = new Float32Array(p.x.length);
      k.recurrentBackward({
        desc: p.desc,
        w: p.w,
        x: p.x,
        h0: p.h0,
        c0: p.c0,
        y,
        workspace: ws,
        dy: Float32Array.from(y),
        dhT: null,
        dcT: null,
        dx,
        dh0: null,
        dc0: null,
        grads: g,
      });
      const tanh = new Float32Array(big.length);
      k.unary('tanh', big, tanh);
      return { C, C2, y, dx, gih: g.weightIh, ghh: g.weightHh, tanh, sum: k.sum(big) };
    };
    try {
      const one = run();
      assert.equal(c.setThreads(2), 2);
      assert.equal(await c.threadsReady(20_000), 2, 'a worker came online');
      assert.match(wasm.description, /2 threads \(workers\)/);
      const two = run();
      for (const key of Object.keys(one) as (keyof typeof one)[]) assert.deepEqual(two[key], one[key], key);
    } finally {
      c.setThreads(2);
    }
  });

  describe('operands in the module memory', () => {
    /** A copy of `a` inside the module's memory. */
    const resident = (a: Float32Array): Float32Array => {
      const r = wasm.controls.allocResident(a.length);
      r.set(a);
      return r;
    };

    test('gemm and an LSTM forward/backward in place equal the copied path bit for bit', () => {
      const rng = new Rng(31);
      const [M, N, K] = [37, 45, 70];
      const A = rand(rng, M * K);
      const B = rand(rng, K * N);
      const C = new Float32Array(M * N);
      k.gemm(false, true, M, N, K, 1, A, B, 0, C);
      const rA = resident(A);
      const rB = resident(B);
      const rC = resident(new Float32Array(M * N));
      k.gemm(false, true, M, N, K, 1, rA, rB, 0, rC);
      assert.deepEqual(Float32Array.from(rC), C);

      const p = recurrentProblem(rng, 'lstm', { T: 4, B: 3, I: 10, H: 20 });
      const run = (w: RecurrentWeights) => {
        const y = new Float32Array(4 * 3 * 20);
        const hT = new Float32Array(60);
        const cT = new Float32Array(60);
        const ws = new Float32Array(k.recurrentWorkspaceSize(p.desc));
        k.recurrentForward({ desc: p.desc, w, x: p.x, h0: p.h0, c0: p.c0, y, hT, cT, workspace: ws });
        const g: RecurrentWeights = {
          weightIh: new Float32Array(w.weightIh.length),
          weightHh: new Float32Array(w.weightHh.length),
          biasIh: new Float32Array(80),
          biasHh: new Float32Array(80),
        };
        const dx = new Float32Array(p.x.length);
        k.recurrentBackward({
          desc: p.desc,
          w,
          x: p.x,
          h0: p.h0,
          c0: p.c0,
          y,
          workspace: ws,
          dy: Float32Array.from(y),
          dhT: null,
          dcT: null,
          dx,
          dh0: null,
          dc0: null,
          grads: g,
        });
        return { y, cT, dx, g: g.weightHh };
      };
      const copied = run(p.w);
      const inPlace = run({
        weightIh: resident(p.w.weightIh as Float32Array),
        weightHh: resident(p.w.weightHh as Float32Array),
        biasIh: resident(p.w.biasIh as Float32Array),
        biasHh: resident(p.w.biasHh as Float32Array),
      });
      assert.deepEqual(inPlace, copied);
    });

    test('embedding kernels on a table in the module memory equal the js path', () => {
      const rng = new Rng(32);
      const [V, E] = [11, 6];
      const table = rand(rng, V * E);
      const ids = Int32Array.from([3, 0, 10, 3, 7]);
      const out = new Float32Array(ids.length * E);
      k.embeddingForward(table, ids, E, out);
      const outR = new Float32Array(ids.length * E);
      k.embeddingForward(resident(table), ids, E, outR);
      assert.deepEqual(outR, out);
      const dOut = rand(rng, ids.length * E);
      const dW = rand(rng, V * E);
      const dWR = resident(dW);
      k.embeddingBackward(dOut, ids, E, dW);
      k.embeddingBackward(dOut, ids, E, dWR);
      assert.deepEqual(Float32Array.from(dWR), dW);
    });
  });

  test('pinned operands: same results without copies, kernel writes reach both copies, unpin drops them', () => {
    const rng = new Rng(34);
    const [M, N, K] = [5, 9, 7];
    const A = rand(rng, M * K);
    const B = rand(rng, K * N);
    const want = new Float32Array(M * N);
    k.gemm(false, false, M, N, K, 1, A, B, 0, want);
    const unpin = wasm.pin!([A, B], 'fp32');
    const got = new Float32Array(M * N);
    k.gemm(false, false, M, N, K, 1, A, B, 0, got);
    assert.deepEqual(got, want);
    // A kernel that writes a pinned array updates the caller's array and the module's copy.
    const y = Float32Array.from([1, 2, 3]);
    const unpinY = wasm.pin!([y], 'fp32');
    k.axpy(1, Float32Array.from([10, 20, 30]), y);
    assert.deepEqual(Array.from(y), [11, 22, 33]);
    k.axpy(1, Float32Array.from([1, 1, 1]), y);
    assert.deepEqual(Array.from(y), [12, 23, 34]);
    unpinY();
    unpin();
    // Unpinned, a change made outside kernels is seen again.
    A.fill(0);
    k.gemm(false, false, M, N, K, 1, A, B, 0, got);
    assert.deepEqual(Array.from(got), new Array(M * N).fill(0));
  });

  test('aliased operands stay aliased, and array tails past the extent are untouched', () => {
    const rng = new Rng(33);
    const [N, V] = [3, 9];
    const logits = rand(rng, N * V + 4, -3, 3);
    logits.fill(42, N * V); // tail
    const expected = new Float32Array(N * V);
    k.logSoftmax(logits, N, V, expected);
    k.logSoftmax(logits, N, V, logits); // out = logits
    assert.deepEqual(logits.subarray(0, N * V), expected);
    assert.deepEqual(Array.from(logits.subarray(N * V)), [42, 42, 42, 42]);
    const x = Float32Array.from([1, -2, 3]);
    k.axpy(2, x, x); // y = x: y += 2·y
    assert.deepEqual(Array.from(x), [3, -6, 9]);
    const C = new Float32Array(2 * 2 + 3).fill(7);
    k.gemm(false, false, 2, 2, 1, 1, Float32Array.from([1, 2]), Float32Array.from([3, 4]), 0, C);
    assert.deepEqual(Array.from(C), [3, 4, 6, 8, 7, 7, 7]);
  });
}
