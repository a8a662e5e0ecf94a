/**
 * End to end on a toy task (translate a word sequence by reversing it and mapping each word):
 * training lowers the loss and learns the task; greedy search equals a naive argmax loop;
 * beam search with a wide beam equals exhaustive search; scheduled sampling trains; a saved
 * model translates exactly as before. Legend: B batch, K beam width, V target vocabulary.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { noGrad } from '../autograd/graph.js';
import { isRnnlmError } from '../errors.js';
import { Seq2Seq } from '../models/seq2seq.js';
import { Rng } from '../tensor/random.js';
import { type ParallelText, encodeParallel, withEos } from './data.js';
import { translateIds } from './decode.js';
import { loadTranslationModel, saveTranslationModel } from './io.js';
import { TranslationSide } from './side.js';
import { evaluateTranslationLoss, trainTranslation } from './train.js';

const WORDS = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox'];
const MAP: Record<string, string> = { ant: 'Ameise', bee: 'Biene', cat: 'Katze', dog: 'Hund', eel: 'Aal', fox: 'Fuchs' };

function toyCorpus(n: number, seed: number): ParallelText {
  const rng = new Rng(seed);
  const src: string[] = [];
  const tgt: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + rng.int(3);
    const ws = Array.from({ length: len }, () => WORDS[rng.int(WORDS.length)]!);
    src.push(ws.join(' '));
    tgt.push(
      ws
        .map((w) => MAP[w]!)
        .reverse()
        .join(' '),
    );
  }
  return { src, tgt };
}

const train = toyCorpus(300, 1);
const heldOut = toyCorpus(40, 2);
const src = TranslationSide.fromLines(train.src, { kind: 'word', lowercase: false });
const tgt = TranslationSide.fromLines(train.tgt, { kind: 'word', lowercase: false });
const trainPairs = encodeParallel(train, src, tgt);
const validPairs = encodeParallel(heldOut, src, tgt);
const sources = heldOut.src.map((s) => withEos(src.encode(s), src.eosId));

function newModel(seed = 1): Seq2Seq {
  return new Seq2Seq({
    srcVocabSize: src.vocabSize,
    tgtVocabSize: tgt.vocabSize,
    embedSize: 12,
    hiddenSize: 24,
    numLayers: 1,
    cell: 'lstm',
    bidirectional: true,
    attention: 'general',
    seed,
    init: 0.2,
  });
}

const cfg = {
  batchSize: 20,
  epochs: 12,
  optimizer: 'adam' as const,
  lr: 0.02,
  clip: 5,
  teacherForcingRatio: 1,
  plateauFactor: 1,
  plateauPatience: 0,
  evalBatchSize: 40,
  seed: 1,
};
const data = { train: trainPairs, valid: validPairs, srcEos: src.eosId, tgtEos: tgt.eosId };
const model = newModel();
let trained: Awaited<ReturnType<typeof trainTranslation>>;

const exact = (m: Seq2Seq, beam: number): number => {
  const hyps = translateIds(m, sources, { beam, eosId: tgt.eosId, batchSize: 16 });
  return hyps.filter((h, i) => tgt.decode(h.ids) === heldOut.tgt[i]).length / hyps.length;
};

describe('translation end to end (toy task)', () => {
  test('training lowers the validation loss and learns the task', async () => {
    const before = evaluateTranslationLoss(model, validPairs, 40, src.eosId, tgt.eosId).loss;
    trained = await trainTranslation(model, data, cfg);
    assert.equal(trained.epochs.length, 12);
    const after = trained.epochs.at(-1)!.validLoss!;
    assert.ok(after < before / 5, `validation loss ${before} → ${after}`);
    assert.ok(exact(model, 1) >= 0.9, `greedy exact-match rate ${exact(model, 1)}`);
    assert.ok(exact(model, 4) >= 0.9, `beam exact-match rate ${exact(model, 4)}`);
  });

  test('attention aligns each output word with the source word it translates (the mirror position)', () => {
    const hyps = translateIds(model, sources, { beam: 3, eosId: tgt.eosId });
    let mirrored = 0;
    let total = 0;
    hyps.forEach((h, i) => {
      assert.equal(h.alignment.length, h.ids.length);
      const n = sources[i]!.length - 1; // words before <eos>
      if (h.ids.length !== n) return;
      h.alignment.forEach((pos, j) => {
        total++;
        if (pos === n - 1 - j) mirrored++;
      });
    });
    assert.ok(total > 50 && mirrored / total >= 0.8, `${mirrored}/${total} output words attend to the mirrored source word`);
  });

  test('greedy search equals a naive argmax loop', () => {
    const hyps = translateIds(model, sources.slice(0, 8), { beam: 1, eosId: tgt.eosId, maxLenA: 1, maxLenB: 2 });
    noGrad(() => {
      sources.slice(0, 8).forEach((s, i) => {
        const enc = model.encode(s, s.length, 1, Int32Array.from([s.length]));
        let state = enc.state;
        let prev = tgt.eosId;
        const out: number[] = [];
        const maxLen = Math.floor(s.length + 2);
        for (let t = 0; t < maxLen; t++) {
          const r = model.decode(enc, Int32Array.from([prev]), 1, state);
          state = r.state;
          let best = 0;
          for (let v = 1; v < tgt.vocabSize; v++) if (r.logits.data[v]! > r.logits.data[best]!) best = v;
          if (best === tgt.eosId) break;
          out.push(best);
          prev = best;
        }
        assert.deepEqual(Array.from(hyps[i]!.ids), out);
      });
    });
  });

  test('a beam wide enough to keep every prefix finds the best sequence (exhaustive search)', () => {
    // An untrained model over a 4-word target vocabulary, outputs of at most 3 tokens.
    const tiny = new Seq2Seq({
      srcVocabSize: 5,
      tgtVocabSize: 4,
      embedSize: 3,
      hiddenSize: 4,
      numLayers: 1,
      cell: 'gru',
      attention: 'dot',
      seed: 9,
      init: 1.5,
    });
    const eos = 0;
    const source = Int32Array.from([1, 3, 2, 4]);
    for (const alpha of [0, 1]) {
      const [beam] = translateIds(tiny, [source], { beam: 32, eosId: eos, maxLenA: 0, maxLenB: 3, lengthNormalization: alpha });
      // Brute force: every continuation y (no <eos>) of length 0..2 followed by <eos>, and every y of length 3.
      let best = { score: -Infinity, ids: [] as number[] };
      const logProb = (y: number[], withEnd: boolean): number =>
        noGrad(() => {
          const enc = tiny.encode(source, 4, 1, Int32Array.from([4]));
          const inputs = [eos, ...y];
          const targets = withEnd ? [...y, eos] : y;
          const r = tiny.decode(enc, Int32Array.from(inputs.slice(0, targets.length)), targets.length, enc.state);
          let lp = 0;
          targets.forEach((tok, t) => {
            const row = Array.from(r.logits.data.subarray(t * 4, (t + 1) * 4));
            const m = Math.max(...row);
            lp += row[tok]! - m - Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
          });
          return lp;
        });
      const visit = (y: number[]): void => {
        if (y.length < 3) {
          const s = logProb(y, true) / (y.length + 1) ** alpha;
          if (s > best.score) best = { score: s, ids: y };
          for (const v of [1, 2, 3]) visit([...y, v]);
        } else {
          const s = logProb(y, false) / 3 ** alpha;
          if (s > best.score) best = { score: s, ids: y };
        }
      };
      visit([]);
      assert.deepEqual(Array.from(beam!.ids), best.ids, `alpha ${alpha}`);
      assert.ok(Math.abs(beam!.score - best.score) < 1e-4, `alpha ${alpha}: ${beam!.score} vs ${best.score}`);
    }
  });

  test('scheduled sampling (teacher forcing ratio < 1) trains too', async () => {
    const m = newModel(2);
    const before = evaluateTranslationLoss(m, validPairs, 40, src.eosId, tgt.eosId).loss;
    const r = await trainTranslation(m, data, { ...cfg, epochs: 3, teacherForcingRatio: 0.5 });
    assert.ok(r.epochs.at(-1)!.validLoss! < before * 0.7, `validation loss ${before} → ${r.epochs.at(-1)!.validLoss}`);
  });

  test('a saved model translates exactly as before; budgets and bad options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlm-translate-'));
    try {
      saveTranslationModel(dir, model, src, tgt, { bleuTokenize: '13a' });
      const loaded = loadTranslationModel(dir);
      assert.equal(loaded.extra.bleuTokenize, '13a');
      const a = translateIds(model, sources, { beam: 3, eosId: tgt.eosId });
      const b = translateIds(loaded.model, sources, { beam: 3, eosId: loaded.tgt.eosId });
      assert.deepEqual(
        b.map((h) => Array.from(h.ids)),
        a.map((h) => Array.from(h.ids)),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = await trainTranslation(newModel(3), data, { ...cfg, maxSteps: 3 });
    assert.equal(r.steps, 3);
    assert.equal(r.stoppedBy, 'steps');
    assert.ok(r.epochs[0]!.partial);
    await assert.rejects(trainTranslation(newModel(), data, { ...cfg, teacherForcingRatio: 1.5 }), (e) => isRnnlmError(e, 'invalid_argument'));
    assert.throws(
      () => translateIds(model, [new Int32Array(0)], { eosId: tgt.eosId }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => translateIds(model, sources, { eosId: tgt.eosId, beam: 0 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

describe('the translation checkpoint adapter validates as the language model one does', () => {
  const small = { srcVocabSize: src.vocabSize, tgtVocabSize: tgt.vocabSize, embedSize: 2, hiddenSize: 2, numLayers: 1, cell: 'rnn_sigmoid' as const };
  const absurd: [string, Record<string, unknown>, RegExp][] = [
    ['65 layers', { numLayers: 65 }, /65 recurrent layers is more than the 64/],
    ['hidden 1e9', { hiddenSize: 1e9 }, /make ~.* parameters, more than the 2\.1e\+9/],
  ];
  for (const [what, edit, message] of absurd) {
    test(`${what}: refused when built and when loaded, by the same check`, () => {
      assert.throws(
        () => new Seq2Seq({ ...small, ...edit }),
        (e) => isRnnlmError(e, 'invalid_argument') && message.test(e.message),
      );
      const dir = mkdtempSync(join(tmpdir(), 'rnnlm-s2s-limits-'));
      try {
        saveTranslationModel(dir, new Seq2Seq(small), src, tgt);
        const file = join(dir, 'config.json');
        const cfg = JSON.parse(readFileSync(file, 'utf8')) as { model: Record<string, unknown> };
        Object.assign(cfg.model, edit);
        writeFileSync(file, JSON.stringify(cfg));
        assert.throws(
          () => loadTranslationModel(dir),
          (e) => isRnnlmError(e, 'corrupt_checkpoint') && message.test(e.message),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  test('every cell of the one list round-trips (rnn_sigmoid included)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlm-s2s-cell-'));
    try {
      saveTranslationModel(dir, new Seq2Seq(small), src, tgt);
      assert.equal(loadTranslationModel(dir).model.config.cell, 'rnn_sigmoid');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
