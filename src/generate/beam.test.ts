/**
 * beamSearch on tiny float32 models: beam size 1 is greedy; a beam of V^(k−1) finds the exact
 * best of all sequences of length ≤ k (checked by enumerating them); the state gather keeps
 * every hypothesis's log-prob equal to re-reading its whole prefix; larger beams score no worse.
 * Legend: V vocabulary, B beam, L layers, H hidden, T time.
 */
import '../../test/helpers/backend.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../autograd/graph.js';
import { isRnnlmError } from '../errors.js';
import { RNNLM, type RNNLMConfig } from '../models/rnnlm.js';
import { Tensor } from '../tensor/tensor.js';
import { CharTokenizer } from '../tokenizers/char.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { beamSearch, gatherState, gnmtLengthPenalty } from './beam.js';
import { generateTokens } from './generate.js';

const TEXT = 'the cat sat on the mat\nthe dog ran to the cat\na bird sat on a tree\n';
const charTok = CharTokenizer.fromText(TEXT);
const wordTok = WordTokenizer.fromText(TEXT);

/** init r = U(±r) embeddings/decoder: peaked, non-uniform next-token distributions. */
const modelFor = (tok: Tokenizer, over: Partial<RNNLMConfig> = {}): RNNLM =>
  new RNNLM({ vocabSize: tok.vocabSize, embedSize: 8, hiddenSize: 12, numLayers: 2, cell: 'lstm', seed: 4, init: 1.5, ...over });

/** log p(seq | prompt) by one forward over prompt + seq from a zero state (no carried state). */
function seqLogProb(model: RNNLM, prompt: number[], seq: number[]): number {
  return noGrad(() => {
    const ids = [...prompt, ...seq];
    const V = model.config.vocabSize;
    const { logits } = model.forward(Int32Array.from(ids), ids.length, 1, null);
    let total = 0;
    for (let k = 0; k < seq.length; k++) {
      const row = Array.from(logits.data.subarray((prompt.length - 1 + k) * V, (prompt.length + k) * V)); // [V]
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      total += row[seq[k]!]! - lse;
    }
    return total;
  });
}

/** Every sequence over ids [0, V) of length `len`. */
function allSequences(V: number, len: number): number[][] {
  let out: number[][] = [[]];
  for (let k = 0; k < len; k++) out = out.flatMap((s) => Array.from({ length: V }, (_, v) => [...s, v]));
  return out;
}

