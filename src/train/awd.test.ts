/**
 * Training-loop options beyond plain TBPTT: variable-length BPTT (window lengths and the lr
 * rescaling), the Zaremba per-epoch decay, NT-ASGD in the loop (needs validation, evaluates and
 * ends with the averaged weights), and the AR penalty's effect on activations.
 * Legend: T time (window), B batch, V vocabulary, L rows of the batchified stream.
 */
import '../../test/helpers/backend.js';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { batchify } from '../data/batchify.js';
import { isRnnlmError } from '../errors.js';
import { RNNLM, type RNNLMConfig } from '../models/rnnlm.js';
import { meanSquare } from '../ops/regularization.js';
import { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../tensor/random.js';
import { type TrainConfig, sampleBpttLength, trainLanguageModel } from './loop.js';

const PATTERN = [0, 1, 2, 0, 1, 3, 4, 2];
const stream = (n: number, offset = 0): Int32Array => Int32Array.from({ length: n }, (_, i) => PATTERN[(i + offset) % PATTERN.length]!);
const TRAIN = stream(800);
const VALID = stream(120, 3);
const tiny = (over: Partial<RNNLMConfig> = {}): RNNLM =>
  new RNNLM({ vocabSize: 5, embedSize: 6, hiddenSize: 10, numLayers: 1, cell: 'lstm', seed: 2, ...over });
const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  batchSize: 4,
  bptt: 10,
  epochs: 1,
  optimizer: 'sgd',
  lr: 1,
  clip: 1,
  plateauFactor: 1,
  plateauPatience: 0,
  evalBatchSize: 2,
  ...over,
});

/** Records the lr of every optimizer update (a spy on the real optimizer, restored after). */
async function recordingLrs<T>(fn: () => Promise<T>): Promise<{ result: T; lrs: number[] }> {
  const lrs: number[] = [];
  const step = Optimizer.prototype.step;
  Optimizer.prototype.step = function (this: Optimizer) {
    lrs.push(this.lr);
    step.call(this);
  };
  try {
    return { result: await fn(), lrs };
  } finally {
    Optimizer.prototype.step = step;
  }
}

describe('variable-length BPTT', () => {
  test('lengths: about N(bptt, 5) 95% of the time, N(bptt/2, 5) otherwise, never below 5', () => {
    const rng = new Rng(1);
    const xs = Array.from({ length: 20000 }, () => sampleBpttLength(rng, 70));
    assert.ok(Math.min(...xs) >= 5);
    const short = xs.filter((x) => x < 52).length / xs.length; // halfway between 35 and 70
    assert.ok(short > 0.04 && short < 0.06, `share of short windows ${short}`);
    const long = xs.filter((x) => x >= 52);
    const mean = long.reduce((a, b) => a + b, 0) / long.length;
    const sd = Math.sqrt(long.reduce((a, b) => a + (b - mean) ** 2, 0) / long.length);
    assert.ok(Math.abs(mean - 69.5) < 0.3, `mean ${mean}`); // floor() shifts the mean by −½
    assert.ok(Math.abs(sd - 5) < 0.3, `sd ${sd}`);
    assert.ok(Math.min(...Array.from({ length: 200 }, () => sampleBpttLength(rng, 3))) >= 3, 'tiny bptt: at least bptt');
  });

  test('each epoch reads the stream once in windows of varying length; each update uses lr·T/bptt', async () => {
    const model = tiny();
    const Ts: number[] = [];
    const forwardLoss = model.forwardLoss.bind(model);
    model.forwardLoss = (ids, targets, T, B, state = null) => {
      if (model.training) Ts.push(T);
      return forwardLoss(ids, targets, T, B, state);
    };
    const { lrs } = await recordingLrs(() => trainLanguageModel(model, { train: TRAIN }, cfg({ epochs: 2, variableBptt: true, lr: 0.5 })));
    const L = batchify(TRAIN, 4).L;
    assert.equal(lrs.length, Ts.length);
    // Split the windows into the two epochs: each must cover exactly L − 1 rows.
    let sum = 0;
    let k = 0;
    while (sum < L - 1) sum += Ts[k++]!;
    assert.equal(sum, L - 1);
    assert.equal(
      Ts.slice(k).reduce((a, b) => a + b, 0),
      L - 1,
    );
    assert.ok(new Set(Ts).size > 3, `window lengths vary: ${Ts.join(',')}`);
    Ts.forEach((T, i) => assert.equal(lrs[i], (0.5 * T) / 10));
  });
});

