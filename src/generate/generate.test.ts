/**
 * generateTokens / generate on tiny float32 models: the recurrent state is carried (one T = 1
 * step per new token, same probabilities as re-reading the whole prefix), sampling is
 * reproducible from a seed, temperature 0 is greedy, and word models stop at <eos>.
 * Legend: T time, V vocabulary; B = 1.
 */
import '../../test/helpers/backend.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../autograd/graph.js';
import { RNNLM, type RNNLMConfig } from '../models/rnnlm.js';
import { CharTokenizer } from '../tokenizers/char.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { type GenerateOptions, generate, generateTokens } from './generate.js';
import { STEP_PROMPT_MAX } from './batch.js';

const TEXT = 'the cat sat on the mat\nthe dog ran to the cat\na bird sat on a tree\n';
const charTok = CharTokenizer.fromText(TEXT);
const wordTok = WordTokenizer.fromText(TEXT);

const modelFor = (tok: Tokenizer, over: Partial<RNNLMConfig> = {}): RNNLM =>
  new RNNLM({ vocabSize: tok.vocabSize, embedSize: 8, hiddenSize: 12, numLayers: 2, cell: 'lstm', seed: 4, ...over });

/** Log-softmax row (float64) of the last position after reading `ids` from a zero state. */
function lastLogProbs(model: RNNLM, ids: number[]): number[] {
  return noGrad(() => {
    const V = model.config.vocabSize;
    const { logits } = model.forward(Int32Array.from(ids), ids.length, 1, null);
    const row = Array.from(logits.data.subarray((ids.length - 1) * V, ids.length * V)); // [V]
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    return row.map((x) => x - lse);
  });
}

/** Records the input ids of every model call: forward (any T) and the fused one-step decodeStep (T = 1). */
function recordInputs(model: RNNLM): number[][] {
  const inputs: number[][] = [];
  const forward = model.forward.bind(model);
  model.forward = (ids, T, B, state = null) => (inputs.push(Array.from(ids)), forward(ids, T, B, state));
  const decodeStep = model.decodeStep.bind(model);
  model.decodeStep = (ids, state, logits) => (inputs.push(Array.from(ids)), decodeStep(ids, state, logits));
  return inputs;
}

const take = (model: RNNLM, tok: Tokenizer, opts: GenerateOptions) => [...generateTokens(model, tok, opts)];

