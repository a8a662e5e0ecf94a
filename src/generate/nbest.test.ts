/**
 * N-best rescoring: both input forms parse (with line-numbered errors), the combined score is
 * (1 − λ)·score + λ·lm + wordPenalty·words, and a small trained LM flips a hand-made ranking
 * where the first pass prefers a scrambled sentence.
 */
import '../../test/helpers/backend.js';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRnnlmError } from '../errors.js';
import type { RNNLM } from '../models/rnnlm.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { formatRescored, parseNBest, rescoreNBest } from './nbest.js';
import { scoreSentences } from './score.js';
import { trainTinyWordLM } from '../../test/helpers/tiny-lm.js';

const CORPUS = 'the cat sat on the mat\nthe dog sat on the rug\n'.repeat(40);
const tok = WordTokenizer.fromText(CORPUS);
let lm: RNNLM;

before(async () => {
  lm = await trainTinyWordLM(tok, CORPUS, { seed: 1, epochs: 3 });
});

describe('parseNBest', () => {
  test('tab form keeps the hypothesis verbatim; whitespace form takes the rest of the line', () => {
    const text = 'utt1\t-10.5\tthe cat  sat\nutt1 -12 the   dog sat  \r\n\n  \nutt2\t3e-1\t\nutt2 4\n';
    assert.deepEqual(parseNBest(text), [
      { id: 'utt1', score: -10.5, hypothesis: 'the cat  sat', line: 1 },
      { id: 'utt1', score: -12, hypothesis: 'the   dog sat', line: 2 },
      { id: 'utt2', score: 0.3, hypothesis: '', line: 5 },
      { id: 'utt2', score: 4, hypothesis: '', line: 6 },
    ]);
  });

  test('bad lines are errors with their line number', () => {
    const bad = (text: string, re: RegExp): void =>
      assert.throws(
        () => parseNBest(text, 'x.nbest'),
        (e) => isRnnlmError(e, 'invalid_argument') && re.test(e.message),
        text,
      );
    bad('a 1 ok\nb\n', /x\.nbest, line 2: .*id and a score/);
    bad('a 1 ok\n\nb abc the cat\n', /line 3: the score "abc" is not a finite number/);
    bad('a\tNaN\tthe cat\n', /line 1: the score "NaN"/);
    bad('\t1\tthe cat\n', /line 1: the id is empty/);
    bad('a\t\tthe cat\n', /line 1: the score ""/);
    assert.throws(
      () => parseNBest('\n \n'),
      (e) => isRnnlmError(e, 'empty_corpus'),
    );
  });
});

describe('rescoreNBest', () => {
  const NBEST = [
    // The first pass slightly prefers the scrambled hypothesis; the LM must flip it.
    'utt1\t-10.0\tmat the on sat cat the',
    'utt1\t-10.5\tthe cat sat on the mat',
    'utt2\t-20.0\tthe dog sat on the rug',
    'utt2\t-20.4\trug the dog on sat the',
    'utt1\t-30.0\tcat cat cat cat cat cat',
  ].join('\n');

  test('a trained LM flips a first-pass ranking; combined = (1 − λ)·score + λ·lm', () => {
    const entries = parseNBest(NBEST);
    const lmScores = scoreSentences(
      lm,
      tok,
      entries.map((e) => e.hypothesis),
    ).map((s) => s.logProb);
    assert.ok(lmScores[1]! > lmScores[0]! + 2, `the LM prefers the real sentence by a margin: ${lmScores}`);

    const groups = rescoreNBest(lm, tok, entries, { lmWeight: 0.5 });
    assert.deepEqual(
      groups.map((g) => g.map((r) => r.line)),
      [
        [2, 1, 5],
        [3, 4],
      ],
    );
    for (const g of groups) {
      for (const r of g) {
        assert.ok(Math.abs(r.lm - lmScores[r.line - 1]!) < 1e-9);
        assert.ok(Math.abs(r.combined - (0.5 * r.score + 0.5 * r.lm)) < 1e-9);
      }
    }
    // λ = 0 keeps the first-pass ranking.
    assert.deepEqual(
      rescoreNBest(lm, tok, entries, { lmWeight: 0 }).map((g) => g.map((r) => r.line)),
      [
        [1, 2, 5],
        [3, 4],
      ],
    );
  });

  test('word penalty and log10', () => {
    const entries = parseNBest('u 0 the cat sat\nu 0 the cat sat on the mat\n');
    const nats = rescoreNBest(lm, tok, entries, { lmWeight: 1 })[0]!;
    const log10 = rescoreNBest(lm, tok, entries, { lmWeight: 1, log10: true, wordPenalty: 2 })[0]!;
    for (const r of log10) {
      const n = nats.find((x) => x.line === r.line)!;
      assert.ok(Math.abs(r.lm - n.lm / Math.LN10) < 1e-9);
      assert.equal(r.words, r.line === 1 ? 3 : 6);
      assert.ok(Math.abs(r.combined - (r.lm + 2 * r.words)) < 1e-9);
    }
    // A large per-word bonus makes the longer hypothesis win.
    assert.equal(rescoreNBest(lm, tok, entries, { lmWeight: 1, wordPenalty: 50 })[0]![0]!.line, 2);
    assert.equal(rescoreNBest(lm, tok, entries, { lmWeight: 1, wordPenalty: -50 })[0]![0]!.line, 1);
    assert.throws(
      () => rescoreNBest(lm, tok, entries, { lmWeight: 1.5 }),
      (e) => isRnnlmError(e, 'invalid_argument') && /lmWeight/.test(e.message),
    );
  });

  test('output lines: id, combined, score, lm, hypothesis; best first per id', () => {
    const groups = rescoreNBest(lm, tok, parseNBest(NBEST), { lmWeight: 0.5 });
    const lines = formatRescored(groups).trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const fields = lines.map((l) => l.split('\t'));
    assert.deepEqual(
      fields.map((f) => f[0]),
      ['utt1', 'utt1', 'utt1', 'utt2', 'utt2'],
    );
    assert.deepEqual(
      fields.map((f) => f[4]),
      ['the cat sat on the mat', 'mat the on sat cat the', 'cat cat cat cat cat cat', 'the dog sat on the rug', 'rug the dog on sat the'],
    );
    for (const [i, f] of fields.entries()) {
      assert.equal(f.length, 5);
      const [combined, score, lmv] = f.slice(1, 4).map(Number) as [number, number, number];
      assert.ok(Math.abs(combined - (0.5 * score + 0.5 * lmv)) < 1e-5, lines[i]);
    }
    assert.ok(Number(fields[0]![1]) >= Number(fields[1]![1]));
  });
});
