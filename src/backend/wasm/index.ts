/**
 * The wasm backend: the native addon's C++ kernels (native/*.cc, portable SIMD build) compiled to
 * WebAssembly SIMD128 (scripts/build-wasm.mjs → native/wasm/rnnlm_kernels.wasm, shipped in the
 * package), wrapped as a Backend. Every argument is checked first (checks.ts, as napi/binding.cc
 * does for the addon: same errors, same messages), because the C kernels trust their arguments.
 * float32 only (float64 work goes to js through kernelsFor). The shared-memory builds run the
 * kernels' parallel regions on workers too (threads.ts) when the loader passes a way to start
 * them; the plain builds, and any build without one, run on the caller's thread alone.
 *
 * Platform-neutral: createWasmBackend takes a compiled module; ./node.ts reads the file in Node,
 * ./browser.ts fetches and compiles it in a page.
 *
 * Operands are copied into the module's memory per call unless they already live there (heap.ts).
 * With the shared-memory build (Node, cross-origin isolated pages) model parameters are moved
 * there when registered (Backend.place, nn/module.ts), so the big operands (weights) are never
 * copied: batch-1 generation reads every weight once per token, and copying them cost more than
 * the products themselves (src/backend/wasm/README.md). Activations and gradients are still copied.
 *
 * Dimension legend: as in kernels.ts (M/N/K gemm, T time, B batch, I input, H hidden, V vocab, E embedding).
 */
import { RnnlmError } from '../../errors.js';
import type { Backend } from '../backend.js';
import { checkEmbedding } from '../js/embedding.js';
import { jsKernels } from '../js/index.js';
import { checkSizes, exactLength, needLength } from '../js/checks.js';
import { type F, type Kernels, gatesOf } from '../kernels.js';
import { lmStepComposed } from '../lm-step.js';
import { type KernelExports, SHARED_MEMORY_PAGES, type WasmModule, webAssembly } from './abi.js';
import { bf16Flag, checkTargets, f32, f32OrNull, i32, int32Sizes, modeCode, oom, unaryCode, weights } from './checks.js';
import { Heap } from './heap.js';
import { type SpawnWorker, WasmThreads, isThreaded } from './threads.js';

/** Knobs and probes for benchmarks and tests. */
export interface WasmControls {
  /**
   * Measured single-thread multiply-add throughput of this engine, GFLOP/s (runs ~ms milliseconds):
   * SIMD128 multiply then add, or in a relaxed-SIMD build the relaxed multiply-add the gemm uses.
   */
  fmaPeakGflops(ms: number): number;
  /**
   * A Float32Array of n zeros inside the module's memory, which kernels use in place (no copy);
   * freed when garbage-collected. With a plain (not shared) memory it is valid only until the
   * memory next grows (any later allocation, here or by a kernel, may grow it): the array then
   * has length 0 and kernels reject it. For benchmarks and tests.
   */
  allocResident(n: number): Float32Array;
  /** Whether the module's memory is shared (a SharedArrayBuffer: arrays in it stay valid as it grows). */
  readonly shared: boolean;
  /** Whether this is a relaxed-SIMD build (the gemm's multiply-add is f32x4.relaxed_madd: an FMA where the CPU has one). */
  readonly relaxedSimd: boolean;
  /**
   * Lets parallel regions use up to n threads (the caller and n − 1 workers, started on demand;
   * threads.ts); returns the count set. 1 where the build or the loader has no threads.
   */
  setThreads(n: number): number;
  /** Threads a parallel region uses now (workers still starting are not counted). */
  threads(): number;
  /** Resolves with threads() once every thread set is online (or after timeoutMs). */
  threadsReady(timeoutMs?: number): Promise<number>;
}

