/** Translation sides: word (lowercased, detokenized), char (added <eos>) and BPE, and their JSON round trip. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRnnlmError } from '../errors.js';
import { TranslationSide } from './side.js';

const lines = ['A man in an orange hat.', "The dog's ball is red-and-white.", 'Two men, outside.'];

describe('TranslationSide', () => {
  test('word: lowercased, punctuation split, decoded back to text with a capital letter', () => {
    const s = TranslationSide.fromLines(lines, { kind: 'word' });
    assert.equal(s.tokenizer.eosId, s.eosId);
    assert.equal(s.vocabSize, s.tokenizer.vocabSize);
    const ids = s.encode("The dog's ball is red-and-white.");
    assert.deepEqual(
      [...ids].map((i) => s.tokenizer.tokenText(i)),
      ['the', 'dog', "'s", 'ball', 'is', 'red', '@-@', 'and', '@-@', 'white', '.'],
    );
    assert.equal(s.decode(ids), "The dog's ball is red-and-white.");
    assert.equal(s.decode([...s.encode('a man'), s.eosId, ...s.encode('hat')]), 'A man'); // stops at <eos>
    assert.equal(s.tokenizer.tokenText(s.encode('zebra')[0]!), '<unk>');
    // Unknown-word replacement: position 1 is <unk>, replaced by the given source word.
    assert.equal(
      s.decode(s.encode('a zebra hat'), (i) => (i === 1 ? 'Zebra' : undefined)),
      'A Zebra hat',
    );
    assert.equal(
      s.decode(s.encode('a zebra hat'), () => undefined),
      'A <unk> hat',
    );
    assert.deepEqual(s.words("The dog's ball."), ['The', 'dog', "'s", 'ball', '.']);
  });
  test('word: a truecasing table learned from non-initial positions restores capitals', () => {
    const de = ['Ein Mann sieht einen Hund.', 'Der Hund und der Mann laufen.', 'Laufen ist gut.', 'Zwei Männer laufen.'];
    const s = TranslationSide.fromLines(de, { kind: 'word' });
    assert.deepEqual([...s.truecase.entries()].sort(), [
      ['hund', 'Hund'],
      ['mann', 'Mann'],
      ['männer', 'Männer'],
    ]);
    assert.equal(s.decode(s.encode('EIN MANN und ein hund laufen.')), 'Ein Mann und ein Hund laufen.');
    const r = TranslationSide.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    assert.deepEqual([...r.truecase.entries()].sort(), [...s.truecase.entries()].sort());
    assert.equal(TranslationSide.fromLines(de, { kind: 'word', lowercase: false }).truecase.size, 0);
  });
  test('word without lowercasing keeps case', () => {
    const s = TranslationSide.fromLines(lines, { kind: 'word', lowercase: false });
    assert.equal(s.decode(s.encode('Two men, outside.')), 'Two men, outside.');
  });
  test('char: every code point a token, <eos> added past the vocabulary', () => {
    const s = TranslationSide.fromLines(['我爱你。', '你好'], { kind: 'char' });
    assert.equal(s.eosId, s.tokenizer.vocabSize);
    assert.equal(s.vocabSize, s.tokenizer.vocabSize + 1);
    const ids = s.encode('你爱我');
    assert.equal(ids.length, 3);
    assert.equal(s.decode([...ids, s.eosId, ids[0]!]), '你爱我');
  });
  test('bpe: round trip through pre-tokenization', () => {
    const s = TranslationSide.fromLines(lines, { kind: 'bpe', bpeMerges: 30 });
    assert.equal(s.decode(s.encode('A man, outside.')), 'A man, outside.');
  });
  test('JSON round trip gives the same ids; bad JSON is corrupt_checkpoint', () => {
    for (const kind of ['word', 'char', 'bpe'] as const) {
      const s = TranslationSide.fromLines(lines, { kind, bpeMerges: 20 });
      const r = TranslationSide.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
      assert.deepEqual(r.encode(lines[1]!), s.encode(lines[1]!));
      assert.equal(r.eosId, s.eosId);
      assert.equal(r.lowercase, s.lowercase);
    }
    assert.throws(
      () => TranslationSide.fromJSON({ kind: 'word' }),
      (e) => isRnnlmError(e, 'corrupt_checkpoint'),
    );
  });
});
