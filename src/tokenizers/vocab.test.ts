import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Vocab } from './vocab.js';
import { isRnnlmError } from '../errors.js';

describe('Vocab', () => {
  const v = new Vocab(['a', '<eos>', 'b', '<unk>'], { specials: { eos: '<eos>', unk: '<unk>' }, counts: [3, 2, 1, 0] });

  test('maps ids and tokens both ways', () => {
    assert.equal(v.size, 4);
    assert.equal(v.idOf('a'), 0);
    assert.equal(v.idOf('b'), 2);
    assert.equal(v.idOf('zzz'), undefined);
    assert.equal(v.tokenOf(1), '<eos>');
    assert.equal(v.has('b'), true);
    assert.equal(v.has('B'), false);
    assert.deepEqual(v.tokens(), ['a', '<eos>', 'b', '<unk>']);
  });

  test('special roles and counts', () => {
    assert.equal(v.specialId('eos'), 1);
    assert.equal(v.specialId('unk'), 3);
    assert.equal(v.specialId('pad'), null);
    assert.deepEqual(v.specials, { eos: '<eos>', unk: '<unk>' });
    assert.equal(v.countOf(0), 3);
    assert.equal(v.countOf(3), 0);
    assert.equal(new Vocab(['x']).countOf(0), undefined);
  });

  test('tokens named like Object.prototype members are ordinary tokens', () => {
    const p = new Vocab(['__proto__', 'constructor', 'toString']);
    assert.equal(p.idOf('__proto__'), 0);
    assert.equal(p.idOf('toString'), 2);
    assert.equal(p.idOf('hasOwnProperty'), undefined);
  });

  test('out-of-range ids are invalid_argument', () => {
    for (const bad of [-1, 4, 1.5, NaN]) {
      assert.throws(
        () => v.tokenOf(bad),
        (e) => isRnnlmError(e, 'invalid_argument') && /out of range/.test(e.message),
      );
    }
  });

  test('rejects duplicate tokens, unknown specials and mismatched counts', () => {
    assert.throws(
      () => new Vocab(['a', 'b', 'a']),
      (e) => isRnnlmError(e, 'invalid_argument') && /twice/.test(e.message),
    );
    assert.throws(
      () => new Vocab(['a'], { specials: { eos: '<eos>' } }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => new Vocab(['a', 'b'], { counts: [1] }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => new Vocab(['a'], { counts: [-1] }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });

  test('JSON round-trip keeps ids, specials and counts', () => {
    const back = Vocab.fromJSON(JSON.parse(JSON.stringify(v)));
    assert.deepEqual(back.tokens(), v.tokens());
    assert.deepEqual(back.specials, v.specials);
    assert.deepEqual(Array.from(back.counts!), [3, 2, 1, 0]);
    assert.equal(back.idOf('b'), 2);
  });

  test('malformed JSON is corrupt_checkpoint', () => {
    for (const bad of [null, 7, {}, { tokens: 'ab' }, { tokens: ['a', 'a'] }, { tokens: ['a'], specials: { eos: 3 } }, { tokens: ['a'], counts: [1, 2] }]) {
      assert.throws(
        () => Vocab.fromJSON(bad),
        (e) => isRnnlmError(e, 'corrupt_checkpoint'),
        JSON.stringify(bad),
      );
    }
  });
});
