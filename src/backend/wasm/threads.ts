/**
 * Threads of the shared-memory wasm builds: workers (Web Workers in a page, worker_threads in
 * Node) that each instantiate the same compiled module on the same shared WebAssembly.Memory and
 * run the kernels' parallel regions with the caller (native/wasm/pool_threads.cc has the protocol).
 *
 * Each worker gets its own 1 MiB stack, allocated here by the caller's instance (a worker never
 * calls into the allocator before it runs a share, and the module serialises malloc under a
 * lock), and then calls rnnlm_worker, which waits for regions and never returns. Workers come
 * online asynchronously; until they do, regions simply run their shares on the caller (the pool
 * counts only workers that are online), so nothing ever waits for a worker to start.
 *
 * Platform-neutral: the loader passes a SpawnWorker (node.ts: worker_threads; browser.ts: a
 * Blob-URL Web Worker), which runs WORKER_SOURCE's rnnlmWorker(data) in a new thread.
 */
import type { KernelExports, WasmMemory, WasmModule } from './abi.js';

/** What a worker gets: the module, the shared memory, its id (1…63) and stack [stackLo, stackHi). */
export interface WorkerData {
  module: WasmModule;
  memory: WasmMemory;
  id: number;
  stackLo: number;
  stackHi: number;
}

/** Starts a thread that evaluates `source` and calls rnnlmWorker(data); returns a way to end it. */
export type SpawnWorker = (source: string, data: WorkerData) => { terminate(): void };

/** The pool's limit (pool_threads.cc kMaxThreads). */
export const MAX_WASM_THREADS = 64;
const STACK_BYTES = 1 << 20;

/**
 * The worker's code, as source (it runs in a fresh realm: no imports, nothing captured). The
 * imports mirror index.ts instantiateKernels: the shared memory and the one WASI clock; any other
 * import a future build adds is stubbed (returns ENOSYS).
 */
export const WORKER_SOURCE = `
function rnnlmWorker(d) {
  const now = globalThis.performance;
  const imports = { env: { memory: d.memory }, wasi_snapshot_preview1: {
    clock_time_get(_id, _precision, out) {
      new DataView(d.memory.buffer).setBigUint64(out, BigInt(Math.round(now.now() * 1e6)), true);
      return 0;
    },
  } };
  for (const i of WebAssembly.Module.imports(d.module)) {
    if (i.kind !== 'function') continue;
    imports[i.module] = imports[i.module] || {};
    if (!imports[i.module][i.name]) imports[i.module][i.name] = () => 52;
  }
  const x = new WebAssembly.Instance(d.module, imports).exports;
  x.__stack_pointer.value = d.stackHi;
  x.rnnlm_worker(d.id, d.stackLo, d.stackHi);
}
`;

/** Whether an instance is a threaded build (pool_threads.cc's exports). */
export function isThreaded(x: KernelExports): boolean {
  return typeof x.rnnlm_worker === 'function' && typeof x.rnnlm_set_threads === 'function' && x.__stack_pointer !== undefined;
}

/** The workers of one instance: started on demand, never stopped (they sleep between regions). */
export class WasmThreads {
  private readonly workers: { terminate(): void }[] = [];
  private set = 1;

  constructor(
    private readonly module: WasmModule,
    private readonly x: KernelExports,
    private readonly spawn: SpawnWorker,
  ) {}

  /**
   * Lets regions use up to n threads (the caller and n − 1 workers, started here if needed);
   * returns n as clamped. Threads that are not online yet are not counted by the pool (threads()).
   */
  setThreads(n: number): number {
    const want = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(n)));
    while (this.workers.length < want - 1) {
      const p = this.x.rnnlm_alloc(STACK_BYTES);
      if (!p) break;
      const id = this.workers.length + 1;
      try {
        this.workers.push(this.spawn(WORKER_SOURCE, { module: this.module, memory: this.x.memory, id, stackLo: p, stackHi: p + STACK_BYTES }));
      } catch {
        this.x.rnnlm_free(p);
        break;
      }
    }
    this.set = this.x.rnnlm_set_threads!(Math.min(want, this.workers.length + 1));
    return this.set;
  }

  /** Threads set (setThreads), online or not. */
  get configured(): number {
    return this.set;
  }

  /** Threads a region uses now: min(set, 1 + workers online). */
  threads(): number {
    return this.x.rnnlm_threads!();
  }

  /** Resolves with threads() once every thread set is online, or after timeoutMs. */
  async ready(timeoutMs = 10_000): Promise<number> {
    const t0 = Date.now();
    while (this.threads() < this.set && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 5));
    return this.threads();
  }
}
