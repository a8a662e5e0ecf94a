import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerBackend, setBackend } from '../backend/backend.js';
import { jsBackend } from '../backend/js/index.js';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor, type DType } from '../tensor/tensor.js';
import { Adam, AdamW, SGD, createOptimizer, type Optimizer, type OptimizerName, type OptimizerOptions, type OptimizerStateDict } from './index.js';

registerBackend(jsBackend);
setBackend('js');

const CONFIGS: Array<[OptimizerName, OptimizerOptions]> = [
  ['sgd', { lr: 0.1 }],
  ['sgd', { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
  ['adam', { lr: 0.01, weightDecay: 0.01 }],
  ['adamw', { lr: 0.01 }],
  ['adagrad', { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }],
  ['rmsprop', { lr: 0.01, momentum: 0.5, centered: true }],
];

function makeParams(dtype: DType, seed = 1): Tensor[] {
  const rng = new Rng(seed);
  return [[3, 4], [4], [2, 2]].map((shape) => {
    const t = Tensor.zeros(shape, dtype, true);
    for (let j = 0; j < t.size; j++) t.data[j] = rng.normal();
    return t;
  });
}

/** Gradients of a quadratic pulling each weight toward 0.5, plus seeded noise; param 2 gets none on even steps. */
function setGrads(params: Tensor[], rng: Rng, k: number): void {
  params.forEach((p, i) => {
    if (i === 2 && k % 2 === 0) {
      p.grad = null;
      return;
    }
    const g = Tensor.zeros(p.shape, p.dtype);
    for (let j = 0; j < p.size; j++) g.data[j] = 2 * (p.data[j]! - 0.5) + 0.3 * rng.normal();
    p.grad = g;
  });
}

/** What a checkpoint does to a state dict: JSON through text, tensors copied. */
function throughCheckpoint(s: OptimizerStateDict): OptimizerStateDict {
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(s.tensors)) tensors[k] = t.clone();
  return { json: JSON.parse(JSON.stringify(s.json)) as Record<string, unknown>, tensors };
}

describe('state dict', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [name, opts] of CONFIGS) {
      test(`${name} ${JSON.stringify(opts)} ${dtype}: 6 steps = 3 + save/load + 3, bit for bit`, () => {
        const a = makeParams(dtype);
        const optA = createOptimizer(name, a, opts);
        const rngA = new Rng(7);
        for (let k = 0; k < 6; k++) {
          setGrads(a, rngA, k);
          optA.step();
          if (k === 2) optA.lr *= 0.5; // a schedule changed the lr: it must be restored too
        }

        const b = makeParams(dtype);
        const optB = createOptimizer(name, b, opts);
        const rngB = new Rng(7);
        for (let k = 0; k < 3; k++) {
          setGrads(b, rngB, k);
          optB.step();
        }
        optB.lr *= 0.5;
        const saved = throughCheckpoint(optB.stateDict());
        // A fresh optimizer (default lr) over copies of the weights, as after a restart.
        const c = b.map((p) => new Tensor(p.data.slice(), p.shape, true));
        const optC = createOptimizer(name, c, { ...opts, lr: 123 });
        optC.loadStateDict(saved);
        assert.equal(optC.lr, optB.lr);
        for (let k = 3; k < 6; k++) {
          setGrads(c, rngB, k);
          optC.step();
        }
        c.forEach((p, i) => assert.deepEqual(p.data, a[i]!.data, `param ${i}`));
        assert.deepEqual(optC.stateDict().json, optA.stateDict().json);
      });
    }
  }

  test('names buffers by parameter index and snapshots them', () => {
    const params = makeParams('float32');
    const opt = new Adam(params, { lr: 0.1 });
    setGrads(params, new Rng(3), 0); // param 2 has no gradient
    opt.step();
    const s = opt.stateDict();
    assert.deepEqual(Object.keys(s.tensors).sort(), ['0.exp_avg', '0.exp_avg_sq', '1.exp_avg', '1.exp_avg_sq']);
    assert.deepEqual(s.json.steps, [1, 1, 0]);
    assert.equal(s.json.optimizer, 'adam');
    const before = s.tensors['0.exp_avg']!.data.slice();
    setGrads(params, new Rng(4), 1);
    opt.step();
    assert.deepEqual(s.tensors['0.exp_avg']!.data, before, 'a later step must not change a taken state dict');
  });

  test('loadStateDict rejects a mismatched state and leaves the optimizer unchanged', () => {
    const params = makeParams('float32');
    const opt = new Adam(params, { lr: 0.1 });
    setGrads(params, new Rng(3), 1);
    opt.step();
    const good = opt.stateDict();
    const other = new Adam(makeParams('float32'), { lr: 0.5 });
    const before = other.stateDict();
    const cases: Array<[string, OptimizerStateDict, string]> = [
      ['other optimizer', { ...good, json: { ...good.json, optimizer: 'sgd' } }, 'checkpoint_mismatch'],
      ['param count', { ...good, json: { ...good.json, steps: [1, 1] } }, 'checkpoint_mismatch'],
      ['bad step', { ...good, json: { ...good.json, steps: [1, -1, 0] } }, 'checkpoint_mismatch'],
      ['bad lr', { ...good, json: { ...good.json, lr: 'fast' } }, 'checkpoint_mismatch'],
      ['format', { ...good, json: { ...good.json, format: 99 } }, 'corrupt_checkpoint'],
      ['shape', { ...good, tensors: { ...good.tensors, '1.exp_avg': Tensor.zeros([5]) } }, 'checkpoint_mismatch'],
      ['unknown tensor', { ...good, tensors: { ...good.tensors, '7.exp_avg': Tensor.zeros([4]) } }, 'checkpoint_mismatch'],
      ['missing hyper', { ...good, json: { ...good.json, hyper: { beta1: 0.9 } } }, 'checkpoint_mismatch'],
    ];
    for (const [what, s, code] of cases) {
      assert.throws(
        () => other.loadStateDict(s),
        (e) => isRnnlmError(e, code as never),
        what,
      );
    }
    assert.deepEqual(other.stateDict(), before);
    assert.throws(() => new SGD(makeParams('float32'), { lr: 1 }).loadStateDict(good), /--optimizer adam/);
  });

  test('restores hyperparameters, and loaded buffers are copies in the parameter dtype', () => {
    const p64 = makeParams('float64');
    const src = new AdamW(p64, { lr: 0.02, betas: [0.8, 0.95], weightDecay: 0.3 });
    setGrads(p64, new Rng(1), 1);
    src.step();
    const s = src.stateDict();
    const p32 = makeParams('float32');
    const dst = new AdamW(p32);
    dst.loadStateDict(s);
    const d = dst.stateDict();
    assert.deepEqual(d.json, s.json);
    assert.equal(d.tensors['0.exp_avg']!.dtype, 'float32');
    s.tensors['0.exp_avg']!.data.fill(9);
    assert.notEqual(dst.stateDict().tensors['0.exp_avg']!.data[0], 9);
  });
});

