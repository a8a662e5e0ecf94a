/**
 * NT-ASGD, the non-monotonically triggered averaged SGD of Merity et al. (2017), "Regularizing and
 * Optimizing LSTM Language Models", §3: train with plain SGD; once the validation loss is worse
 * than the best of all checks but the last `nonmono`, keep a running average of the parameters
 * over every later update (torch.optim.ASGD with t0 = 0, lambd = 0, which is SGD plus the
 * average), and evaluate and save the AVERAGED weights.
 *
 * This class holds the trigger and the averages; the SGD steps are the ordinary SGD optimizer.
 *   observe(validLoss)  after each validation while not yet averaging; true when it triggers
 *   update()            after each optimizer step; averages only once triggered
 *   swapIn()/swapOut()  put the averages into the parameters and back (exact copies)
 * Its state (trigger, history, count, averages) saves and loads for exact resume.
 *
 * Dimension legend: n elements per parameter (each average has its parameter's shape).
 */
import { RnnlmError, check } from '../errors.js';
import { fmtShape, shapeEquals } from '../tensor/shape.js';
import { type FloatArray, Tensor, allocArray } from '../tensor/tensor.js';

export interface NTASGDState {
  json: Record<string, unknown>;
  tensors: Record<string, Tensor>;
}

const FORMAT = 1;

export class NTASGD {
  readonly params: Tensor[];
  /** Validation checks without improvement that trigger averaging (Merity et al. use 5). */
  readonly nonmono: number;
  /** Validation losses seen before the trigger. */
  history: number[] = [];
  /** Updates averaged so far (0 before the first update after the trigger). */
  count = 0;
  private triggered = false;
  /** Running averages, one per parameter (created at the first averaged update). */
  private averages: Tensor[] | null = null;
  /** The raw parameters while the averages are swapped in. */
  private backup: FloatArray[] | null = null;

  constructor(params: Tensor[], opts: { nonmono?: number } = {}) {
    check(Array.isArray(params) && params.length > 0, 'NT-ASGD needs the model parameters');
    const nonmono = opts.nonmono ?? 5;
    check(Number.isInteger(nonmono) && nonmono >= 0, `nonmono must be an integer ≥ 0 (validation checks), got ${String(opts.nonmono)}`);
    this.params = [...params];
    this.nonmono = nonmono;
  }

  /** True once averaging has started. */
  get averaging(): boolean {
    return this.triggered;
  }

  /** True when averages exist (averaging started and at least one update since). */
  get hasAverages(): boolean {
    return this.averages !== null && this.count > 0;
  }

  /**
   * Records a validation loss. Triggers averaging (and returns true) when there are more than
   * nonmono earlier checks and this loss is worse than the best of all but the last nonmono
   * of them — AWD-LSTM's `val_loss > min(best_val_loss[:-nonmono])`. No-op once averaging.
   */
  observe(loss: number): boolean {
    check(typeof loss === 'number' && Number.isFinite(loss), `NT-ASGD needs a finite validation loss, got ${String(loss)}`);
    if (this.triggered) return false;
    const h = this.history;
    let fire = false;
    if (h.length > this.nonmono) {
      let best = Infinity;
      for (let i = 0; i < h.length - this.nonmono; i++) best = Math.min(best, h[i]!);
      fire = loss > best;
    }
    h.push(loss); // AWD appends the triggering loss too
    if (fire) this.triggered = true;
    return fire;
  }

  /** Folds the current parameters into the averages: ax += (p − ax)/count, ax = p at the first. */
  update(): void {
    if (!this.triggered) return;
    this.assertNotSwapped('update');
    if (this.averages === null) this.averages = this.params.map((p) => Tensor.zeros(p.shape, p.dtype));
    this.count += 1;
    const mu = 1 / this.count;
    this.params.forEach((p, i) => {
      const ax = this.averages![i]!.data;
      const x = p.data;
      if (this.count === 1) ax.set(x);
      else for (let j = 0; j < x.length; j++) ax[j]! += (x[j]! - ax[j]!) * mu;
    });
  }

