/**
 * src/optim against PyTorch: test/golden/fixtures/optim.json is written by
 * scripts/reference/optim_golden.py (torch.optim, clip_grad_norm_, ReduceLROnPlateau, StepLR).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { registerBackend, setBackend } from '../backend/backend.js';
import { jsBackend } from '../backend/js/index.js';
import { Tensor, allocArray, type DType } from '../tensor/tensor.js';
import { type OptimizerName, type OptimizerOptions, ReduceLROnPlateau, StepDecay, clipGradNorm, createOptimizer } from './index.js';

registerBackend(jsBackend);
setBackend('js');

interface OptimCase {
  name: string;
  optimizer: OptimizerName;
  options: OptimizerOptions;
  dtype: DType;
  params: Array<{ shape: number[]; data: number[] }>;
  steps: Array<{ grads: Array<number[] | null>; params: number[][] }>;
}
interface ClipCase {
  name: string;
  dtype: DType;
  maxNorm: number;
  params: Array<{ shape: number[]; grad: number[] | null }>;
  norm: number;
  clipped: Array<number[] | null>;
}
interface Fixture {
  optimizers: OptimCase[];
  clip: ClipCase[];
  plateau: Array<{ name: string; options: Record<string, unknown>; lr: number; metrics: number[]; lrs: number[] }>;
  steplr: Array<{ stepSize: number; gamma: number; lr: number; lrs: number[] }>;
}

const fixture = JSON.parse(readFileSync(new URL('../../test/golden/fixtures/optim.json', import.meta.url), 'utf8')) as Fixture;

function tensorOf(values: number[], shape: readonly number[], dtype: DType): Tensor {
  const data = allocArray(dtype, values.length);
  data.set(values);
  return new Tensor(data, shape, true);
}

/** float64 runs must agree with PyTorch to rounding; float32 to a few ulps of the values involved. */
function assertClose(actual: ArrayLike<number>, expected: number[], dtype: DType, what: string): void {
  const rel = dtype === 'float64' ? 1e-14 : 2e-6;
  assert.equal(actual.length, expected.length, what);
  for (let j = 0; j < expected.length; j++) {
    const a = actual[j]!;
    const e = expected[j]!;
    assert.ok(Math.abs(a - e) <= rel * Math.max(1, Math.abs(e)), `${what}[${j}]: ${a} vs PyTorch ${e}`);
  }
}

describe('optimizers match torch.optim', () => {
  for (const c of fixture.optimizers) {
    test(`${c.name} (${c.dtype})`, () => {
      const params = c.params.map((p) => tensorOf(p.data, p.shape, c.dtype));
      const opt = createOptimizer(c.optimizer, params, c.options);
      c.steps.forEach((s, k) => {
        params.forEach((p, i) => {
          const g = s.grads[i];
          p.grad = g ? new Tensor(tensorOf(g, p.shape, c.dtype).data, p.shape) : null;
        });
        opt.step();
        params.forEach((p, i) => assertClose(p.data, s.params[i]!, c.dtype, `step ${k + 1} param ${i}`));
      });
    });
  }
});

describe('clipGradNorm matches clip_grad_norm_', () => {
  for (const c of fixture.clip) {
    test(c.name, () => {
      const params = c.params.map((p) => {
        const t = Tensor.zeros(p.shape, c.dtype, true);
        t.grad = p.grad ? tensorOf(p.grad, p.shape, c.dtype) : null;
        return t;
      });
      const norm = clipGradNorm(params, c.maxNorm);
      assert.ok(Math.abs(norm - c.norm) <= (c.dtype === 'float64' ? 1e-13 : 1e-6) * c.norm, `norm ${norm} vs ${c.norm}`);
      params.forEach((p, i) => {
        const expected = c.clipped[i];
        if (expected === null) assert.equal(p.grad, null);
        else assertClose(p.grad!.data, expected!, c.dtype, `grad ${i}`);
      });
    });
  }
});

describe('schedules match torch.optim.lr_scheduler', () => {
  for (const c of fixture.plateau) {
    test(`ReduceLROnPlateau ${c.name}`, () => {
      const target = { lr: c.lr };
      const sched = new ReduceLROnPlateau(target, c.options);
      // Exact equality: the same float operations as PyTorch.
      assert.deepEqual(
        c.metrics.map((m) => (sched.step(m), target.lr)),
        c.lrs,
      );
    });
  }
  for (const c of fixture.steplr) {
    test(`StepDecay stepSize=${c.stepSize} gamma=${c.gamma}`, () => {
      const target = { lr: c.lr };
      const sched = new StepDecay(target, { stepSize: c.stepSize, gamma: c.gamma });
      assert.deepEqual(
        c.lrs.map(() => (sched.step(), target.lr)),
        c.lrs,
      );
    });
  }
});
