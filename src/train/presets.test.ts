/**
 * The named presets: the published settings each one promises, a model that builds at full size,
 * a training config the loop accepts (one update on a scaled-down model), and clear errors.
 */
import '../../test/helpers/backend.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRnnlmError } from '../errors.js';
import { RNNLM } from '../models/rnnlm.js';
import { trainLanguageModel } from './loop.js';
import { PRESETS, getPreset, presetNames } from './presets.js';

const dataDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data');

describe('presets', () => {
  test('the six recipes are there, each documented', () => {
    assert.deepEqual(presetNames().sort(), ['ptb-awd', 'ptb-medium', 'ptb-small', 'shakespeare-char', 'wt2-awd', 'wt2-medium']);
    for (const [name, p] of Object.entries(PRESETS)) {
      assert.equal(p.name, name);
      assert.ok(p.source.length > 40 && p.expected.length > 10 && p.summary.length > 10, name);
    }
  });

  test('ptb-small is Zaremba et al. small', () => {
    const { model: m, train: t } = getPreset('ptb-small');
    assert.deepEqual([m.numLayers, m.hiddenSize, m.embedSize, m.dropout, m.init], [2, 200, 200, 0, 0.1]);
    // ptb_word_lm's lr 1 / clip 5 on a window's summed loss = lr 20 / clip 0.25 on the token mean (bptt 20).
    assert.deepEqual([t.bptt, t.batchSize, t.optimizer, t.lr, t.clip, t.epochs], [20, 20, 'sgd', 20, 0.25, 13]);
    assert.deepEqual(t.lrDecay, { kind: 'after', startEpoch: 4, factor: 0.5 });
  });

  test('ptb-medium / wt2-medium are the word_language_model medium tied LSTM', () => {
    for (const name of ['ptb-medium', 'wt2-medium']) {
      const { model: m, train: t } = getPreset(name);
      assert.deepEqual([m.numLayers, m.hiddenSize, m.embedSize, m.dropout, m.tieWeights, m.init], [2, 650, 650, 0.5, true, 0.1]);
      assert.deepEqual([t.bptt, t.batchSize, t.optimizer, t.lr, t.clip, t.plateauFactor, t.epochs], [35, 20, 'sgd', 20, 0.25, 0.25, 40]);
    }
    assert.match(getPreset('wt2-medium').data.train, /wikitext-2/);
  });

  test('ptb-awd / wt2-awd are AWD-LSTM', () => {
    for (const [name, di, epochs] of [
      ['ptb-awd', 0.4, 500],
      ['wt2-awd', 0.65, 750],
    ] as const) {
      const { model: m, train: t } = getPreset(name);
      assert.deepEqual(m.hiddenSizes, [1150, 1150, 400]);
      assert.deepEqual(
        [m.embedSize, m.hiddenSize, m.tieWeights, m.dropoutInput, m.dropoutOutput, m.dropoutEmbedding, m.weightDrop],
        [400, 400, true, di, 0.4, 0.1, 0.5],
      );
      assert.deepEqual([t.optimizer, t.lr, t.bptt, t.variableBptt, t.clip, t.ar, t.tar, t.nonmono, t.epochs], ['ntasgd', 30, 70, true, 0.25, 2, 1, 5, epochs]);
      assert.equal(t.optimizerOptions?.weightDecay, 1.2e-6);
    }
  });

  test('shakespeare-char: char LSTM with a 10% validation split', () => {
    const p = getPreset('shakespeare-char');
    assert.deepEqual([p.data.tokenizer, p.data.validFraction, p.model.hiddenSize, p.model.numLayers], ['char', 0.1, 512, 2]);
  });

  for (const name of Object.keys(PRESETS)) {
    test(`${name}: the full-size model builds, and the loop takes its training config`, async () => {
      const p = getPreset(name);
      const full = new RNNLM({ ...p.model, vocabSize: 50 });
      assert.ok(full.numParameters() > 5e5, `${full.numParameters()} parameters`);
      // One update of a scaled-down model under the preset's exact training config.
      const small = new RNNLM({
        ...p.model,
        vocabSize: 7,
        embedSize: 4,
        hiddenSize: 4,
        ...(p.model.hiddenSizes ? { hiddenSizes: p.model.hiddenSizes.map((_, i, a) => (i === a.length - 1 ? 4 : 6)) } : {}),
      });
      const { batchSize: B, bptt } = p.train;
      const train = Int32Array.from({ length: B * (bptt + 12) }, (_, i) => (i * 5) % 7);
      const valid = Int32Array.from({ length: 4 * p.train.evalBatchSize }, (_, i) => i % 7);
      const r = await trainLanguageModel(small, { train, valid }, { ...p.train, maxSteps: 1 });
      assert.equal(r.steps, 1);
      assert.ok(Number.isFinite(r.epochs[0]!.valid!.loss));
    });
  }

  test('the data files exist where the presets expect them (when ../shared/data is present)', (t) => {
    if (!fs.existsSync(dataDir)) return t.skip(`no ${dataDir} here`);
    for (const p of Object.values(PRESETS)) {
      for (const f of [p.data.train, p.data.valid, p.data.test]) if (f) assert.ok(fs.existsSync(path.join(dataDir, f)), `${p.name}: ${f}`);
    }
  });

  test('an unknown name lists the known ones', () => {
    assert.throws(
      () => getPreset('ptb-large'),
      (e: unknown) => isRnnlmError(e, 'invalid_argument') && /ptb-small/.test((e as Error).message),
    );
    assert.throws(
      () => getPreset('toString'),
      (e: unknown) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
