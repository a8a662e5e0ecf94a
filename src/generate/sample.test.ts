import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { greedy, logSoftmaxRow, sampleToken, softmaxInto, topCandidates, type SampleOptions } from './sample.js';
import { Rng } from '../tensor/random.js';
import { isRnnlmError } from '../errors.js';

/** Logits whose softmax is exactly proportional to `probs` (up to rounding). */
function logitsOf(probs: number[]): Float64Array {
  return Float64Array.from(probs, (p) => Math.log(p) + 3);
}

/** Empirical frequencies of n draws. */
function frequencies(logits: Float32Array | Float64Array, opts: Omit<SampleOptions, 'rng'>, n: number, seed: number): number[] {
  const rng = new Rng(seed);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[sampleToken(logits, { ...opts, rng })]!++;
  return counts.map((c) => c / n);
}

/** Each frequency within 5 standard errors of its exact probability; impossible tokens never seen. */
function assertMatches(freq: number[], expected: number[], n: number): void {
  assert.equal(freq.length, expected.length);
  for (let v = 0; v < expected.length; v++) {
    const p = expected[v]!;
    if (p === 0) {
      assert.equal(freq[v], 0, `token ${v} must never be drawn`);
      continue;
    }
    const tol = 5 * Math.sqrt((p * (1 - p)) / n) + 1e-9;
    assert.ok(Math.abs(freq[v]! - p) <= tol, `token ${v}: frequency ${freq[v]} vs probability ${p} (tol ${tol})`);
  }
}

