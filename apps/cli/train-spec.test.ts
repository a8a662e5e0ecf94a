/**
 * How `rnnlm train` builds its run: defaults under the flags, a preset under the flags, a resumed
 * run's saved spec (a conflicting flag refused, free ones applied, the copy of a run folder
 * resuming into the copy), and the options saved by older versions read back as a spec.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { CharTokenizer, RNNLM, defaultLmSpec, isRnnlmError, writeResumeCheckpoint } from '../../src/node.js';
import type { GivenFlag } from './flags.js';
import { DEFAULT_RUN, TRAIN_FLAGS, resolveTrainRun, specFromOptions } from './train-spec.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-train-spec-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The given flags `--name value` as the command line would give them (values already parsed). */
function given(pairs: Record<string, unknown>): GivenFlag<ReturnType<typeof defaultLmSpec>>[] {
  return TRAIN_FLAGS.filter((f) => f.syntax.split(' ')[0]!.slice(2) in pairs).map((f) => ({ flag: f, value: pairs[f.syntax.split(' ')[0]!.slice(2)] }));
}

/** A run folder with a resumable checkpoint whose spec is `spec`. */
function runFolder(name: string, spec = defaultLmSpec('/data/train.txt')): string {
  const out = path.join(tmp, name);
  const tokenizer = CharTokenizer.fromText('abc');
  const model = new RNNLM({ ...spec.model, embedSize: 4, hiddenSize: 4, numLayers: 1, vocabSize: tokenizer.vocabSize });
  writeResumeCheckpoint(out, model, tokenizer, { json: { step: 3 }, tensors: {} }, spec);
  return out;
}

describe('resolveTrainRun', () => {
  test('defaults under the given flags; --hidden-sizes sets layers and hidden; momentum only for SGD/RMSprop', () => {
    const r = resolveTrainRun(given({ train: 'a.txt', 'hidden-sizes': [30, 20], momentum: 0.9 }), DEFAULT_RUN, new Set());
    assert.equal(r.spec.data.train, 'a.txt');
    assert.deepEqual([r.spec.model.numLayers, r.spec.model.hiddenSize, r.spec.model.hiddenSizes], [2, 20, [30, 20]]);
    assert.deepEqual(r.spec.train.optimizerOptions, {}, 'adam takes no momentum');
    const sgd = resolveTrainRun(given({ train: 'a.txt', optimizer: 'sgd', momentum: 0.9 }), DEFAULT_RUN, new Set());
    assert.deepEqual(sgd.spec.train.optimizerOptions, { momentum: 0.9 });
    assert.equal(r.run.out, 'runs/model');
    assert.equal(r.resumed, null);
  });

  test("a preset under the flags: its model and schedule, the user's data, out runs/NAME", () => {
    const r = resolveTrainRun(given({ train: 'a.txt', hidden: 8 }), { ...DEFAULT_RUN, preset: 'ptb-small' }, new Set());
    assert.equal(r.spec.data.train, 'a.txt');
    assert.equal(r.spec.data.valid, undefined, 'the preset files give way to --train');
    assert.deepEqual([r.spec.model.hiddenSize, r.spec.model.embedSize, r.spec.model.init], [8, 200, 0.1]);
    assert.deepEqual(r.spec.train.lrDecay, { kind: 'after', startEpoch: 4, factor: 0.5 });
    assert.equal(r.run.out, path.join('runs', 'ptb-small'));
  });

  test('half of a pair, and no training text, are refused', () => {
    assert.throws(
      () => resolveTrainRun(given({ train: 'a.txt', 'lr-decay-after': 2 }), DEFAULT_RUN, new Set()),
      /--lr-decay-after N and --lr-decay-factor F go together/,
    );
    assert.throws(() => resolveTrainRun([], DEFAULT_RUN, new Set()), /give the training text with --train FILE/);
  });

  test('resume: the saved spec; a conflicting flag is refused by name, free ones apply; writes where the checkpoint is', () => {
    const out = runFolder('a');
    const r = resolveTrainRun(given({ epochs: 7, 'max-steps': 9, lr: 0.002 }), { ...DEFAULT_RUN, resume: out }, new Set());
    assert.equal(r.resumed?.from, path.join(out, 'resume'));
    assert.deepEqual([r.spec.train.epochs, r.spec.train.maxSteps, r.spec.data.train], [7, 9, '/data/train.txt']);
    assert.equal(r.run.out, out, 'a resumed run writes into the folder it was resumed from');
    assert.throws(
      () => resolveTrainRun(given({ lr: 5, cell: 'gru' }), { ...DEFAULT_RUN, resume: out }, new Set()),
      (e) =>
        isRnnlmError(e, 'invalid_argument') &&
        /--cell "gru" conflicts with the checkpoint's "lstm"; --lr 5 conflicts with the checkpoint's 0\.002/.test(e.message) &&
        /only --epochs, --max-minutes, --max-steps, --checkpoint-every, --out/.test(e.message),
    );
    // A copy of the run folder resumes into the copy, never into the original.
    const copy = path.join(tmp, 'a-copy');
    fs.cpSync(out, copy, { recursive: true });
    assert.equal(resolveTrainRun([], { ...DEFAULT_RUN, resume: copy }, new Set()).run.out, copy);
    // An explicit --out still wins.
    assert.equal(resolveTrainRun([], { ...DEFAULT_RUN, resume: copy, out: 'elsewhere' }, new Set(['out'])).run.out, 'elsewhere');
  });

  test('--preset with --resume is refused', () => {
    assert.throws(
      () => resolveTrainRun([], { ...DEFAULT_RUN, resume: runFolder('b'), preset: 'ptb-small' }, new Set()),
      /--preset and --resume do not go together/,
    );
  });
});

test('options saved by older versions ("cli") read back as the same spec the flags make', () => {
  const cli = {
    train: '/d/t.txt',
    tokenizer: 'char',
    layers: 1,
    hidden: 16,
    emb: 8,
    tied: false,
    optimizer: 'sgd',
    lr: 20,
    momentum: 0.5,
    lrDecayAfter: 4,
    lrDecayFactor: 0.5,
    checkpointEvery: 5,
    minCount: 1,
  };
  const spec = specFromOptions(cli);
  assert.deepEqual([spec.data.train, spec.data.tokenizer, spec.model.numLayers, spec.model.hiddenSize, spec.model.embedSize], ['/d/t.txt', 'char', 1, 16, 8]);
  assert.deepEqual(
    [spec.train.optimizer, spec.train.lr, spec.train.optimizerOptions, spec.train.lrDecay, spec.train.checkpointEvery],
    ['sgd', 20, { momentum: 0.5 }, { kind: 'after', startEpoch: 4, factor: 0.5 }, 5],
  );
});
