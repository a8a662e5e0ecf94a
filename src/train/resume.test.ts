/**
 * Exact resume: training N steps straight gives bit-identical losses and parameters to training
 * N/2 steps, saving the checkpoint to disk, loading it into a NEW model and optimizer, and
 * training the rest — with dropout on, so the RNG states matter. Covered for Adam + plateau +
 * per-epoch decay, and for the AWD-LSTM recipe (NT-ASGD with averaging under way, variable
 * BPTT, locked/embedding/weight dropout, AR/TAR, per-layer sizes); for stops by maxSteps, by an
 * interval checkpoint, and by an interrupt. Plus the refusals: another config or other data.
 * Legend: T time (window), B batch, V vocabulary.
 */
import '../../test/helpers/backend.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { isRnnlmError } from '../errors.js';
import type { TrainingState } from '../io/checkpoint.js';
import { saveLanguageModel } from '../io/lm.js';
import { RNNLM, type RNNLMConfig } from '../models/rnnlm.js';
import { Rng } from '../tensor/random.js';
import { CharTokenizer } from '../tokenizers/char.js';
import { type CheckpointInfo, type EpochInfo, type TrainConfig, trainLanguageModel } from './loop.js';
import { RESUME_FREE, loadResumableCheckpoint, resumeConflicts, runDirOf } from './resume.js';

const TEXT = 'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n'.repeat(5);
const tok = CharTokenizer.fromText(TEXT);
const TRAIN = tok.encode(TEXT.slice(0, 320));
const V = tok.vocabSize;
// Validation on random tokens: nothing to learn there, so its loss soon rises and NT-ASGD triggers.
const noise = new Rng(99);
const NOISE_VALID = Int32Array.from({ length: 80 }, () => noise.int(V));
const SENSIBLE_VALID = tok.encode(TEXT.slice(320, 420));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-resume-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;

interface Recipe {
  model: RNNLMConfig;
  cfg: TrainConfig;
  valid: Int32Array;
}

const adam: Recipe = {
  model: { vocabSize: V, embedSize: 8, hiddenSize: 12, numLayers: 2, cell: 'lstm', dropout: 0.3, seed: 5 },
  cfg: {
    batchSize: 4,
    bptt: 9,
    epochs: 100,
    optimizer: 'adam',
    lr: 0.01,
    clip: 1,
    plateauFactor: 0.5,
    plateauPatience: 0,
    evalBatchSize: 2,
    lrDecay: { kind: 'after', startEpoch: 2, factor: 0.8 },
  },
  valid: SENSIBLE_VALID,
};

const awd: Recipe = {
  model: {
    vocabSize: V,
    embedSize: 6,
    hiddenSize: 6,
    hiddenSizes: [10, 6],
    numLayers: 2,
    cell: 'lstm',
    tieWeights: true,
    init: 0.1,
    seed: 8,
    dropoutInput: 0.3,
    dropoutHidden: 0.2,
    dropoutOutput: 0.3,
    dropoutEmbedding: 0.1,
    weightDrop: 0.4,
  },
  cfg: {
    batchSize: 4,
    bptt: 8,
    epochs: 100,
    optimizer: 'ntasgd',
    nonmono: 0,
    lr: 2,
    clip: 0.5,
    plateauFactor: 1,
    plateauPatience: 0,
    evalBatchSize: 2,
    variableBptt: true,
    ar: 2,
    tar: 1,
    optimizerOptions: { weightDecay: 1e-4 },
  },
  valid: NOISE_VALID,
};

interface Run {
  steps: number[][]; // [step, loss, gradNorm, lr] per step
  epochs: EpochInfo[];
  checkpoints: { state: TrainingState; info: CheckpointInfo; dir: string }[];
  params: number[][];
}

async function train(model: RNNLM, r: Recipe, over: Partial<TrainConfig>, resume?: TrainingState, stopAfter?: number): Promise<Run> {
  const run: Run = { steps: [], epochs: [], checkpoints: [], params: [] };
  const signal = { aborted: false };
  await trainLanguageModel(
    model,
    { train: TRAIN, valid: r.valid },
    { ...r.cfg, ...over },
    {
      onStep: (s) => {
        run.steps.push([s.step, s.loss, s.gradNorm, s.lr]);
        if (stopAfter !== undefined && s.step >= stopAfter) signal.aborted = true;
      },
      onEpoch: (e) => void run.epochs.push(e),
      onCheckpoint: (state, info) => {
        // Saved to disk right away, as the CLI does: the model holds the raw weights only now.
        const dir = path.join(tmp, `ck${dirs++}`);
        saveLanguageModel(dir, model, tok, state);
        run.checkpoints.push({ state, info, dir });
      },
    },
    { ...(resume ? { resume } : {}), signal },
  );
  run.params = model.parameters().map((p) => Array.from(p.data));
  return run;
}

