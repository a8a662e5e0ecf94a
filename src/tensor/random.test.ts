/** The shared PRNG: xoshiro128** against an independent implementation, and the bulk mask fill. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from './random.js';

describe('Rng', () => {
  test('xoshiro128** from state [1, 2, 3, 4]: the reference outputs and state', () => {
    const r = new Rng();
    r.setState([1, 2, 3, 4]);
    // From a straight Python transcription of Blackman & Vigna's xoshiro128starstar.c.
    assert.deepEqual(
      Array.from({ length: 6 }, () => r.nextU32()),
      [11520, 0, 5927040, 70819200, 2031721883, 1637235492],
    );
    assert.deepEqual(r.getState().slice(0, 4), [1110993931, 286554632, 2431677446, 2165318166]);
  });

  test('fillKeepMask draws what uniform() would, element by element, and leaves the same state', () => {
    for (const [seed, p, n] of [
      [1, 0.5, 1000],
      [7, 0.1, 333],
      [9, 0, 50],
      [3, 0.999, 200],
    ] as const) {
      const a = new Rng(seed);
      const b = new Rng(seed);
      const keep = 1 / (1 - p);
      const want = Float32Array.from({ length: n }, () => (a.uniform() >= p ? keep : 0));
      const got = new Float32Array(n);
      b.fillKeepMask(got, p, keep);
      assert.deepEqual(got, want, `seed ${seed}, p ${p}`);
      assert.deepEqual(b.getState(), a.getState());
    }
  });

  test('a mask keeps about 1 − p of its elements', () => {
    const m = new Float64Array(100_000);
    new Rng(5).fillKeepMask(m, 0.3, 2);
    const kept = m.filter((v) => v === 2).length;
    assert.ok(Math.abs(kept / m.length - 0.7) < 0.01, `kept ${kept}`);
    assert.equal(m.filter((v) => v !== 0 && v !== 2).length, 0);
  });
});