  /** Puts the averages into the parameters (raw values kept aside). No-op without averages. */
  swapIn(): boolean {
    if (!this.hasAverages) return false;
    this.assertNotSwapped('swapIn');
    this.backup = this.params.map((p) => p.data.slice());
    this.params.forEach((p, i) => p.data.set(this.averages![i]!.data));
    return true;
  }

  /** Restores the raw parameters after swapIn(). */
  swapOut(): void {
    if (this.backup === null) return;
    this.params.forEach((p, i) => p.data.set(this.backup![i]!));
    this.backup = null;
  }

  /** Copies the averages into the parameters for good (the end of training). False without averages. */
  adoptAverages(): boolean {
    this.swapOut();
    if (!this.hasAverages) return false;
    this.params.forEach((p, i) => p.data.set(this.averages![i]!.data));
    return true;
  }

  /** Runs fn with the averaged weights in place (the raw ones when there are no averages yet). */
  withAveraged<T>(fn: () => T): T {
    const swapped = this.swapIn();
    try {
      return fn();
    } finally {
      if (swapped) this.swapOut();
    }
  }

  private assertNotSwapped(what: string): void {
    if (this.backup !== null) throw new RnnlmError('invalid_argument', `NT-ASGD ${what}() while the averages are swapped in; call swapOut() first`);
  }

  /** A snapshot (copies) for checkpoints: JSON plus the averages as "<param index>.ax". */
  stateDict(): NTASGDState {
    const tensors: Record<string, Tensor> = {};
    if (this.averages) this.averages.forEach((a, i) => (tensors[`${i}.ax`] = a.clone()));
    return {
      json: { format: FORMAT, nonmono: this.nonmono, triggered: this.triggered, history: [...this.history], count: this.count },
      tensors,
    };
  }

  /** Restores a stateDict() taken over parameters of the same shapes; checks everything first. */
  loadStateDict(s: NTASGDState): void {
    const bad = (msg: string) => new RnnlmError('checkpoint_mismatch', `NT-ASGD state: ${msg}`);
    if (!s || typeof s.json !== 'object' || s.json === null || typeof s.tensors !== 'object' || s.tensors === null) {
      throw new RnnlmError('corrupt_checkpoint', 'NT-ASGD state is missing its json or tensors part');
    }
    const j = s.json;
    if (j.format !== FORMAT) throw new RnnlmError('corrupt_checkpoint', `NT-ASGD state has format ${String(j.format)}, this version reads ${FORMAT}`);
    if (j.nonmono !== this.nonmono) throw bad(`it was saved with nonmono ${String(j.nonmono)} but this run uses ${this.nonmono}`);
    if (typeof j.triggered !== 'boolean') throw bad('"triggered" must be true or false');
    const history = j.history;
    if (!Array.isArray(history) || !history.every((x) => typeof x === 'number' && Number.isFinite(x))) throw bad('"history" must be a list of finite losses');
    const count = j.count;
    if (!Number.isInteger(count) || (count as number) < 0) throw bad('"count" must be an integer ≥ 0');
    let averages: Tensor[] | null = null;
    const keys = Object.keys(s.tensors);
    if (keys.length > 0) {
      if (keys.length !== this.params.length) throw bad(`it has ${keys.length} averages for ${this.params.length} parameters`);
      averages = this.params.map((p, i) => {
        const t = s.tensors[`${i}.ax`];
        if (!(t instanceof Tensor)) throw bad(`the average of parameter ${i} ("${i}.ax") is missing`);
        if (!shapeEquals(t.shape, p.shape)) throw bad(`"${i}.ax" has shape ${fmtShape(t.shape)} but parameter ${i} has ${fmtShape(p.shape)}`);
        const data = allocArray(p.dtype, t.size);
        data.set(t.data);
        return new Tensor(data, p.shape);
      });
    }
    if ((count as number) > 0 && averages === null) throw bad(`it counts ${String(count)} averaged updates but holds no averages`);
    this.swapOut();
    this.triggered = j.triggered;
    this.history = [...(history as number[])];
    this.count = count as number;
    this.averages = averages;
  }
}
