import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CharTokenizer, WordTokenizer, tokenizerFromJSON } from './index.js';
import { isRnnlmError } from '../errors.js';

describe('tokenizerFromJSON', () => {
  test('rebuilds a char tokenizer from an object or from JSON text', () => {
    const t = CharTokenizer.fromText('héllo 😀');
    for (const saved of [t.toJSON(), JSON.stringify(t.toJSON())]) {
      const back = tokenizerFromJSON(saved);
      assert.ok(back instanceof CharTokenizer);
      assert.equal(back.vocabSize, t.vocabSize);
      assert.deepEqual(Array.from(back.encode('olé 😀!')), Array.from(t.encode('olé 😀!')));
      assert.equal(back.unkId, t.unkId);
    }
  });

  test('rebuilds a word tokenizer', () => {
    const t = WordTokenizer.fromText('a b c\nb c d\n', { maxSize: 4 });
    const back = tokenizerFromJSON(JSON.stringify(t));
    assert.ok(back instanceof WordTokenizer);
    assert.deepEqual(back.vocab.tokens(), t.vocab.tokens());
    assert.equal(back.eosId, t.eosId);
    assert.equal(back.decode(back.encode('b x c\n')), 'b <unk> c\n');
  });

  test('bad JSON is corrupt_checkpoint with a clear message', () => {
    assert.throws(
      () => tokenizerFromJSON('{"kind": "char", '),
      (e) => isRnnlmError(e, 'corrupt_checkpoint') && /not valid JSON/.test(e.message),
    );
    assert.throws(
      () => tokenizerFromJSON('[1,2]'),
      (e) => isRnnlmError(e, 'corrupt_checkpoint') && /not an object/.test(e.message),
    );
    assert.throws(
      () => tokenizerFromJSON(null),
      (e) => isRnnlmError(e, 'corrupt_checkpoint'),
    );
    assert.throws(
      () => tokenizerFromJSON({ kind: 'sentencepiece', version: 1, tokens: [] }),
      (e) => isRnnlmError(e, 'corrupt_checkpoint') && /unknown kind "sentencepiece"/.test(e.message),
    );
    assert.throws(
      () => tokenizerFromJSON({ kind: 'char', version: 1, unk: true }),
      (e) => isRnnlmError(e, 'corrupt_checkpoint') && /tokens/.test(e.message),
    );
  });

  test('a bpe tokenizer JSON without its merges is corrupt', () => {
    assert.throws(
      () => tokenizerFromJSON({ kind: 'bpe', version: 1, tokens: ['a'] }),
      (e) => isRnnlmError(e, 'corrupt_checkpoint'),
    );
  });
});
