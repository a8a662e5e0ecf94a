/** Every differentiable op against finite differences in float64 (relative error < 1e-6). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { RECURRENT_MODES } from '../backend/kernels.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  add,
  applyMask,
  crossEntropy,
  dropoutMask,
  embedding,
  exp,
  linear,
  log,
  matmul,
  mean,
  mul,
  neg,
  recurrent,
  relu,
  reshape,
  scale,
  sigmoid,
  stack,
  sum,
  tanh,
  unstack,
} from './index.js';
import { randTensor } from '../../test/helpers/tensors.js';

const rng = new Rng(7);
const rand = (shape: number[], lo = -1, hi = 1): Tensor => randTensor(rng, shape, lo, hi);
const TOL = 1e-6;

function expectOk(name: string, r: ReturnType<typeof gradcheck>): void {
  assert.ok(r.perInput.length > 0, `${name}: nothing checked`);
  assert.ok(r.maxRelError < TOL, `${name}: relative error ${r.maxRelError.toExponential(2)} ≥ ${TOL}`);
}

describe('gradcheck: elementwise and reductions', () => {
  test('add, mul, scale', () => {
    expectOk(
      'add',
      gradcheck((a, b) => add(a!, b!), [rand([3, 4]), rand([3, 4])]),
    );
    expectOk(
      'mul',
      gradcheck((a, b) => mul(a!, b!), [rand([5]), rand([5])]),
    );
    expectOk(
      'scale',
      gradcheck((a) => scale(a!, -2.5), [rand([2, 3])]),
    );
  });
  test('unary ops', () => {
    for (const [name, f] of [
      ['tanh', tanh],
      ['sigmoid', sigmoid],
      ['relu', relu],
      ['exp', exp],
      ['neg', neg],
    ] as const) {
      expectOk(
        name,
        gradcheck((a) => f(a!), [rand([4, 3])]),
      );
    }
    expectOk(
      'log',
      gradcheck((a) => log(a!), [rand([6], 0.5, 2)]),
    );
  });
  test('sum, mean, reshape', () => {
    expectOk(
      'sum',
      gradcheck((a) => sum(a!), [rand([3, 3])]),
    );
    expectOk(
      'mean',
      gradcheck((a) => mean(a!), [rand([7])]),
    );
    expectOk(
      'reshape',
      gradcheck((a) => tanh(reshape(a!, [6, 2])), [rand([3, 4])]),
    );
  });
  test('stack and unstack', () => {
    expectOk(
      'stack',
      gradcheck((a, b) => stack([a!, b!]), [rand([2, 3]), rand([2, 3])]),
    );
    expectOk(
      'unstack',
      gradcheck((a) => unstack(a!).map((t, i) => scale(t, i + 1)), [rand([3, 2, 2])]),
    );
  });
  test('a non-differentiable input gets no gradient', () => {
    const a = rand([3]);
    const b = rand([3]);
    b.requiresGrad = false;
    const r = gradcheck((x, y) => mul(x!, y!), [a, b]);
    assert.equal(r.perInput.length, 1);
    assert.equal(b.grad, null);
  });
});

describe('gradcheck: linear algebra, embedding, loss, dropout', () => {
  test('matmul', () =>
    expectOk(
      'matmul',
      gradcheck((a, b) => matmul(a!, b!), [rand([3, 5]), rand([5, 2])]),
    ));
  test('linear with and without bias', () => {
    expectOk(
      'linear',
      gradcheck((x, w, b) => linear(x!, w!, b!), [rand([4, 3]), rand([5, 3]), rand([5])]),
    );
    expectOk(
      'linear (no bias)',
      gradcheck((x, w) => linear(x!, w!, null), [rand([2, 3]), rand([4, 3])]),
    );
  });
  test('embedding with repeated ids', () => {
    const ids = Int32Array.from([1, 3, 1, 0, 3, 3]);
    expectOk(
      'embedding',
      gradcheck((w) => embedding(w!, ids), [rand([5, 4])]),
    );
  });
  test('cross-entropy: mean, sum, none, ignoreIndex', () => {
    const targets = Int32Array.from([2, 0, 4, 1]);
    expectOk(
      'xent mean',
      gradcheck((l) => crossEntropy(l!, targets), [rand([4, 5], -3, 3)]),
    );
    expectOk(
      'xent sum',
      gradcheck((l) => crossEntropy(l!, targets, { reduction: 'sum' }), [rand([4, 5], -3, 3)]),
    );
    expectOk(
      'xent none',
      gradcheck((l) => crossEntropy(l!, targets, { reduction: 'none' }), [rand([4, 5], -3, 3)]),
    );
    const ignored = Int32Array.from([2, -100, 4, 1]);
    expectOk(
      'xent ignore',
      gradcheck((l) => crossEntropy(l!, ignored), [rand([4, 5], -3, 3)]),
    );
  });
  test('dropout with a fixed mask', () => {
    const mask = dropoutMask(12, 0.5, new Rng(3), 'float64');
    expectOk(
      'dropout',
      gradcheck((x) => applyMask(x!, mask), [rand([3, 4])]),
    );
  });
});

describe('gradcheck: recurrent layers over whole sequences', () => {
  const modes = RECURRENT_MODES;
  for (const mode of modes) {
    for (const bias of [true, false]) {
      test(`${mode}${bias ? '' : ' (no bias)'}: input, weights, biases, h0, c0`, () => {
        const G = mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1;
        const [T, B, I, H] = [4, 2, 3, 5];
        const inputs = [rand([T, B, I]), rand([G * H, I], -0.6, 0.6), rand([G * H, H], -0.6, 0.6), rand([B, H])];
        if (bias) inputs.push(rand([G * H]), rand([G * H]));
        if (mode === 'lstm') inputs.push(rand([B, H]));
        const r = gradcheck((...a) => {
          const [x, wIh, wHh, h0] = a as [Tensor, Tensor, Tensor, Tensor];
          const bIh = bias ? a[4]! : null;
          const bHh = bias ? a[5]! : null;
          const c0 = mode === 'lstm' ? a[a.length - 1]! : null;
          const out = recurrent(mode, x, { weightIh: wIh, weightHh: wHh, biasIh: bIh, biasHh: bHh }, h0, c0);
          return out.c ? [out.y, out.h, out.c] : [out.y, out.h];
        }, inputs);
        assert.equal(r.perInput.length, inputs.length);
        expectOk(mode, r);
      });
    }
  }
});