/** What the loader knows about the module it compiled, and how it starts threads. */
export interface WasmBuildInfo {
  /** A relaxed-SIMD build (rnnlm_kernels*.relaxed.wasm). Default false. */
  relaxedSimd?: boolean;
  /** Starts a worker (threads.ts); without it, or with a build that has no threads, one thread. */
  spawnWorker?: SpawnWorker;
  /** Threads to start with (default 1; the loaders pass the CPU count or RNNLM_THREADS). */
  threads?: number;
}

export interface WasmBackend extends Backend {
  readonly controls: WasmControls;
}

/** Instantiates the kernel module (synchronously: Node allows any size; a browser compiles it first with WebAssembly.compile). */
export function instantiateKernels(module: WasmModule): KernelExports {
  const wa = webAssembly();
  if (!wa) throw new RnnlmError('backend_unavailable', 'this JavaScript engine has no WebAssembly');
  let x: KernelExports | null = null;
  // The one WASI function the kernels reach (clock_gettime, for the throughput probe): a
  // monotonic clock in ns. There is no per-thread CPU clock here, so both clocks read it.
  const now = (globalThis as { performance?: { now(): number } }).performance;
  // The threaded builds import their (shared) memory, so that workers can run on it too.
  const importsMemory = wa.Module.imports(module).some((i) => i.module === 'env' && i.name === 'memory' && i.kind === 'memory');
  const memory = importsMemory ? new wa.Memory({ ...SHARED_MEMORY_PAGES, shared: true }) : null;
  const imports = {
    ...(memory ? { env: { memory } } : {}),
    wasi_snapshot_preview1: {
      clock_time_get: (_id: number, _precision: bigint, out: number): number => {
        const ns = BigInt(Math.round((now ? now.now() : Date.now()) * 1e6));
        new DataView(x!.memory.buffer).setBigUint64(out, ns, true);
        return 0;
      },
    },
  };
  const inst = new wa.Instance(module, imports);
  x = (memory ? { ...inst.exports, memory } : inst.exports) as unknown as KernelExports;
  x._initialize?.();
  return x;
}

