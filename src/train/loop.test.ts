/**
 * Behaviour of the TBPTT training loop on tiny float32 models and a synthetic corpus: it
 * learns, it stops when told, it carries (detached) state across windows, it is reproducible
 * from a seed, and it refuses to go on with a non-finite loss.
 * Legend: T time (window), B batch, V vocabulary.
 */
import '../../test/helpers/backend.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchify, numWindows } from '../data/batchify.js';
import { isRnnlmError } from '../errors.js';
import { RNNLM, type RNNLMConfig, type RNNState } from '../models/rnnlm.js';
import { type TrainConfig, type StepInfo, trainLanguageModel } from './loop.js';
import { evaluate } from './evaluate.js';

/** Period-6 stream a b c a b d: after "a b" the next token needs 3 tokens of context. */
const PATTERN = [0, 1, 2, 0, 1, 3];
const stream = (n: number, offset = 0): Int32Array => Int32Array.from({ length: n }, (_, i) => PATTERN[(i + offset) % PATTERN.length]!);
const TRAIN = stream(1200);
const VALID = stream(300, 1);

const tinyModel = (over: Partial<RNNLMConfig> = {}): RNNLM =>
  new RNNLM({ vocabSize: 4, embedSize: 8, hiddenSize: 16, numLayers: 1, cell: 'lstm', seed: 3, ...over });

const baseConfig = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  batchSize: 4,
  bptt: 12,
  epochs: 1,
  optimizer: 'adam',
  lr: 0.02,
  clip: 1,
  plateauFactor: 1,
  plateauPatience: 0,
  evalBatchSize: 2,
  ...over,
});

/** Entropy (nats) of the token frequencies: the loss of the best context-free model. */
function unigramEntropy(ids: Int32Array): number {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / ids.length) * Math.log(c / ids.length);
  return h;
}

