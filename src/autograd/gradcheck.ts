/**
 * Gradient check: analytic gradients from backward() against central finite differences,
 * in float64. The scalar checked is L = Σ f(inputs) ⊙ R for a fixed random R, so every
 * output element contributes with a different weight.
 */
import { RnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { backward, noGrad } from './graph.js';

export interface GradcheckResult {
  /** max over inputs of ‖analytic − numeric‖₂ / max(‖analytic‖₂, ‖numeric‖₂). */
  maxRelError: number;
  /** max |analytic − numeric| over all elements. */
  maxAbsError: number;
  perInput: { relError: number; absError: number; norm: number }[];
}

export interface GradcheckOptions {
  eps?: number;
  seed?: number;
}

function project(out: Tensor | Tensor[], weights: Float64Array[]): number {
  const outs = Array.isArray(out) ? out : [out];
  let s = 0;
  outs.forEach((o, j) => {
    const w = weights[j]!;
    for (let i = 0; i < o.size; i++) s += o.data[i]! * w[i]!;
  });
  return s;
}

/**
 * `fn` maps the inputs to one or more output tensors. All inputs must be float64;
 * those with requiresGrad are checked.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6;
  for (const t of inputs) {
    if (t.dtype !== 'float64') throw new RnnlmError('dtype_mismatch', 'gradcheck needs float64 inputs');
  }
  const rng = new Rng(opts.seed ?? 1234);
  const first = fn(...inputs);
  const outs = Array.isArray(first) ? first : [first];
  const weights = outs.map((o) => Float64Array.from({ length: o.size }, () => rng.normal()));

  // Analytic: seed each output with its weights and back-propagate once through all of them.
  for (const t of inputs) t.grad = null;
  const roots = outs.filter((o) => o.requiresGrad);
  if (roots.length === 0) throw new RnnlmError('invalid_argument', 'gradcheck: no output depends on an input that requires grad');
  // Combine the outputs into one scalar so a single backward covers them.
  const scalar = combine(roots, outs, weights);
  backward(scalar);

  const perInput: GradcheckResult['perInput'] = [];
  for (const t of inputs) {
    if (!t.requiresGrad) continue;
    const analytic = t.grad ? Float64Array.from(t.grad.data) : new Float64Array(t.size);
    const numeric = new Float64Array(t.size);
    noGrad(() => {
      for (let i = 0; i < t.size; i++) {
        const orig = t.data[i]!;
        t.data[i] = orig + eps;
        const fp = project(fn(...inputs), weights);
        t.data[i] = orig - eps;
        const fm = project(fn(...inputs), weights);
        t.data[i] = orig;
        numeric[i] = (fp - fm) / (2 * eps);
      }
    });
    let diff2 = 0;
    let a2 = 0;
    let n2 = 0;
    let absErr = 0;
    for (let i = 0; i < t.size; i++) {
      const d = analytic[i]! - numeric[i]!;
      diff2 += d * d;
      a2 += analytic[i]! ** 2;
      n2 += numeric[i]! ** 2;
      absErr = Math.max(absErr, Math.abs(d));
    }
    const denom = Math.max(Math.sqrt(a2), Math.sqrt(n2), 1e-300);
    perInput.push({ relError: Math.sqrt(diff2) / denom, absError: absErr, norm: Math.sqrt(a2) });
  }
  return {
    maxRelError: Math.max(0, ...perInput.map((p) => p.relError)),
    maxAbsError: Math.max(0, ...perInput.map((p) => p.absError)),
    perInput,
  };
}

/** Σ_j Σ_i outs[j][i] · w[j][i] as a graph node over the outputs that require grad. */
function combine(roots: Tensor[], outs: Tensor[], weights: Float64Array[]): Tensor {
  const result = new Tensor(new Float64Array([project(outs, weights)]), [1]);
  result.requiresGrad = true;
  result.gradFn = {
    name: 'gradcheck_projection',
    inputs: roots,
    outputs: [result],
    backward: () => {
      for (const o of roots) {
        const w = weights[outs.indexOf(o)]!;
        o.grad = new Tensor(Float64Array.from(w), o.shape);
      }
    },
  } as never;
  return result;
}