/** The wasm backend over an instance of native/wasm/rnnlm_kernels.wasm. */
export function createWasmBackend(module: WasmModule, info: WasmBuildInfo = {}): WasmBackend {
  const relaxed = info.relaxedSimd === true;
  const x = instantiateKernels(module);
  const h = new Heap(x);
  // A shared memory's views survive growth, so arrays may live in it for good (place());
  // a plain one detaches every view when it grows, so only per-call copies are safe there.
  const shared = typeof SharedArrayBuffer !== 'undefined' && x.memory.buffer instanceof SharedArrayBuffer;
  const freeing = new FinalizationRegistry<number>((p) => x.rnnlm_free(p));
  const pool = info.spawnWorker && isThreaded(x) ? new WasmThreads(module, x, info.spawnWorker) : null;
  pool?.setThreads(info.threads ?? 1);

  const kernels: Kernels = {
    gemm(ta, tb, M, N, K, alpha, A0, B0, beta, C0, precision) {
      const k = 'gemm';
      checkSizes(k, { M, N, K });
      const A = f32(k, 'A', A0);
      const B = f32(k, 'B', B0);
      const C = f32(k, 'C', C0);
      needLength(k, 'A', A, M * K);
      needLength(k, 'B', B, K * N);
      needLength(k, 'C', C, M * N);
      const bf16 = bf16Flag(k, precision);
      int32Sizes(k, { M, N, K });
      h.reserve(k, A, B, C);
      const pA = h.in(A, M * K);
      const pB = h.in(B, K * N);
      const pC = beta === 0 ? h.out(C, M * N) : h.inout(C, M * N);
      const ok = x.rnnlm_gemm(+ta, +tb, M, N, K, alpha, pA, pB, beta, pC, bf16);
      h.finish();
      if (!ok) oom(k);
    },

    add: (a, b, out) => binary('add', x.rnnlm_add, a, b, out),
    mul: (a, b, out) => binary('mul', x.rnnlm_mul, a, b, out),

    axpy(alpha, x0, y0) {
      const X = f32('axpy', 'x', x0);
      const Y = f32('axpy', 'y', y0);
      exactLength('axpy', 'x', X, Y.length);
      h.reserve('axpy', X, Y);
      const px = h.in(X);
      x.rnnlm_axpy(alpha, px, h.inout(Y), Y.length);
      h.finish();
    },

    scale(x0, alpha, out0) {
      const X = f32('scale', 'x', x0);
      const O = f32('scale', 'out', out0);
      exactLength('scale', 'x', X, O.length);
      h.reserve('scale', X, O);
      const px = h.in(X);
      x.rnnlm_scale(px, alpha, h.out(O), O.length);
      h.finish();
    },

    unary(op, x0, out0) {
      const code = unaryCode('unary', op);
      const k = `unary(${op})`;
      const X = f32(k, 'x', x0);
      const O = f32(k, 'out', out0);
      exactLength(k, 'x', X, O.length);
      h.reserve(k, X, O);
      const px = h.in(X);
      x.rnnlm_unary(code, px, h.out(O), O.length);
      h.finish();
    },

    unaryBackward(op, x0, y0, dy0, dx0) {
      const code = unaryCode('unaryBackward', op);
      const k = `unaryBackward(${op})`;
      const X = f32(k, 'x', x0);
      const Y = f32(k, 'y', y0);
      const DY = f32(k, 'dy', dy0);
      const DX = f32(k, 'dx', dx0);
      const n = DX.length;
      exactLength(k, 'dy', DY, n);
      // Only the operand the derivative reads has to match (and is copied).
      const readsY = op === 'tanh' || op === 'sigmoid' || op === 'exp';
      const readsX = op === 'relu' || op === 'log';
      if (readsY) exactLength(k, 'y', Y, n);
      if (readsX) exactLength(k, 'x', X, n);
      h.reserve(k, readsX ? X : null, readsY ? Y : null, DY, DX);
      const px = readsX ? h.in(X) : 0;
      const py = readsY ? h.in(Y) : 0;
      const pdy = h.in(DY);
      x.rnnlm_unary_backward(code, px, py, pdy, h.inout(DX), n);
      h.finish();
    },

    addRowVector(x0, v0, R, C) {
      const k = 'addRowVector';
      const X = f32(k, 'x', x0);
      const V = f32(k, 'v', v0);
      checkSizes(k, { R, C });
      needLength(k, 'x', X, R * C);
      needLength(k, 'v', V, C);
      int32Sizes(k, { R, C });
      h.reserve(k, X, V);
      const px = h.inout(X, R * C);
      x.rnnlm_add_row_vector(px, h.in(V, C), R, C);
      h.finish();
    },

    sumRows(x0, R, C, beta, out0) {
      const k = 'sumRows';
      const X = f32(k, 'x', x0);
      checkSizes(k, { R, C });
      const O = f32(k, 'out', out0);
      needLength(k, 'x', X, R * C);
      needLength(k, 'out', O, C);
      int32Sizes(k, { R, C });
      h.reserve(k, X, O);
      const px = h.in(X, R * C);
      const ok = x.rnnlm_sum_rows(px, R, C, beta, beta === 0 ? h.out(O, C) : h.inout(O, C));
      h.finish();
      if (!ok) oom(k);
    },

    sum: (x0) => reduce('sum', x.rnnlm_sum, x0),
    sumSquares: (x0) => reduce('sumSquares', x.rnnlm_sum_squares, x0),

    embeddingForward(weight0, ids0, E, out0) {
      const k = 'embeddingForward';
      const W = f32(k, 'weight', weight0);
      const ids = i32(k, 'ids', ids0);
      const O = f32(k, 'out', out0);
      // A table outside the module's memory would be copied whole for a few rows: the js kernel
      // (row copies, bit-identical) does it in place instead.
      if (!h.resident(W)) return jsKernels.embeddingForward(W, ids, E, O);
      checkEmbedding(k, W, ids, E, O, 'out');
      if (E === 0) return;
      int32Sizes(k, { E });
      h.reserve(k, ids, O);
      const pids = h.in(ids);
      x.rnnlm_embedding_forward(W.byteOffset, pids, ids.length, E, h.out(O, ids.length * E));
      h.finish();
    },

    embeddingBackward(dOut0, ids0, E, dWeight0) {
      const k = 'embeddingBackward';
      const D = f32(k, 'dOut', dOut0);
      const ids = i32(k, 'ids', ids0);
      const W = f32(k, 'dWeight', dWeight0);
      // As forward: the js kernel adds in the same order, and float32 sums of two floats computed
      // in double round to the same float, so its result is bit-identical without copying dWeight.
      if (!h.resident(W)) return jsKernels.embeddingBackward(D, ids, E, W);
      checkEmbedding(k, W, ids, E, D, 'dOut');
      if (E === 0) return;
      int32Sizes(k, { E });
      h.reserve(k, ids, D);
      const pids = h.in(ids);
      x.rnnlm_embedding_backward(h.in(D, ids.length * E), pids, ids.length, E, W.byteOffset);
      h.finish();
    },

    softmaxXentForward(logits0, targets0, N, V, ignoreIndex, lse0, losses0) {
      const k = 'softmaxXentForward';
      const L = f32(k, 'logits', logits0);
      const T = i32(k, 'targets', targets0);
      checkSizes(k, { N, V });
      const lse = f32(k, 'lse', lse0);
      const losses = f32(k, 'losses', losses0);
      needLength(k, 'logits', L, N * V);
      const ignore = checkTargets(k, T, N, V, ignoreIndex);
      needLength(k, 'lse', lse, N);
      needLength(k, 'losses', losses, N);
      int32Sizes(k, { N, V });
      h.reserve(k, L, T, lse, losses);
      const pl = h.in(L, N * V);
      const pt = h.in(T, N);
      x.rnnlm_xent_forward(pl, pt, N, V, ignore, h.out(lse, N), h.out(losses, N));
      h.finish();
    },

    softmaxXentBackward(logits0, lse0, targets0, N, V, ignoreIndex, scale, d0) {
      const k = 'softmaxXentBackward';
      const L = f32(k, 'logits', logits0);
      const lse = f32(k, 'lse', lse0);
      const T = i32(k, 'targets', targets0);
      checkSizes(k, { N, V });
      const scales = typeof scale === 'number' ? null : f32(k, 'scale', scale);
      const D = f32(k, 'dLogits', d0);
      needLength(k, 'logits', L, N * V);
      const ignore = checkTargets(k, T, N, V, ignoreIndex);
      needLength(k, 'lse', lse, N);
      needLength(k, 'dLogits', D, N * V);
      if (scales) needLength(k, 'scale', scales, N);
      int32Sizes(k, { N, V });
      h.reserve(k, L, lse, T, scales, D);
      const pl = h.in(L, N * V);
      const plse = h.in(lse, N);
      const pt = h.in(T, N);
      const ps = scales ? h.in(scales, N) : 0;
      x.rnnlm_xent_backward(pl, plse, pt, N, V, ignore, typeof scale === 'number' ? scale : 0, ps, h.out(D, N * V));
      h.finish();
    },

    logSoftmax(logits0, N, V, out0) {
      const k = 'logSoftmax';
      const L = f32(k, 'logits', logits0);
      checkSizes(k, { N, V });
      const O = f32(k, 'out', out0);
      needLength(k, 'logits', L, N * V);
      needLength(k, 'out', O, N * V);
      int32Sizes(k, { N, V });
      h.reserve(k, L, O);
      const pl = h.in(L, N * V);
      x.rnnlm_log_softmax(pl, N, V, h.out(O, N * V));
      h.finish();
    },

    recurrentWorkspaceSize(d) {
      const mode = modeCode('recurrentWorkspaceSize', d);
      return x.rnnlm_rec_workspace_size(mode, d.T, d.B, d.inputSize, d.hiddenSize);
    },

    recurrentForward({ desc: d, w, x: x0, h0: h00, c0: c00, y: y0, hT: hT0, cT: cT0, workspace: ws0 }) {
      const k = 'recurrentForward';
      const mode = modeCode(k, d);
      const [wih, whh, bih, bhh] = weights(k, 'w', d, w);
      const X = f32(k, 'x', x0);
      const h0 = f32(k, 'h0', h00);
      const c0 = f32OrNull(k, 'c0', c00);
      const Y = f32(k, 'y', y0);
      const hT = f32(k, 'hT', hT0);
      const cT = f32OrNull(k, 'cT', cT0);
      const ws = f32OrNull(k, 'workspace', ws0);
      const bf16 = bf16Flag(k, d.precision);
      const { T, B, inputSize: I, hiddenSize: H } = d;
      needLength(k, 'x', X, T * B * I);
      needLength(k, 'h0', h0, B * H);
      needLength(k, 'y', Y, T * B * H);
      needLength(k, 'hT', hT, B * H);
      const lstm = d.mode === 'lstm';
      if (lstm) {
        if (!c0 || !cT) throw new RnnlmError('invalid_argument', 'recurrentForward: an LSTM needs c0 and cT arrays of [B, H]; pass them (not null)');
        needLength(k, 'c0', c0, B * H);
        needLength(k, 'cT', cT, B * H);
      }
      const wsSize = x.rnnlm_rec_workspace_size(mode, T, B, I, H);
      if (ws) needLength(k, 'workspace', ws, wsSize);
      const GH = gatesOf(d.mode) * H;
      h.reserve(k, wih, whh, bih, bhh, X, h0, lstm ? c0 : null, Y, hT, lstm ? cT : null, ws);
      const pw = [h.in(wih, GH * I), h.in(whh, GH * H), h.inOrNull(bih, GH), h.inOrNull(bhh, GH)] as const;
      const pin = [h.in(X, T * B * I), h.in(h0, B * H), lstm ? h.in(c0!, B * H) : 0] as const;
      const pout = [h.out(Y, T * B * H), h.out(hT, B * H), lstm ? h.out(cT!, B * H) : 0, h.outOrNull(ws, wsSize)] as const;
      const ok = x.rnnlm_rec_forward(mode, T, B, I, H, bf16, ...pw, ...pin, ...pout);
      h.finish();
      if (!ok) oom(k);
    },

    recurrentBackward(a) {
      const k = 'recurrentBackward';
      const d = a.desc;
      const mode = modeCode(k, d);
      const [wih, whh, bih, bhh] = weights(k, 'w', d, a.w);
      const [gih, ghh, gbih, gbhh] = weights(k, 'grads', d, a.grads);
      const X = f32(k, 'x', a.x);
      const h0 = f32(k, 'h0', a.h0);
      const c0 = f32OrNull(k, 'c0', a.c0);
      const Y = f32(k, 'y', a.y);
      const ws = f32(k, 'workspace', a.workspace);
      const dy = f32(k, 'dy', a.dy);
      const dhT = f32OrNull(k, 'dhT', a.dhT);
      const dcT = f32OrNull(k, 'dcT', a.dcT);
      const dx = f32OrNull(k, 'dx', a.dx);
      const dh0 = f32OrNull(k, 'dh0', a.dh0);
      const dc0 = f32OrNull(k, 'dc0', a.dc0);
      const bf16 = bf16Flag(k, d.precision);
      const { T, B, inputSize: I, hiddenSize: H } = d;
      const wsSize = x.rnnlm_rec_workspace_size(mode, T, B, I, H);
      needLength(k, 'x', X, T * B * I);
      needLength(k, 'h0', h0, B * H);
      needLength(k, 'y', Y, T * B * H);
      needLength(k, 'dy', dy, T * B * H);
      needLength(k, 'workspace', ws, wsSize);
      if (dhT) needLength(k, 'dhT', dhT, B * H);
      if (dx) needLength(k, 'dx', dx, T * B * I);
      if (dh0) needLength(k, 'dh0', dh0, B * H);
      const lstm = d.mode === 'lstm';
      if (lstm) {
        if (!c0) throw new RnnlmError('invalid_argument', "recurrentBackward: an LSTM needs the forward's c0 [B, H]; pass it (not null)");
        needLength(k, 'c0', c0, B * H);
        if (dcT) needLength(k, 'dcT', dcT, B * H);
        if (dc0) needLength(k, 'dc0', dc0, B * H);
      }
      const GH = gatesOf(d.mode) * H;
      const c0u = lstm ? c0 : null;
      const dcTu = lstm ? dcT : null;
      const dc0u = lstm ? dc0 : null;
      h.reserve(k, wih, whh, bih, bhh, gih, ghh, gbih, gbhh, X, h0, c0u, Y, ws, dy, dhT, dcTu, dx, dh0, dc0u);
      const pw = [h.in(wih, GH * I), h.in(whh, GH * H), h.inOrNull(bih, GH), h.inOrNull(bhh, GH)] as const;
      const pin = [h.in(X, T * B * I), h.in(h0, B * H), h.inOrNull(c0u, B * H), h.in(Y, T * B * H), h.in(ws, wsSize)] as const;
      // dy may serve as scratch (kernels.ts), so it is not copied back.
      const pd = [h.in(dy, T * B * H), h.inOrNull(dhT, B * H), h.inOrNull(dcTu, B * H)] as const;
      const pout = [h.outOrNull(dx, T * B * I), h.outOrNull(dh0, B * H), h.outOrNull(dc0u, B * H)] as const;
      const pg = [h.inout(gih, GH * I), h.inout(ghh, GH * H), h.inoutOrNull(gbih, GH), h.inoutOrNull(gbhh, GH)] as const;
      const ok = x.rnnlm_rec_backward(mode, T, B, I, H, bf16, ...pw, ...pin, ...pd, ...pout, ...pg);
      h.finish();
      if (!ok) oom(k);
    },

    sgdStep(p0, g0, buf0, o) {
      const k = 'sgdStep';
      const P = f32(k, 'param', p0);
      const G = f32(k, 'grad', g0);
      const buf = f32OrNull(k, 'momentumBuf', buf0);
      exactLength(k, 'grad', G, P.length);
      if (o.momentum !== 0 && !buf) {
        throw new RnnlmError('invalid_argument', 'sgdStep: momentum is non-zero but no momentum buffer was given; allocate one per parameter');
      }
      if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
        throw new RnnlmError('invalid_argument', 'sgdStep: Nesterov momentum needs momentum > 0 and dampening = 0 (as in PyTorch)');
      }
      if (buf) exactLength(k, 'momentumBuf', buf, P.length);
      h.reserve(k, P, G, buf);
      const pp = h.inout(P);
      const pg = h.in(G);
      x.rnnlm_sgd_step(pp, pg, h.inoutOrNull(buf), P.length, o.lr, o.momentum, o.dampening, o.weightDecay, +o.nesterov, +o.firstStep);
      h.finish();
    },

    adamStep(p0, g0, m0, v0, o) {
      const k = 'adamStep';
      const P = f32(k, 'param', p0);
      const G = f32(k, 'grad', g0);
      const M = f32(k, 'm', m0);
      const V = f32(k, 'v', v0);
      exactLength(k, 'grad', G, P.length);
      exactLength(k, 'm', M, P.length);
      exactLength(k, 'v', V, P.length);
      if (!(o.step >= 1) || !Number.isInteger(o.step))
        throw new RnnlmError('invalid_argument', `adamStep: step must be the 1-based update count, got ${o.step}`);
      // Bias corrections in double, as the addon's binding computes them.
      const stepSize = o.lr / (1 - o.beta1 ** o.step);
      const sqrtBc2 = Math.sqrt(1 - o.beta2 ** o.step);
      const decay = o.decoupled ? 1 - o.lr * o.weightDecay : 1;
      h.reserve(k, P, G, M, V);
      const ptrs = [h.inout(P), h.in(G), h.inout(M), h.inout(V)] as const;
      x.rnnlm_adam_step(...ptrs, P.length, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, stepSize, sqrtBc2, decay, +o.decoupled);
      h.finish();
    },

    // No fused export in the module yet: the step composed from this backend's own kernels (same bits).
    lmStep: (a) => lmStepComposed(kernels, a),
  };

  function binary(k: string, fn: (a: number, b: number, out: number, n: number) => void, a0: F, b0: F, out0: F): void {
    const A = f32(k, 'a', a0);
    const B = f32(k, 'b', b0);
    const O = f32(k, 'out', out0);
    exactLength(k, 'a', A, O.length);
    exactLength(k, 'b', B, O.length);
    h.reserve(k, A, B, O);
    const pa = h.in(A);
    const pb = h.in(B);
    fn(pa, pb, h.out(O), O.length);
    h.finish();
  }

  function reduce(k: string, fn: (p: number, n: number) => number, x0: F): number {
    const X = f32(k, 'x', x0);
    h.reserve(k, X);
    const r = fn(h.in(X), X.length);
    h.finish();
    return r;
  }

  const tile = `${x.rnnlm_gemm_mr()}×${x.rnnlm_gemm_nr()}`;
  return {
    name: 'wasm',
    get description() {
      const n = pool ? pool.configured : 1;
      return `WebAssembly SIMD128, ${n === 1 ? '1 thread' : `${n} threads (workers)`}, the native backend's C++ kernels (sgemm tile ${tile}${relaxed ? ', relaxed-SIMD multiply-add' : ''}; bf16 emulated; ${shared ? 'parameters in shared wasm memory, other operands copied per call' : 'operands copied into wasm memory per call'})`;
    },
    float64: false,
    kernels,
    bf16: 'emulated',
    place: shared ? (a) => resident(a) : undefined,
    pin(arrays) {
      const done = h.pin(arrays);
      return () => h.unpin(done);
    },
    controls: {
      fmaPeakGflops: (ms) => x.rnnlm_fma_peak(ms),
      allocResident(n) {
        checkSizes('allocResident', { n });
        return alloc(n, 'allocResident');
      },
      shared,
      relaxedSimd: relaxed,
      setThreads: (n) => (pool ? pool.setThreads(n) : 1),
      threads: () => (pool ? pool.threads() : 1),
      threadsReady: async (timeoutMs) => (pool ? pool.ready(timeoutMs) : 1),
    },
  };

  /** n zeros in the module's memory, freed when the array is garbage-collected. */
  function alloc(n: number, what: string): Float32Array {
    const p = n > 0x1fffffff ? 0 : x.rnnlm_alloc(n * 4);
    if (!p) throw new RnnlmError('unsupported', `${what}: out of WebAssembly memory for ${n} floats`);
    const a = new Float32Array(h.buffer(), p, n);
    a.fill(0);
    freeing.register(a, p);
    return a;
  }

  /** A copy of `a` in the module's memory (kernels then use it in place), or `a` itself when memory is short. */
  function resident(a: Float32Array): Float32Array {
    if (h.resident(a)) return a;
    let r: Float32Array;
    try {
      r = alloc(a.length, 'place');
    } catch {
      return a; // out of wasm memory: the array stays where it is and is copied per call
    }
    r.set(a);
    return r;
  }
}
