/**
 * The AWD-LSTM options of RNNLM: default off (the plain model is unchanged), state-dict names
 * for per-layer sizes, eval mode ignores every dropout, the AR/TAR penalty, the config parser,
 * and a float64 gradcheck of the whole loss with every option on and the masks fixed.
 * Legend: T time, B batch, E embedding, H hidden, V vocabulary.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { backward } from '../autograd/graph.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { isRnnlmError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { crossEntropy } from '../ops/loss.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { RNNLM, type RNNLMConfig, activationPenalty, detachState, parseRNNLMConfig } from './rnnlm.js';

const AWD: Partial<RNNLMConfig> = {
  hiddenSizes: [6, 6, 4],
  numLayers: 3,
  hiddenSize: 4,
  embedSize: 4,
  tieWeights: true,
  dropoutInput: 0.3,
  dropoutHidden: 0.25,
  dropoutOutput: 0.4,
  dropoutEmbedding: 0.2,
  weightDrop: 0.5,
};
const model = (over: Partial<RNNLMConfig> = {}): RNNLM =>
  new RNNLM({ vocabSize: 9, embedSize: 5, hiddenSize: 5, numLayers: 2, cell: 'lstm', seed: 4, ...over });

const ids = (n: number, seed: number, V = 9): Int32Array => {
  const r = new Rng(seed);
  return Int32Array.from({ length: n }, () => r.int(V));
};

describe('RNNLM with AWD-LSTM options', () => {
  test('options default off: the same parameters and logits as before, options absent or undefined', () => {
    const a = model();
    const b = model({ hiddenSizes: undefined, dropoutInput: undefined, weightDrop: 0, dropoutEmbedding: 0 });
    assert.deepEqual(
      b.namedParameters().map(([n]) => n),
      a.namedParameters().map(([n]) => n),
    );
    assert.equal(b.config.weightDrop, 0);
    assert.equal(b.config.hiddenSizes, null);
    const x = ids(6, 1);
    assert.deepEqual(Array.from(b.forward(x, 3, 2).logits.data), Array.from(a.forward(x, 3, 2).logits.data));
  });

  test('per-layer sizes: AWD-style names rnns.{k}.…, tied to the last layer', () => {
    const m = model(AWD);
    const names = m.namedParameterSlots().map(([n, p]) => `${n}:${p.shape.join('x')}`);
    assert.deepEqual(names, [
      'encoder.weight:9x4',
      'rnns.0.weight_ih_l0:24x4',
      'rnns.0.weight_hh_l0:24x6',
      'rnns.0.bias_ih_l0:24',
      'rnns.0.bias_hh_l0:24',
      'rnns.1.weight_ih_l0:24x6',
      'rnns.1.weight_hh_l0:24x6',
      'rnns.1.bias_ih_l0:24',
      'rnns.1.bias_hh_l0:24',
      'rnns.2.weight_ih_l0:16x6',
      'rnns.2.weight_hh_l0:16x4',
      'rnns.2.bias_ih_l0:16',
      'rnns.2.bias_hh_l0:16',
      'decoder.weight:9x4',
      'decoder.bias:9',
    ]);
    assert.equal(m.decoder.weight, m.encoder.weight);
    // A uniform stack keeps PyTorch's nn.LSTM names.
    assert.ok(
      model()
        .namedParameters()
        .some(([n]) => n === 'rnn.weight_hh_l1'),
    );
  });

  test('eval mode ignores every dropout; training draws new masks each forward', () => {
    const m = model(AWD);
    const x = ids(8, 2);
    m.eval();
    const e1 = Array.from(m.forward(x, 4, 2).logits.data);
    const e2 = Array.from(m.forward(x, 4, 2).logits.data);
    assert.deepEqual(e1, e2);
    // The eval output equals the same weights with every option off.
    const plain = model({ ...AWD, dropoutInput: 0, dropoutHidden: 0, dropoutOutput: 0, dropoutEmbedding: 0, weightDrop: 0 });
    plain.loadStateDict(m.stateDict());
    plain.eval();
    assert.deepEqual(Array.from(plain.forward(x, 4, 2).logits.data), e1);
    m.train();
    const t1 = Array.from(m.forward(x, 4, 2).logits.data);
    const t2 = Array.from(m.forward(x, 4, 2).logits.data);
    assert.notDeepEqual(t1, e1);
    assert.notDeepEqual(t1, t2);
  });

  test('forward returns the last layer output before and after output dropout', () => {
    const m = model({ dropoutOutput: 0.5 });
    const out = m.forward(ids(6, 3), 3, 2);
    assert.deepEqual(out.hidden.shape, [3, 2, 5]);
    const h = Array.from(out.hidden.data);
    const d = Array.from(out.droppedHidden.data);
    assert.ok(d.every((v, i) => v === 0 || Math.abs(v - 2 * h[i]!) < 1e-6));
    assert.ok(d.some((v) => v === 0));
  });

  test('activationPenalty: α·mean(dropped²) + β·mean(Δh²), by hand', () => {
    const hidden = Tensor.from([1, 2, 3, 5], [2, 1, 2]); // T=2, B=1, H=2
    const droppedHidden = Tensor.from([2, 0, 6, 10], [2, 1, 2]);
    assert.equal(activationPenalty({ hidden, droppedHidden }, 0, 0), null);
    assert.equal(activationPenalty({ hidden, droppedHidden }, 2, 0)!.item(), 2 * ((4 + 0 + 36 + 100) / 4));
    assert.equal(activationPenalty({ hidden, droppedHidden }, 0, 1)!.item(), (4 + 9) / 2);
    assert.equal(activationPenalty({ hidden, droppedHidden }, 2, 1)!.item(), 70 + 6.5);
    // One time step: TAR has no pairs and is skipped.
    const one = Tensor.from([1, 1], [1, 1, 2]);
    assert.equal(activationPenalty({ hidden: one, droppedHidden: one }, 0, 1), null);
  });

  test('gradcheck of cross-entropy + AR + TAR, every AWD option on (float64, masks fixed)', () => {
    const m = model({ ...AWD, dtype: 'float64' });
    const [T, B] = [3, 2];
    const x = ids(T * B, 5);
    const y = ids(T * B, 6);
    const seed = m.rng.getState();
    const r = gradcheck(() => {
      m.rng.setState(seed); // identical masks on every evaluation
      const out = m.forward(x, T, B);
      return add(crossEntropy(out.logits, y), activationPenalty(out, 2, 1)!);
    }, m.parameters());
    assert.equal(r.perInput.length, m.parameters().length);
    assert.ok(r.maxRelError < 1e-6, `LM: ${r.maxRelError}`);
  });

  test('bad options are clear errors', () => {
    const bad = (e: unknown) => isRnnlmError(e, 'invalid_argument');
    assert.throws(() => model({ dropoutInput: 1 }), bad);
    assert.throws(() => model({ weightDrop: -0.5 }), bad);
    assert.throws(
      () => model({ ...AWD, embedSize: 6 }),
      (e: unknown) => bad(e) && /last layer/.test((e as Error).message),
    );
    assert.throws(() => model({ hiddenSizes: [6, 6, 4], numLayers: 3 }), bad); // hiddenSize 5 ≠ 4
  });
});

describe('parseRNNLMConfig', () => {
  test('round-trips every field of a saved config', () => {
    const m = model({ ...AWD, init: 0.1 });
    const { dtype: _d, ...saved } = JSON.parse(JSON.stringify(m.config)) as Record<string, unknown>;
    const cfg = parseRNNLMConfig(saved);
    const again = new RNNLM(cfg);
    const { dtype: _a, ...want } = m.config;
    const { dtype: _b, ...got } = again.config;
    assert.deepEqual(got, want);
  });

  test('older configs without the new fields read as the defaults; bad values are corrupt_checkpoint', () => {
    const cfg = parseRNNLMConfig({ vocabSize: 5, embedSize: 3, hiddenSize: 3, numLayers: 1, cell: 'gru' });
    assert.equal(cfg.weightDrop, 0);
    assert.equal(cfg.hiddenSizes, null);
    const corrupt = (e: unknown) => isRnnlmError(e, 'corrupt_checkpoint');
    const base = { vocabSize: 5, embedSize: 3, hiddenSize: 3, numLayers: 1, cell: 'gru' };
    assert.throws(
      () => parseRNNLMConfig({ ...base, dropoutHidden: 2 }, 'x/config.json'),
      (e: unknown) => corrupt(e) && /x\/config\.json: dropoutHidden/.test((e as Error).message),
    );
    assert.throws(() => parseRNNLMConfig({ ...base, hiddenSizes: [3, 'a'] }), corrupt);
    assert.throws(() => parseRNNLMConfig({ ...base, cell: 'transformer' }), corrupt);
  });
});

describe('RNNLM.forwardLoss (decoder fused into the loss)', () => {
  const grads = (m: RNNLM): number[][] => m.parameters().map((p) => Array.from(p.grad!.data));
  test('the same loss, state and gradients as crossEntropy(forward().logits), dropout on, over several steps', () => {
    const cfg: Partial<RNNLMConfig> = { ...AWD, dropout: 0.3, dtype: 'float64' };
    const [a, b] = [model(cfg), model(cfg)];
    const [T, B] = [3, 2];
    let [sa, sb] = [a.initState(B), b.initState(B)];
    for (let step = 0; step < 3; step++) {
      const x = ids(T * B, 10 + step);
      const tg = ids(T * B, 20 + step);
      for (const m of [a, b]) m.zeroGrad();
      const outA = a.forward(x, T, B, sa);
      const lossA = crossEntropy(outA.logits, tg);
      const outB = b.forwardLoss(x, tg, T, B, sb);
      assert.equal(outB.loss.item(), lossA.item(), `step ${step}: loss`);
      assert.deepEqual(Array.from(outB.state.h.data), Array.from(outA.state.h.data));
      backward(lossA);
      backward(outB.loss);
      assert.deepEqual(grads(b), grads(a), `step ${step}: gradients`);
      [sa, sb] = [detachState(outA.state), detachState(outB.state)];
    }
  });
});