function normalise(w: number[]): number[] {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

const N = 40000;

describe('greedy', () => {
  test('argmax, lowest index on ties', () => {
    assert.equal(greedy(Float32Array.from([0.5, 2, -1, 1.5])), 1);
    assert.equal(greedy(Float64Array.from([1, 3, 3, 2])), 1);
    assert.equal(greedy(Float64Array.from([-Infinity, -5, -Infinity])), 1);
    assert.equal(greedy(Float64Array.from([7])), 0);
  });

  test('rejects empty rows and NaN', () => {
    assert.throws(
      () => greedy(new Float32Array(0)),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => greedy(Float32Array.from([1, NaN, 0])),
      (e) => isRnnlmError(e, 'non_finite'),
    );
  });
});

describe('softmaxInto / logSoftmaxRow', () => {
  test('softmax matches exp/sum and is stable for large logits', () => {
    const logits = Float64Array.from([1000, 1001, 999, -Infinity]);
    const out = softmaxInto(logits, new Float64Array(4));
    const e = [Math.exp(-1), 1, Math.exp(-2), 0];
    const expected = normalise(e);
    for (let v = 0; v < 4; v++) assert.ok(Math.abs(out[v]! - expected[v]!) < 1e-15, `p[${v}]`);
    assert.equal(out[3], 0);
  });

  test('temperature scales the logits; temperature 0 is one-hot at the argmax', () => {
    const logits = Float32Array.from([0, 1, 2]);
    const t2 = softmaxInto(logits, new Float64Array(3), 2);
    const expected = normalise([1, Math.exp(0.5), Math.exp(1)]);
    for (let v = 0; v < 3; v++) assert.ok(Math.abs(t2[v]! - expected[v]!) < 1e-15);
    assert.deepEqual(Array.from(softmaxInto(Float32Array.from([0, 2, 2]), new Float32Array(3), 0)), [0, 1, 0]);
    assert.throws(
      () => softmaxInto(logits, new Float64Array(3), -1),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => softmaxInto(logits, new Float64Array(2)),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });

  test('logSoftmaxRow equals log of softmax, works in place, stays finite for large logits', () => {
    const logits = Float64Array.from([0.3, -2, 5, 1]);
    const p = softmaxInto(logits, new Float64Array(4));
    const out = logSoftmaxRow(logits, new Float64Array(4));
    for (let v = 0; v < 4; v++) assert.ok(Math.abs(out[v]! - Math.log(p[v]!)) < 1e-14);
    const big = Float64Array.from([5000, 4999]);
    logSoftmaxRow(big, big);
    assert.ok(Math.abs(big[0]! - -Math.log1p(Math.exp(-1))) < 1e-12);
    assert.ok(Math.abs(big[1]! - (-1 - Math.log1p(Math.exp(-1)))) < 1e-12);
  });

  test('rows of NaN, +Infinity or all -Infinity are non_finite errors', () => {
    for (const row of [
      [1, NaN],
      [Infinity, 0],
      [-Infinity, -Infinity],
    ]) {
      assert.throws(
        () => logSoftmaxRow(Float64Array.from(row), new Float64Array(2)),
        (e) => isRnnlmError(e, 'non_finite'),
      );
      assert.throws(
        () => sampleToken(Float64Array.from(row), { rng: new Rng(1) }),
        (e) => isRnnlmError(e, 'non_finite'),
      );
    }
  });
});

describe('sampleToken', () => {
  const probs = [0.1, 0.4, 0.2, 0.3, 0];
  const logits = Float64Array.from([...logitsOf(probs.slice(0, 4)), -Infinity]);

  test('plain sampling follows softmax(logits)', () => {
    assertMatches(frequencies(logits, {}, N, 11), probs, N);
    // float32 logits work the same way
    assertMatches(frequencies(Float32Array.from(logits), {}, N, 12), probs, N);
  });

  test('temperature reshapes the distribution', () => {
    // softmax(log p / T) ∝ p^(1/T)
    const hot = normalise(probs.map((p) => p ** (1 / 2)));
    assertMatches(frequencies(logits, { temperature: 2 }, N, 13), hot, N);
    const cold = normalise(probs.map((p) => p ** (1 / 0.5)));
    assertMatches(frequencies(logits, { temperature: 0.5 }, N, 14), cold, N);
  });

  test('temperature 0 is greedy and draws nothing from the rng', () => {
    const rng = new Rng(5);
    const before = rng.getState();
    for (let i = 0; i < 10; i++) assert.equal(sampleToken(logits, { temperature: 0, rng }), 1);
    assert.deepEqual(rng.getState(), before);
  });

  test('top-k keeps exactly the k most probable tokens, renormalised', () => {
    assertMatches(frequencies(logits, { topK: 2 }, N, 15), normalise([0, 0.4, 0, 0.3, 0]), N);
    assertMatches(frequencies(logits, { topK: 3 }, N, 16), normalise([0, 0.4, 0.2, 0.3, 0]), N);
    assertMatches(frequencies(logits, { topK: 1 }, 2000, 17), [0, 1, 0, 0, 0], 2000);
    // k ≥ V is the same as off
    assertMatches(frequencies(logits, { topK: 50 }, N, 18), probs, N);
  });

  test('top-k breaks probability ties by the lower token id', () => {
    const tied = Float64Array.from([0, 1, 1, 1]);
    assertMatches(frequencies(tied, { topK: 2 }, N, 19), [0, 0.5, 0.5, 0], N);
  });

  test('top-p keeps the smallest most-probable set reaching p', () => {
    // sorted: 0.4 (id 1), 0.3 (id 3), 0.2 (id 2), 0.1 (id 0)
    assertMatches(frequencies(logits, { topP: 0.3 }, 2000, 20), [0, 1, 0, 0, 0], 2000);
    assertMatches(frequencies(logits, { topP: 0.6 }, N, 21), normalise([0, 0.4, 0, 0.3, 0]), N);
    assertMatches(frequencies(logits, { topP: 0.75 }, N, 22), normalise([0, 0.4, 0.2, 0.3, 0]), N);
    assertMatches(frequencies(logits, { topP: 0.95 }, N, 23), probs, N);
    // a tiny p still keeps the single most probable token
    assertMatches(frequencies(logits, { topP: 1e-9 }, 2000, 24), [0, 1, 0, 0, 0], 2000);
  });

  test('top-k is applied before top-p (p measured on the renormalised top-k set)', () => {
    // top-2 = {1: 4/7, 3: 3/7}; 4/7 ≥ 0.5 so only id 1 survives. (top-p first would keep {1, 3}.)
    assertMatches(frequencies(logits, { topK: 2, topP: 0.5 }, 2000, 25), [0, 1, 0, 0, 0], 2000);
    // top-3 = {1: 4/9, 3: 3/9, 2: 2/9}; 4/9 < 0.6 ≤ 7/9 keeps {1, 3}
    assertMatches(frequencies(logits, { topK: 3, topP: 0.6, temperature: 1 }, N, 26), normalise([0, 0.4, 0, 0.3, 0]), N);
  });

  test('top-k / top-p with temperature never emit excluded tokens over a larger vocabulary', () => {
    const rng = new Rng(99);
    const V = 200;
    const big = Float32Array.from({ length: V }, () => rng.normal() * 3);
    const ranked = Array.from({ length: V }, (_, v) => v).sort((a, b) => big[b]! - big[a]! || a - b);
    const top10 = new Set(ranked.slice(0, 10));
    const draw = new Rng(7);
    for (let i = 0; i < 3000; i++) {
      const t = sampleToken(big, { topK: 10, temperature: 1.7, rng: draw });
      assert.ok(top10.has(t), `token ${t} is outside the top 10`);
    }
    // nucleus at temperature 0.8: compute the allowed set independently
    const p = normalise(Array.from(big, (x) => Math.exp(x / 0.8)));
    const allowed = new Set<number>();
    let cum = 0;
    for (const v of ranked) {
      allowed.add(v);
      cum += p[v]!;
      if (cum >= 0.5) break;
    }
    for (let i = 0; i < 3000; i++) {
      const t = sampleToken(big, { topP: 0.5, temperature: 0.8, rng: draw });
      assert.ok(allowed.has(t), `token ${t} is outside the 0.5 nucleus`);
    }
  });

  test('same seed gives the same sequence; another seed a different one', () => {
    const run = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 200 }, () => sampleToken(logits, { topK: 3, topP: 0.9, temperature: 1.3, rng }));
    };
    assert.deepEqual(run(42), run(42));
    assert.notDeepEqual(run(42), run(43));
  });

  test('validates options', () => {
    const rng = new Rng(0);
    const bad: Array<Partial<SampleOptions>> = [
      { temperature: -0.5 },
      { temperature: NaN },
      { temperature: Infinity },
      { topP: 0 },
      { topP: 1.5 },
      { topP: NaN },
      { topK: -1 },
      { topK: 2.5 },
    ];
    for (const o of bad) {
      assert.throws(
        () => sampleToken(logits, { rng, ...o }),
        (e) => isRnnlmError(e, 'invalid_argument'),
        JSON.stringify(o),
      );
    }
    assert.throws(
      () => sampleToken(logits, {} as SampleOptions),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => sampleToken(new Float32Array(0), { rng }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

describe('topCandidates', () => {
  test('returns the k largest, most probable first, lower id on ties, as a full sort would', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 50; trial++) {
      const V = 1 + (trial % 13);
      // Few distinct values so ties occur.
      const row = Float64Array.from({ length: V }, () => Math.floor(rng.uniform() * 4) - 5);
      for (const k of [0, 1, 3, V, V + 2]) {
        const expected = [...row.keys()].sort((a, b) => row[b]! - row[a]! || a - b).slice(0, k);
        assert.deepEqual(
          topCandidates(row, k).map((c) => c.id),
          expected,
          `V ${V} k ${k}`,
        );
        for (const c of topCandidates(row, k)) assert.equal(c.logProb, row[c.id]);
      }
    }
  });
  test('refuses NaN, an empty row and a negative k', () => {
    assert.throws(() => topCandidates(Float64Array.from([0, NaN]), 1), isRnnlmError);
    assert.throws(() => topCandidates(new Float64Array(0), 1), isRnnlmError);
    assert.throws(() => topCandidates(Float64Array.from([0]), -1), isRnnlmError);
  });
});
