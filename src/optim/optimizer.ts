/**
 * Optimizer base: a list of parameters, a learning rate, per-parameter step counts and named
 * state buffers (momentum, moments, accumulators), and a state dict that saves all of it
 * exactly so a resumed run continues bit-for-bit. Subclasses only write `update()` for one
 * parameter. Like PyTorch, parameters whose grad is null are skipped (their state untouched).
 *
 * State dict layout (JSON + tensors, for the checkpoint writer):
 *   json    { format: 1, optimizer: 'adam', lr, hyper: {...}, steps: [per-parameter step counts] }
 *   tensors { "<param index>.<buffer>": Tensor }   e.g. "0.exp_avg", "3.momentum_buffer"
 */
import { RnnlmError, check } from '../errors.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { fmtShape, shapeEquals } from '../tensor/shape.js';

/** Every optimizer of optim/: the one list of their names. */
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerStateDict {
  json: Record<string, unknown>;
  tensors: Record<string, Tensor>;
}

/** Hyperparameters other than lr, as saved in the state dict. */
export type Hyper = Record<string, number | boolean>;

const FORMAT = 1;

export function checkLr(lr: unknown, what = 'lr'): number {
  check(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0, `${what} must be a finite number ≥ 0, got ${String(lr)}`);
  return lr;
}

/** Throws invalid_argument unless x is a finite number in [lo, hi) (or [lo, hi] when hiInclusive). */
export function checkRange(name: string, x: unknown, lo: number, hi = Infinity, hiInclusive = false): number {
  const ok = typeof x === 'number' && Number.isFinite(x) && x >= lo && (hiInclusive ? x <= hi : x < hi);
  const range = hi === Infinity ? `≥ ${lo}` : `in [${lo}, ${hi}${hiInclusive ? ']' : ')'}`;
  check(ok, `${name} must be a number ${range}, got ${String(x)}`);
  return x as number;
}

export abstract class Optimizer {
  abstract readonly name: OptimizerName;
  readonly params: Tensor[];
  lr: number;
  /** Updates applied to each parameter so far (PyTorch's per-parameter state["step"]). */
  protected steps: number[];
  /** Named state buffers of each parameter, created on its first update (or up front by Adagrad). */
  protected buffers: Array<Map<string, Tensor>>;

