/**
 * corpusBleu against values derived by hand and values from sacreBLEU itself: the cases of its
 * test suite (test/test_bleu.py: the README example 48.530827 / 49.1919566, compute_bleu 0.8375922397,
 * the floor-smoothing statistics case 0.1555722182) and a few more computed with sacreBLEU 2.6.0.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRnnlmError } from '../errors.js';
import { computeBleu, corpusBleu, formatBleu, tokenize13a, tokenizeZh } from './bleu.js';

const close = (a: number, b: number, eps = 1e-8) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

describe('BLEU', () => {
  test('a perfect match scores 100 and no overlap scores 0', () => {
    const hyps = ['The cat sat on the mat.', 'It was raining all day long in the city.'];
    close(corpusBleu(hyps, [hyps]).score, 100);
    const none = corpusBleu(['alpha beta gamma delta'], [['one two three four']]);
    assert.equal(none.score, 0);
    assert.deepEqual(none.counts, [0, 0, 0, 0]);
  });

  test('exp smoothing and the brevity penalty, derived by hand', () => {
    // hyp a b c d vs ref a b x d e: 1-grams 3/4, 2-grams 1/3, 3-grams 0/2 → 100/(2·2), 4-grams 0/1 → 100/(4·1);
    // BP = exp(1 − 5/4). BLEU = e^−0.25 · (75 · 33.33 · 25 · 25)^(1/4) = 27.5347657...
    const b = corpusBleu(['a b c d'], [['a b x d e']], { tokenize: 'none' });
    assert.deepEqual(b.counts, [3, 1, 0, 0]);
    assert.deepEqual(b.totals, [4, 3, 2, 1]);
    close(b.bp, Math.exp(-0.25));
    close(b.score, Math.exp(-0.25) * (75 * (100 / 3) * 25 * 25) ** 0.25);
    close(b.score, 27.534765745159184); // sacreBLEU 2.6.0
  });

  test('the zh tokenizer splits Chinese characters: 我爱你。 vs 我爱你！', () => {
    // 1-grams 3/4, 2-grams 2/3, 3-grams 1/2, 4-grams 0/1 → 100/2; BP 1.
    const b = corpusBleu(['我爱你。'], [['我爱你！']], { tokenize: 'zh' });
    close(b.score, (75 * (200 / 3) * 50 * 50) ** 0.25);
    close(b.score, 59.460355750136046); // sacreBLEU 2.6.0
    close(corpusBleu(['猫坐在垫子上。', '我不知道'], [['猫坐在垫子上了。', '我不知道。']], { tokenize: 'zh' }).score, 73.66904426876708);
    close(corpusBleu(['猫坐在垫子上。', '我不知道'], [['猫坐在垫子上了。', '我不知道。']], { tokenize: 'char' }).score, 73.66904426876708);
  });

  test("sacreBLEU's README example (its test_bleu.py)", () => {
    const refs = [
      ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
      ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
    ];
    const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const b = corpusBleu(hyps, refs);
    close(b.score, 48.530827, 1e-6);
    assert.equal(formatBleu(b), 'BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)');
    assert.equal(b.signature, 'nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp');
    close(corpusBleu(hyps, refs, { tokenize: 'none' }).score, 49.1919566, 1e-6);
    close(corpusBleu(hyps, refs, { smoothMethod: 'none' }).score, 48.530827, 1e-6);
    assert.equal(corpusBleu(['', '', ''], refs).score, 0); // empty hypotheses are kept, not dropped
  });

  test("sacreBLEU's compute_bleu and floor-smoothing cases", () => {
    close(computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100, 0.8375922397);
    const b = corpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], {
      tokenize: 'none',
      smoothMethod: 'floor',
      smoothValue: 0.1,
    });
    assert.deepEqual(b.counts, [4, 2, 1, 0]);
    assert.deepEqual(b.totals, [6, 5, 4, 3]);
    close(b.score / 100, 0.1555722182);
    assert.equal(
      corpusBleu(['am I am a character sequence'], [['I am a symbol string sequence a a']], { tokenize: 'none', smoothMethod: 'floor', smoothValue: 0 }).score,
      0,
    );
    assert.equal(computeBleu([0, 0, 0, 0], [0, 0, 0, 0], 0, 0).score, 0);
  });

  test('several references, closest length, lowercase (sacreBLEU 2.6.0)', () => {
    const hyps = ['The cat sat on the mat .', 'A dog'];
    const refs = [
      ['the cat sat on a mat.', 'A big dog barked'],
      ['There is a cat on the mat', 'a dog!'],
    ];
    close(corpusBleu(hyps, refs, { lowercase: true }).score, 54.07290992820949);
    close(corpusBleu(hyps, refs).score, 37.77177718431894);
  });

  test('tokenizers reproduce sacreBLEU 2.6.0 output', () => {
    assert.equal(tokenize13a(`He said: "it's 3.5-2, (ok)?" &amp; x-y e.g. 1,000.`), `He said : " it's 3.5 - 2 , ( ok ) ? " & x-y e . g . 1,000 .`);
    // sacreBLEU's zh ranges include U+2001..U+2A6D (see bleu.ts) but not CJK Extension B.
    assert.equal(tokenizeZh('a—b“c”…𠀀d'), 'a — b “ c ” … 𠀀d');
    assert.equal(tokenizeZh('  我爱你。Hello, world 3.5-2 '), '我 爱 你 。 Hello , world 3.5 - 2');
  });

  test('misaligned references and unknown options are errors', () => {
    assert.throws(
      () => corpusBleu(['a', 'b'], [['a']]),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => corpusBleu(['a'], []),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => corpusBleu(['a'], [['a']], { tokenize: 'intl' as never }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
