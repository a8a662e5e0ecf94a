/** Parallel data: TSV pairs, the seeded split, encoding and padded batches (layouts and masks). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { IGNORE, encodeParallel, makeBatch, makeBatches, parsePairs, splitParallel } from './data.js';
import { TranslationSide } from './side.js';

describe('translation data', () => {
  test('parsePairs reads source<TAB>target<TAB>attribution, skips blank lines, rejects short lines', () => {
    const p = parsePairs('Hi.\t嗨。\tCC-BY 2.0\n\nRun.\t你用跑的。\tCC-BY\n');
    assert.deepEqual(p, { src: ['Hi.', 'Run.'], tgt: ['嗨。', '你用跑的。'] });
    assert.deepEqual(parsePairs('a\tb\tc\n', { srcColumn: 1, tgtColumn: 0 }), { src: ['b'], tgt: ['a'] });
    assert.throws(
      () => parsePairs('only one column\n'),
      (e) => isRnnlmError(e, 'invalid_argument') && /line 1/.test(e.message),
    );
    assert.throws(
      () => parsePairs('\n\n'),
      (e) => isRnnlmError(e, 'empty_corpus'),
    );
  });

  test('splitParallel is a seeded 90/5/5 partition that keeps pairs together', () => {
    const n = 200;
    const p = { src: Array.from({ length: n }, (_, i) => `s${i}`), tgt: Array.from({ length: n }, (_, i) => `t${i}`) };
    const a = splitParallel(p, [0.9, 0.05, 0.05], 7);
    const b = splitParallel(p, [0.9, 0.05, 0.05], 7);
    const c = splitParallel(p, [0.9, 0.05, 0.05], 8);
    assert.deepEqual([a.train.src.length, a.valid.src.length, a.test.src.length], [180, 10, 10]);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.test.src, c.test.src);
    const all = [...a.train.src, ...a.valid.src, ...a.test.src].sort();
    assert.deepEqual(all, [...p.src].sort());
    a.test.src.forEach((s, i) => assert.equal(a.test.tgt[i], `t${s.slice(1)}`));
    assert.throws(
      () => splitParallel(p, [0.5, 0.2, 0.2], 1),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });

  test('batches: time-major sources with <eos>, <eos>-started target inputs, batch-major outputs padded with IGNORE', () => {
    const text = { src: ['a b c', 'b', 'c a'], tgt: ['x y', 'y z w', 'w'] };
    const src = TranslationSide.fromLines(text.src, { kind: 'word' });
    const tgt = TranslationSide.fromLines(text.tgt, { kind: 'word' });
    const pairs = encodeParallel(text, src, tgt);
    const [a, b, c] = ['a', 'b', 'c'].map((w) => src.encode(w)[0]!);
    const [x, y, z, w] = ['x', 'y', 'z', 'w'].map((t) => tgt.encode(t)[0]!);
    const se = src.eosId;
    const te = tgt.eosId;
    const batch = makeBatch(pairs, se, te);
    assert.equal(batch.S, 4);
    assert.equal(batch.T, 4);
    assert.deepEqual(Array.from(batch.srcLengths), [4, 2, 3]);
    assert.deepEqual(Array.from(batch.src), [a, b, c, b, se, a, c, se, se, se, se, se]); // [S,B]
    assert.deepEqual(Array.from(batch.tgtIn), [te, te, te, x, y, w, y, z, te, te, w, te]); // [T,B]
    assert.deepEqual(Array.from(batch.tgtOut), [x, y, te, IGNORE, y, z, w, te, w, te, IGNORE, IGNORE]); // [B,T]
    assert.equal(batch.tokens, 3 + 4 + 2);
    assert.deepEqual(batch.indices, [0, 1, 2]);
  });

  test('encodeParallel with maxLen drops empty and long pairs; makeBatches covers every pair once', () => {
    const text = { src: ['a', '', 'a b c d', 'b c', 'c', 'a b'], tgt: ['x', 'y', 'x', '', 'y', 'x y'] };
    const src = TranslationSide.fromLines(text.src, { kind: 'word' });
    const tgt = TranslationSide.fromLines(text.tgt, { kind: 'word' });
    const kept = encodeParallel(text, src, tgt, { maxLen: 3 });
    assert.deepEqual(
      kept.map((p) => p.index),
      [0, 4, 5],
    );
    assert.equal(encodeParallel(text, src, tgt).length, 6);
    const all = encodeParallel(text, src, tgt);
    const batches = makeBatches(all, 4, src.eosId, tgt.eosId, new Rng(3));
    assert.equal(batches.length, 2);
    assert.deepEqual(batches.flatMap((b) => b.indices).sort(), [0, 1, 2, 3, 4, 5]);
    assert.throws(
      () => makeBatches(all, 0, src.eosId, tgt.eosId),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
