/**
 * Operands of one kernel call in the wasm module's linear memory.
 *
 * The kernels of kernels.ts take the caller's typed arrays, which live in JS memory. An array
 * already inside the module's memory (a view of its buffer: model parameters, see index.ts
 * place()) is passed in place;
 * any other is copied into an arena (one 64-byte aligned block, reused by every call and grown
 * when a call needs more) before the call, and the parts the kernel writes are copied back after
 * it. Copying costs O(elements) per call against the kernels' O(M·N·K) or O(T·B·H²) work, so it
 * matters only where little work reads much memory (batch-1 recurrent steps read all of W_hh);
 * see src/backend/wasm/README.md for what was measured.
 *
 * Usage per call: reserve(...) with every array (so the arena is grown once, before any pointer
 * is handed out), then in()/out()/inout() for each operand, the kernel, then finish().
 */
import { RnnlmError } from '../../errors.js';
import type { KernelExports } from './abi.js';

type Arr = Float32Array | Int32Array;

interface Slot {
  a: Arr;
  /** Byte offset in the module's memory. */
  p: number;
  /** Elements used (the kernel's extent, ≤ a.length). */
  n: number;
  copiedIn: boolean;
  copyBack: boolean;
}

const ALIGN = 64;

export class Heap {
  private arena = 0;
  private cap = 0;
  private top = 0;
  /** Arrays of this call and where they went. */
  private placed: Slot[] = [];
  /**
   * Every buffer object the memory has shown: a shared memory gives a new SharedArrayBuffer
   * object (same bytes) each time it grows, and arrays made before still view it validly.
   */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Arrays the caller promised not to change outside kernels (pin()): their copy in the module. */
  private readonly pinned = new Map<Arr, number>();

  constructor(private readonly x: KernelExports) {}

  /** The memory's current buffer (remembered, so arrays over it count as resident). */
  buffer(): ArrayBuffer {
    const b = this.x.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** Whether `a` already lives in the module's memory (passed in place, never copied). */
  resident(a: Arr): boolean {
    return a.buffer === this.x.memory.buffer || this.buffers.has(a.buffer);
  }

  /**
   * Copies each array into the module once, to be used from there until unpin(): the caller
   * promises not to change them except through kernels (which write both copies). Pointers, not
   * views, are kept, so this is safe in a plain memory that grows. Arrays already resident or
   * pinned, or that do not fit, are skipped; returns those pinned now.
   */
  pin(arrays: readonly Arr[]): Arr[] {
    const done: Arr[] = [];
    for (const a of arrays) {
      if (this.resident(a) || this.pinned.has(a)) continue;
      const p = a.byteLength <= 0x7fffffff ? this.x.rnnlm_alloc(a.byteLength) : 0;
      if (!p) continue;
      if (a instanceof Float32Array) new Float32Array(this.buffer(), p, a.length).set(a);
      else new Int32Array(this.buffer(), p, a.length).set(a);
      this.pinned.set(a, p);
      done.push(a);
    }
    return done;
  }

  /** Frees the copies pin() made of these arrays. */
  unpin(arrays: readonly Arr[]): void {
    for (const a of arrays) {
      const p = this.pinned.get(a);
      if (p === undefined) continue;
      this.pinned.delete(a);
      this.x.rnnlm_free(p);
    }
  }

  /** Starts a call: makes room in the arena for every array given that is neither resident nor pinned (nulls skipped). */
  reserve(kernel: string, ...arrays: (Arr | null)[]): void {
    this.top = 0;
    this.placed.length = 0;
    let need = 0;
    for (const a of arrays) if (a && !this.resident(a) && !this.pinned.has(a)) need += Math.ceil(a.byteLength / ALIGN) * ALIGN;
    if (need <= this.cap) return;
    if (this.arena) this.x.rnnlm_free(this.arena);
    this.arena = 0;
    this.cap = 0;
    const cap = Math.max(need, Math.min(2 * need, need + (64 << 20)));
    const p = cap <= 0x7fffffff ? this.x.rnnlm_alloc(cap) : 0;
    if (!p) throw new RnnlmError('unsupported', `${kernel}: out of WebAssembly memory (${(need / 2 ** 20).toFixed(0)} MiB of operands)`);
    this.arena = p;
    this.cap = cap;
  }

  /** Pointer to the first n elements of `a` as kernel input. */
  in(a: Arr, n: number = a.length): number {
    return this.place(a, n, true, false);
  }

  /** Pointer to room for n elements the kernel overwrites, copied back into `a` by finish(). */
  out(a: Arr, n: number = a.length): number {
    return this.place(a, n, false, true);
  }

  /** Pointer to the first n elements of `a`, which the kernel reads and updates. */
  inout(a: Arr, n: number = a.length): number {
    return this.place(a, n, true, true);
  }

  /** Null → 0 (the C side's null pointer), else in(). */
  inOrNull(a: Arr | null, n?: number): number {
    return a ? this.in(a, n) : 0;
  }

  /** Null → 0, else out(). */
  outOrNull(a: Arr | null, n?: number): number {
    return a ? this.out(a, n) : 0;
  }

  /** Null → 0, else inout(). */
  inoutOrNull(a: Arr | null, n?: number): number {
    return a ? this.inout(a, n) : 0;
  }

  /** Copies what the kernel wrote back into the caller's arrays. */
  finish(): void {
    const buf = this.buffer(); // read after the call: the kernel may have grown memory
    for (const { a, p, n, copyBack } of this.placed) {
      if (!copyBack) continue;
      a.set(a instanceof Float32Array ? new Float32Array(buf, p, n) : new Int32Array(buf, p, n));
    }
    this.placed.length = 0;
  }

  private place(a: Arr, n: number, copyIn: boolean, copyBack: boolean): number {
    if (this.resident(a)) return a.byteOffset;
    const pinned = this.pinned.get(a);
    if (pinned !== undefined) {
      // Current by the pin's promise; what the kernel writes is copied back, so both copies agree.
      if (copyBack && !this.placed.some((s) => s.a === a)) this.placed.push({ a, p: pinned, n: a.length, copiedIn: true, copyBack: true });
      return pinned;
    }
    // The same memory passed twice (dLogits = logits, out = x) must be one slot, as in place.
    for (const s of this.placed) {
      if (s.a.buffer === a.buffer && s.a.byteOffset === a.byteOffset && s.a.length === a.length) {
        const grow = n > s.n;
        s.n = Math.max(s.n, n);
        if (copyIn && (!s.copiedIn || grow)) this.copyIn(s);
        s.copyBack ||= copyBack;
        return s.p;
      }
    }
    // Slots hold the whole array, so a second use with a longer extent still fits.
    const s: Slot = { a, p: this.arena + this.top, n, copiedIn: false, copyBack };
    this.top += Math.ceil(a.byteLength / ALIGN) * ALIGN;
    if (copyIn) this.copyIn(s);
    this.placed.push(s);
    return s.p;
  }

  private copyIn(s: Slot): void {
    s.copiedIn = true;
    if (s.n === 0) return;
    const buf = this.buffer();
    const src = s.n === s.a.length ? s.a : s.a.subarray(0, s.n);
    if (src instanceof Float32Array) new Float32Array(buf, s.p, s.n).set(src);
    else new Int32Array(buf, s.p, s.n).set(src);
  }
}
