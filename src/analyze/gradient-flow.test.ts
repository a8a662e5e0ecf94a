/**
 * The step-by-step probed path behind gradient-flow measurements, on tiny float64 models of every
 * cell: its loss equals the fused model's, its probe gradients equal finite differences, and the
 * gradient at the incoming state equals what the fused recurrent kernels give for ∂L/∂h0.
 * Legend: K look-back, B batch, L layers, H hidden, V vocabulary.
 */
import '../../test/helpers/backend.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RecurrentMode } from '../backend/kernels.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { backward, noGrad } from '../autograd/graph.js';
import { isRnnlmError } from '../errors.js';
import { RNNLM } from '../models/rnnlm.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { type FlowWindow, type LayerState, gradientFlow, makeProbes, unrollWindow, zeroLayerStates } from './gradient-flow.js';

const CELLS: RecurrentMode[] = ['rnn_tanh', 'rnn_relu', 'gru', 'lstm'];
const V = 7;

const tiny = (cell: RecurrentMode, hiddenSizes: number[] | null = null): RNNLM =>
  new RNNLM({
    vocabSize: V,
    embedSize: 3,
    hiddenSize: hiddenSizes ? hiddenSizes[hiddenSizes.length - 1]! : 4,
    numLayers: hiddenSizes?.length ?? 2,
    hiddenSizes,
    cell,
    dtype: 'float64',
    seed: 5,
    init: 0.5,
  });

function window(K: number, B: number, seed: number): FlowWindow {
  const rng = new Rng(seed);
  return { ids: Int32Array.from({ length: K * B }, () => rng.int(V)), targets: Int32Array.from({ length: B }, () => rng.int(V)), K, B };
}

/** A non-zero starting state, so the incoming-state gradient is not a special case. */
function randomState(model: RNNLM, B: number, seed: number): LayerState[] {
  const rng = new Rng(seed);
  const fill = (t: Tensor): Tensor => {
    for (let i = 0; i < t.size; i++) t.data[i] = rng.uniformRange(-0.5, 0.5);
    return t;
  };
  return zeroLayerStates(model, B).map((s) => ({ h: fill(s.h), c: s.c ? fill(s.c) : null }));
}

describe('gradient flow: the probed step-by-step path', () => {
  for (const cell of CELLS) {
    test(`${cell}: same loss as the fused model; probe gradients match finite differences`, () => {
      const model = tiny(cell);
      model.eval();
      const [K, B] = [3, 2];
      const w = window(K, B, 1);
      const state = randomState(model, B, 2);
      // The fused forward with only the last step scored (ignoreIndex −100 elsewhere), from the same state.
      const targets = new Int32Array(K * B).fill(-100);
      targets.set(w.targets, (K - 1) * B);
      const stack = (pick: (s: LayerState) => Tensor): Tensor =>
        Tensor.from(
          state.flatMap((s) => Array.from(pick(s).data)),
          [2, B, 4],
          'float64',
        );
      const fusedState = { h: stack((s) => s.h), c: cell === 'lstm' ? stack((s) => s.c!) : null };
      const fused = noGrad(() => model.forwardLoss(w.ids, targets, K, B, fusedState).loss.item()); // mean over B rows
      const probed = noGrad(() => unrollWindow(model, w, state).loss.item()); // sum over B rows
      assert.ok(Math.abs(probed - B * fused) < 1e-12, `probed ${probed} vs fused ${B * fused}`);

      for (const p of model.parameters()) p.requiresGrad = false;
      const probes = makeProbes(model, K, B);
      const r = gradcheck((...flat) => unrollWindow(model, w, state, [flat.slice(0, K + 1), flat.slice(K + 1)]).loss, probes.flat());
      assert.equal(r.perInput.length, 2 * (K + 1));
      assert.ok(r.maxRelError < 1e-6, `${cell}: max relative error ${r.maxRelError}`);
      assert.ok(
        r.perInput.every((p) => p.norm > 0),
        'every probed state gets a gradient',
      );
    });
  }

  test('probe k = 0 sits on the last state h_t', () => {
    const model = tiny('gru');
    const w = window(3, 2, 4);
    const base = noGrad(() => unrollWindow(model, w, zeroLayerStates(model, 2)).next);
    const probes = makeProbes(model, 3, 2);
    probes[1]![0]!.data.fill(0.25); // the top layer's last state only (a lower one would also move the top through its input)
    const moved = noGrad(() => unrollWindow(model, w, zeroLayerStates(model, 2), probes).next);
    const top = moved[1]!.h.data;
    assert.ok(
      Array.from(top).every((v, i) => Math.abs(v - base[1]!.h.data[i]! - 0.25) < 1e-12),
      'the top layer: shifted by exactly the probe',
    );
  });

  for (const cell of ['rnn_tanh', 'lstm'] as const) {
    test(`${cell}: ∂L/∂(incoming state) equals the fused kernels' ∂L/∂h0 (per-layer sizes too)`, () => {
      for (const sizes of [null, [5, 4]]) {
        const model = tiny(cell, sizes);
        model.eval();
        const [K, B] = [4, 3];
        const w = window(K, B, 7);
        const u = unrollWindow(model, w, zeroLayerStates(model, B));
        backward(u.loss);
        const targets = new Int32Array(K * B).fill(-100);
        targets.set(w.targets, (K - 1) * B);
        const h0 = model.initState(B);
        h0.h.requiresGrad = true;
        model.zeroGrad();
        backward(model.forwardLoss(w.ids, targets, K, B, h0).loss);
        // Fused state: [L,B,H] stacked or flat [Σ B·H_l]; either way layer l's block follows layer l−1's.
        const fused = Array.from(h0.h.grad!.data, (g) => g * B); // mean over B → sum
        const probed = u.probes.flatMap((layer) => Array.from(layer[K]!.grad!.data));
        assert.equal(probed.length, fused.length);
        const err = Math.max(...probed.map((g, i) => Math.abs(g - fused[i]!)));
        assert.ok(err < 1e-12, `${cell} ${sizes ?? 'stacked'}: max difference ${err}`);
      }
    });
  }
});

describe('gradientFlow', () => {
  test('one mean norm per layer and look-back; weights and their gradients untouched; the data must suffice', () => {
    const model = tiny('gru');
    const ids = Int32Array.from({ length: 200 }, (_, i) => (i * 5 + (i >> 3)) % V);
    const before = model.parameters().map((p) => Array.from(p.data));
    const r = gradientFlow(model, ids, { K: 6, windows: 3, batchSize: 4 });
    assert.equal(r.cell, 'gru');
    assert.equal(r.layers.length, 2);
    for (const layer of r.layers) {
      assert.equal(layer.meanNorm.length, 7);
      assert.ok(layer.meanNorm.every((v) => Number.isFinite(v) && v > 0));
    }
    assert.ok(r.loss > 0 && r.loss < 10);
    assert.deepEqual(
      model.parameters().map((p) => Array.from(p.data)),
      before,
    );
    assert.ok(model.parameters().every((p) => p.requiresGrad && p.grad === null));
    // 200 tokens / 4 streams = 50 rows; 8 windows of 6 (+ warm-up + target) need 55.
    assert.throws(
      () => gradientFlow(model, ids, { K: 6, windows: 8, batchSize: 4 }),
      (e) => isRnnlmError(e, 'invalid_argument') && /need 55/.test(e.message),
    );
  });
});
