/**
 * Tensor: a dense, contiguous, row-major block of float32 (for work) or float64 (for checks),
 * with an optional gradient and a link to the autograd node that produced it.
 * Data lives in a JS typed array, which every CPU backend (js, native) reads in place.
 */
import { RnnlmError } from '../errors.js';
import { type Shape, checkShape, fmtShape, numel } from './shape.js';

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

/** What autograd attaches to a tensor computed from others (see autograd/graph.ts). */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** Reads the gradients of its outputs and accumulates gradients into its inputs. */
  backward(): void;
}

export function allocArray(dtype: DType, n: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  data: FloatArray;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  gradFn: GradNode | null = null;
  /** The storage of a gradient dropped by releaseGrad(), for the next backward to reuse. */
  private spareGrad: FloatArray | null = null;

  constructor(data: FloatArray, shape: Shape, requiresGrad = false) {
    checkShape(shape);
    if (data.length !== numel(shape)) {
      throw new RnnlmError('shape_mismatch', `tensor data has ${data.length} elements but shape ${fmtShape(shape)} needs ${numel(shape)}`);
    }
    this.shape = [...shape];
    this.dtype = dtypeOf(data);
    this.data = data;
    this.requiresGrad = requiresGrad;
  }

  static zeros(shape: Shape, dtype: DType = 'float32', requiresGrad = false): Tensor {
    return new Tensor(allocArray(dtype, numel(shape)), shape, requiresGrad);
  }

  static fill(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return t;
  }

  static from(values: ArrayLike<number>, shape: Shape = [values.length], dtype: DType = 'float32'): Tensor {
    const data = allocArray(dtype, values.length);
    data.set(values as ArrayLike<number>);
    return new Tensor(data, shape);
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) {
      throw new RnnlmError('shape_mismatch', `item() needs a one-element tensor, got shape ${fmtShape(this.shape)}`);
    }
    return this.data[0]!;
  }

  /** A new tensor sharing nothing with this one, outside the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Same data, outside the graph (used to cut BPTT windows). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** Copy converted to `dtype`. */
  to(dtype: DType): Tensor {
    const data = allocArray(dtype, this.data.length);
    data.set(this.data);
    return new Tensor(data, this.shape);
  }

  zeroGrad(): void {
    if (this.grad) this.grad.data.fill(0);
  }

  /**
   * grad = null (PyTorch's zero_grad(set_to_none=True)), keeping its storage for the next
   * backward: a fresh 26 MB gradient per step costs more in page faults than the math that fills
   * it. So a reference kept to the old grad sees its values overwritten by that backward.
   */
  releaseGrad(): void {
    if (this.grad) this.spareGrad = this.grad.data;
    this.grad = null;
  }

  /** Storage for a new gradient: the released one when there is one, else fresh zeros; zeroed if asked. */
  gradStorage(zero: boolean): FloatArray {
    const s = this.spareGrad;
    this.spareGrad = null;
    if (!s || s.length !== this.size) return allocArray(this.dtype, this.size);
    if (zero) s.fill(0);
    return s;
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype})`;
  }
}