describe('beamSearch', () => {
  test('beam size 1 is greedy decoding (char and word models, with and without <eos>)', () => {
    const cases: [Tokenizer, string, boolean][] = [
      [charTok, 'the ca', true],
      [wordTok, 'the cat', true],
      [wordTok, 'a bird', false],
      [wordTok, '', true],
    ];
    for (const [tok, prompt, stopAtEos] of cases) {
      for (const cell of ['lstm', 'gru'] as const) {
        for (const seed of [1, 2, 3]) {
          const model = modelFor(tok, { cell, seed });
          const greedy = [...generateTokens(model, tok, { prompt, maxTokens: 12, temperature: 0, stopAtEos })];
          const [best] = beamSearch(model, tok, { prompt, beamSize: 1, maxTokens: 12, stopAtEos });
          const what = `${tok.kind} ${cell} seed ${seed} stopAtEos ${stopAtEos}`;
          assert.deepEqual(
            best!.ids,
            greedy.map((t) => t.id),
            what,
          );
          const lp = greedy.reduce((s, t) => s + t.logProb, 0);
          assert.ok(Math.abs(best!.logProb - lp) < 1e-5, `${what}: ${best!.logProb} vs ${lp}`);
          assert.equal(best!.finished, stopAtEos && greedy[greedy.length - 1]!.id === tok.eosId);
        }
      }
    }
  });

  test('a beam of V^(k−1) finds the exact best sequence of length k (enumerating all V^k)', () => {
    const tok = CharTokenizer.fromText('ab\n', { unk: false }); // V = 3
    const V = tok.vocabSize;
    for (const cell of ['lstm', 'gru', 'rnn_tanh'] as const) {
      for (const seed of [1, 2, 3, 4]) {
        const model = modelFor(tok, { cell, seed, init: 3 });
        const prompt = Array.from(tok.encode('ab'));
        const exact = allSequences(V, 4)
          .map((s) => ({ s, lp: seqLogProb(model, prompt, s) }))
          .sort((a, b) => b.lp - a.lp);
        for (const beamSize of [V ** 3, V ** 4]) {
          const hyps = beamSearch(model, tok, { prompt: 'ab', beamSize, maxTokens: 4, nBest: 10 });
          // The 10 best of all 81 sequences, in order, with their exact log-probs.
          assert.deepEqual(
            hyps.map((h) => h.ids),
            exact.slice(0, 10).map((e) => e.s),
            `${cell} seed ${seed} beam ${beamSize}`,
          );
          for (const [i, h] of hyps.entries()) assert.ok(Math.abs(h.logProb - exact[i]!.lp) < 1e-5);
        }
      }
    }
  });

  test('with <eos>: a beam of V^(k−1) finds the exact best finished-or-full-length hypothesis, for α = 0 and α > 0', () => {
    const tok = WordTokenizer.fromText('a b\nb a\n'); // a, b, <eos>, <unk>: V = 4
    const V = tok.vocabSize;
    const eos = tok.eosId;
    // Terminal hypotheses of at most 3 tokens: ending in <eos>, or 3 tokens without one.
    const terminal = [1, 2, 3].flatMap((len) =>
      allSequences(V, len).filter((s) => s.slice(0, -1).every((v) => v !== eos) && (s[s.length - 1] === eos || len === 3)),
    );
    for (const seed of [1, 2, 3, 5, 8]) {
      const model = modelFor(tok, { seed, init: 2.5 });
      const prompt = Array.from(tok.encode('a', { addEos: false }));
      for (const alpha of [0, 0.8, 2]) {
        const scored = terminal.map((s) => {
          const lp = seqLogProb(model, prompt, s);
          return { s, lp, score: lp / gnmtLengthPenalty(s.length, alpha) };
        });
        scored.sort((x, y) => y.score - x.score);
        const [best] = beamSearch(model, tok, { prompt: 'a', beamSize: V ** 2, maxTokens: 3, gnmtAlpha: alpha });
        assert.deepEqual(best!.ids, scored[0]!.s, `seed ${seed} α ${alpha}`);
        assert.ok(Math.abs(best!.score - scored[0]!.score) < 1e-5);
        assert.equal(best!.finished, best!.ids[best!.ids.length - 1] === eos);
        assert.ok(Math.abs(best!.score - best!.logProb / gnmtLengthPenalty(best!.ids.length, alpha)) < 1e-12);
      }
    }
  });

  test('larger beams never score worse than smaller ones (fixed length, several models)', () => {
    // Not a theorem for beam search in general, but a beam of V^(k−1) is exact, so it must beat
    // every smaller beam; and on these models the whole sequence of beam sizes is monotone.
    const tok = wordTok;
    for (const cell of ['lstm', 'gru'] as const) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const model = modelFor(tok, { cell, seed, init: 2 });
        const scores = [1, 2, 4, 8, 16, 32].map((beamSize) => beamSearch(model, tok, { prompt: 'the', beamSize, maxTokens: 5, stopAtEos: false })[0]!.logProb);
        for (let i = 1; i < scores.length; i++) assert.ok(scores[i]! >= scores[i - 1]! - 1e-9, `${cell} seed ${seed}: ${scores.join(', ')}`);
      }
    }
  });

  test('returned hypotheses: log-probs match re-reading the prefix, ranked by score, finished end in <eos>', () => {
    const model = modelFor(wordTok, { seed: 7 });
    const prompt = Array.from(wordTok.encode('the cat', { addEos: false }));
    for (const alpha of [0, 0.6]) {
      const hyps = beamSearch(model, wordTok, { prompt: 'the cat', beamSize: 6, maxTokens: 8, nBest: 6, gnmtAlpha: alpha });
      assert.equal(hyps.length, 6);
      for (const [i, h] of hyps.entries()) {
        assert.ok(Math.abs(h.logProb - seqLogProb(model, prompt, h.ids)) < 1e-5, `hyp ${i}`);
        if (i > 0) assert.ok(h.score <= hyps[i - 1]!.score);
        const endsEos = h.ids[h.ids.length - 1] === wordTok.eosId;
        assert.equal(h.finished, endsEos);
        if (!h.finished) assert.equal(h.ids.length, 8);
        assert.ok(
          h.ids.slice(0, -1).every((v) => v !== wordTok.eosId),
          'no <eos> inside a hypothesis',
        );
        assert.equal(h.text, wordTok.decode(endsEos ? h.ids.slice(0, -1) : h.ids));
      }
    }
  });

  test('the prompt is read once; then one T = 1 step per token with B ≤ beamSize streams', () => {
    const model = modelFor(charTok);
    const calls: [number, number][] = [];
    const forward = model.forward.bind(model);
    model.forward = (ids, T, B, state = null) => {
      calls.push([T, B]);
      return forward(ids, T, B, state);
    };
    beamSearch(model, charTok, { prompt: 'a bird', beamSize: 5, maxTokens: 10 });
    assert.deepEqual(calls[0], [6, 1]);
    assert.equal(calls.length, 10); // the last token's successor is never computed
    for (const [T, B] of calls.slice(1)) {
      assert.equal(T, 1);
      assert.equal(B, 5);
    }
    assert.equal(model.training, true, 'training mode is restored');
    assert.deepEqual(beamSearch(model, charTok, { maxTokens: 0 }), []);
  });

  test('gatherState reorders [L,B,H] rows by parent', () => {
    const h = Tensor.from(
      Array.from({ length: 2 * 3 * 2 }, (_, i) => i),
      [2, 3, 2],
    ); // [L=2,B=3,H=2]
    const g = gatherState({ h, c: h.clone() }, [2, 2, 0]);
    assert.deepEqual(g.h.shape, [2, 3, 2]);
    assert.deepEqual(g.h.toArray(), [4, 5, 4, 5, 0, 1, 10, 11, 10, 11, 6, 7]);
    assert.deepEqual(g.c!.toArray(), g.h.toArray());
    assert.equal(gatherState({ h, c: null }, [1]).c, null);
  });

  test('bad options are clear errors', () => {
    const model = modelFor(charTok);
    const bad = (o: object, re: RegExp): void =>
      assert.throws(
        () => beamSearch(model, charTok, o),
        (e) => isRnnlmError(e, 'invalid_argument') && re.test(e.message),
      );
    bad({ beamSize: 0 }, /beamSize/);
    bad({ maxTokens: -1 }, /maxTokens/);
    bad({ gnmtAlpha: -0.5 }, /gnmtAlpha/);
    bad({ lengthPenalty: 0.6 }, /now gnmtAlpha/); // the old name would otherwise be ignored silently
    bad({ beamSize: 2, nBest: 3 }, /nBest/);
  });
});