/** Loads a saved checkpoint into a brand-new model and trains it on to maxSteps N. */
async function continueFrom(dir: string, r: Recipe, N: number): Promise<Run> {
  const loaded = loadResumableCheckpoint(dir);
  assert.ok(loaded.trainingState, 'the checkpoint carries a training state');
  return train(loaded.model, r, { maxSteps: N }, loaded.trainingState);
}

function assertSameTail(straight: Run, resumed: Run, from: number): void {
  const tail = straight.steps.filter(([s]) => s! > from);
  assert.ok(tail.length > 0);
  assert.deepEqual(resumed.steps, tail, 'the same losses, gradient norms and lrs, bit for bit');
  assert.deepEqual(resumed.params, straight.params, 'bit-identical parameters');
}

describe('exact resume through a checkpoint on disk', () => {
  for (const [name, r, N] of [
    ['adam + dropout + plateau + decay', adam, 44],
    ['AWD-LSTM: NT-ASGD, variable BPTT, all dropouts, AR/TAR', awd, 60],
  ] as const) {
    test(`${name}: N steps = N/2 + save + load + N/2`, async () => {
      const straight = await train(new RNNLM(r.model), r, { maxSteps: N });
      assert.equal(straight.steps.length, N);
      assert.ok(straight.epochs.filter((e) => !e.partial).length >= 2, 'the run crosses epoch ends (schedules step)');
      const half = await train(new RNNLM(r.model), r, { maxSteps: N / 2 });
      assert.deepEqual(half.steps, straight.steps.slice(0, N / 2));
      const stop = half.checkpoints.at(-1)!;
      assert.equal(stop.info.reason, 'stop');
      assert.equal(stop.info.step, N / 2);
      assert.ok(half.epochs.at(-1)!.partial, 'stopped inside an epoch');
      if (r === awd) {
        assert.ok(
          straight.epochs.some((e) => e.asgdTriggered),
          'NT-ASGD triggered in this run',
        );
        const ntasgd = stop.state.json.ntasgd as { triggered: boolean; count: number };
        assert.ok(ntasgd.triggered && ntasgd.count > 0, 'averages are part of the saved state');
        assert.ok(
          straight.epochs.some((e) => e.averaged),
          'validation used the averaged weights',
        );
      }
      assertSameTail(straight, await continueFrom(stop.dir, r, N), N / 2);
    });
  }

  test('an interval checkpoint taken mid-run resumes to the same end', async () => {
    const N = 50;
    const straight = await train(new RNNLM(awd.model), awd, { maxSteps: N, checkpointEvery: 7 });
    const interval = straight.checkpoints.filter((c) => c.info.reason === 'interval');
    assert.deepEqual(
      interval.map((c) => c.info.step),
      [7, 14, 21, 28, 35, 42, 49],
    );
    assert.ok(
      straight.checkpoints.some((c) => c.info.reason === 'epoch'),
      'epoch-end checkpoints too',
    );
    const at = interval[3]!; // step 28
    // The straight run was told to checkpoint; a run without checkpoints follows the same path.
    const plain = await train(new RNNLM(awd.model), awd, { maxSteps: N });
    assert.deepEqual(plain.steps, straight.steps);
    assertSameTail(straight, await continueFrom(at.dir, awd, N), 28);
  });

  test('an interrupt stops after the current step with a stop checkpoint and no validation', async () => {
    const N = 30;
    const straight = await train(new RNNLM(adam.model), adam, { maxSteps: N });
    const cut = await train(new RNNLM(adam.model), adam, {}, undefined, 13);
    assert.equal(cut.steps.length, 13);
    assert.ok(
      cut.epochs.every((e) => e.step < 13),
      'no validation for the interrupted epoch',
    );
    const last = cut.checkpoints.at(-1)!;
    assert.deepEqual([last.info.reason, last.info.step], ['stop', 13]);
    assertSameTail(straight, await continueFrom(last.dir, adam, N), 13);
  });
});

