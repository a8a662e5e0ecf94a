import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchify, bpttWindows, getBatch, numWindows, padBatch, shuffleInPlace } from './batchify.js';
import { Rng } from '../tensor/random.js';
import { isRnnlmError } from '../errors.js';

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe('batchify', () => {
  test('column b is the b-th contiguous chunk; the remainder is dropped', () => {
    const b = batchify(range(11), 3);
    assert.equal(b.L, 3);
    assert.equal(b.B, 3);
    // columns [0,1,2] [3,4,5] [6,7,8]; 9 and 10 dropped; [L,B] time-major
    assert.deepEqual(Array.from(b.data), [0, 3, 6, 1, 4, 7, 2, 5, 8]);
  });

  test('B = 1 keeps the stream as it is', () => {
    assert.deepEqual(Array.from(batchify(range(5), 1).data), [0, 1, 2, 3, 4]);
  });

  test('needs at least 2·B tokens and a positive integer B', () => {
    assert.equal(batchify(range(6), 3).L, 2);
    assert.throws(
      () => batchify(range(5), 3),
      (e) => isRnnlmError(e, 'invalid_argument') && /need at least 6/.test(e.message),
    );
    assert.throws(
      () => batchify(range(5), 0),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => batchify(range(5), 1.5),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => batchify([0, 1, 2] as unknown as Int32Array, 1),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

describe('getBatch', () => {
  const b = batchify(range(11), 3); // L = 3

  test('input rows [i, i+T), target rows [i+1, i+T+1), T = min(bptt, L-1-i)', () => {
    const w0 = getBatch(b, 0, 2);
    assert.equal(w0.T, 2);
    assert.deepEqual(Array.from(w0.input), [0, 3, 6, 1, 4, 7]);
    assert.deepEqual(Array.from(w0.target), [1, 4, 7, 2, 5, 8]);
    const w1 = getBatch(b, 1, 2);
    assert.equal(w1.T, 1);
    assert.deepEqual(Array.from(w1.input), [1, 4, 7]);
    assert.deepEqual(Array.from(w1.target), [2, 5, 8]);
  });

  test('returns copies', () => {
    const w = getBatch(b, 0, 2);
    w.input[0] = 99;
    assert.equal(b.data[0], 0);
  });

  test('a row with no target is invalid_argument', () => {
    assert.throws(
      () => getBatch(b, 2, 2),
      (e) => isRnnlmError(e, 'invalid_argument') && /0 <= i <= 1/.test(e.message),
    );
    assert.throws(
      () => getBatch(b, -1, 2),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => getBatch(b, 0, 0),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

describe('bpttWindows', () => {
  test('walks i = 0, bptt, 2·bptt, … and every target is the next token', () => {
    const b = batchify(range(26), 4); // L = 6, columns start at 0, 6, 12, 18
    const ws = [...bpttWindows(b, 2)];
    assert.deepEqual(
      ws.map((w) => [w.i, w.T]),
      [
        [0, 2],
        [2, 2],
        [4, 1],
      ],
    );
    assert.equal(numWindows(b, 2), 3);
    for (const w of ws) {
      for (let k = 0; k < w.T * 4; k++) assert.equal(w.target[k], w.input[k]! + 1);
    }
    // The inputs cover rows 0..L-2 exactly once, in order.
    const rows = ws.flatMap((w) => Array.from(w.input));
    assert.deepEqual(rows, Array.from(b.data.subarray(0, 5 * 4)));
    assert.deepEqual(
      [...bpttWindows(b, 35)].map((w) => w.T),
      [5],
    );
    assert.equal(numWindows(b, 1), 5);
  });
});

describe('padBatch', () => {
  const seqs = [Int32Array.of(1, 2, 3), Int32Array.of(4), Int32Array.of(5, 6)];

  test('time-major [T,B] with mask and lengths', () => {
    const p = padBatch(seqs, 9);
    assert.equal(p.T, 3);
    assert.equal(p.B, 3);
    assert.deepEqual(Array.from(p.ids), [1, 4, 5, 2, 9, 6, 3, 9, 9]);
    assert.deepEqual(Array.from(p.mask), [1, 1, 1, 1, 0, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(p.lengths), [3, 1, 2]);
  });

  test('batch-first [B,T]', () => {
    const p = padBatch(seqs, 9, { batchFirst: true });
    assert.deepEqual(Array.from(p.ids), [1, 2, 3, 4, 9, 9, 5, 6, 9]);
    assert.deepEqual(Array.from(p.mask), [1, 1, 1, 1, 0, 0, 1, 1, 0]);
  });

  test('an empty sequence is all padding; no sequences is an error', () => {
    const p = padBatch([Int32Array.of(7), new Int32Array(0)], 0);
    assert.deepEqual(Array.from(p.ids), [7, 0]);
    assert.deepEqual(Array.from(p.mask), [1, 0]);
    assert.throws(
      () => padBatch([], 0),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => padBatch([Int32Array.of(1)], 0.5),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

describe('shuffleInPlace', () => {
  test('is Fisher–Yates driven by rng.int(i+1) from the end', () => {
    const arr = ['a', 'b', 'c', 'd', 'e'];
    const expected = arr.slice();
    const draws = new Rng(7);
    for (let i = 4; i > 0; i--) {
      const j = draws.int(i + 1);
      [expected[i], expected[j]] = [expected[j]!, expected[i]!];
    }
    assert.equal(shuffleInPlace(arr, new Rng(7)), arr);
    assert.deepEqual(arr, expected);
  });

  test('gives a permutation, the same for the same seed, on typed arrays too', () => {
    const a = shuffleInPlace(range(100), new Rng(1));
    const b = shuffleInPlace(range(100), new Rng(1));
    const c = shuffleInPlace(range(100), new Rng(2));
    assert.deepEqual(
      Array.from(a).sort((x, y) => x - y),
      Array.from(range(100)),
    );
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.notDeepEqual(a, range(100));
    assert.deepEqual(shuffleInPlace([], new Rng(1)), []);
    assert.deepEqual(shuffleInPlace([5], new Rng(1)), [5]);
  });

  test('all 6 orders of 3 items are about equally likely', () => {
    const rng = new Rng(123);
    const seen = new Map<string, number>();
    const n = 60_000;
    for (let k = 0; k < n; k++) {
      const key = shuffleInPlace([0, 1, 2], rng).join('');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    assert.equal(seen.size, 6);
    for (const c of seen.values()) assert.ok(Math.abs(c - n / 6) < 500, `count ${c} far from ${n / 6}`);
  });
});
