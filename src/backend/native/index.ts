/**
 * Loader of the native backend: the N-API addon built from native/ (scripts/build-native.mjs)
 * wrapped as a Backend. The addon does the real checking (types, sizes, array lengths, ids) and
 * throws RnnlmError like the js kernels; this file only flattens the option objects of
 * kernels.ts into plain arguments. Float32 only: float64 work goes to js through kernelsFor.
 *
 * Node only (it loads a .node file); the browser entry never imports it.
 *
 * Environment: RNNLM_THREADS (kernel threads, default: the CPUs this process may use),
 * RNNLM_NATIVE_ISA (avx512 | avx2 | generic: force a lower instruction-set build),
 * RNNLM_NATIVE_ADDON (path of the .node file, instead of native/build/Release/rnnlm_native.node),
 * RNNLM_NATIVE_BF16=emulated|vdpbf16ps (bf16 gemms on a lower path than the best this CPU has: amx >
 * vdpbf16ps > emulated).
 *
 * Dimension legend: as in kernels.ts (M/N/K gemm, T time, B batch, I input, H hidden, V vocab).
 */
import { createRequire } from 'node:module';
import { RnnlmError } from '../../errors.js';
import type { Backend, Bf16Mode } from '../backend.js';
import type { AdamOptions, F, Kernels, Precision, RecurrentDesc, SgdOptions, UnaryOp } from '../kernels.js';

/** What the addon exports (native/napi/binding.cc). Arrays must be Float32Array (Int32Array for ids). */
interface NativeAddon {
  init(errorClass: typeof RnnlmError): void;
  info(): NativeInfo;
  setIsa(isa: string): boolean;
  setThreads(n: number): number;
  fmaPeak(ms: number): number;
  cpuGhz(ms: number): number;
  poolAccounting(on: boolean): void;
  takePoolBusy(): number[];
  setBf16Mode(mode: Bf16Mode): Bf16Mode;
  pinBf16(weights: Float32Array): boolean;
  unpinBf16(weights: Float32Array): void;
  pinF32(weights: Float32Array): boolean;
  unpinF32(weights: Float32Array): void;
  gemm(ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number, A: F, B: F, beta: number, C: F, precision?: Precision): void;
  add(a: F, b: F, out: F): void;
  mul(a: F, b: F, out: F): void;
  axpy(alpha: number, x: F, y: F): void;
  scale(x: F, alpha: number, out: F): void;
  unary(op: UnaryOp, x: F, out: F): void;
  unaryBackward(op: UnaryOp, x: F, y: F, dy: F, dx: F): void;
  addRowVector(x: F, v: F, R: number, C: number): void;
  sumRows(x: F, R: number, C: number, beta: number, out: F): void;
  sum(x: F): number;
  sumSquares(x: F): number;
  embeddingForward(weight: F, ids: Int32Array, E: number, out: F): void;
  embeddingBackward(dOut: F, ids: Int32Array, E: number, dWeight: F): void;
  softmaxXentForward(logits: F, targets: Int32Array, N: number, V: number, ignore: number, lse: F, losses: F): void;
  softmaxXentBackward(logits: F, lse: F, targets: Int32Array, N: number, V: number, ignore: number, scale: number | F, d: F): void;
  logSoftmax(logits: F, N: number, V: number, out: F): void;
  recurrentWorkspaceSize(mode: string, T: number, B: number, I: number, H: number): number;
  // The args objects of kernels.ts, flattened: (mode, T, B, I, H, 4 weights, arrays…, precision).
  recurrentForward(...args: unknown[]): void;
  recurrentBackward(...args: unknown[]): void;
  lmStep(
    mode: string,
    B: number,
    E: number,
    V: number,
    hiddenSizes: readonly number[],
    weights: (F | null)[],
    embedding: F,
    ids: Int32Array,
    h: F,
    c: F | null,
    decoderWeight: F,
    decoderBias: F | null,
    logits: F,
    precision?: Precision,
  ): void;
  sgdStep(p: F, g: F, buf: F | null, lr: number, mu: number, damp: number, wd: number, nesterov: boolean, first: boolean): void;
  adamStep(p: F, g: F, m: F, v: F, lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean, step: number): void;
}

