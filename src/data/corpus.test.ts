import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeSplit, loadTextDataset, readCorpusFile, splitText } from './corpus.js';
import { setPlatform } from '../platform/platform.js';
import { nodePlatform } from '../platform/node.js';
import { CharTokenizer } from '../tokenizers/char.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { isRnnlmError } from '../errors.js';

setPlatform(nodePlatform);

let dir = '';
const file = (name: string, data: string | Uint8Array): string => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
};
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-corpus-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('readCorpusFile', () => {
  test('reads UTF-8 text and drops a BOM', () => {
    assert.equal(readCorpusFile(file('u.txt', 'héllo 😀 中文\n')), 'héllo 😀 中文\n');
    assert.equal(readCorpusFile(file('bom.txt', '\ufeffabc')), 'abc');
  });

  test('invalid UTF-8 bytes are invalid_utf8, pointing at the bad byte', () => {
    const p = file('bad.txt', new Uint8Array([0x61, 0x62, 0xff, 0x63]));
    assert.throws(
      () => readCorpusFile(p),
      (e) => isRnnlmError(e, 'invalid_utf8') && e.details?.offset === 2 && e.message.includes(p),
    );
    // A truncated multi-byte sequence (first 2 bytes of '😀') is also rejected.
    assert.throws(
      () => readCorpusFile(file('trunc.txt', new Uint8Array([0x61, 0xf0, 0x9f]))),
      (e) => isRnnlmError(e, 'invalid_utf8'),
    );
  });

  test('a missing file is file_not_found', () => {
    assert.throws(
      () => readCorpusFile(path.join(dir, 'nope.txt')),
      (e) => isRnnlmError(e, 'file_not_found'),
    );
  });

  test("bare '\\r' and '\\r\\n' line breaks are read as lines, for every tokenizer", () => {
    const lf = 'the cat sat\nthe dog ran\na bird\n';
    for (const [name, text] of [
      ['cr.txt', lf.replaceAll('\n', '\r')],
      ['crlf.txt', lf.replaceAll('\n', '\r\n')],
      ['mixed.txt', 'the cat sat\r\nthe dog ran\ra bird\n'],
    ] as const) {
      const p = file(name, text);
      assert.equal(readCorpusFile(p), lf, name);
      for (const tokenizer of ['char', 'word', 'bpe'] as const) {
        const fromLf = loadTextDataset({ train: file(`lf-${tokenizer}.txt`, lf) }, { tokenizer, validFraction: 0 });
        const fromCr = loadTextDataset({ train: p }, { tokenizer, validFraction: 0 });
        assert.deepEqual(Array.from(fromCr.train), Array.from(fromLf.train), `${name} ${tokenizer}`);
      }
    }
    // Three lines → three <eos> for a word model (a bare-CR file used to be one line).
    const w = loadTextDataset({ train: file('cr2.txt', 'a b\rc d\re f\r') }, { tokenizer: 'word', validFraction: 0 });
    assert.equal(Array.from(w.train).filter((id) => id === w.tokenizer.eosId).length, 3);
  });
});

describe('splitText', () => {
  test('splits by code points with floor cuts', () => {
    assert.deepEqual(splitText('abcdefghij', [0.9, 0.1]), ['abcdefghi', 'j']);
    assert.deepEqual(splitText('abcdefghij', [0.7, 0.2, 0.1]), ['abcdefg', 'hi', 'j']);
    assert.deepEqual(splitText('abc', [1]), ['abc']);
    assert.deepEqual(splitText('', [0.5, 0.5]), ['', '']);
  });

  test('never cuts a surrogate pair', () => {
    // 6 code points, 9 UTF-16 units
    assert.deepEqual(splitText('😀a😀b😀c', [0.5, 0.5]), ['😀a😀', 'b😀c']);
    assert.deepEqual(splitText('😀😀😀😀', [0.75, 0.25]), ['😀😀😀', '😀']);
  });

  test('atLineBreak moves a cut to just after the next line break', () => {
    assert.deepEqual(splitText('aa\nbb\ncc\n', [0.5, 0.5], { atLineBreak: true }), ['aa\nbb\n', 'cc\n']);
    assert.deepEqual(splitText('aa\nbb\ncc\n', [0.5, 0.5]), ['aa\nb', 'b\ncc\n']);
    assert.deepEqual(splitText('one line', [0.5, 0.5], { atLineBreak: true }), ['one line', '']);
  });

  test('bad fractions are invalid_argument', () => {
    for (const bad of [[], [0.9], [0.5, 0.6], [1.1, -0.1], [NaN, 1]]) {
      assert.throws(
        () => splitText('abc', bad),
        (e) => isRnnlmError(e, 'invalid_argument'),
        JSON.stringify(bad),
      );
    }
  });
});

