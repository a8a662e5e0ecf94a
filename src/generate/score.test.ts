/**
 * scoreSentences: each sentence from a fresh state primed by <eos> (word/BPE) or '\n' (char),
 * counting the final <eos>/'\n'; equal to a direct forward over the sentence; batching and
 * time chunking change nothing.
 * Legend: T time, V vocabulary; B sentences per batch.
 */
import '../../test/helpers/backend.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../autograd/graph.js';
import { isRnnlmError } from '../errors.js';
import { RNNLM } from '../models/rnnlm.js';
import { BpeTokenizer } from '../tokenizers/bpe.js';
import { CharTokenizer } from '../tokenizers/char.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { scoreSentences, sentenceIds, summarizeScores } from './score.js';

const TEXT = 'the cat sat on the mat\nthe dog ran to the cat\na bird sat on a tree\n';
const SENTENCES = ['the cat sat', '', 'a bird ran to the mat on a tree the dog sat', 'unknown words here', 'the', 'the cat sat on the mat'];

const modelFor = (tok: Tokenizer, cell: 'lstm' | 'gru' = 'lstm'): RNNLM =>
  new RNNLM({ vocabSize: tok.vocabSize, embedSize: 8, hiddenSize: 12, numLayers: 2, cell, seed: 3, init: 1 });

/** Σ log p(ids[t] | ids[<t]) for t ≥ 1 by one forward from a zero state, in float64. */
function directLogProb(model: RNNLM, ids: number[]): number {
  return noGrad(() => {
    const V = model.config.vocabSize;
    const { logits } = model.forward(Int32Array.from(ids), ids.length, 1, null);
    let total = 0;
    for (let t = 1; t < ids.length; t++) {
      const row = Array.from(logits.data.subarray((t - 1) * V, t * V)); // [V]
      const max = Math.max(...row);
      total += row[ids[t]!]! - max - Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    }
    return total;
  });
}

const close = (a: number, b: number, tol = 1e-4): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

describe('scoreSentences', () => {
  test('word model: primed by <eos>, every word and the final <eos> scored; equals a direct forward', () => {
    const tok = WordTokenizer.fromText(TEXT);
    const model = modelFor(tok);
    const scores = scoreSentences(model, tok, SENTENCES);
    for (const [i, s] of SENTENCES.entries()) {
      const words = s.split(' ').filter((w) => w !== '');
      const ids = [tok.eosId, ...words.map((w) => tok.wordId(w)), tok.eosId];
      assert.equal(scores[i]!.tokens, words.length + 1, s);
      assert.ok(close(scores[i]!.logProb, directLogProb(model, ids)), `${s}: ${scores[i]!.logProb}`);
      assert.ok(close(scores[i]!.perplexity, Math.exp(-scores[i]!.logProb / scores[i]!.tokens), 1e-12));
      assert.ok(scores[i]!.logProb < 0);
    }
  });

  test('batched = one by one = time-chunked, for every cell', () => {
    const tok = WordTokenizer.fromText(TEXT);
    for (const cell of ['lstm', 'gru'] as const) {
      const model = modelFor(tok, cell);
      const single = SENTENCES.map((s) => scoreSentences(model, tok, [s])[0]!.logProb);
      for (const opts of [
        { batchSize: 1 },
        { batchSize: 2 },
        { batchSize: 4 },
        { batchSize: 100 },
        { batchSize: 3, maxElements: 1 },
        { maxElements: 3 * tok.vocabSize * 4 },
      ]) {
        const batched = scoreSentences(model, tok, SENTENCES, opts).map((r) => r.logProb);
        for (let i = 0; i < SENTENCES.length; i++)
          assert.ok(close(batched[i]!, single[i]!, 1e-5), `${cell} ${JSON.stringify(opts)} sentence ${i}: ${batched[i]} vs ${single[i]}`);
      }
    }
  });

  test("char model: primed by '\\n', every character and a final '\\n' scored", () => {
    const tok = CharTokenizer.fromText(TEXT);
    const model = modelFor(tok);
    const nl = tok.vocab.idOf('\n')!;
    const scores = scoreSentences(model, tok, ['the cat', 'x', '']);
    assert.deepEqual(
      scores.map((s) => s.tokens),
      [8, 2, 1],
    );
    assert.ok(close(scores[0]!.logProb, directLogProb(model, [nl, ...tok.encode('the cat'), nl])));
    assert.ok(close(scores[2]!.logProb, directLogProb(model, [nl, nl])));
    // Without '\n' in the vocabulary the first character is context only.
    const noNl = CharTokenizer.fromText('abc', { unk: false });
    assert.deepEqual(Array.from(sentenceIds(noNl, 'cab')), Array.from(noNl.encode('cab')));
    const r = scoreSentences(modelFor(noNl), noNl, ['cab', 'a']);
    assert.deepEqual(
      r.map((s) => s.tokens),
      [2, 0],
    );
    assert.equal(r[1]!.logProb, 0);
    assert.ok(Number.isNaN(r[1]!.perplexity));
  });

  test('BPE model: primed by <eos>, final <eos> scored', () => {
    const tok = BpeTokenizer.train(TEXT, { merges: 20 });
    const model = modelFor(tok);
    const ids = sentenceIds(tok, 'the cat 😀');
    assert.equal(ids[0], tok.eosId);
    assert.equal(ids[ids.length - 1], tok.eosId);
    assert.equal(tok.decode(ids.subarray(1)), 'the cat 😀\n');
    const [r] = scoreSentences(model, tok, ['the cat 😀']);
    assert.equal(r!.tokens, ids.length - 1);
    assert.ok(close(r!.logProb, directLogProb(model, Array.from(ids))));
  });

  test('summarizeScores: corpus log-prob, tokens and perplexity', () => {
    const tok = WordTokenizer.fromText(TEXT);
    const scores = scoreSentences(modelFor(tok), tok, SENTENCES);
    const sum = summarizeScores(scores);
    const lp = scores.reduce((s, r) => s + r.logProb, 0);
    const n = scores.reduce((s, r) => s + r.tokens, 0);
    assert.equal(sum.sentences, SENTENCES.length);
    assert.equal(sum.tokens, n);
    assert.ok(close(sum.logProb, lp, 1e-12));
    assert.ok(close(sum.perplexity, Math.exp(-lp / n), 1e-12));
    assert.ok(Number.isNaN(summarizeScores([]).perplexity));
  });

  test('errors name the sentence; bad options are clear', () => {
    const tok = CharTokenizer.fromText('abc\n', { unk: false });
    const model = modelFor(tok);
    assert.throws(
      () => scoreSentences(model, tok, ['abc', 'abz']),
      (e) => isRnnlmError(e, 'unknown_token') && /^sentence 2:/.test(e.message),
    );
    assert.throws(
      () => scoreSentences(model, tok, ['a'], { batchSize: 0 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    const other = WordTokenizer.fromText(TEXT);
    assert.throws(
      () => scoreSentences(model, other, ['a']),
      (e) => isRnnlmError(e, 'checkpoint_mismatch'),
    );
    assert.deepEqual(scoreSentences(model, tok, []), []);
  });
});