export interface NativeInfo {
  /** Instruction-set build in use: 'avx512', 'avx2' or 'generic'. */
  isa: string;
  /** Builds this CPU can run, fastest first. */
  isas: string[];
  threads: number;
  gemmMr: number;
  gemmNr: number;
  /** How bf16-precision gemms run (BF16_MODES). */
  bf16: Bf16Mode;
}

/** Knobs for benchmarks and tests (process-wide: they affect every user of the addon). */
export interface NativeControls {
  info(): NativeInfo;
  /** Switches to another instruction-set build; false if this CPU cannot run it. */
  setIsa(isa: string): boolean;
  /** Runs bf16 gemms in `mode`, or the best mode below it this CPU has; returns the mode in effect. */
  setBf16Mode(mode: Bf16Mode): Bf16Mode;
  /** Sets the kernel thread count; returns the count in effect. */
  setThreads(n: number): number;
  /** Measured single-thread FMA throughput of the current build, GFLOP/s (runs ~ms milliseconds). */
  fmaPeakGflops(ms: number): number;
  /** Clock estimate in GHz from a chain of dependent integer adds (runs ~ms milliseconds). */
  cpuGhz(ms: number): number;
  /**
   * Turns on/off summing each kernel thread's own CPU time inside kernels, and takes (and resets)
   * those sums in seconds per thread. On a shared machine the busiest thread's sum is the time the
   * work would take with the cores to itself.
   */
  setAccounting(on: boolean): void;
  takeBusySeconds(): number[];
}

const ADDON_PATHS = [
  // from src/backend/native/ (tsx) and from dist/src/backend/native/ (built)
  '../../../native/build/Release/rnnlm_native.node',
  '../../../../native/build/Release/rnnlm_native.node',
];

let cached: { addon: NativeAddon | null; reason: string | null } | null = null;

function loadAddon(): { addon: NativeAddon | null; reason: string | null } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  const override = process.env.RNNLM_NATIVE_ADDON;
  for (const rel of override ? [override] : ADDON_PATHS) {
    const path = override ? rel : new URL(rel, import.meta.url).pathname;
    try {
      const addon = require(path) as NativeAddon;
      addon.init(RnnlmError);
      return (cached = { addon, reason: null });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      tried.push(err.code === 'MODULE_NOT_FOUND' ? `${path} (not built)` : `${path} (${err.message})`);
    }
  }
  return (cached = { addon: null, reason: `native addon not loaded: ${tried.join('; ')}; run "npm run build:native"` });
}

/** Why loadNativeBackend() returns null (null when it loads). */
export function nativeUnavailableReason(): string | null {
  return loadAddon().reason;
}

/** Benchmark/test knobs of the loaded addon, or null when it is not built. */
export function nativeControls(): NativeControls | null {
  const { addon } = loadAddon();
  if (!addon) return null;
  return {
    info: () => addon.info(),
    setIsa: (isa) => addon.setIsa(isa),
    setThreads: (n) => addon.setThreads(n),
    setBf16Mode: (mode) => addon.setBf16Mode(mode),
    fmaPeakGflops: (ms) => addon.fmaPeak(ms),
    cpuGhz: (ms) => addon.cpuGhz(ms),
    setAccounting: (on) => addon.poolAccounting(on),
    takeBusySeconds: () => addon.takePoolBusy(),
  };
}

const ISA_NAMES: Record<string, string> = { avx512: 'AVX-512', avx2: 'AVX2+FMA', generic: 'portable SIMD' };

