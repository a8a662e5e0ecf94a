import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alignWords, wordErrorRate } from './wer.js';

const w = (s: string): string[] => s.split(' ').filter((x) => x !== '');

describe('word error rate', () => {
  test('minimum-edit alignment counts', () => {
    assert.deepEqual(alignWords(w('a b c d'), w('a b c d')), { substitutions: 0, deletions: 0, insertions: 0, words: 4, errors: 0 });
    assert.deepEqual(alignWords(w('a b c d'), w('a x c d')), { substitutions: 1, deletions: 0, insertions: 0, words: 4, errors: 1 });
    assert.deepEqual(alignWords(w('a b c d'), w('a c d')), { substitutions: 0, deletions: 1, insertions: 0, words: 4, errors: 1 });
    assert.deepEqual(alignWords(w('a b c d'), w('a b y c d z')), { substitutions: 0, deletions: 0, insertions: 2, words: 4, errors: 2 });
    assert.deepEqual(alignWords(w('the cat sat'), w('a cat sat on it')), { substitutions: 1, deletions: 0, insertions: 2, words: 3, errors: 3 });
    assert.deepEqual(alignWords([], w('x y')), { substitutions: 0, deletions: 0, insertions: 2, words: 0, errors: 2 });
    assert.deepEqual(alignWords(w('x y'), []), { substitutions: 0, deletions: 2, insertions: 0, words: 2, errors: 2 });
  });

  test('corpus WER and SER', () => {
    const r = wordErrorRate([
      { ref: 'a b c d', hyp: 'a x c d' },
      { ref: 'e f', hyp: 'e f' },
      { ref: 'g h i j', hyp: 'g  i j k' },
    ]);
    assert.equal(r.words, 10);
    assert.deepEqual([r.substitutions, r.deletions, r.insertions, r.errors], [1, 1, 1, 3]);
    assert.equal(r.wer, 0.3);
    assert.equal(r.sentencesWithErrors, 2);
    assert.equal(r.ser, 2 / 3);
  });
});