describe('training state contents and refusals', () => {
  test('the state is plain JSON (no Infinity/NaN) with the documented parts', async () => {
    const run = await train(new RNNLM(adam.model), adam, { maxSteps: 3 });
    const j = run.checkpoints.at(-1)!.state.json;
    const text = JSON.stringify(j);
    assert.deepEqual(JSON.parse(text), j, 'JSON round trip loses nothing');
    for (const k of ['config', 'data', 'position', 'step', 'optimizer', 'schedules', 'rng', 'hidden', 'bestValidLoss']) assert.ok(k in j, k);
    assert.equal(j.step, 3);
    const tensors = Object.keys(run.checkpoints.at(-1)!.state.tensors);
    assert.ok(tensors.includes('hidden.h') && tensors.includes('hidden.c'), 'the carried LSTM state');
    assert.ok(
      tensors.some((k) => k.startsWith('optimizer.') && k.endsWith('.exp_avg')),
      'Adam moments',
    );
    // The model RNG's spare normal is NaN when unused: stored as null.
    assert.ok((j.rng as { model: unknown[] }).model.every((x) => x === null || Number.isFinite(x)));
  });

  test('resuming with another config or other data is checkpoint_mismatch; free keys may change', async () => {
    const run = await train(new RNNLM(adam.model), adam, { maxSteps: 5 });
    const { state } = run.checkpoints.at(-1)!;
    const go = (over: Partial<TrainConfig>, train = TRAIN) =>
      trainLanguageModel(new RNNLM(adam.model), { train, valid: SENSIBLE_VALID }, { ...adam.cfg, maxSteps: 6, ...over }, {}, { resume: state });
    await assert.rejects(
      go({ batchSize: 2 }),
      (e: unknown) => isRnnlmError(e, 'checkpoint_mismatch') && /batchSize: saved 4, now 2/.test((e as Error).message),
    );
    await assert.rejects(go({ lr: 0.5 }), (e: unknown) => isRnnlmError(e, 'checkpoint_mismatch') && /lr/.test((e as Error).message));
    const other = TRAIN.slice();
    other[7] = (other[7]! + 1) % V;
    await assert.rejects(go({}, other), (e: unknown) => isRnnlmError(e, 'checkpoint_mismatch') && /training data differs/.test((e as Error).message));
    const ok = await go({ epochs: 50, maxSteps: 7, checkpointEvery: 3 });
    assert.equal(ok.steps, 7, 'continues from step 5 to 7');
    const damaged = { json: { ...state.json, format: 'something else' }, tensors: state.tensors };
    await assert.rejects(trainLanguageModel(new RNNLM(adam.model), { train: TRAIN, valid: SENSIBLE_VALID }, adam.cfg, {}, { resume: damaged }), (e: unknown) =>
      isRnnlmError(e, 'corrupt_checkpoint'),
    );
  });
});

describe('resumeConflicts: the one rule for what a resumed run may change', () => {
  test('free fields may differ; anything else is named; absent, null and {} are equal', () => {
    const saved = { data: { train: '/t.txt', tokenizer: 'char' }, model: { hiddenSize: 8 }, train: { lr: 1, epochs: 2, optimizerOptions: {} } };
    assert.deepEqual(resumeConflicts(saved, { ...saved, train: { lr: 1, epochs: 9, maxSteps: 5, checkpointEvery: 3 } }), []);
    assert.deepEqual(resumeConflicts(saved, { data: { train: '/u.txt', tokenizer: 'char' }, model: { hiddenSize: 9 }, train: { lr: 2 } }), [
      'data.train',
      'model.hiddenSize',
      'train.lr',
    ]);
    assert.deepEqual(resumeConflicts({ train: saved.train }, { train: { lr: 1, ar: 2 } }), ['train.ar'], 'a section missing on one side is not compared');
    assert.deepEqual(RESUME_FREE.train, ['epochs', 'maxSeconds', 'maxSteps', 'checkpointEvery']);
  });

  test('runDirOf: the run folder of a resumable checkpoint', () => {
    assert.equal(runDirOf('/runs/a/resume'), '/runs/a');
    assert.equal(runDirOf('runs/a/resume.old/'), 'runs/a');
    assert.equal(runDirOf('resume'), '.');
    assert.equal(runDirOf('/runs/best'), '/runs/best');
  });
});
