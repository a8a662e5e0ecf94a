/**
 * The C ABI of native/wasm/rnnlm_kernels.wasm (native/wasm/exports.cc) and the few WebAssembly
 * API types this backend uses (the project's TypeScript lib has no DOM, so no WebAssembly
 * typings). Pointers are byte offsets into the module's memory; sizes are int32; booleans 0/1.
 *
 * Dimension legend: as in kernels.ts (M/N/K gemm, n length, R/C rows/cols, N rows, V vocab, E
 * embedding, T time, B batch, I input, H hidden).
 */

type Ptr = number;

export interface KernelExports {
  memory: WasmMemory;
  _initialize?: () => void;
  /** The threaded (shared-memory) builds only: native/wasm/pool_threads.cc. */
  rnnlm_threads?: () => number;
  rnnlm_set_threads?: (n: number) => number;
  rnnlm_worker?: (id: number, stackLo: Ptr, stackHi: Ptr) => void;
  __stack_pointer?: { value: number };
  rnnlm_alloc(bytes: number): Ptr;
  rnnlm_free(p: Ptr): void;
  rnnlm_gemm_mr(): number;
  rnnlm_gemm_nr(): number;
  rnnlm_fma_peak(ms: number): number;
  rnnlm_gemm(ta: number, tb: number, M: number, N: number, K: number, alpha: number, A: Ptr, B: Ptr, beta: number, C: Ptr, bf16: number): number;
  rnnlm_add(a: Ptr, b: Ptr, out: Ptr, n: number): void;
  rnnlm_mul(a: Ptr, b: Ptr, out: Ptr, n: number): void;
  rnnlm_axpy(alpha: number, x: Ptr, y: Ptr, n: number): void;
  rnnlm_scale(x: Ptr, alpha: number, out: Ptr, n: number): void;
  rnnlm_unary(op: number, x: Ptr, out: Ptr, n: number): void;
  rnnlm_unary_backward(op: number, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number): void;
  rnnlm_add_row_vector(x: Ptr, v: Ptr, R: number, C: number): void;
  rnnlm_sum_rows(x: Ptr, R: number, C: number, beta: number, out: Ptr): number;
  rnnlm_sum(x: Ptr, n: number): number;
  rnnlm_sum_squares(x: Ptr, n: number): number;
  rnnlm_embedding_forward(weight: Ptr, ids: Ptr, N: number, E: number, out: Ptr): void;
  rnnlm_embedding_backward(dOut: Ptr, ids: Ptr, N: number, E: number, dWeight: Ptr): void;
  rnnlm_xent_forward(logits: Ptr, targets: Ptr, N: number, V: number, ignore: number, lse: Ptr, losses: Ptr): void;
  rnnlm_xent_backward(logits: Ptr, lse: Ptr, targets: Ptr, N: number, V: number, ignore: number, scale: number, scales: Ptr, dLogits: Ptr): void;
  rnnlm_log_softmax(logits: Ptr, N: number, V: number, out: Ptr): void;
  rnnlm_rec_workspace_size(mode: number, T: number, B: number, I: number, H: number): number;
  rnnlm_rec_forward(
    mode: number,
    T: number,
    B: number,
    I: number,
    H: number,
    bf16: number,
    wih: Ptr,
    whh: Ptr,
    bih: Ptr,
    bhh: Ptr,
    x: Ptr,
    h0: Ptr,
    c0: Ptr,
    y: Ptr,
    hT: Ptr,
    cT: Ptr,
    ws: Ptr,
  ): number;
  rnnlm_rec_backward(
    mode: number,
    T: number,
    B: number,
    I: number,
    H: number,
    bf16: number,
    wih: Ptr,
    whh: Ptr,
    bih: Ptr,
    bhh: Ptr,
    x: Ptr,
    h0: Ptr,
    c0: Ptr,
    y: Ptr,
    ws: Ptr,
    dy: Ptr,
    dhT: Ptr,
    dcT: Ptr,
    dx: Ptr,
    dh0: Ptr,
    dc0: Ptr,
    gih: Ptr,
    ghh: Ptr,
    gbih: Ptr,
    gbhh: Ptr,
  ): number;
  rnnlm_sgd_step(
    param: Ptr,
    grad: Ptr,
    buf: Ptr,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    wd: number,
    nesterov: number,
    first: number,
  ): void;
  rnnlm_adam_step(
    param: Ptr,
    grad: Ptr,
    m: Ptr,
    v: Ptr,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    wd: number,
    stepSize: number,
    sqrtBc2: number,
    decay: number,
    decoupled: number,
  ): void;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** An opaque compiled module (WebAssembly.Module). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/**
 * The shared memory the threaded builds import (env.memory): its initial size is the module's
 * (scripts/build-wasm.mjs: --initial-memory=4194304, 64 pages of 64 KiB), its maximum wasm32's 4 GiB.
 */
export const SHARED_MEMORY_PAGES = { initial: 64, maximum: 65536 } as const;

interface WebAssemblyApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(m: WasmModule): { module: string; name: string; kind: string }[] };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  compile(bytes: Uint8Array): Promise<WasmModule>;
  validate(bytes: Uint8Array): boolean;
}

/** The engine's WebAssembly object, or null where there is none. */
export function webAssembly(): WebAssemblyApi | null {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly ?? null;
}

/**
 * The smallest module that uses relaxed SIMD: one function (v128, v128, v128) → v128 returning
 * f32x4.relaxed_madd of its arguments (opcode 0xfd 0x105, the standardised encoding).
 */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version 1
  0x01,
  0x08,
  0x01,
  0x60,
  0x03,
  0x7b,
  0x7b,
  0x7b,
  0x01,
  0x7b, // type section: (v128 v128 v128) → v128
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x0a,
  0x0d,
  0x01,
  0x0b,
  0x00,
  0x20,
  0x00,
  0x20,
  0x01,
  0x20,
  0x02,
  0xfd,
  0x85,
  0x02,
  0x0b, // code: local.get 0 1 2, relaxed_madd, end
]);

/**
 * Whether this engine runs relaxed SIMD (then the rnnlm_kernels*.relaxed.wasm builds load, whose
 * gemm multiply-add may fuse). Chromium has it; Node 20 (V8 11.3) only with
 * --experimental-wasm-relaxed-simd.
 */
export function relaxedSimd(): boolean {
  const wa = webAssembly();
  try {
    return wa?.validate(RELAXED_SIMD_PROBE) === true;
  } catch {
    return false;
  }
}