describe('step semantics', () => {
  test('parameters without a gradient are skipped and keep their own step count', () => {
    // Adam's bias correction uses each parameter's own count: a parameter first updated at
    // global step 3 must move exactly as on a fresh optimizer's first step.
    const [w, late] = makeParams('float64');
    const opt = new Adam([w!, late!], { lr: 0.05 });
    const lateStart = late!.data.slice();
    const grad = Tensor.fill(late!.shape, 0.3, 'float64');
    for (let k = 0; k < 2; k++) {
      w!.grad = Tensor.fill(w!.shape, 1, 'float64');
      late!.grad = null;
      opt.step();
    }
    assert.deepEqual(late!.data, lateStart, 'no gradient, no change');
    late!.grad = grad;
    opt.step();
    const ref = new Tensor(lateStart.slice(), late!.shape, true);
    ref.grad = grad;
    new Adam([ref], { lr: 0.05 }).step();
    assert.deepEqual(late!.data, ref.data);
    assert.deepEqual(opt.stateDict().json.steps, [3, 1]);
  });

  test('first Adam step moves each weight by about lr against the gradient sign (hand-computed)', () => {
    const p = new Tensor(Float64Array.from([1, -2, 0.5]), [3], true);
    p.grad = new Tensor(Float64Array.from([0.2, -3, 1e-3]), [3]);
    new Adam([p], { lr: 0.1, eps: 0 }).step();
    // m̂ = g, v̂ = g², so the update is exactly lr · g / |g|.
    assert.deepEqual(Array.from(p.data), [0.9, -1.9, 0.4]);
  });

  test('SGD with momentum, hand-computed', () => {
    const p = new Tensor(Float64Array.from([1]), [1], true);
    const opt = new SGD([p], { lr: 0.5, momentum: 0.5, dampening: 0.5 });
    p.grad = Tensor.fill([1], 2, 'float64');
    opt.step(); // buf = 2 (first step: no dampening); p = 1 − 0.5·2 = 0
    assert.equal(p.data[0], 0);
    opt.step(); // buf = 0.5·2 + 0.5·2 = 2; p = 0 − 1 = −1
    assert.equal(p.data[0], -1);
  });

  test('the gradient itself is never modified', () => {
    for (const [name, opts] of CONFIGS) {
      const params = makeParams('float32');
      setGrads(params, new Rng(2), 1);
      const grads = params.map((p) => p.grad!.data.slice());
      createOptimizer(name, params, { ...opts, weightDecay: 0.1 }).step();
      params.forEach((p, i) => assert.deepEqual(p.grad!.data, grads[i], name));
    }
  });

  test('zeroGrad zeroes every gradient', () => {
    const params = makeParams('float32');
    setGrads(params, new Rng(2), 1);
    new SGD(params, { lr: 1 }).zeroGrad();
    for (const p of params) assert.ok(p.grad!.data.every((x) => x === 0));
  });

  test('a gradient of the wrong shape or dtype is an error', () => {
    const p = Tensor.zeros([2, 3], 'float32', true);
    const opt: Optimizer = new SGD([p], { lr: 1 });
    p.grad = Tensor.zeros([3, 2]);
    assert.throws(
      () => opt.step(),
      (e) => isRnnlmError(e, 'shape_mismatch'),
    );
    p.grad = Tensor.zeros([2, 3], 'float64');
    assert.throws(
      () => opt.step(),
      (e) => isRnnlmError(e, 'dtype_mismatch'),
    );
  });
});

