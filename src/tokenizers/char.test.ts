import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CharTokenizer, CHAR_UNK_TEXT } from './char.js';
import { isRnnlmError } from '../errors.js';

describe('CharTokenizer', () => {
  test('vocabulary is sorted code points with <unk> last', () => {
    const t = CharTokenizer.fromText('hello');
    // e=101 h=104 l=108 o=111
    assert.deepEqual(t.vocab.tokens(), ['e', 'h', 'l', 'o', '<unk>']);
    assert.equal(t.vocabSize, 5);
    assert.equal(t.unkId, 4);
    assert.equal(t.eosId, null);
    assert.equal(t.kind, 'char');
    assert.deepEqual(Array.from(t.encode('hello')), [1, 0, 2, 2, 3]);
    assert.deepEqual(Array.from(t.vocab.counts!), [1, 1, 2, 1, 0]);
  });

  test('unseen characters become <unk>, which decodes to U+FFFD', () => {
    const t = CharTokenizer.fromText('hello');
    const ids = t.encode('hex');
    assert.deepEqual(Array.from(ids), [1, 0, 4]);
    assert.equal(t.decode(ids), 'he\uFFFD');
    assert.equal(t.tokenText(4), CHAR_UNK_TEXT);
    assert.equal(t.tokenText(2), 'l');
  });

  test('without unk an unseen character throws unknown_token naming it', () => {
    const t = CharTokenizer.fromText('hello', { unk: false });
    assert.deepEqual(t.vocab.tokens(), ['e', 'h', 'l', 'o']);
    assert.equal(t.unkId, null);
    assert.throws(
      () => t.encode('hez'),
      (e) =>
        isRnnlmError(e, 'unknown_token') &&
        e.message.includes('"z"') &&
        e.message.includes('U+007A') &&
        e.message.includes('unk: true') &&
        e.details?.index === 2,
    );
    assert.throws(
      () => t.encode('h🙂'),
      (e) => isRnnlmError(e, 'unknown_token') && e.message.includes('U+1F642'),
    );
  });

  test('code points, not UTF-16 units: emoji, CJK, precomposed and combining marks', () => {
    const text = 'a😀\u00e9e\u0301中文';
    const t = CharTokenizer.fromText(text);
    // sorted: a(61) e(65) é(E9) ◌́(301) 中(4E2D) 文(6587) 😀(1F600), then <unk>
    assert.deepEqual(t.vocab.tokens(), ['a', 'e', '\u00e9', '\u0301', '中', '文', '😀', '<unk>']);
    assert.deepEqual(Array.from(t.encode(text)), [0, 6, 2, 1, 3, 4, 5]);
    assert.equal(t.encode('😀😀').length, 2);
    assert.equal(t.decode(t.encode(text)), text);
    assert.equal(t.tokenText(6), '😀');
    // An unseen astral character is one <unk>, not two.
    assert.deepEqual(Array.from(t.encode('a🙂a')), [0, 7, 0]);
  });

  test('round-trips a multi-line text with whitespace exactly', () => {
    const text = 'First Citizen:\nBefore we proceed,\r\n\ttab  two spaces\n\n';
    const t = CharTokenizer.fromText(text);
    assert.equal(t.decode(t.encode(text)), text);
    assert.equal(t.vocab.has('\n'), true);
  });

  test('empty training text gives a vocabulary of just <unk>', () => {
    const t = CharTokenizer.fromText('');
    assert.deepEqual(t.vocab.tokens(), ['<unk>']);
    assert.equal(t.encode('').length, 0);
    assert.deepEqual(Array.from(t.encode('ab')), [0, 0]);
  });

  test('decode rejects ids out of range', () => {
    const t = CharTokenizer.fromText('ab');
    assert.throws(
      () => t.decode([0, 3]),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => t.tokenText(-1),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });

  test('JSON round-trip keeps ids and the unk setting', () => {
    const t = CharTokenizer.fromText('b😀a', { unk: false });
    const json = JSON.parse(JSON.stringify(t.toJSON()));
    assert.deepEqual(json, { kind: 'char', version: 1, unk: false, tokens: ['a', 'b', '😀'], counts: [1, 1, 1] });
    const back = CharTokenizer.fromJSON(json);
    assert.equal(back.unkId, null);
    assert.deepEqual(Array.from(back.encode('😀ab')), [2, 0, 1]);
  });

  test('fromJSON rejects malformed tokenizers with corrupt_checkpoint', () => {
    const good = { kind: 'char', version: 1, unk: true, tokens: ['a', '<unk>'] };
    const bads = [
      { ...good, version: 2 },
      { ...good, kind: 'word' },
      { ...good, unk: 'yes' },
      { ...good, tokens: ['ab', '<unk>'] },
      { ...good, tokens: ['a'] }, // unk: true but no <unk>
      { ...good, tokens: ['a', 'a', '<unk>'] },
      { ...good, tokens: ['', '<unk>'] },
      { ...good, counts: [1] },
    ];
    assert.equal(CharTokenizer.fromJSON(good).unkId, 1);
    for (const bad of bads)
      assert.throws(
        () => CharTokenizer.fromJSON(bad),
        (e) => isRnnlmError(e, 'corrupt_checkpoint'),
        JSON.stringify(bad),
      );
  });
});