  constructor(params: Tensor[], lr: number) {
    check(Array.isArray(params) && params.length > 0, 'the optimizer got an empty parameter list: pass the model parameters');
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      check(p instanceof Tensor, `parameter ${i} is not a Tensor`);
      check(!seen.has(p), `parameter ${i} appears twice in the parameter list; pass each parameter once`);
      seen.add(p);
    });
    this.params = [...params];
    this.lr = checkLr(lr);
    this.steps = params.map(() => 0);
    this.buffers = params.map(() => new Map());
  }

  /** Hyperparameters (besides lr) that the state dict saves and restores. */
  protected abstract hyper(): Hyper;
  protected abstract setHyper(h: Hyper): void;
  /** Applies one update to parameter i; `step` is its 1-based update count. */
  protected abstract update(i: number, param: Tensor, grad: Tensor, step: number): void;

  /** One update of every parameter that has a gradient. */
  step(): void {
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!;
      const g = p.grad;
      if (g === null) continue;
      if (g.dtype !== p.dtype) {
        throw new RnnlmError('dtype_mismatch', `parameter ${i} is ${p.dtype} but its gradient is ${g.dtype}`);
      }
      if (!shapeEquals(g.shape, p.shape)) {
        throw new RnnlmError('shape_mismatch', `parameter ${i} has shape ${fmtShape(p.shape)} but its gradient has ${fmtShape(g.shape)}`);
      }
      this.steps[i]! += 1;
      this.update(i, p, g, this.steps[i]!);
    }
  }

  /** Sets every gradient to zero (keeps the arrays, so autograd can accumulate into them). */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** The buffer `name` of parameter i, created as zeros (or `init`) the first time it is asked for. */
  protected buffer(i: number, name: string, init = 0): Tensor {
    const map = this.buffers[i]!;
    let b = map.get(name);
    if (!b) {
      const p = this.params[i]!;
      b = Tensor.zeros(p.shape, p.dtype);
      if (init !== 0) b.data.fill(init);
      map.set(name, b);
    }
    return b;
  }

  protected hasBuffer(i: number, name: string): boolean {
    return this.buffers[i]!.has(name);
  }

  /** A snapshot (copies) of everything needed to resume: later steps do not change it. */
  stateDict(): OptimizerStateDict {
    const tensors: Record<string, Tensor> = {};
    this.buffers.forEach((map, i) => {
      for (const [name, t] of map) tensors[`${i}.${name}`] = t.clone();
    });
    return {
      json: { format: FORMAT, optimizer: this.name, lr: this.lr, hyper: this.hyper(), steps: [...this.steps] },
      tensors,
    };
  }

  /**
   * Restores a stateDict() of the same optimizer over parameters of the same shapes, including
   * lr and the other hyperparameters (as PyTorch does). Everything is checked before anything
   * changes, so a bad state dict leaves the optimizer as it was.
   */
  loadStateDict(s: OptimizerStateDict): void {
    const bad = (msg: string) => new RnnlmError('checkpoint_mismatch', `optimizer state: ${msg}`);
    if (!s || typeof s.json !== 'object' || s.json === null || typeof s.tensors !== 'object' || s.tensors === null) {
      throw new RnnlmError('corrupt_checkpoint', 'optimizer state is missing its json or tensors part');
    }
    const j = s.json;
    if (j.format !== FORMAT) {
      throw new RnnlmError('corrupt_checkpoint', `optimizer state has format ${String(j.format)}, this version reads ${FORMAT}`);
    }
    if (j.optimizer !== this.name) {
      throw bad(
        `it was saved by "${String(j.optimizer)}" but this run uses "${this.name}"; ` +
          `use --optimizer ${String(j.optimizer)} to resume, or start without the optimizer state`,
      );
    }
    const steps = j.steps;
    if (!Array.isArray(steps) || steps.length !== this.params.length) {
      throw bad(`it has ${Array.isArray(steps) ? steps.length : 'no'} parameter step counts but the model has ${this.params.length} parameters`);
    }
    if (!steps.every((n) => Number.isInteger(n) && n >= 0)) throw bad('step counts must be integers ≥ 0');
    const lr = j.lr;
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw bad(`lr ${String(lr)} is not a finite number ≥ 0`);
    const hyper = j.hyper;
    if (typeof hyper !== 'object' || hyper === null) throw bad('hyperparameters are missing');
    const current = this.hyper();
    for (const [k, v] of Object.entries(current)) {
      const saved = (hyper as Hyper)[k];
      if (typeof saved !== typeof v) throw bad(`hyperparameter ${k} is missing or of the wrong type`);
    }

    const buffers: Array<Map<string, Tensor>> = this.params.map(() => new Map());
    for (const [key, t] of Object.entries(s.tensors)) {
      const m = /^(\d+)\.([a-z_]+)$/.exec(key);
      const i = m ? Number(m[1]) : -1;
      if (!m || i >= this.params.length) throw bad(`unexpected tensor "${key}"`);
      if (!(t instanceof Tensor)) throw bad(`"${key}" is not a tensor`);
      const p = this.params[i]!;
      if (!shapeEquals(t.shape, p.shape)) {
        throw bad(`"${key}" has shape ${fmtShape(t.shape)} but parameter ${i} has ${fmtShape(p.shape)}`);
      }
      // A copy in the parameter's dtype: the loaded tensors stay the caller's.
      const data = allocArray(p.dtype, t.size);
      data.set(t.data);
      buffers[i]!.set(m[2]!, new Tensor(data, p.shape));
    }

    this.setHyper({ ...(hyper as Hyper) });
    this.lr = lr;
    this.steps = [...(steps as number[])];
    this.buffers = buffers;
  }
}
