/**
 * evaluate() against a by-hand reference: each stream is fed one token at a time (T = 1,
 * B = 1) with the state carried, and the cross-entropy and argmax accuracy are summed in
 * float64. Legend: T time, B batch (streams), L rows per stream, V vocabulary.
 */
import '../../test/helpers/backend.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../autograd/graph.js';
import { isRnnlmError } from '../errors.js';
import { RNNLM, type RNNLMConfig, type RNNState } from '../models/rnnlm.js';
import { Rng } from '../tensor/random.js';
import { evaluate } from './evaluate.js';

const V = 7;

function randomIds(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.nextU32() % V);
}

const model = (over: Partial<RNNLMConfig> = {}): RNNLM =>
  new RNNLM({ vocabSize: V, embedSize: 5, hiddenSize: 6, numLayers: 2, cell: 'lstm', seed: 9, ...over });

/** Sum of −log p(next) and count of argmax hits over one stream, stepping T = 1 from a zero state. */
function stepwise(m: RNNLM, ids: Int32Array): { nats: number; correct: number; tokens: number } {
  let state: RNNState | null = null;
  let nats = 0;
  let correct = 0;
  noGrad(() => {
    for (let t = 0; t + 1 < ids.length; t++) {
      const out = m.forward(Int32Array.of(ids[t]!), 1, 1, state);
      state = out.state;
      const row = Array.from(out.logits.data); // [V]
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      nats += lse - row[ids[t + 1]!]!;
      if (row.indexOf(max) === ids[t + 1]) correct++;
    }
  });
  return { nats, correct, tokens: ids.length - 1 };
}

/** The reference for B streams: batchify's columns (remainder dropped), each read on its own. */
function reference(m: RNNLM, ids: Int32Array, B: number): { loss: number; accuracy: number; tokens: number } {
  const L = Math.floor(ids.length / B);
  let nats = 0;
  let correct = 0;
  let tokens = 0;
  for (let b = 0; b < B; b++) {
    const r = stepwise(m, ids.slice(b * L, (b + 1) * L));
    nats += r.nats;
    correct += r.correct;
    tokens += r.tokens;
  }
  return { loss: nats / tokens, accuracy: correct / tokens, tokens };
}

describe('evaluate', () => {
  for (const cell of ['lstm', 'gru', 'rnn_tanh'] as const) {
    for (const [B, bptt] of [
      [1, 7],
      [3, 4],
    ] as const) {
      test(`${cell}, B=${B}, bptt=${bptt}: loss and accuracy equal the stepwise reference`, () => {
        const m = model({ cell });
        m.eval();
        const ids = randomIds(61, 5); // 61 = 3·20 + 1: the B = 3 case drops one token
        const ref = reference(m, ids, B);
        const r = evaluate(m, ids, { batchSize: B, bptt });
        assert.equal(r.tokens, ref.tokens);
        assert.ok(Math.abs(r.loss - ref.loss) < 1e-5, `loss ${r.loss} vs reference ${ref.loss}`);
        assert.equal(r.accuracy, ref.accuracy);
        assert.ok(Math.abs(r.bitsPerToken - r.loss / Math.LN2) < 1e-12);
        assert.ok(Math.abs(r.perplexity - Math.exp(r.loss)) < 1e-9 * r.perplexity);
      });
    }
  }

  test('a model that always predicts the next token scores accuracy 1 and loss near 0', () => {
    // Counting stream 0 1 2 … : a decoder bias cannot learn it, so set the weights so the
    // argmax is right: embedding one-hot, an rnn_relu that copies it, decoder = shift by one.
    const m = new RNNLM({ vocabSize: V, embedSize: V, hiddenSize: V, numLayers: 1, cell: 'rnn_relu', seed: 1 });
    const sd = m.stateDict();
    for (const t of Object.values(sd)) t.data.fill(0);
    for (let v = 0; v < V; v++) {
      sd['encoder.weight']!.data[v * V + v] = 1; // [V, E]
      sd['rnn.weight_ih_l0']!.data[v * V + v] = 1; // [H, E]
      sd['decoder.weight']!.data[((v + 1) % V) * V + v] = 20; // [V, H]: h = onehot(v) → logit v+1
    }
    const ids = Int32Array.from({ length: 40 }, (_, i) => i % V);
    const r = evaluate(m, ids, { batchSize: 2, bptt: 3 });
    assert.equal(r.accuracy, 1);
    assert.ok(r.loss < 1e-6, `loss ${r.loss}`);
  });

  test('dropout is off during evaluation and the training flag is restored', () => {
    const m = model({ dropout: 0.5 });
    const ids = randomIds(40, 2);
    m.train();
    const a = evaluate(m, ids, { batchSize: 2, bptt: 5 });
    assert.equal(m.training, true, 'training mode restored');
    m.eval();
    const b = evaluate(m, ids, { batchSize: 2, bptt: 5 });
    assert.equal(m.training, false, 'eval mode kept');
    assert.equal(a.loss, b.loss);
    assert.ok(Math.abs(a.loss - reference(m, ids, 2).loss) < 1e-5);
  });

  test('a split too short for the batch size is a clear empty_corpus error', () => {
    const m = model();
    assert.throws(
      () => evaluate(m, randomIds(9, 1), { batchSize: 5 }),
      (e: unknown) =>
        isRnnlmError(e, 'empty_corpus') && /at least 10 tokens \(got 9\) for batchSize 5/.test(e.message) && /smaller batchSize \(at most 4\)/.test(e.message),
    );
    // The message names the flag the caller used (rnnlm train: --eval-batch-size).
    assert.throws(
      () => evaluate(m, randomIds(9, 1), { batchSize: 5, batchSizeName: '--eval-batch-size' }),
      (e: unknown) => isRnnlmError(e, 'empty_corpus') && /use a smaller --eval-batch-size \(at most 4\)/.test(e.message),
    );
    assert.throws(
      () => evaluate(m, new Int32Array(0), { batchSize: 1 }),
      (e: unknown) => isRnnlmError(e, 'empty_corpus'),
    );
    // The smallest split that fits: 2 tokens per stream, one prediction each.
    assert.equal(evaluate(m, randomIds(10, 1), { batchSize: 5 }).tokens, 5);
  });
});
