import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WordTokenizer, splitLines, splitWords } from './word.js';
import { isRnnlmError } from '../errors.js';

const ids = (a: Int32Array): number[] => Array.from(a);

describe('splitLines / splitWords', () => {
  test('a final line break does not add an empty line; inner empty lines stay', () => {
    assert.deepEqual(splitLines('a\nb\n'), { lines: ['a', 'b'], terminated: true });
    assert.deepEqual(splitLines('a\nb'), { lines: ['a', 'b'], terminated: false });
    assert.deepEqual(splitLines('a\n\n'), { lines: ['a', ''], terminated: true });
    assert.deepEqual(splitLines('a\r\nb\rc'), { lines: ['a', 'b', 'c'], terminated: false });
    assert.deepEqual(splitLines(''), { lines: [], terminated: true });
    assert.deepEqual(splitLines('\n'), { lines: [''], terminated: true });
  });

  test("whitespace is Python's str.split() set", () => {
    assert.deepEqual(splitWords('  a  b\t'), ['a', 'b']);
    assert.deepEqual(splitWords('a\u3000b\u00a0c\x1cd\u2009e'), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(splitWords('a\ufeffb'), ['a\ufeffb']); // U+FEFF is not whitespace in Python
    assert.deepEqual(splitWords(' '), []);
  });
});

describe('WordTokenizer', () => {
  test('ids by first appearance, <eos> after every line, <unk> appended', () => {
    const text = 'the cat sat\nthe dog\n\n';
    const t = WordTokenizer.fromText(text);
    assert.deepEqual(t.vocab.tokens(), ['the', 'cat', 'sat', '<eos>', 'dog', '<unk>']);
    assert.equal(t.eosId, 3);
    assert.equal(t.unkId, 5);
    assert.equal(t.kind, 'word');
    // 5 words + 3 lines (the empty one included)
    assert.deepEqual(ids(t.encode(text)), [0, 1, 2, 3, 0, 4, 3, 3]);
    assert.deepEqual(Array.from(t.vocab.counts!), [2, 1, 1, 3, 1, 0]);
    assert.equal(t.decode(t.encode(text)), text);
  });

  test('an unterminated last line still gets <eos> unless addEos is false', () => {
    const t = WordTokenizer.fromText('a b\nc\n');
    // a0 b1 <eos>2 c3 <unk>4
    assert.deepEqual(ids(t.encode('a b\nc')), [0, 1, 2, 3, 2]);
    assert.deepEqual(ids(t.encode('a b\nc', { addEos: false })), [0, 1, 2, 3]);
    assert.deepEqual(ids(t.encode('a b\nc\n', { addEos: false })), [0, 1, 2, 3, 2]);
    assert.deepEqual(ids(t.encode('a b\r\nc\r\n')), [0, 1, 2, 3, 2]);
    assert.deepEqual(ids(t.encode('')), []);
    assert.deepEqual(ids(t.encodeLine('  c a ')), [3, 0, 2]);
    assert.deepEqual(ids(t.encodeLine('c a', { addEos: false })), [3, 0]);
  });

  test('unknown words map to <unk>; a literal <unk> in the text is the same token', () => {
    const t = WordTokenizer.fromText(' a <unk> b \n b \n');
    assert.deepEqual(t.vocab.tokens(), ['a', '<unk>', 'b', '<eos>']);
    assert.equal(t.unkId, 1);
    assert.deepEqual(ids(t.encode('b zebra <unk>', { addEos: false })), [2, 1, 1]);
  });

  test('minCount cut-off: rare words become <unk>, numbered by first appearance in the encoded stream', () => {
    const text = 'x y z y\nw y x q\n';
    const t = WordTokenizer.fromText(text, { minCount: 2 });
    assert.deepEqual(t.vocab.tokens(), ['x', 'y', '<unk>', '<eos>']);
    assert.deepEqual(ids(t.encode(text)), [0, 1, 2, 1, 3, 2, 1, 0, 2, 3]);
    assert.deepEqual(Array.from(t.vocab.counts!), [2, 3, 3, 2]);
  });

  test('maxSize keeps the most frequent words, ties by first appearance, specials included', () => {
    const text = 'x y z y\nw y x q\n';
    const t3 = WordTokenizer.fromText(text, { maxSize: 3 });
    assert.deepEqual(t3.vocab.tokens(), ['<unk>', 'y', '<eos>']);
    assert.deepEqual(Array.from(t3.vocab.counts!), [5, 3, 2]);
    const t5 = WordTokenizer.fromText(text, { maxSize: 5 });
    // y(3), x(2), then z beats w and q (all count 1) by appearing first
    assert.deepEqual(t5.vocab.tokens(), ['x', 'y', 'z', '<eos>', '<unk>']);
    assert.deepEqual(Array.from(t5.vocab.counts!), [2, 3, 1, 2, 2]);
    // maxSize larger than the vocabulary changes nothing but still adds <unk>
    assert.deepEqual(WordTokenizer.fromText(text, { maxSize: 100 }).vocab.tokens(), ['x', 'y', 'z', '<eos>', 'w', 'q', '<unk>']);
  });

  test('lowercase folds case in training and encoding', () => {
    const t = WordTokenizer.fromText('The the THE cat\n', { lowercase: true });
    assert.deepEqual(t.vocab.tokens(), ['the', 'cat', '<eos>', '<unk>']);
    assert.deepEqual(ids(t.encode('THE Cat')), [0, 1, 2]);
    const cased = WordTokenizer.fromText('The the THE cat\n');
    assert.equal(cased.vocabSize, 6);
  });

  test('empty training text still has <eos> and <unk>', () => {
    const t = WordTokenizer.fromText('');
    assert.deepEqual(t.vocab.tokens(), ['<eos>', '<unk>']);
    assert.deepEqual(ids(t.encode('hello\n')), [1, 0]);
  });

  test('decode joins with spaces and turns <eos> into a line break', () => {
    const t = WordTokenizer.fromText('the cat\ndog\n');
    // the0 cat1 <eos>2 dog3 <unk>4
    assert.equal(t.decode([0, 1, 2, 3]), 'the cat\ndog');
    assert.equal(t.decode([2, 2, 4]), '\n\n<unk>');
    assert.equal(t.decode(new Int32Array([])), '');
    assert.equal(t.tokenText(2), '\n');
    assert.equal(t.tokenText(1), 'cat');
    assert.throws(
      () => t.decode([5]),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    // Whitespace is normalised, words survive.
    assert.equal(t.decode(t.encode('  the   cat \n\tdog ')), 'the cat\ndog\n');
  });

  test('Unicode words are kept whole', () => {
    const text = 'Senjō no 戦場のヴァルキュリア3 😀\n';
    const t = WordTokenizer.fromText(text);
    assert.deepEqual(t.vocab.tokens(), ['Senjō', 'no', '戦場のヴァルキュリア3', '😀', '<eos>', '<unk>']);
    assert.equal(t.decode(t.encode(text)), text);
  });

  test('bad options are invalid_argument', () => {
    assert.throws(
      () => WordTokenizer.fromText('a', { minCount: 0 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => WordTokenizer.fromText('a', { minCount: 1.5 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => WordTokenizer.fromText('a', { maxSize: 1 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });

  test('JSON round-trip keeps ids and options', () => {
    const t = WordTokenizer.fromText('The cat\nthe dog\n', { lowercase: true, minCount: 2 });
    const json = JSON.parse(JSON.stringify(t.toJSON()));
    assert.deepEqual(json, {
      kind: 'word',
      version: 1,
      lowercase: true,
      minCount: 2,
      maxSize: null,
      tokens: ['the', '<unk>', '<eos>'],
      counts: [2, 2, 2],
    });
    const back = WordTokenizer.fromJSON(json);
    assert.deepEqual(ids(back.encode('THE fish')), [0, 1, 2]);
    assert.equal(back.minCount, 2);
  });

  test('fromJSON rejects malformed tokenizers with corrupt_checkpoint', () => {
    const good = { kind: 'word', version: 1, lowercase: false, minCount: 1, maxSize: null, tokens: ['a', '<eos>', '<unk>'] };
    assert.equal(WordTokenizer.fromJSON(good).eosId, 1);
    const bads = [
      { ...good, tokens: ['a', '<unk>'] },
      { ...good, tokens: ['a', '<eos>'] },
      { ...good, tokens: ['a b', '<eos>', '<unk>'] },
      { ...good, tokens: ['', '<eos>', '<unk>'] },
      { ...good, lowercase: 1 },
      { ...good, maxSize: 1 },
      { ...good, minCount: 0 },
      { ...good, version: '1' },
      { ...good, tokens: [1, '<eos>', '<unk>'] },
    ];
    for (const bad of bads)
      assert.throws(
        () => WordTokenizer.fromJSON(bad),
        (e) => isRnnlmError(e, 'corrupt_checkpoint'),
        JSON.stringify(bad),
      );
  });
});
