/**
 * Dialogue: parsing DailyDialog-format text (and its errors with line numbers), pairs and
 * contexts, BLEU/distinct against NLTK, the decoding constraints (n-gram blocking, minimum
 * length), sampling, batched LM continuation scoring, and a tiny model trained end to end
 * that answers from its context and reloads identically.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { isRnnlmError } from '../errors.js';
import { drain, tokenLogProbs } from '../generate/score.js';
import { RNNLM } from '../models/rnnlm.js';
import { Seq2Seq } from '../models/seq2seq.js';
import { Rng } from '../tensor/random.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { forbid, sampleIds, translateIds } from '../translate/decode.js';
import { trainTranslation } from '../translate/train.js';
import {
  SEPARATOR,
  buildDialogueSide,
  dialogueMetrics,
  dialoguePairs,
  distinctN,
  encodeContext,
  encodeDialoguePairs,
  exportLmText,
  lmResponseScores,
  loadChatModel,
  parseDialogues,
  respond,
  respondSteps,
  saveChatModel,
  sentenceBleuMethod7,
  utteranceTokens,
  separatorId,
  withoutOverlap,
} from './index.js';

const TEXT = 'Hi , how are you ? __eou__ Fine , thanks . __eou__ Good . __eou__\nWhere is it ? __eou__ Over there . __eou__\n';

describe('dialogue data', () => {
  test('parses dialogues, makes one pair per turn with k utterances of context, removes overlap', () => {
    const d = parseDialogues(TEXT);
    assert.deepEqual(d[0]!.turns, ['Hi , how are you ?', 'Fine , thanks .', 'Good .']);
    assert.equal(d[1]!.line, 2);
    const pairs = dialoguePairs(d, 1);
    assert.equal(pairs.length, 3);
    assert.deepEqual(pairs[1], { context: ['Fine , thanks .'], response: 'Good .', line: 1, turn: 2 });
    assert.deepEqual(dialoguePairs(d, 5)[1]!.context, ['Hi , how are you ?', 'Fine , thanks .']);
    assert.deepEqual(
      withoutOverlap(d, parseDialogues('Where is it ? __eou__ Over there . __eou__\n')).map((x) => x.line),
      [1],
    );
  });

  test('bad input names the line', () => {
    const bad = (text: string, re: RegExp): void =>
      assert.throws(
        () => parseDialogues(text, 'f.txt'),
        (e) => isRnnlmError(e, 'invalid_argument') && re.test((e as Error).message),
      );
    bad('a __eou__\n\nb __eou__\n', /f\.txt line 2 is empty/);
    bad('a __eou__\nno marker here\n', /f\.txt line 2 has no "__eou__"/);
    bad('a __eou__ b\n', /line 1 has text after its last "__eou__"/);
    bad('a __eou__ __eou__\n', /line 1: utterance 2 is empty/);
    assert.throws(
      () => parseDialogues(''),
      (e) => isRnnlmError(e, 'empty_corpus'),
    );
    assert.throws(
      () => dialoguePairs(parseDialogues(TEXT), 0),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });

  test('one shared vocabulary with a separator token; contexts keep their most recent tokens', () => {
    const side = buildDialogueSide(
      parseDialogues(TEXT).flatMap((d) => d.turns),
      { minCount: 1 },
    );
    const sep = separatorId(side);
    const tok = side.tokenizer as WordTokenizer;
    assert.equal(tok.vocab.tokenOf(sep), SEPARATOR);
    const ids = encodeContext(side, ['Good .', 'Over there .']);
    assert.deepEqual(Array.from(ids), [...side.encode('Good .'), sep, ...side.encode('Over there .'), side.eosId]);
    assert.deepEqual(Array.from(encodeContext(side, ['Good .', 'Over there .'], 3)), [...Array.from(ids).slice(-4)]);
    // A user cannot type the separator: pre-tokenization splits "__eou__" into other tokens.
    assert.ok(!side.encode('a __eou__ b').includes(sep));
    assert.equal(side.decode(side.encode('fine , thanks .')), 'Fine, thanks.');
    const pairs = encodeDialoguePairs(dialoguePairs(parseDialogues(TEXT), 2), side, { maxResponse: 2 });
    assert.deepEqual(
      pairs.map((p) => p.index),
      [1],
    ); // "Good ." is the only response of ≤ 2 tokens
  });
});

describe('dialogue metrics', () => {
  test('sentence BLEU with smoothing method 7 equals NLTK 3.10.3 sentence_bleu', () => {
    // Values printed by nltk.translate.bleu_score.sentence_bleu([ref], hyp, weights, SmoothingFunction().method7).
    const cases: [string, string, number, number][] = [
      ['i am fine , thank you .', 'i am fine .', 0.5773368977945735, 0.466006070692472],
      ['what do you want ?', "i don't know .", 0, 0],
      ['yes .', 'yes', 0.36787944117144233, 0.21239529438966132],
      ['the cat sat on the mat', 'the cat on the mat sat', 1.2, 0.9055385138137416],
      ['a b c d e f g', 'a b c d e f g h i j', 1.0222222222222221, 0.8879393076059701],
    ];
    for (const [r, h, b1, b2] of cases) {
      assert.ok(Math.abs(sentenceBleuMethod7(r.split(' '), h.split(' '), [1, 0, 0, 0]) - b1) < 1e-12, `${h}: BLEU-1`);
      assert.ok(Math.abs(sentenceBleuMethod7(r.split(' '), h.split(' '), [0.5, 0.5, 0, 0]) - b2) < 1e-12, `${h}: BLEU-2`);
    }
    assert.equal(sentenceBleuMethod7(['a'], [], [1, 0, 0, 0]), 0);
  });

  test('distinct-n counts over all responses; metrics average over responses', () => {
    assert.equal(
      distinctN(
        [
          ['a', 'b'],
          ['a', 'c'],
        ],
        1,
      ),
      3 / 4,
    );
    assert.equal(
      distinctN(
        [
          ['a', 'b'],
          ['a', 'b'],
        ],
        2,
      ),
      1 / 2,
    );
    const m = dialogueMetrics(
      [['yes'], ['a', 'b']],
      [
        ['yes', '.'],
        ['a', 'b'],
      ],
    );
    assert.equal(m.avgLength, 1.5);
    assert.equal(m.refAvgLength, 2);
    assert.ok(Math.abs(m.bleu1 - (0.36787944117144233 + sentenceBleuMethod7(['a', 'b'], ['a', 'b'], [1, 0, 0, 0])) / 2) < 1e-12);
  });
});

describe('decoding constraints and sampling', () => {
  test('forbid bans the token that would repeat an n-gram, and <eos> before the minimum length', () => {
    const row = new Float32Array(6);
    forbid(row, [1, 2, 3, 1, 2], 0, { noRepeatNgram: 3, minLen: 6 });
    assert.deepEqual(Array.from(row), [-Infinity, 0, 0, -Infinity, 0, 0]);
    const row2 = new Float32Array(6);
    forbid(row2, [4, 4], 0, { noRepeatNgram: 2 });
    assert.deepEqual(Array.from(row2), [0, 0, 0, 0, -Infinity, 0]);
  });

  // An untrained model with a high init range: its outputs repeat tokens unless told not to.
  const model = new Seq2Seq({ srcVocabSize: 7, tgtVocabSize: 7, embedSize: 4, hiddenSize: 6, numLayers: 1, cell: 'gru', seed: 3, init: 2 });
  const sources = [Int32Array.from([1, 2, 0]), Int32Array.from([3, 4, 5, 6, 0])];
  const repeats = (ids: Int32Array, n: number): boolean => {
    const seen = new Set<string>();
    for (let i = 0; i + n <= ids.length; i++) {
      const k = Array.from(ids.subarray(i, i + n)).join(',');
      if (seen.has(k)) return true;
      seen.add(k);
    }
    return false;
  };

  test('beam search and sampling with n-gram blocking never repeat a bigram', () => {
    const free = translateIds(model, sources, { eosId: 0, beam: 3, maxLenA: 0, maxLenB: 12, minLen: 12 });
    assert.ok(
      free.some((h) => repeats(h.ids, 2)),
      'the unconstrained model repeats (else this test shows nothing)',
    );
    for (const h of translateIds(model, sources, { eosId: 0, beam: 3, maxLenA: 0, maxLenB: 12, noRepeatNgram: 2 }))
      assert.ok(!repeats(h.ids, 2), Array.from(h.ids).join(' '));
    for (const h of sampleIds(model, sources, { eosId: 0, maxLen: 12, noRepeatNgram: 2, temperature: 1.5, rng: new Rng(1) })) assert.ok(!repeats(h.ids, 2));
  });

  test('sampling at temperature 0 is greedy search; a seed makes sampling reproducible', () => {
    const greedy = translateIds(model, sources, { eosId: 0, beam: 1, maxLenA: 0, maxLenB: 8 });
    const t0 = sampleIds(model, sources, { eosId: 0, maxLen: 8, temperature: 0, rng: new Rng(1) });
    assert.deepEqual(
      t0.map((h) => Array.from(h.ids)),
      greedy.map((h) => Array.from(h.ids)),
    );
    const a = sampleIds(model, sources, { eosId: 0, maxLen: 8, temperature: 1, topP: 0.9, rng: new Rng(7) });
    const b = sampleIds(model, sources, { eosId: 0, maxLen: 8, temperature: 1, topP: 0.9, rng: new Rng(7) });
    assert.deepEqual(
      a.map((h) => Array.from(h.ids)),
      b.map((h) => Array.from(h.ids)),
    );
    assert.ok(a.every((h) => h.ids.length <= 8 && Number.isFinite(h.logProb)));
  });
});

describe('LM baseline scoring', () => {
  test('batched continuation scores equal one-sequence-at-a-time log-probabilities of the response', () => {
    const dialogues = parseDialogues(TEXT);
    const side = buildDialogueSide(
      dialogues.flatMap((d) => d.turns),
      { minCount: 1 },
    );
    const tok = WordTokenizer.fromText(exportLmText(dialogues, side));
    const lm = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 5, hiddenSize: 7, numLayers: 1, cell: 'lstm', seed: 2 });
    const pairs = dialoguePairs(dialogues, 2);
    const scores = lmResponseScores(lm, tok, side, pairs);
    pairs.forEach((p, i) => {
      const ids = (u: string): number[] => [...utteranceTokens(side, u).map((w) => tok.vocab.idOf(w)!), tok.vocab.idOf(SEPARATOR)!];
      const ctx = [tok.eosId, ...p.context.flatMap(ids)];
      const resp = ids(p.response);
      const lp = drain(tokenLogProbs(lm, Int32Array.from([...ctx, ...resp])));
      let want = 0;
      for (let k = ctx.length; k < lp.length; k++) want += lp[k]!;
      assert.equal(scores[i]!.tokens, resp.length);
      assert.ok(Math.abs(scores[i]!.logProb - want) < 1e-4, `pair ${i}: ${scores[i]!.logProb} vs ${want}`);
    });
  });
});

describe('a tiny response model end to end', () => {
  // Each answer is determined by the question: the model must read its context.
  const QA: [string, string][] = [
    ['what is your name ?', 'my name is tom .'],
    ['where do you live ?', 'i live in paris .'],
    ['how old are you ?', 'i am ten .'],
    ['do you like tea ?', 'yes , very much .'],
  ];
  const text = Array.from({ length: 40 }, (_, i) => {
    const [q, a] = QA[i % QA.length]!;
    return `hello . __eou__ ${q} __eou__ ${a} __eou__`;
  }).join('\n');
  const dialogues = parseDialogues(text);
  const side = buildDialogueSide(
    dialogues.flatMap((d) => d.turns),
    { minCount: 1 },
  );
  const pairs = encodeDialoguePairs(dialoguePairs(dialogues, 2), side, { maxContext: 20, maxResponse: 20 });

  test('training learns to answer from the context; a saved model answers the same', async () => {
    const model = new Seq2Seq({
      srcVocabSize: side.vocabSize,
      tgtVocabSize: side.vocabSize,
      embedSize: 16,
      hiddenSize: 24,
      numLayers: 1,
      cell: 'lstm',
      bidirectional: true,
      seed: 1,
      init: 0.2,
    });
    await trainTranslation(
      model,
      { train: pairs, srcEos: side.eosId, tgtEos: side.eosId },
      {
        batchSize: 16,
        epochs: 30,
        optimizer: 'adam',
        lr: 0.02,
        clip: 5,
        teacherForcingRatio: 1,
        plateauFactor: 1,
        plateauPatience: 0,
        evalBatchSize: 32,
        seed: 1,
      },
    );
    const dir = mkdtempSync(join(tmpdir(), 'rnnlm-chat-'));
    try {
      saveChatModel(dir, model, side, { contextTurns: 2, maxContext: 20 });
      const m = loadChatModel(dir);
      const answers = respond(
        m,
        QA.map(([q]) => ['hello .', q]),
        { beam: 3 },
      );
      assert.deepEqual(
        answers.map((a) => a.text.toLowerCase()),
        QA.map(([, a]) => side.decode(side.encode(a)).toLowerCase()),
      );
      // Streaming yields the same tokens, one at a time; sampling at temperature 0 is greedy.
      const steps = respondSteps(m, ['hello .', QA[1]![0]], { sample: { temperature: 0, topK: 0, topP: 1, seed: 1 } });
      const ids: number[] = [];
      let r = steps.next();
      while (!r.done) {
        ids.push(r.value);
        r = steps.next();
      }
      assert.deepEqual(ids, Array.from(r.value.ids));
      assert.equal(r.value.text.toLowerCase(), side.decode(side.encode(QA[1]![1])).toLowerCase());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
