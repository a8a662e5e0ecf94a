/**
 * Golden tests of whole language models: our RNNLM (embedding -> RNN/LSTM/GRU -> linear,
 * mean cross-entropy, backward) against PyTorch's word_language_model, recorded in
 * test/golden/fixtures/*.json by scripts/reference/make_golden.py.
 * Dimension legend: T time, B batch, L layers, H hidden, V vocab.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { registerBackend, setBackend } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { loadNativeBackend, nativeUnavailableReason } from '../../src/backend/native/index.js';
import { RNNLM } from '../../src/models/rnnlm.js';
import { crossEntropy } from '../../src/ops/index.js';
import { backward } from '../../src/autograd/index.js';
import { isRnnlmError } from '../../src/errors.js';
import type { DType, Tensor } from '../../src/tensor/tensor.js';
import { type Fixture, type FixtureConfig, type TensorJson, fixtureNames, loadFixture, readFixtureJson } from './load-fixture.js';

registerBackend(jsBackend);
setBackend('js');
// The fast backend must match PyTorch too (float32: it has no float64 kernels).
const native = loadNativeBackend();
if (native) registerBackend(native);
const RUNS = [
  { backend: 'js', dtype: 'float64' },
  { backend: 'js', dtype: 'float32' },
  { backend: 'native', dtype: 'float32' },
] as const;

/** Allowed error: absolute for |expected| <= 1, relative above. */
const TOL: Record<DType, number> = { float64: 1e-9, float32: 1e-5 };

const EXPECTED_CASES = ['gru2', 'lstm2', 'lstm_tied', 'rnn_relu', 'rnn_tanh'];

function assertClose(what: string, actual: Tensor | null | undefined, expected: TensorJson, tol: number): void {
  assert.ok(actual, `${what}: missing (expected shape [${expected.shape.join(', ')}])`);
  assert.deepEqual([...actual.shape], expected.shape, `${what}: shape`);
  assert.equal(actual.data.length, expected.data.length, `${what}: element count`);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i]!;
    const a = actual.data[i]!;
    const err = Math.abs(a - e) / Math.max(1, Math.abs(e));
    if (!(err <= worst)) {
      worst = err; // NaN also lands here and fails below
      worstAt = i;
    }
  }
  assert.ok(worst <= tol, `${what}: error ${worst} > ${tol} at flat index ${worstAt} (got ${actual.data[worstAt]}, PyTorch ${expected.data[worstAt]})`);
}

function newModel(c: FixtureConfig, dtype: DType): RNNLM {
  return new RNNLM({
    vocabSize: c.vocabSize,
    embedSize: c.embedSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    cell: c.cell,
    dropout: 0,
    tieWeights: c.tieWeights,
    dtype,
    seed: 1,
  });
}

function buildModel(fx: Fixture, dtype: DType): RNNLM {
  const model = newModel(fx.config, dtype);
  model.loadStateDict(fx.stateDict);
  return model;
}

describe('golden fixtures (PyTorch reference files)', () => {
  test('all expected cases are committed', () => {
    // The folder is shared with other golden tests (e.g. optim.json), so check inclusion only.
    const present = new Set(fixtureNames());
    for (const name of EXPECTED_CASES) assert.ok(present.has(name), `test/golden/fixtures/${name}.json is missing`);
  });

  for (const name of EXPECTED_CASES) {
    test(`${name}: fixture is self-consistent`, () => {
      const raw = readFixtureJson(name);
      const { T, B, vocabSize: V, numLayers: L, hiddenSize: H } = raw.config;
      assert.equal(raw.case, name);
      assert.deepEqual(raw.logits.shape, [T * B, V]);
      assert.deepEqual(raw.h0.shape, [L, B, H]);
      assert.deepEqual(raw.hT.shape, [L, B, H]);
      assert.equal(raw.c0 === null, raw.config.cell !== 'lstm');
      assert.equal(raw.cT === null, raw.config.cell !== 'lstm');
      // The stored loss is the mean cross-entropy of the stored logits (a check on the file, not the model).
      let sum = 0;
      for (let r = 0; r < T * B; r++) {
        const row = raw.logits.data.slice(r * V, (r + 1) * V); // [V]
        const m = Math.max(...row);
        const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
        sum += lse - row[raw.target[r]!]!;
      }
      assert.ok(Math.abs(sum / (T * B) - raw.loss) < 1e-12, `loss ${raw.loss} vs recomputed ${sum / (T * B)}`);
      if (raw.config.tieWeights) {
        assert.equal(raw.tied_grad_name, 'encoder.weight');
        assert.deepEqual(raw.state_dict['encoder.weight'], raw.state_dict['decoder.weight']);
        assert.ok(!('decoder.weight' in raw.grads));
      } else {
        assert.deepEqual(Object.keys(raw.grads).sort(), Object.keys(raw.state_dict).sort());
      }
    });
  }
});

