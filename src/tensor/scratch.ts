/**
 * A large buffer that one op reuses from call to call instead of allocating it afresh: a
 * 28 MB logits block per training step otherwise costs page faults and GC work every step.
 * One holder at a time: take() returns null while the buffer is held (the caller then
 * allocates as usual), and the holder gives it back with release() once its data is dead.
 * A graph that is built but never back-propagated keeps its buffer: later calls stay correct,
 * only they allocate again.
 */
import { type DType, type FloatArray, allocArray } from './tensor.js';

export class ScratchBuffer {
  private buf: FloatArray | null = null;
  private held = false;

  /** A buffer of exactly n elements of dtype (contents undefined), or null while it is held. */
  take(dtype: DType, n: number): FloatArray | null {
    if (this.held) return null;
    const b = this.buf;
    this.buf = b && b.length === n && b instanceof Float64Array === (dtype === 'float64') ? b : allocArray(dtype, n);
    this.held = true;
    return this.buf;
  }

  /** Gives back what take() returned; other buffers are ignored. */
  release(b: FloatArray): void {
    if (b === this.buf) this.held = false;
  }
}