describe('learning-rate schedules', () => {
  test("lrDecay 'after' (Zaremba): lr0 for epochs 1..startEpoch, then ×factor per epoch", async () => {
    const seen = new Map<number, Set<number>>();
    const r = await trainLanguageModel(tiny(), { train: TRAIN, valid: VALID }, cfg({ epochs: 5, lrDecay: { kind: 'after', startEpoch: 2, factor: 0.5 } }), {
      onStep: (s) => {
        if (!seen.has(s.epoch)) seen.set(s.epoch, new Set());
        seen.get(s.epoch)!.add(s.lr);
      },
    });
    assert.deepEqual(
      [...seen.values()].map((s) => [...s]),
      [[1], [1], [0.5], [0.25], [0.125]],
    );
    assert.deepEqual(
      r.epochs.map((e) => e.lr),
      [1, 0.5, 0.25, 0.125, 0.0625],
      'lr after each epoch end',
    );
  });

  test('a bad lrDecay is an error', async () => {
    await assert.rejects(trainLanguageModel(tiny(), { train: TRAIN }, cfg({ lrDecay: { kind: 'after', startEpoch: 1, factor: 2 } })), (e: unknown) =>
      isRnnlmError(e, 'invalid_argument'),
    );
  });
});

describe('NT-ASGD in the loop', () => {
  test('needs validation data', async () => {
    await assert.rejects(
      trainLanguageModel(tiny(), { train: TRAIN }, cfg({ optimizer: 'ntasgd' })),
      (e: unknown) => isRnnlmError(e, 'invalid_argument') && /validation/.test((e as Error).message),
    );
  });

  test('after the trigger, onEpoch sees the averaged weights and the model ends holding them', async () => {
    // Random validation tokens: the validation loss rises as the model learns the pattern, so it triggers.
    const noise = new Rng(3);
    const valid = Int32Array.from({ length: 120 }, () => noise.int(5));
    const model = tiny();
    let inEpoch: number[][] = [];
    let raw: number[][] = [];
    const r = await trainLanguageModel(model, { train: TRAIN, valid }, cfg({ optimizer: 'ntasgd', nonmono: 0, epochs: 4, lr: 2 }), {
      onEpoch: () => void (inEpoch = model.parameters().map((p) => Array.from(p.data))),
      onCheckpoint: () => void (raw = model.parameters().map((p) => Array.from(p.data))),
    });
    const trig = r.epochs.findIndex((e) => e.asgdTriggered);
    assert.ok(trig >= 0 && trig < 3, 'triggered before the last epoch');
    assert.ok(r.epochs.slice(trig + 1).every((e) => e.averaged) && r.epochs.slice(0, trig + 1).every((e) => !e.averaged));
    assert.ok(r.averaged);
    const final = model.parameters().map((p) => Array.from(p.data));
    assert.deepEqual(final, inEpoch, 'the model ends with the weights validated in the last epoch (the averages)');
    assert.notDeepEqual(final, raw, 'which differ from the raw SGD weights the checkpoint saw');
  });
});

describe('activation regularisation', () => {
  test('AR shrinks the last layer activations; TAR their changes over time', async () => {
    const ms = async (over: Partial<TrainConfig>): Promise<[number, number]> => {
      const model = tiny({ hiddenSize: 16 });
      await trainLanguageModel(model, { train: TRAIN }, cfg({ epochs: 2, optimizer: 'adam', lr: 0.01, ...over }));
      model.eval();
      const out = model.forward(VALID.slice(0, 40), 20, 2);
      const h = out.hidden.data;
      let d2 = 0;
      for (let i = 2 * 16; i < h.length; i++) d2 += (h[i]! - h[i - 2 * 16]!) ** 2;
      return [meanSquare(out.hidden).item(), d2 / (h.length - 32)];
    };
    const [plain, plainDiff] = await ms({});
    const [ar] = await ms({ ar: 5 });
    const [, tarDiff] = await ms({ tar: 5 });
    assert.ok(ar < 0.7 * plain, `AR: mean h² ${ar} vs ${plain}`);
    assert.ok(tarDiff < 0.7 * plainDiff, `TAR: mean Δh² ${tarDiff} vs ${plainDiff}`);
  });
});