describe('trainLanguageModel', () => {
  test('learns the pattern: validation loss far below the unigram entropy', async () => {
    const model = tinyModel();
    const H = unigramEntropy(TRAIN); // ≈ 1.33 nats for a b c a b d
    const before = evaluate(model, VALID, { batchSize: 2, bptt: 12 }).loss;
    const r = await trainLanguageModel(model, { train: TRAIN, valid: VALID }, baseConfig({ epochs: 3 }));
    assert.equal(r.stoppedBy, 'epochs');
    assert.equal(r.epochs.length, 3);
    assert.ok(before > 0.9 * H, `an untrained model is no better than unigram (loss ${before}, H ${H})`);
    assert.ok(r.bestValidLoss !== null && r.bestValidLoss < 0.1 * H, `best validation loss ${r.bestValidLoss} vs unigram entropy ${H}`);
    assert.ok(r.epochs[2]!.valid!.accuracy > 0.95);
    assert.equal(r.bestValidLoss, Math.min(...r.epochs.map((e) => e.valid!.loss)));
    assert.ok(r.epochs.some((e) => e.improved));
    assert.ok(model.training, 'the model is left in training mode');
  });

  test('epochs: every window once per epoch, tokens counted', async () => {
    const cfg = baseConfig({ epochs: 2 });
    const windows = numWindows(batchify(TRAIN, cfg.batchSize), cfg.bptt);
    const steps: StepInfo[] = [];
    const r = await trainLanguageModel(tinyModel(), { train: TRAIN }, cfg, { onStep: (s) => steps.push(s) });
    assert.equal(r.stoppedBy, 'epochs');
    assert.equal(r.steps, 2 * windows);
    assert.equal(steps.length, 2 * windows);
    assert.deepEqual(
      steps.map((s) => s.step),
      Array.from({ length: 2 * windows }, (_, i) => i + 1),
    );
    assert.ok(steps.every((s) => s.batches === windows));
    // Rows per stream L = 1200/4 = 300; each epoch predicts L − 1 rows of B tokens.
    assert.equal(r.tokens, 2 * (1200 / cfg.batchSize - 1) * cfg.batchSize);
    assert.equal(r.bestValidLoss, null, 'no validation split, no best loss');
    assert.ok(r.epochs.every((e) => e.valid === null && !e.improved));
  });

  test('maxSteps stops after exactly that many updates, then validates', async () => {
    const steps: number[] = [];
    const r = await trainLanguageModel(tinyModel(), { train: TRAIN, valid: VALID }, baseConfig({ epochs: 50, maxSteps: 7 }), {
      onStep: (s) => steps.push(s.step),
    });
    assert.equal(r.stoppedBy, 'steps');
    assert.equal(r.steps, 7);
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(r.epochs.length, 1);
    assert.ok(r.epochs[0]!.valid !== null && Number.isFinite(r.epochs[0]!.valid.loss), 'a final validation runs');
  });

  test('maxSteps may cross an epoch boundary', async () => {
    const cfg = baseConfig({ epochs: 50 });
    const windows = numWindows(batchify(TRAIN, cfg.batchSize), cfg.bptt);
    const r = await trainLanguageModel(tinyModel(), { train: TRAIN }, { ...cfg, maxSteps: windows + 3 });
    assert.equal(r.stoppedBy, 'steps');
    assert.equal(r.steps, windows + 3);
    assert.equal(r.epochs.length, 2);
  });

  test('maxSeconds stops on time', async () => {
    const r = await trainLanguageModel(tinyModel(), { train: TRAIN, valid: VALID }, baseConfig({ epochs: 10_000, maxSeconds: 0.3 }));
    assert.equal(r.stoppedBy, 'time');
    assert.ok(r.seconds >= 0.3, `ran ${r.seconds}s`);
    assert.ok(r.seconds < 10, `ran ${r.seconds}s, far past the limit`);
    assert.ok(r.epochs.length < 10_000);
    assert.ok(r.epochs.at(-1)!.valid !== null, 'the last epoch is validated');
  });

  test('the hidden state is carried across BPTT windows, detached', async () => {
    const model = tinyModel();
    const cfg = baseConfig({ epochs: 2 });
    const windows = numWindows(batchify(TRAIN, cfg.batchSize), cfg.bptt);
    const calls: { input: RNNState | null; output: RNNState }[] = [];
    const forwardLoss = model.forwardLoss.bind(model);
    model.forwardLoss = (ids, targets, T, B, state = null) => {
      const out = forwardLoss(ids, targets, T, B, state);
      if (model.training) calls.push({ input: state, output: { h: out.state.h, c: out.state.c } });
      return out;
    };
    await trainLanguageModel(model, { train: TRAIN }, cfg);
    assert.equal(calls.length, 2 * windows);
    for (let k = 0; k < calls.length; k++) {
      const { input } = calls[k]!;
      if (k % windows === 0) {
        assert.equal(input, null, `window ${k}: each epoch starts from a zero state`);
        continue;
      }
      assert.ok(input !== null, `window ${k}: state carried from the previous window`);
      const prev = calls[k - 1]!.output;
      assert.deepEqual(Array.from(input.h.data), Array.from(prev.h.data), `window ${k}: h is the previous window's final h`);
      assert.deepEqual(Array.from(input.c!.data), Array.from(prev.c!.data), `window ${k}: c is the previous window's final c`);
      assert.equal(input.h.gradFn, null, `window ${k}: h is detached (no gradient flows into the previous window)`);
      assert.equal(input.c!.gradFn, null);
      assert.notEqual(prev.h.gradFn, null, 'the un-detached output does carry a graph, so the check above means something');
    }
  });

  test('evaluation carries the state too: the window length does not change the loss', async () => {
    const model = tinyModel();
    await trainLanguageModel(model, { train: TRAIN }, baseConfig({ epochs: 2 }));
    const short = evaluate(model, VALID, { batchSize: 2, bptt: 5 });
    const long = evaluate(model, VALID, { batchSize: 2, bptt: 50 });
    assert.equal(short.tokens, long.tokens);
    assert.ok(Math.abs(short.loss - long.loss) < 1e-5, `bptt 5: ${short.loss}, bptt 50: ${long.loss}`);
    assert.equal(short.accuracy, long.accuracy);
    // Sensitivity: restarting from a zero state every 5 tokens loses the phase of the pattern.
    let nats = 0;
    let n = 0;
    for (let i = 0; i + 6 <= VALID.length; i += 5) {
      const piece = VALID.slice(i, i + 6);
      const r = evaluate(model, piece, { batchSize: 1, bptt: 5 });
      nats += r.loss * r.tokens;
      n += r.tokens;
    }
    assert.ok(nats / n > 3 * short.loss, `zero-state-per-window loss ${nats / n} should exceed the carried-state loss ${short.loss}`);
  });

  test('the same seed gives bit-identical runs (dropout on); another seed does not', async () => {
    const run = async (seed: number) => {
      const model = tinyModel({ seed, dropout: 0.3 });
      const losses: number[] = [];
      const r = await trainLanguageModel(model, { train: TRAIN, valid: VALID }, baseConfig({ maxSteps: 15 }), {
        onStep: (s) => losses.push(s.loss, s.gradNorm),
      });
      return { losses, valid: r.epochs.map((e) => e.valid!.loss), weights: model.parameters().map((p) => Array.from(p.data)) };
    };
    const a = await run(11);
    const b = await run(11);
    assert.deepEqual(b, a);
    const c = await run(12);
    assert.notDeepEqual(c.losses, a.losses);
  });

  test('logs the gradient norm before clipping whether or not clipping is on', async () => {
    const norms = async (clip: number): Promise<number[]> => {
      const got: number[] = [];
      await trainLanguageModel(tinyModel(), { train: TRAIN, valid: VALID }, baseConfig({ optimizer: 'sgd', lr: 0.5, clip, maxSteps: 1 }), {
        onStep: (s) => got.push(s.gradNorm),
      });
      return got;
    };
    const [off] = await norms(0);
    const [on] = await norms(1e-3); // clips: the logged norm is still the one before clipping
    assert.ok(off !== undefined && Number.isFinite(off) && off > 1e-3, `unclipped run logs a finite norm, got ${off}`);
    assert.equal(on, off);
  });

  test('a diverging run raises non_finite', async () => {
    const model = tinyModel({ cell: 'rnn_relu' });
    await assert.rejects(
      trainLanguageModel(model, { train: TRAIN, valid: VALID }, baseConfig({ optimizer: 'sgd', lr: 1e30, clip: 0 })),
      (e: unknown) => isRnnlmError(e, 'non_finite') && /lower the learning rate/.test(e.message),
    );
  });
});
