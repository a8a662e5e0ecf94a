/**
 * Per-layer hidden sizes (the 'list' layout), weight-drop and locked dropout between layers:
 * PyTorch-style names, what each option does to a forward, and float64 gradchecks with the
 * masks fixed (the shared Rng is re-seeded on every call).
 * Legend: T time, B batch, I input, H hidden, G gates.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { backward } from '../autograd/graph.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { isRnnlmError } from '../errors.js';
import { dropoutMask } from '../ops/dropout.js';
import { sum } from '../ops/elementwise.js';
import { recurrent } from '../ops/recurrent.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { RNN } from './rnn.js';
import { randTensor } from '../../test/helpers/tensors.js';

const rand = (shape: number[], rng: Rng, requiresGrad = true): Tensor => randTensor(rng, shape, -1, 1, requiresGrad);

describe('per-layer hidden sizes', () => {
  test('sizes that differ: a ModuleList of single-layer RNNs ({k}.weight_ih_l0 …)', () => {
    const rnn = new RNN({ mode: 'lstm', inputSize: 3, hiddenSize: 2, hiddenSizes: [5, 4, 2], rng: new Rng(0) });
    assert.equal(rnn.layout, 'list');
    assert.equal(rnn.numLayers, 3);
    assert.deepEqual(
      rnn.namedParameters().map(([n, p]) => [n, p.shape]),
      [
        ['0.weight_ih_l0', [20, 3]],
        ['0.weight_hh_l0', [20, 5]],
        ['0.bias_ih_l0', [20]],
        ['0.bias_hh_l0', [20]],
        ['1.weight_ih_l0', [16, 5]],
        ['1.weight_hh_l0', [16, 4]],
        ['1.bias_ih_l0', [16]],
        ['1.bias_hh_l0', [16]],
        ['2.weight_ih_l0', [8, 4]],
        ['2.weight_hh_l0', [8, 2]],
        ['2.bias_ih_l0', [8]],
        ['2.bias_hh_l0', [8]],
      ],
    );
    // Each layer keeps PyTorch's init range for its own size, U(±1/√H_k).
    for (const [name, p] of rnn.namedParameters()) {
      const H = [5, 4, 2][Number(name[0])]!;
      assert.ok(Math.max(...Array.from(p.data, Math.abs)) <= 1 / Math.sqrt(H), name);
    }
    const st = rnn.initState(3);
    assert.deepEqual(st.h.shape, [3 * (5 + 4 + 2)]);
    const out = rnn.forward(Tensor.fill([4, 3, 3], 0.5), st);
    assert.deepEqual(out.y.shape, [4, 3, 2]);
    assert.deepEqual(out.state.h.shape, [33]);
  });

  test('equal sizes keep the nn.LSTM layout, parameters and outputs identical to the plain stack', () => {
    const a = new RNN({ mode: 'gru', inputSize: 3, hiddenSize: 4, numLayers: 2, rng: new Rng(1) });
    const b = new RNN({ mode: 'gru', inputSize: 3, hiddenSize: 4, hiddenSizes: [4, 4], rng: new Rng(1) });
    assert.equal(b.layout, 'stacked');
    assert.deepEqual(
      b.namedParameters().map(([n]) => n),
      a.namedParameters().map(([n]) => n),
    );
    const x = Tensor.fill([2, 2, 3], 0.3);
    assert.deepEqual(Array.from(b.forward(x).y.data), Array.from(a.forward(x).y.data));
  });

  test('the state carries per layer: layer k of the flat state feeds layer k', () => {
    const rng = new Rng(2);
    const rnn = new RNN({ mode: 'rnn_tanh', inputSize: 2, hiddenSize: 3, hiddenSizes: [4, 3], dtype: 'float64', rng });
    const x = rand([3, 2, 2], rng, false);
    const h = rand([2 * 4 + 2 * 3], rng, false);
    const y = rnn.forward(x, { h, c: null }).y;
    // The same by hand: layer 0 from h[0:8] as [2,4], layer 1 from h[8:14] as [2,3].
    const h0 = new Tensor(h.data.slice(0, 8), [2, 4]);
    const h1 = new Tensor(h.data.slice(8), [2, 3]);
    const y0 = recurrent('rnn_tanh', x, rnn.layerParams(0), h0, null).y;
    const y1 = recurrent('rnn_tanh', y0, rnn.layerParams(1), h1, null).y;
    assert.deepEqual(Array.from(y.data), Array.from(y1.data));
  });

  test('inconsistent sizes are clear errors', () => {
    const mk = (o: object) => () => new RNN({ mode: 'lstm', inputSize: 3, hiddenSize: 2, rng: new Rng(0), ...o });
    const bad = (e: unknown) => isRnnlmError(e, 'invalid_argument');
    assert.throws(mk({ hiddenSizes: [5, 4] }), bad); // last ≠ hiddenSize
    assert.throws(mk({ hiddenSizes: [5, 2], numLayers: 3 }), bad);
    assert.throws(mk({ hiddenSizes: [5, 0, 2] }), bad);
    assert.throws(mk({ hiddenSizes: [] }), bad);
    assert.throws(mk({ weightDrop: 1 }), bad);
    assert.throws(mk({ dropoutHidden: -0.1 }), bad);
  });

  test('a state of the wrong layout is a shape error', () => {
    const rnn = new RNN({ mode: 'gru', inputSize: 2, hiddenSize: 3, hiddenSizes: [4, 3], rng: new Rng(0) });
    assert.throws(
      () => rnn.forward(Tensor.zeros([2, 2, 2]), { h: Tensor.zeros([2, 2, 3]), c: null }),
      (e: unknown) => isRnnlmError(e, 'shape_mismatch'),
    );
  });
});

describe('weight-drop (DropConnect on weight_hh) and locked dropout between layers', () => {
  test('training forward = the recurrent op on a masked weight_hh; eval uses the raw weight', () => {
    const rng = new Rng(3);
    const rnn = new RNN({ mode: 'lstm', inputSize: 2, hiddenSize: 3, weightDrop: 0.5, dtype: 'float64', rng });
    const x = rand([4, 2, 2], rng, false);
    const p = rnn.layerParams(0);
    const zero = Tensor.zeros([2, 3], 'float64');
    rng.seed(9);
    const yTrain = rnn.forward(x).y;
    rng.seed(9);
    const mask = dropoutMask(p.weightHh.size, 0.5, rng, 'float64');
    const masked = new Tensor(
      p.weightHh.data.map((w, i) => w * mask[i]!),
      p.weightHh.shape,
    );
    const ref = recurrent('lstm', x, { ...p, weightHh: masked }, zero, zero).y;
    assert.deepEqual(Array.from(yTrain.data), Array.from(ref.data));
    assert.ok(
      mask.some((m) => m === 0),
      'the mask drops something',
    );
    const yEval = rnn.eval().forward(x).y;
    const raw = recurrent('lstm', x, p, zero, zero).y;
    assert.deepEqual(Array.from(yEval.data), Array.from(raw.data));
    assert.notDeepEqual(Array.from(yEval.data), Array.from(yTrain.data));
  });

  for (const [mode, sizes] of [
    ['lstm', [4, 3]],
    ['gru', [3, 3]],
  ] as const) {
    test(`gradcheck ${mode} ${sizes.join('/')} with weight-drop 0.4 and locked dropout 0.3 (masks fixed)`, () => {
      const rng = new Rng(4);
      const rnn = new RNN({ mode, inputSize: 2, hiddenSize: 3, hiddenSizes: sizes, weightDrop: 0.4, dropoutHidden: 0.3, dtype: 'float64', rng });
      const x = rand([3, 2, 2], rng);
      const st = rnn.initState(2);
      for (let i = 0; i < st.h.size; i++) st.h.data[i] = rng.uniformRange(-1, 1);
      st.h.requiresGrad = true;
      const inputs = [x, st.h, ...rnn.parameters()];
      const r = gradcheck((xx) => {
        rng.seed(17); // same masks on every evaluation
        const out = rnn.forward(xx!, st);
        return out.state.c ? [out.y, out.state.h, out.state.c] : [out.y, out.state.h];
      }, inputs);
      assert.equal(r.perInput.length, inputs.length);
      assert.ok(r.maxRelError < 1e-6, `${mode}: ${r.maxRelError}`);
      // The raw recurrent weights do receive gradient through the mask.
      for (let l = 0; l < sizes.length; l++) assert.ok(r.perInput[2 + 4 * l + 1]!.norm > 0, `layer ${l} weight_hh gradient`);
    });
  }
});

describe('layer workspaces', () => {
  test('a second forward before the first backward does not disturb it (each layer reuses one workspace)', () => {
    const make = (): RNN => new RNN({ mode: 'lstm', inputSize: 3, hiddenSize: 4, numLayers: 2, dtype: 'float64', rng: new Rng(5) });
    const rng = new Rng(6);
    const [x1, x2] = [rand([3, 2, 3], rng, false), rand([3, 2, 3], rng, false)];
    const lossOf = (r: RNN, x: Tensor): Tensor => sum(r.forward(x).y);
    const ref = make();
    backward(lossOf(ref, x1));
    const want = ref.parameters().map((p) => Array.from(p.grad!.data));
    const rnn = make();
    for (let step = 0; step < 2; step++) {
      rnn.zeroGrad();
      const first = lossOf(rnn, x1);
      const second = lossOf(rnn, x2); // built while the first graph still holds the workspaces
      backward(first);
      assert.deepEqual(
        rnn.parameters().map((p) => Array.from(p.grad!.data)),
        want,
        `step ${step}`,
      );
      backward(second);
    }
  });
});
