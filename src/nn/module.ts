/**
 * Module: a tree of named parameters, PyTorch-style. State-dict keys are PyTorch-exact
 * (`rnn.weight_ih_l0`), so weights move between rnnlm and PyTorch unchanged.
 */
import { peekBackend } from '../backend/backend.js';
import { RnnlmError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { DType, Tensor } from '../tensor/tensor.js';

export class Module {
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  training = true;

  protected registerParameter(name: string, t: Tensor): Tensor {
    t.requiresGrad = true;
    // Parameters live where the active backend reads them fastest (wasm: its own memory).
    const place = t.data instanceof Float32Array ? peekBackend()?.place : undefined;
    if (place) t.data = place(t.data as Float32Array);
    this.params.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Re-points a parameter slot at another tensor (weight tying). */
  protected setParameter(name: string, t: Tensor): void {
    if (!this.params.has(name)) throw new RnnlmError('invalid_argument', `no parameter named ${name}`);
    this.params.set(name, t);
  }

  /** Every parameter slot with its full name, shared tensors repeated (as in a state dict). */
  namedParameterSlots(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.params) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameterSlots(`${prefix}${n}.`));
    return out;
  }

  /** Distinct parameters (a tied tensor is listed once, under its first name). */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    return this.namedParameterSlots().filter(([, t]) => (seen.has(t) ? false : (seen.add(t), true)));
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** Drops every parameter's gradient (set to none; the storage is reused by the next backward). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.releaseGrad();
  }

  train(on = true): this {
    this.training = on;
    for (const m of this.children.values()) m.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** name → tensor (shared, not copied), tied weights under every name, like PyTorch. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameterSlots());
  }

  /**
   * Copies values in by name. Every key must match a parameter with the same shape
   * (dtype converts); anything missing, unexpected or mis-shaped is a checkpoint_mismatch.
   */
  loadStateDict(sd: Record<string, Tensor>): void {
    const slots = this.namedParameterSlots();
    const names = new Set(slots.map(([n]) => n));
    const missing = [...names].filter((n) => !(n in sd));
    const unexpected = Object.keys(sd).filter((n) => !names.has(n));
    if (missing.length || unexpected.length) {
      throw new RnnlmError(
        'checkpoint_mismatch',
        `state dict does not fit this model: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]; ` +
          'check that the checkpoint was saved from a model with the same configuration',
      );
    }
    for (const [name, p] of slots) {
      const src = sd[name]!;
      if (src.size !== p.size || src.shape.length !== p.shape.length || src.shape.some((d, i) => d !== p.shape[i])) {
        throw new RnnlmError(
          'checkpoint_mismatch',
          `parameter ${name} has shape ${fmtShape(src.shape)} in the checkpoint but ${fmtShape(p.shape)} in the model; ` +
            'use the configuration the checkpoint was trained with',
        );
      }
    }
    for (const [name, p] of slots) p.data.set(sd[name]!.data);
  }

  /** Casts every parameter to dtype in place (float64 for gradient checks). */
  to(dtype: DType): this {
    const remap = new Map<Tensor, Tensor>();
    const cast = (t: Tensor): Tensor => {
      let r = remap.get(t);
      if (!r) {
        r = t.dtype === dtype ? t : t.to(dtype);
        r.requiresGrad = t.requiresGrad;
        remap.set(t, r);
      }
      return r;
    };
    this.castParams(cast);
    return this;
  }

  private castParams(cast: (t: Tensor) => Tensor): void {
    for (const [n, t] of this.params) this.params.set(n, cast(t));
    for (const m of this.children.values()) m.castParams(cast);
  }

  /** Parameter by local name (subclasses read their own slots through this). */
  protected param(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new RnnlmError('invalid_argument', `no parameter named ${name}`);
    return t;
  }
}