describe('options', () => {
  const p = () => [Tensor.zeros([2], 'float32', true)];
  const invalid = (f: () => unknown, what: string) => assert.throws(f, (e) => isRnnlmError(e, 'invalid_argument'), what);

  test('bad hyperparameters are invalid_argument', () => {
    invalid(() => new SGD([], { lr: 1 }), 'empty params');
    const t = Tensor.zeros([2], 'float32', true);
    invalid(() => new SGD([t, t], { lr: 1 }), 'duplicate');
    invalid(() => new SGD(p(), { lr: -1 }), 'negative lr');
    invalid(() => new SGD(p(), { lr: NaN }), 'NaN lr');
    invalid(() => new SGD(p(), { lr: 1, nesterov: true }), 'nesterov without momentum');
    invalid(() => new SGD(p(), { lr: 1, momentum: 0.9, dampening: 0.1, nesterov: true }), 'nesterov with dampening');
    invalid(() => new SGD(p(), { lr: 1, momentum: -0.1 }), 'negative momentum');
    invalid(() => new Adam(p(), { betas: [1, 0.999] }), 'beta1 = 1');
    invalid(() => new Adam(p(), { betas: [0.9, -0.1] }), 'negative beta2');
    invalid(() => new Adam(p(), { eps: -1 }), 'negative eps');
    invalid(() => createOptimizer('rmsprop', p(), { alpha: -1 }), 'negative alpha');
    invalid(() => createOptimizer('adagrad', p(), { lrDecay: -1 }), 'negative lrDecay');
  });

  test('createOptimizer builds each kind with PyTorch defaults and rejects options it does not take', () => {
    assert.ok(createOptimizer('adamw', p()) instanceof AdamW);
    const defaults = (n: OptimizerName, o: OptimizerOptions = {}) => createOptimizer(n, p(), o).stateDict().json;
    assert.deepEqual(defaults('adam'), { format: 1, optimizer: 'adam', lr: 1e-3, hyper: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, steps: [0] });
    assert.deepEqual((defaults('adamw') as { hyper: unknown }).hyper, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2 });
    assert.deepEqual(defaults('adagrad').hyper, { lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
    assert.equal(defaults('adagrad').lr, 1e-2);
    assert.deepEqual(defaults('rmsprop').hyper, { alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
    assert.equal(defaults('rmsprop').lr, 1e-2);
    invalid(() => createOptimizer('sgd', p()), 'sgd without lr');
    invalid(() => createOptimizer('adam', p(), { momentum: 0.9 }), 'adam + momentum');
    invalid(() => createOptimizer('lion' as OptimizerName, p(), {}), 'unknown name');
    // undefined means "default", so a CLI can pass its whole option set
    assert.equal(createOptimizer('adam', p(), { momentum: undefined }).name, 'adam');
  });
});
