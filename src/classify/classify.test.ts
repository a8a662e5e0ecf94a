/**
 * Classification data, metrics, training and checkpoints: TSV / text+labels parsing with errors
 * that name the line, the label set, batches, accuracy / macro-F1 / confusion against hand
 * counts, a tiny model that learns a separable task, and a save/load round trip.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { isRnnlmError } from '../errors.js';
import { RNNClassifier } from '../models/classifier.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { LabelSet, encodeExamples, makeBatches, parseLabeledTsv, parseTextAndLabels } from './data.js';
import { loadClassifier, saveClassifier } from './io.js';
import { classificationReport, formatReport } from './metrics.js';
import { evaluateClassifier, predict, trainClassifier } from './train.js';

const lineError = (line: number, re: RegExp) => (e: unknown) => isRnnlmError(e, 'invalid_argument') && e.details?.line === line && re.test(e.message);

describe('classification data', () => {
  test('TSV with and without a header', () => {
    const withHeader = parseLabeledTsv('sentence\tlabel\ngood film\t1\nbad\t0\n');
    assert.deepEqual(withHeader, [
      { text: 'good film', label: '1', line: 2 },
      { text: 'bad', label: '0', line: 3 },
    ]);
    assert.equal(parseLabeledTsv('good film\tpos\nbad\tneg').length, 2);
    assert.equal(parseLabeledTsv('text\tlabel\nx\ty\n', { header: 'no' })[0]!.text, 'text');
  });
  test('bad TSV lines are errors naming the line', () => {
    assert.throws(() => parseLabeledTsv('a\t1\n\nb\t0\n', { what: 'f.tsv' }), lineError(2, /f\.tsv, line 2: the line is empty/));
    assert.throws(() => parseLabeledTsv('a\t1\nb\n'), lineError(2, /2 TAB-separated columns.*label is missing/));
    assert.throws(() => parseLabeledTsv('a\t1\nb\t0\tx\n'), lineError(2, /got 3/));
    assert.throws(() => parseLabeledTsv('a\t1\nb\t \n'), lineError(2, /label is missing/));
    assert.throws(
      () => parseLabeledTsv('sentence\tlabel\n'),
      (e) => isRnnlmError(e, 'empty_corpus'),
    );
  });
  test('texts with a separate labels file', () => {
    assert.deepEqual(
      parseTextAndLabels('a b\nc\n', 'x\ny\n').map((e) => e.label),
      ['x', 'y'],
    );
    assert.throws(
      () => parseTextAndLabels('a\nb\nc\n', 'x\ny\n'),
      (e) => isRnnlmError(e, 'invalid_argument') && /3 lines but .* 2/.test(e.message),
    );
    assert.throws(() => parseTextAndLabels('a\n\nc\n', 'x\ny\nz\n'), lineError(2, /empty/));
    assert.throws(() => parseTextAndLabels('a\nb\n', 'x\n\n'), lineError(2, /label is missing/));
    assert.equal(parseTextAndLabels('a\nb\n', null)[1]!.label, null);
  });
  test('labels: sorted, any strings; an unknown label names its line', () => {
    const ex = parseLabeledTsv('a\t10\nb\t9\nc\tneutral\nd\t9\n');
    const labels = LabelSet.fromExamples(ex);
    assert.deepEqual(labels.names, ['9', '10', 'neutral']);
    assert.equal(labels.id('neutral'), 2);
    const tok = WordTokenizer.fromText('a b c d\n');
    assert.throws(
      () => encodeExamples(parseLabeledTsv('a\t9\nb\tpositive\n'), tok, labels, 'dev.tsv'),
      lineError(2, /dev\.tsv, line 2: unknown label "positive"/),
    );
    assert.throws(
      () => LabelSet.fromExamples(parseLabeledTsv('a\t1\nb\t1\n')),
      (e) => isRnnlmError(e, 'invalid_argument') && /at least 2/.test(e.message),
    );
  });
  test('batches: sentences + <eos>, padded, similar lengths together, every example once', () => {
    const tok = WordTokenizer.fromText('a b c d e\n');
    const ex = parseLabeledTsv('a b c\t1\nd\t0\ne e\t1\na\t0\nb c d e a\t1\n');
    const enc = encodeExamples(ex, tok, LabelSet.fromExamples(ex));
    assert.deepEqual(Array.from(enc[1]!.ids), [tok.vocab.idOf('d'), tok.eosId]);
    const batches = makeBatches(enc, 2);
    assert.deepEqual(
      batches.map((b) => Array.from(b.lengths)),
      [[2, 2], [3, 4], [6]],
    );
    assert.deepEqual(batches.flatMap((b) => b.indices).sort(), [0, 1, 2, 3, 4]);
    const b = batches[1]!; // T=4, B=2: "e e <eos>" and "a b c <eos>"
    assert.equal(b.ids[3 * 2 + 0], 0); // padding past the shorter one
    assert.deepEqual(Array.from(b.labels), [1, 1]);
  });
});

describe('classification metrics', () => {
  test('accuracy, per-class P/R/F1, macro-F1 and the confusion matrix', () => {
    // gold 0 0 0 1 1 2, predicted 0 1 0 1 1 1
    const r = classificationReport([0, 0, 0, 1, 1, 2], [0, 1, 0, 1, 1, 1], 3);
    assert.equal(r.correct, 4);
    assert.deepEqual(r.confusion, [
      [2, 1, 0],
      [0, 2, 0],
      [0, 1, 0],
    ]);
    // class 0: P 1, R 2/3, F1 0.8; class 1: P 0.5, R 1, F1 2/3; class 2: 0
    assert.ok(Math.abs(r.perClass[0]!.f1 - 0.8) < 1e-12);
    assert.ok(Math.abs(r.perClass[1]!.f1 - 2 / 3) < 1e-12);
    assert.ok(Math.abs(r.macroF1 - (0.8 + 2 / 3 + 0) / 3) < 1e-12);
    const text = formatReport(r, ['neg', 'pos', 'mixed']);
    assert.match(text, /accuracy 66\.67% \(4\/6\)/);
    assert.match(text, /mixed\s+0\s+1\s+0/);
  });
});

describe('training and checkpoints', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-classify-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  // The label is whether "good" or "bad" occurs; the other words are noise.
  const words = ['x', 'y', 'z', 'w'];
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    const pos = i % 2 === 0;
    const noise = Array.from({ length: 1 + (i % 4) }, (_, k) => words[(i * 7 + k * 3) % 4]!);
    noise.splice(i % noise.length, 0, pos ? 'good' : 'bad');
    lines.push(`${noise.join(' ')}\t${pos ? 'pos' : 'neg'}`);
  }
  const ex = parseLabeledTsv(lines.join('\n'));
  const tok = WordTokenizer.fromText(ex.map((e) => e.text).join('\n'));
  const labels = LabelSet.fromExamples(ex);
  const enc = encodeExamples(ex, tok, labels);

  test('a small model learns a separable task; the best epoch is reported', async () => {
    const m = new RNNClassifier({
      vocabSize: tok.vocabSize,
      numClasses: 2,
      embedSize: 8,
      hiddenSize: 8,
      numLayers: 1,
      cell: 'gru',
      bidirectional: true,
      pooling: 'max',
      seed: 2,
    });
    const before = evaluateClassifier(m, enc, 32).report.accuracy;
    const r = await trainClassifier(
      m,
      { train: enc, valid: enc },
      { batchSize: 8, epochs: 6, optimizer: 'adam', lr: 0.02, clip: 5, plateauFactor: 1, plateauPatience: 0, evalBatchSize: 32, seed: 1 },
    );
    const acc = evaluateClassifier(m, enc, 32).report.accuracy;
    assert.ok(acc === 1 && before < 0.9, `accuracy ${before} → ${acc}`);
    assert.equal(r.epochs.length, 6);
    assert.ok(r.bestEpoch !== null);
  });

  test('frozen parameters stay fixed, and train after --unfreeze-after', async () => {
    const m = new RNNClassifier({ vocabSize: tok.vocabSize, numClasses: 2, embedSize: 4, hiddenSize: 4, numLayers: 1, cell: 'lstm', pooling: 'mean', seed: 2 });
    const emb = m.encoder.weight;
    const start = emb.toArray();
    const cfg = {
      batchSize: 16,
      epochs: 1,
      optimizer: 'adam' as const,
      lr: 0.01,
      clip: 0,
      plateauFactor: 1,
      plateauPatience: 0,
      evalBatchSize: 32,
      seed: 1,
      frozen: [emb],
    };
    await trainClassifier(m, { train: enc }, cfg);
    assert.deepEqual(emb.toArray(), start);
    assert.equal(emb.requiresGrad, true); // restored afterwards
    await trainClassifier(m, { train: enc }, { ...cfg, epochs: 2, unfreezeAfter: 1 });
    assert.notDeepEqual(emb.toArray(), start);
  });

  test('save and load give the same predictions, labels and tokenizer', () => {
    const m = new RNNClassifier({
      vocabSize: tok.vocabSize,
      numClasses: 2,
      embedSize: 4,
      hiddenSize: 5,
      numLayers: 2,
      cell: 'gru',
      bidirectional: true,
      pooling: 'attention',
      seed: 4,
    });
    const dir = path.join(root, 'ck');
    saveClassifier(dir, m, tok, labels, { note: 'x' });
    const loaded = loadClassifier(dir);
    assert.deepEqual(loaded.labels.names, ['neg', 'pos']);
    assert.equal(loaded.extra.note, 'x');
    assert.deepEqual(Array.from(predict(loaded.model, enc, 16).probs), Array.from(predict(m, enc, 16).probs));
    assert.ok(Object.keys(m.stateDict()).includes('rnn.weight_ih_l1_reverse'));
    // A language-model checkpoint is not a classifier.
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.model.architecture = 'rnnlm';
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    assert.throws(
      () => loadClassifier(dir),
      (e) => isRnnlmError(e, 'corrupt_checkpoint') && /a language model/.test(e.message),
    );
  });
});