describe('encodeSplit', () => {
  test('an empty split is empty_corpus naming it', () => {
    const t = CharTokenizer.fromText('abc');
    assert.deepEqual(Array.from(encodeSplit(t, 'cab', 'valid')), [2, 0, 1]);
    assert.throws(
      () => encodeSplit(t, '', 'the valid split'),
      (e) => isRnnlmError(e, 'empty_corpus') && e.message === 'the valid split has no tokens; give a non-empty file',
    );
  });
});

describe('loadTextDataset', () => {
  test('char: holds out the last validFraction and builds the vocabulary from the rest only', () => {
    const ds = loadTextDataset({ train: file('c.txt', 'abcdefghij') }, { tokenizer: 'char', validFraction: 0.2 });
    assert.ok(ds.tokenizer instanceof CharTokenizer);
    assert.equal(ds.tokenizer.vocabSize, 9); // a..h + <unk>
    assert.deepEqual(Array.from(ds.train), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(Array.from(ds.valid!), [8, 8]); // i, j unseen in train
    assert.equal(ds.test, null);
  });

  test('char without unk throws unknown_token for a held-out character', () => {
    assert.throws(
      () => loadTextDataset({ train: file('c2.txt', 'abcdefghij') }, { tokenizer: 'char', validFraction: 0.2, unk: false }),
      (e) => isRnnlmError(e, 'unknown_token'),
    );
  });

  test('word: separate valid and test files; unseen words are <unk>', () => {
    const ds = loadTextDataset({ train: file('w.train', 'a b\nb c\n'), valid: file('w.valid', 'c d\n'), test: file('w.test', 'a') }, { tokenizer: 'word' });
    assert.ok(ds.tokenizer instanceof WordTokenizer);
    assert.deepEqual(ds.tokenizer.vocab.tokens(), ['a', 'b', '<eos>', 'c', '<unk>']);
    assert.deepEqual(Array.from(ds.train), [0, 1, 2, 1, 3, 2]);
    assert.deepEqual(Array.from(ds.valid!), [3, 4, 2]);
    assert.deepEqual(Array.from(ds.test!), [0, 2]);
  });

  test('word: the held-out split starts at a line boundary; options reach the tokenizer', () => {
    const p = file('w2.txt', 'A b\nc d\ne f\ng h\n');
    const ds = loadTextDataset({ train: p }, { tokenizer: 'word', validFraction: 0.3, lowercase: true });
    assert.deepEqual(ds.tokenizer.vocab.tokens(), ['a', 'b', '<eos>', 'c', 'd', 'e', 'f', '<unk>']);
    assert.equal(ds.tokenizer.decode(ds.train), 'a b\nc d\ne f\n');
    assert.deepEqual(Array.from(ds.valid!), [7, 7, 2]);
    const none = loadTextDataset({ train: p }, { tokenizer: 'word', validFraction: 0 });
    assert.equal(none.valid, null);
    assert.equal(none.train.length, 12);
  });

  test('empty and unusable inputs give clear errors', () => {
    const empty = file('empty.txt', '');
    assert.throws(
      () => loadTextDataset({ train: empty }, { tokenizer: 'char' }),
      (e) => isRnnlmError(e, 'empty_corpus') && e.message.includes(empty) && /has no tokens/.test(e.message),
    );
    assert.throws(
      () => loadTextDataset({ train: file('ok.txt', 'x y\n'), valid: empty }, { tokenizer: 'word' }),
      (e) => isRnnlmError(e, 'empty_corpus') && e.message.includes('validation file'),
    );
    assert.throws(
      () => loadTextDataset({ train: file('one.txt', 'a b c\n') }, { tokenizer: 'word', validFraction: 0.1 }),
      (e) => isRnnlmError(e, 'empty_corpus') && /validFraction 0/.test(e.message),
    );
    assert.throws(
      () => loadTextDataset({ train: path.join(dir, 'missing.txt') }, { tokenizer: 'word' }),
      (e) => isRnnlmError(e, 'file_not_found'),
    );
    assert.throws(
      () => loadTextDataset({ train: file('bad2.txt', new Uint8Array([0xc3, 0x28])) }, { tokenizer: 'char' }),
      (e) => isRnnlmError(e, 'invalid_utf8'),
    );
    assert.throws(
      () => loadTextDataset({ train: empty }, { tokenizer: 'char', validFraction: 1 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => loadTextDataset({ train: empty }, { tokenizer: 'sentencepiece' as 'char' }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

// Published counts of the standard corpora (see /work/shared/data/README.md and PyTorch's word_language_model).
// The shared data sit beside the checkout (../shared/data) or inside it (shared/data).
const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = [path.join(ROOT, '../shared/data'), path.join(ROOT, 'shared/data')].find((d) => fs.existsSync(d)) ?? path.join(ROOT, '../shared/data');
const has = (...files: string[]): boolean => files.every((f) => fs.existsSync(path.join(DATA, f)));
const skipUnless = (...files: string[]): false | string => (has(...files) ? false : `${files.join(', ')} not found under ${DATA}`);

describe('standard corpora', () => {
  test('PTB: 929,589 / 73,760 / 82,430 ids, vocabulary 10,000', { skip: skipUnless('ptb/ptb.train.txt', 'ptb/ptb.valid.txt', 'ptb/ptb.test.txt') }, () => {
    const ds = loadTextDataset(
      { train: path.join(DATA, 'ptb/ptb.train.txt'), valid: path.join(DATA, 'ptb/ptb.valid.txt'), test: path.join(DATA, 'ptb/ptb.test.txt') },
      { tokenizer: 'word' },
    );
    assert.equal(ds.train.length, 887_521 + 42_068);
    assert.equal(ds.train.length, 929_589);
    assert.equal(ds.valid!.length, 73_760);
    assert.equal(ds.test!.length, 82_430);
    assert.equal(ds.tokenizer.vocabSize, 10_000);
    // Line 1 has 24 words, so <eos> is id 24; line 2 is "pierre <unk> ...", so <unk> is id 26.
    assert.equal(ds.tokenizer.eosId, 24);
    assert.equal(ds.tokenizer.unkId, 26);
    assert.equal(ds.tokenizer.vocab.countOf(26), 45_020);
    assert.equal(ds.tokenizer.decode(ds.train.subarray(25, 30)), 'pierre <unk> N years old');
    const eos = ds.tokenizer.eosId!;
    assert.equal(ds.train.filter((id) => id === eos).length, 42_068);
  });

  test('WikiText-2: 2,088,628 / 217,646 / 245,569 ids, vocabulary 33,278', {
    skip: skipUnless('wikitext-2/train.txt', 'wikitext-2/valid.txt', 'wikitext-2/test.txt'),
  }, () => {
    const ds = loadTextDataset(
      { train: path.join(DATA, 'wikitext-2/train.txt'), valid: path.join(DATA, 'wikitext-2/valid.txt'), test: path.join(DATA, 'wikitext-2/test.txt') },
      { tokenizer: 'word' },
    );
    assert.equal(ds.train.length, 2_088_628);
    assert.equal(ds.valid!.length, 217_646);
    assert.equal(ds.test!.length, 245_569);
    assert.equal(ds.tokenizer.vocabSize, 33_278);
    assert.equal(ds.tokenizer.eosId, 0); // the first line is empty
    assert.equal(ds.tokenizer.vocab.countOf(ds.tokenizer.unkId!), 54_625);
  });

  test('Tiny Shakespeare: 65 characters, 90/10 split of 1,115,394', { skip: skipUnless('tinyshakespeare/input.txt') }, () => {
    const ds = loadTextDataset({ train: path.join(DATA, 'tinyshakespeare/input.txt') }, { tokenizer: 'char', validFraction: 0.1 });
    assert.equal(ds.tokenizer.vocabSize, 65 + 1);
    assert.equal(ds.train.length, 1_003_854);
    assert.equal(ds.valid!.length, 111_540);
    assert.equal(ds.tokenizer.decode(ds.train.subarray(0, 14)), 'First Citizen:');
  });
});
