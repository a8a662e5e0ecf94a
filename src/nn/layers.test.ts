/** Layers and the whole language model against finite differences (float64), plus PyTorch init ranges. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { RECURRENT_MODES } from '../backend/kernels.js';
import { RNNLM } from '../models/rnnlm.js';
import { crossEntropy } from '../ops/loss.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';
import { RNN } from './rnn.js';
import { randTensor } from '../../test/helpers/tensors.js';

const TOL = 1e-6;
const modes = RECURRENT_MODES;

const rand = (shape: number[], rng: Rng, requiresGrad = true): Tensor => randTensor(rng, shape, -1, 1, requiresGrad);

describe('layer gradcheck (float64)', () => {
  test('Linear and Embedding', () => {
    const rng = new Rng(1);
    const lin = new Linear(3, 4, { dtype: 'float64', rng });
    const x = rand([5, 3], rng);
    const r = gradcheck((xx) => lin.forward(xx!), [x, lin.weight, lin.bias!]);
    assert.equal(r.perInput.length, 3);
    assert.ok(r.maxRelError < TOL, `linear ${r.maxRelError}`);
    const emb = new Embedding(6, 3, { dtype: 'float64', rng });
    const ids = Int32Array.from([0, 5, 5, 2]);
    const re = gradcheck(() => emb.forward(ids), [emb.weight]);
    assert.ok(re.maxRelError < TOL, `embedding ${re.maxRelError}`);
  });

  for (const mode of modes) {
    test(`stacked 2-layer ${mode}: every parameter, the input and the initial state`, () => {
      const rng = new Rng(2);
      const rnn = new RNN({ mode, inputSize: 3, hiddenSize: 4, numLayers: 2, dtype: 'float64', rng });
      const x = rand([3, 2, 3], rng);
      const st = rnn.initState(2);
      for (let i = 0; i < st.h.size; i++) st.h.data[i] = rng.uniformRange(-1, 1);
      st.h.requiresGrad = true;
      const inputs = [x, st.h, ...(st.c ? [st.c] : []), ...rnn.parameters()];
      const r = gradcheck((xx) => {
        const out = rnn.forward(xx!, st);
        return out.state.c ? [out.y, out.state.h, out.state.c] : [out.y, out.state.h];
      }, inputs);
      assert.equal(r.perInput.length, inputs.length - (st.c && !st.c.requiresGrad ? 1 : 0));
      assert.ok(r.maxRelError < TOL, `${mode}: ${r.maxRelError}`);
    });
  }

  test('whole LM loss (2-layer LSTM, tied weights) w.r.t. every parameter', () => {
    const model = new RNNLM({ vocabSize: 7, embedSize: 5, hiddenSize: 5, numLayers: 2, cell: 'lstm', tieWeights: true, dtype: 'float64', seed: 3 });
    const [T, B] = [4, 2];
    const rng = new Rng(4);
    const ids = Int32Array.from({ length: T * B }, () => rng.int(7));
    const targets = Int32Array.from({ length: T * B }, () => rng.int(7));
    const r = gradcheck(() => crossEntropy(model.forward(ids, T, B).logits, targets), model.parameters());
    assert.equal(r.perInput.length, model.parameters().length);
    assert.ok(r.maxRelError < TOL, `LM: ${r.maxRelError}`);
  });
});

describe('PyTorch default initialisation', () => {
  test('recurrent weights and biases lie in U(±1/√H); Linear in U(±1/√I); Embedding ~ N(0,1)', () => {
    const rng = new Rng(5);
    const H = 16;
    const rnn = new RNN({ mode: 'lstm', inputSize: 8, hiddenSize: H, numLayers: 2, rng });
    for (const [name, p] of rnn.namedParameters()) {
      const max = Math.max(...Array.from(p.data, Math.abs));
      assert.ok(max <= 1 / Math.sqrt(H) && max > 0.8 / Math.sqrt(H), `${name}: max |w| ${max}`);
    }
    const lin = new Linear(25, 10, { rng });
    assert.ok(Math.max(...Array.from(lin.weight.data, Math.abs)) <= 0.2);
    const emb = new Embedding(200, 50, { rng });
    const d = Array.from(emb.weight.data);
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const std = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(std - 1) < 0.03, `embedding mean ${mean} std ${std}`);
  });

  test('parameter names and shapes follow nn.LSTM / nn.GRU', () => {
    const lstm = new RNN({ mode: 'lstm', inputSize: 3, hiddenSize: 5, numLayers: 2, rng: new Rng(0) });
    assert.deepEqual(
      lstm.namedParameters().map(([n, p]) => [n, p.shape]),
      [
        ['weight_ih_l0', [20, 3]],
        ['weight_hh_l0', [20, 5]],
        ['bias_ih_l0', [20]],
        ['bias_hh_l0', [20]],
        ['weight_ih_l1', [20, 5]],
        ['weight_hh_l1', [20, 5]],
        ['bias_ih_l1', [20]],
        ['bias_hh_l1', [20]],
      ],
    );
    const gru = new RNN({ mode: 'gru', inputSize: 3, hiddenSize: 5, bias: false, rng: new Rng(0) });
    assert.deepEqual(
      gru.namedParameters().map(([n, p]) => [n, p.shape]),
      [
        ['weight_ih_l0', [15, 3]],
        ['weight_hh_l0', [15, 5]],
      ],
    );
  });

  test('inter-layer dropout is active only in training mode and never after the last layer', () => {
    const rnn = new RNN({ mode: 'gru', inputSize: 2, hiddenSize: 3, numLayers: 2, dropout: 0.5, rng: new Rng(9) });
    const x = Tensor.from(
      Array.from({ length: 12 }, (_, i) => Math.sin(i)),
      [2, 3, 2],
    );
    const a = rnn.eval().forward(x).y.toArray();
    const b = rnn.eval().forward(x).y.toArray();
    assert.deepEqual(a, b);
    const c = rnn.train().forward(x).y.toArray();
    assert.notDeepEqual(a, c);
  });
});
