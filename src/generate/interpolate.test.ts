/**
 * Mixing an n-gram into the RNN: the per-token streams line up with `evaluate` and with the
 * n-gram's own sentence scores, λ = 0 / 1 give each model alone, EM finds the best λ, and a
 * different vocabulary is a clear error.
 */
import '../../test/helpers/backend.js';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { isRnnlmError } from '../errors.js';
import type { RNNLM } from '../models/rnnlm.js';
import { estimateKneserNey } from '../ngram/kn.js';
import type { NgramModel } from '../ngram/model.js';
import { tokenizerSentences } from '../ngram/text.js';
import { NgramVocab } from '../ngram/vocab.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { evaluate } from '../train/evaluate.js';
import { mixLogProb, mixedPerplexities, ngramMix, ngramStreamLogProbs, rnnStreamLogProbs, scoreSentencesMixed, tuneNgramWeight } from './interpolate.js';
import { scoreSentences } from './score.js';
import { trainTinyWordLM } from '../../test/helpers/tiny-lm.js';

const CORPUS = 'the cat sat on the mat\nthe dog sat on the rug\na cat ate the fish\n'.repeat(20);
// One sentence longer than the n-gram history buffer (64), so the buffer wraps before a sentence end.
const TEST = `the dog sat on the mat\n${'the cat sat on the mat '.repeat(14)}\nthe cat ate\na dog sat on the fish\nthe rug sat\n`;
const tok = WordTokenizer.fromText(CORPUS);
let lm: RNNLM;
let ngram: NgramModel;

before(async () => {
  lm = await trainTinyWordLM(tok, CORPUS, { seed: 3, epochs: 2 });
  const vocab = NgramVocab.fromTokenizer(tok);
  ngram = estimateKneserNey(vocab, tokenizerSentences(tok, CORPUS, vocab).ids, { order: 3 }).model;
});

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

describe('RNN + n-gram interpolation', () => {
  test('the token streams line up with evaluate and with the n-gram sentence scores', () => {
    const ids = tok.encode(TEST);
    const rnn = rnnStreamLogProbs(lm, ids, { batchSize: 2, bptt: 5 });
    const ev = evaluate(lm, ids, { batchSize: 2, bptt: 5 });
    let n = 0;
    let s = 0;
    for (const x of rnn) if (!Number.isNaN(x)) n++, (s += x);
    assert.equal(n, ev.tokens);
    close(Math.exp(-s / n), ev.perplexity, 1e-3 * ev.perplexity, 'RNN stream perplexity = evaluate');
    const mix = ngramMix(tok, ngram, 0.5);
    const ng = ngramStreamLogProbs(mix, ids);
    const own = ngram.scoreStream(tokenizerSentences(tok, TEST, ngram.vocab)).reduce((a, x) => a + x.log10Prob, 0);
    close(
      ng.reduce((a, x) => a + x, 0),
      own * Math.LN10,
      1e-4,
      'n-gram stream = its sentence scores',
    );
  });

  test('λ = 0 is the RNN, λ = 1 the n-gram, and EM finds the best λ', () => {
    const ids = tok.encode(TEST);
    const rnn = rnnStreamLogProbs(lm, ids, { batchSize: 1, bptt: 7 });
    const ng = ngramStreamLogProbs(ngramMix(tok, ngram, 0), ids);
    const p0 = mixedPerplexities(rnn, ng, 0);
    const p1 = mixedPerplexities(rnn, ng, 1);
    close(p0.mixed, p0.rnn, 1e-9);
    close(p1.mixed, p1.ngram, 1e-9);
    const best = tuneNgramWeight(rnn, ng);
    assert.ok(best > 0 && best < 1, `λ = ${best}`);
    const pBest = mixedPerplexities(rnn, ng, best).mixed;
    for (let l = 0; l <= 1.0001; l += 0.05) assert.ok(pBest <= mixedPerplexities(rnn, ng, l).mixed + 1e-9, `λ ${l} beats the EM λ ${best}`);
    close(mixLogProb(Math.log(0.2), Math.log(0.6), 0.25), Math.log(0.75 * 0.2 + 0.25 * 0.6), 1e-12);
  });

  test('sentence scores: λ = 0 is scoreSentences, λ = 1 the n-gram in nats', () => {
    const lines = TEST.trim().split('\n');
    const rnnOnly = scoreSentences(lm, tok, lines);
    const m0 = scoreSentencesMixed(lm, tok, lines, ngramMix(tok, ngram, 0));
    const m1 = scoreSentencesMixed(lm, tok, lines, ngramMix(tok, ngram, 1));
    const ngOnly = ngram.scoreStream(tokenizerSentences(tok, TEST, ngram.vocab));
    lines.forEach((_, i) => {
      close(m0[i]!.logProb, rnnOnly[i]!.logProb, 1e-4);
      close(m1[i]!.logProb, ngOnly[i]!.log10Prob * Math.LN10, 1e-4);
      assert.equal(m1[i]!.tokens, ngOnly[i]!.words + 1);
    });
  });

  test('a model of another vocabulary is a vocab_mismatch error that says what to do', () => {
    const other = WordTokenizer.fromText('the cat sat\nsome other words\n');
    const v = NgramVocab.fromTokenizer(other);
    const ng2 = estimateKneserNey(v, tokenizerSentences(other, 'the cat sat\n', v).ids, { order: 2 }).model;
    assert.throws(
      () => ngramMix(tok, ng2, 0.5, 'other.arpa'),
      (e) =>
        isRnnlmError(e, 'vocab_mismatch') && /other\.arpa and the RNN predict different vocabularies/.test(e.message) && /--tokenizer-from/.test(e.message),
    );
    assert.throws(
      () => ngramMix(tok, ngram, 1.5),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