for (const { backend, dtype } of RUNS) {
  const skip = backend === 'native' && !native ? `native backend not built: ${nativeUnavailableReason()}` : false;
  describe(`RNNLM matches PyTorch (${backend} backend, ${dtype})`, { skip }, () => {
    const tol = TOL[dtype];
    for (const name of EXPECTED_CASES) {
      test(`${name}: logits, loss, final state and gradients`, () => {
        setBackend(backend);
        const fx = loadFixture(name, dtype);
        const raw = fx.raw;
        const { T, B } = fx.config;
        const model = buildModel(fx, dtype);

        const { logits, state } = model.forward(fx.ids, T, B, { h: fx.h0, c: fx.c0 });
        assert.equal(logits.dtype, dtype, 'logits dtype');
        assertClose('logits', logits, raw.logits, tol);
        assertClose('hT', state.h, raw.hT, tol);
        if (raw.cT) assertClose('cT', state.c, raw.cT, tol);
        else assert.equal(state.c, null, 'non-LSTM models have no cell state');

        const loss = crossEntropy(logits, fx.targets);
        const lossValue = loss.item();
        assert.ok(Math.abs(lossValue - raw.loss) <= tol * Math.max(1, Math.abs(raw.loss)), `loss ${lossValue} vs PyTorch ${raw.loss}`);

        backward(loss);
        const seen: string[] = [];
        for (const [pname, p] of model.namedParameters()) {
          seen.push(pname);
          const expected = raw.grads[pname];
          assert.ok(expected, `parameter ${pname} has no PyTorch gradient (PyTorch has: ${Object.keys(raw.grads).join(', ')})`);
          assertClose(`grad ${pname}`, p.grad, expected, tol);
        }
        // Same parameter list as PyTorch's named_parameters(): a tied weight is listed once.
        assert.deepEqual(seen.sort(), Object.keys(raw.grads).sort());
      });

      test(`${name}: stateDict() has PyTorch's names and shapes`, () => {
        const fx = loadFixture(name, dtype);
        const sd = buildModel(fx, dtype).stateDict();
        const expected = fx.raw.state_dict;
        assert.deepEqual(Object.keys(sd).sort(), Object.keys(expected).sort());
        for (const [key, t] of Object.entries(expected)) {
          assert.deepEqual([...sd[key]!.shape], t.shape, `${key}: shape`);
          // Loaded values round-trip (exactly in float64, to float32 rounding otherwise).
          assertClose(`stateDict ${key}`, sd[key], t, dtype === 'float64' ? 0 : 1e-7);
        }
      });
    }
  });
}

describe('RNNLM rejects a state dict that does not fit', () => {
  test('an LSTM state dict loaded into a GRU model fails with checkpoint_mismatch', () => {
    const fx = loadFixture('lstm2', 'float64');
    const gru = newModel({ ...fx.config, cell: 'gru' }, 'float64');
    assert.throws(
      () => gru.loadStateDict(fx.stateDict),
      (e: unknown) => isRnnlmError(e, 'checkpoint_mismatch'),
    );
  });

  test('a state dict missing a layer fails with checkpoint_mismatch', () => {
    const fx = loadFixture('gru2', 'float64');
    const partial = Object.fromEntries(Object.entries(fx.stateDict).filter(([k]) => !k.endsWith('_l1')));
    const model = newModel(fx.config, 'float64');
    assert.throws(
      () => model.loadStateDict(partial),
      (e: unknown) => isRnnlmError(e, 'checkpoint_mismatch'),
    );
  });
});
