/**
 * AWD-LSTM dropout variants: masks have the promised structure (locked over time, whole word
 * types), p = 0 is the identity, and each op passes a float64 gradcheck with its mask fixed
 * (the Rng is re-seeded on every call, so finite differences see the same mask).
 * Legend: T time, B batch, F features, V vocabulary, E embedding, N ids.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { dropout, embeddingDropout, lockedDropout, maskedEmbedding } from './dropout.js';
import { embedding } from './embedding.js';
import { randTensor } from '../../test/helpers/tensors.js';

const rand = (shape: number[], seed: number): Tensor => randTensor(new Rng(seed), shape);

describe('lockedDropout', () => {
  test('one [B,F] mask shared by every time step, values 0 or 1/(1−p)', () => {
    const [T, B, F] = [6, 5, 40];
    const x = Tensor.fill([T, B, F], 1);
    const y = lockedDropout(x, 0.25, new Rng(1));
    const first = Array.from(y.data.subarray(0, B * F));
    for (let t = 1; t < T; t++) assert.deepEqual(Array.from(y.data.subarray(t * B * F, (t + 1) * B * F)), first, `step ${t} reuses step 0's mask`);
    assert.ok(first.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6));
    const dropped = first.filter((v) => v === 0).length / first.length;
    assert.ok(dropped > 0.15 && dropped < 0.35, `dropped fraction ${dropped}`);
    // Different batch rows get different masks (a per-feature-only mask would repeat across b).
    assert.notDeepEqual(first.slice(0, F), first.slice(F, 2 * F));
  });

  test('standard dropout, by contrast, draws a new mask per step', () => {
    const y = dropout(Tensor.fill([2, 3, 20], 1), 0.5, new Rng(1));
    assert.notDeepEqual(Array.from(y.data.subarray(0, 60)), Array.from(y.data.subarray(60)));
  });

  test('p = 0 returns the input itself and draws nothing', () => {
    const x = rand([2, 2, 3], 2);
    const rng = new Rng(3);
    const before = rng.getState();
    assert.equal(lockedDropout(x, 0, rng), x);
    assert.deepEqual(rng.getState(), before);
  });

  test('bad input: not [T,B,F], or p outside [0, 1)', () => {
    assert.throws(
      () => lockedDropout(Tensor.zeros([4, 3]), 0.5, new Rng(0)),
      (e: unknown) => isRnnlmError(e, 'shape_mismatch'),
    );
    assert.throws(
      () => lockedDropout(Tensor.zeros([2, 4, 3]), 1, new Rng(0)),
      (e: unknown) => isRnnlmError(e, 'invalid_argument'),
    );
  });

  test('gradcheck (float64, mask fixed)', () => {
    const rng = new Rng(0);
    const r = gradcheck(
      (x) => {
        rng.seed(11);
        return lockedDropout(x!, 0.4, rng);
      },
      [rand([3, 2, 4], 4)],
    );
    assert.ok(r.maxRelError < 1e-6, `relative error ${r.maxRelError}`);
  });
});

describe('embeddingDropout', () => {
  const ids = Int32Array.from([3, 1, 3, 0, 5, 3, 1, 2, 4, 0, 5, 5]);

  test('drops whole word types: every occurrence of a type shares its fate, kept rows scaled 1/(1−p)', () => {
    const w = rand([6, 4], 5);
    w.requiresGrad = false;
    let sawDropped = false;
    let sawKept = false;
    for (let seed = 0; seed < 8; seed++) {
      const out = embeddingDropout(w, ids, 0.5, new Rng(seed));
      const plain = embedding(w, ids);
      const fate = new Map<number, number>();
      for (let n = 0; n < ids.length; n++) {
        const row = Array.from(out.data.subarray(n * 4, n * 4 + 4));
        const ref = Array.from(plain.data.subarray(n * 4, n * 4 + 4));
        const ratio = row[0]! / ref[0]!;
        assert.ok(ratio === 0 || Math.abs(ratio - 2) < 1e-12, `row ${n}: ratio ${ratio}`);
        row.forEach((v, e) => assert.ok(Math.abs(v - ratio * ref[e]!) < 1e-12));
        const id = ids[n]!;
        if (fate.has(id)) assert.equal(fate.get(id), ratio, `type ${id} is dropped everywhere or nowhere`);
        fate.set(id, ratio);
        if (ratio === 0) sawDropped = true;
        else sawKept = true;
      }
    }
    assert.ok(sawDropped && sawKept);
  });

  test('p = 0 is a plain lookup', () => {
    const w = rand([6, 4], 6);
    assert.deepEqual(Array.from(embeddingDropout(w, ids, 0, new Rng(1)).data), Array.from(embedding(w, ids).data));
  });

  test('a row mask of the wrong length is a shape error', () => {
    assert.throws(
      () => maskedEmbedding(rand([6, 4], 1), ids, new Float64Array(5)),
      (e: unknown) => isRnnlmError(e, 'shape_mismatch'),
    );
  });

  test('gradcheck (float64, mask fixed): repeated ids accumulate through the mask', () => {
    const rng = new Rng(0);
    const r = gradcheck(
      (w) => {
        rng.seed(5);
        return embeddingDropout(w!, ids, 0.3, rng);
      },
      [rand([6, 3], 7)],
    );
    assert.ok(r.maxRelError < 1e-6, `relative error ${r.maxRelError}`);
    // The mask is not trivial for this seed: some type is dropped, so its rows get zero gradient.
    const mask = Float64Array.from({ length: 6 }, () => 0);
    rng.seed(5);
    for (let v = 0; v < 6; v++) mask[v] = rng.uniform() >= 0.3 ? 1 : 0;
    assert.ok(mask.some((m) => m === 0) && mask.some((m) => m === 1));
  });
});