/** The native backend, or null (never throws) when the addon is not built or cannot load here. */
export function loadNativeBackend(): Backend | null {
  const { addon: a } = loadAddon();
  if (!a) return null;
  const kernels: Kernels = {
    gemm: (ta, tb, M, N, K, alpha, A, B, beta, C, precision) => a.gemm(ta, tb, M, N, K, alpha, A, B, beta, C, precision),
    add: (x, y, out) => a.add(x, y, out),
    mul: (x, y, out) => a.mul(x, y, out),
    axpy: (alpha, x, y) => a.axpy(alpha, x, y),
    scale: (x, alpha, out) => a.scale(x, alpha, out),
    unary: (op, x, out) => a.unary(op, x, out),
    unaryBackward: (op, x, y, dy, dx) => a.unaryBackward(op, x, y, dy, dx),
    addRowVector: (x, v, R, C) => a.addRowVector(x, v, R, C),
    sumRows: (x, R, C, beta, out) => a.sumRows(x, R, C, beta, out),
    sum: (x) => a.sum(x),
    sumSquares: (x) => a.sumSquares(x),
    embeddingForward: (weight, ids, E, out) => a.embeddingForward(weight, ids, E, out),
    embeddingBackward: (dOut, ids, E, dWeight) => a.embeddingBackward(dOut, ids, E, dWeight),
    softmaxXentForward: (logits, targets, N, V, ignore, lse, losses) => a.softmaxXentForward(logits, targets, N, V, ignore, lse, losses),
    softmaxXentBackward: (logits, lse, targets, N, V, ignore, scale, d) => a.softmaxXentBackward(logits, lse, targets, N, V, ignore, scale, d),
    logSoftmax: (logits, N, V, out) => a.logSoftmax(logits, N, V, out),
    recurrentWorkspaceSize: (d: RecurrentDesc) => a.recurrentWorkspaceSize(d.mode, d.T, d.B, d.inputSize, d.hiddenSize),
    recurrentForward: ({ desc: d, w, x, h0, c0, y, hT, cT, workspace }) =>
      a.recurrentForward(d.mode, d.T, d.B, d.inputSize, d.hiddenSize, w.weightIh, w.weightHh, w.biasIh, w.biasHh, x, h0, c0, y, hT, cT, workspace, d.precision),
    recurrentBackward: ({ desc: d, w, x, h0, c0, y, workspace, dy, dhT, dcT, dx, dh0, dc0, grads: g }) =>
      a.recurrentBackward(
        d.mode,
        d.T,
        d.B,
        d.inputSize,
        d.hiddenSize,
        w.weightIh,
        w.weightHh,
        w.biasIh,
        w.biasHh,
        x,
        h0,
        c0,
        y,
        workspace,
        dy,
        dhT,
        dcT,
        dx,
        dh0,
        dc0,
        g.weightIh,
        g.weightHh,
        g.biasIh,
        g.biasHh,
        d.precision,
      ),
    lmStep: (s) =>
      a.lmStep(
        s.mode,
        s.B,
        s.E,
        s.V,
        s.hiddenSizes,
        s.layers.flatMap((w) => [w.weightIh, w.weightHh, w.biasIh, w.biasHh]),
        s.embedding,
        s.ids,
        s.h,
        s.c,
        s.decoderWeight,
        s.decoderBias,
        s.logits,
        s.precision,
      ),
    sgdStep: (p, g, buf, o: SgdOptions) => a.sgdStep(p, g, buf, o.lr, o.momentum, o.dampening, o.weightDecay, o.nesterov, o.firstStep),
    adamStep: (p, g, m, v, o: AdamOptions) => a.adamStep(p, g, m, v, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, o.decoupled, o.step),
  };
  const backend: Backend = {
    name: 'native',
    get description(): string {
      const i = a.info(); // read on demand: the controls may switch the ISA or thread count
      const threads = `${i.threads} thread${i.threads === 1 ? '' : 's'}`;
      return `C++ N-API addon, ${ISA_NAMES[i.isa] ?? i.isa}, ${threads}, own kernels (no BLAS; sgemm tile ${i.gemmMr}×${i.gemmNr}; bf16 ${i.bf16})`;
    },
    float64: false,
    kernels,
    get bf16() {
      return a.info().bf16;
    },
    // Generation: bf16 weights converted to bf16 once, read by the dot path (half the bytes);
    // fp32 weights copied once in blocks of 4 rows, so the dot path streams them (same bits).
    pin(arrays, precision) {
      const [pinOne, unpinOne] = precision === 'bf16' ? [a.pinBf16, a.unpinBf16] : [a.pinF32, a.unpinF32];
      const pinned = arrays.filter((w) => pinOne(w));
      return () => {
        for (const w of pinned) unpinOne(w);
      };
    },
  };
  return backend;
}
