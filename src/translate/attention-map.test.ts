/**
 * Attention maps of translations: the teacher-forced weights are the ones the search used
 * (their argmax is the search's own alignment, greedy and beam), rows are distributions, and
 * the labels are the source and output tokens with </s>.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { isRnnlmError } from '../errors.js';
import { Seq2Seq } from '../models/seq2seq.js';
import { EOS_LABEL, attendSentence, attentionWeights } from './attention-map.js';
import { withEos } from './data.js';
import { translateIds } from './decode.js';
import { TranslationSide } from './side.js';

const srcSide = TranslationSide.fromLines(['the cat sat', 'a dog ran fast', 'the bird flew'], { kind: 'word', lowercase: false });
const tgtSide = TranslationSide.fromLines(['die katze sass', 'ein hund lief schnell', 'der vogel flog'], { kind: 'word', lowercase: false });
const model = new Seq2Seq({
  srcVocabSize: srcSide.vocabSize,
  tgtVocabSize: tgtSide.vocabSize,
  embedSize: 6,
  hiddenSize: 8,
  numLayers: 1,
  cell: 'gru',
  bidirectional: true,
  attention: 'general',
  seed: 3,
  init: 1,
});
const loaded = { model, src: srcSide, tgt: tgtSide };

describe('attention maps', () => {
  for (const beam of [1, 3]) {
    test(`beam ${beam}: each row is a distribution whose argmax is the search's alignment`, () => {
      const src = withEos(srcSide.encode('a dog ran fast'), srcSide.eosId);
      const [hyp] = translateIds(model, [src], { beam, eosId: tgtSide.eosId, maxLenB: 6 });
      const w = attentionWeights(model, src, hyp!.ids, tgtSide.eosId);
      const S = src.length;
      const T = hyp!.ids.length + 1;
      assert.equal(w.length, T * S);
      for (let t = 0; t < T; t++) {
        const row = Array.from(w.subarray(t * S, (t + 1) * S));
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `row ${t} sums to 1`);
        if (t < T - 1) assert.equal(row.indexOf(Math.max(...row)), hyp!.alignment[t], `step ${t}: argmax = the search's alignment`);
      }
      assert.ok(hyp!.ids.length >= 2, 'a translation long enough to test more than one step');
    });
  }

  test('attendSentence: labels are the tokens plus </s>, weights [T,S], and the detokenized translation', () => {
    const m = attendSentence(loaded, 'the cat sat', { beam: 1, maxLenB: 5 });
    assert.deepEqual(m.source, ['the', 'cat', 'sat', EOS_LABEL]);
    assert.equal(m.target[m.target.length - 1], EOS_LABEL);
    assert.equal(m.weights.length, m.source.length * m.target.length);
    assert.equal(
      m.translation,
      tgtSide.decode(translateIds(model, [withEos(srcSide.encode('the cat sat'), srcSide.eosId)], { beam: 1, eosId: tgtSide.eosId, maxLenB: 5 })[0]!.ids),
    );
    assert.throws(
      () => attentionWeights(model, new Int32Array(0), new Int32Array(0), tgtSide.eosId),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