describe('generateTokens', () => {
  for (const cell of ['lstm', 'gru', 'rnn_tanh'] as const) {
    test(`${cell}: carried-state log-probs equal re-reading the whole prefix each step`, () => {
      const model = modelFor(charTok, { cell });
      const prompt = 'the ca';
      const promptIds = Array.from(charTok.encode(prompt));
      for (const temperature of [0, 1]) {
        const out = take(model, charTok, { prompt, maxTokens: 15, temperature, seed: 3 });
        assert.equal(out.length, 15);
        const prefix = [...promptIds];
        for (const [k, t] of out.entries()) {
          const lp = lastLogProbs(model, prefix);
          assert.ok(Math.abs(t.logProb - lp[t.id]!) < 1e-5, `token ${k}: logProb ${t.logProb} vs full-prefix ${lp[t.id]}`);
          if (temperature === 0) assert.equal(t.id, lp.indexOf(Math.max(...lp)), `token ${k}: greedy takes the argmax`);
          assert.equal(t.text, charTok.tokenText(t.id));
          prefix.push(t.id);
        }
      }
    });
  }

  test('one recurrent step per token: a short prompt one token a step, a long one in one call, then T = 1 only', () => {
    const model = modelFor(charTok);
    const calls = recordInputs(model);
    const Ts = (): number[] => calls.map((ids) => ids.length); // B = 1: T of each call
    const out = take(model, charTok, { prompt: 'a bird', maxTokens: 10, seed: 1 });
    assert.equal(out.length, 10);
    // 6 prompt characters one a step (STEP_PROMPT_MAX), then one step per token after the first
    // (the last token's successor is never computed).
    assert.deepEqual(Ts(), Array<number>(6 + 9).fill(1));
    calls.length = 0;
    const long = 'a bird '.repeat(10).slice(0, STEP_PROMPT_MAX + 1);
    assert.equal(take(model, charTok, { prompt: long, maxTokens: 10, seed: 1 }).length, 10);
    assert.deepEqual(Ts(), [STEP_PROMPT_MAX + 1, ...Array<number>(9).fill(1)]);

    calls.length = 0;
    assert.deepEqual(take(model, charTok, { prompt: 'a bird', maxTokens: 0 }), []);
    assert.deepEqual(Ts(), [], 'maxTokens 0 runs no forward at all');
  });

  test('the same seed gives the same tokens; another seed other tokens', () => {
    const model = modelFor(charTok);
    const opts = { prompt: 'the', maxTokens: 40, temperature: 1.2, seed: 21 };
    const a = take(model, charTok, opts);
    assert.deepEqual(take(model, charTok, opts), a);
    assert.notDeepEqual(
      take(model, charTok, { ...opts, seed: 22 }).map((t) => t.id),
      a.map((t) => t.id),
    );
    assert.equal(generate(model, charTok, opts), charTok.decode(a.map((t) => t.id)));
  });

  test('temperature 0 is greedy whatever the seed or top-k/top-p', () => {
    const model = modelFor(wordTok, { cell: 'gru' });
    const ids = (o: GenerateOptions) => take(model, wordTok, { prompt: 'the cat', maxTokens: 12, stopAtEos: false, temperature: 0, ...o }).map((t) => t.id);
    const a = ids({ seed: 1 });
    assert.deepEqual(ids({ seed: 99 }), a);
    assert.deepEqual(ids({ seed: 5, topK: 3, topP: 0.5 }), a);
    const prefix = Array.from(wordTok.encode('the cat', { addEos: false }));
    for (const id of a) {
      const lp = lastLogProbs(model, prefix);
      assert.equal(id, lp.indexOf(Math.max(...lp)));
      prefix.push(id);
    }
  });

  test('word model: stops at <eos> unless told not to', () => {
    const model = modelFor(wordTok);
    const eos = wordTok.eosId;
    model.decoder.bias!.data[eos] = 50; // <eos> is by far the most likely next token everywhere
    const stopped = take(model, wordTok, { prompt: 'the dog', maxTokens: 8, seed: 2 });
    assert.deepEqual(
      stopped.map((t) => t.id),
      [eos],
    );
    assert.ok(stopped[0]!.logProb > -1e-6, 'p(<eos>) ≈ 1');
    const going = take(model, wordTok, { prompt: 'the dog', maxTokens: 8, seed: 2, stopAtEos: false });
    assert.deepEqual(
      going.map((t) => t.id),
      Array<number>(8).fill(eos),
    );
  });

  test('char model: has no <eos>, so a likely newline does not stop it', () => {
    const model = modelFor(charTok);
    model.decoder.bias!.data[charTok.vocab.idOf('\n')!] = 50;
    const out = take(model, charTok, { prompt: 'the', maxTokens: 5, seed: 2 });
    assert.equal(generate(model, charTok, { prompt: 'the', maxTokens: 5, seed: 2 }), '\n'.repeat(5));
    assert.equal(out.length, 5);
  });

  test('an empty prompt starts from <eos> (word) or a newline (char)', () => {
    const word = modelFor(wordTok);
    const wordInputs = recordInputs(word);
    take(word, wordTok, { maxTokens: 1, seed: 1 });
    assert.deepEqual(wordInputs, [[wordTok.eosId]]);

    const char = modelFor(charTok);
    const charInputs = recordInputs(char);
    take(char, charTok, { prompt: '', maxTokens: 1, seed: 1 });
    assert.deepEqual(charInputs, [[charTok.vocab.idOf('\n')]]);
  });

  test('each token carries the normalised distribution it was drawn from', () => {
    const model = modelFor(charTok);
    const tokens = take(model, charTok, { prompt: 'the ', maxTokens: 12, temperature: 0.8, topK: 5, seed: 3 });
    assert.equal(tokens.length, 12);
    for (const t of tokens) {
      assert.equal(t.logProbs.length, charTok.vocabSize);
      assert.equal(t.logProbs[t.id], t.logProb);
      const mass = t.logProbs.reduce((s, v) => s + Math.exp(v), 0);
      assert.ok(Math.abs(mass - 1) < 1e-9, `probabilities sum to ${mass}`);
    }
  });

  test('runs without dropout whatever the mode, and leaves the mode as it found it', () => {
    const model = modelFor(charTok, { dropout: 0.5, numLayers: 2 });
    const opts = { prompt: 'the ', maxTokens: 15, seed: 8 };
    model.train();
    const inTraining = take(model, charTok, opts).map((t) => t.id);
    assert.equal(model.training, true, 'still in training mode');
    model.eval();
    assert.deepEqual(
      take(model, charTok, opts).map((t) => t.id),
      inTraining,
    );
  });
});
