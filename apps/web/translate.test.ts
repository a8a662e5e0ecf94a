/**
 * The page's translation path, in Node on the browser platform: a translation checkpoint is
 * recognised from its config.json, loads from the in-memory file system, and gives the same
 * translation as the library's beam search with a source × target attention heatmap.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserPlatform, topCandidates } from '../../src/web.js';
import { Seq2Seq, TranslationSide, loadTranslationModel, saveTranslationModel, translateIds, withEos } from '../../src/translate/index.js';
import { checkpointArchitecture, topTokens, translateWithAttention } from './lm.js';
import { WordTokenizer } from '../../src/web.js';

test('a translation checkpoint is recognised, loaded and shown as its translation and attention heatmap', () => {
  const src = TranslationSide.fromLines(['the cat sat', 'a dog ran'], { kind: 'word', lowercase: false });
  const tgt = TranslationSide.fromLines(['die katze sass', 'ein hund lief'], { kind: 'word', lowercase: false });
  const model = new Seq2Seq({
    srcVocabSize: src.vocabSize,
    tgtVocabSize: tgt.vocabSize,
    embedSize: 4,
    hiddenSize: 6,
    numLayers: 1,
    cell: 'gru',
    attention: 'general',
    seed: 5,
    init: 1,
  });
  saveTranslationModel('/t', model, src, tgt);
  const cfg = new TextDecoder().decode(browserPlatform.getFile('/t/config.json'));
  assert.equal(checkpointArchitecture(cfg), 'seq2seq');
  assert.equal(checkpointArchitecture('{"format":"rnnlm-checkpoint","model":{"architecture":"rnnlm"}}'), 'rnnlm');
  assert.equal(checkpointArchitecture('not json'), 'rnnlm');
  const loaded = loadTranslationModel('/t');
  const { map, svg } = translateWithAttention(loaded, 'the dog sat');
  const [hyp] = translateIds(loaded.model, [withEos(src.encode('the dog sat'), src.eosId)], { beam: 5, eosId: tgt.eosId });
  assert.equal(map.translation, tgt.decode(hyp!.ids));
  assert.deepEqual(map.source, ['the', 'dog', 'sat', '</s>']);
  assert.equal((svg.match(/<rect [^>]*data-weight=/g) ?? []).length, map.source.length * map.target.length);
});

test("the next-token bars come from the library's topCandidates", () => {
  const tok = WordTokenizer.fromText('a b c d');
  const lp = Float64Array.from({ length: tok.vocabSize }, (_, i) => -Math.abs(i - 2) - 1);
  assert.deepEqual(
    topTokens(lp, tok, 3).map((t) => t.id),
    topCandidates(lp, 3).map((c) => c.id),
  );
});
