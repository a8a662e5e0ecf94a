/**
 * PyTorch round trips, run by scripts/reference/torch_interop.py in one PyTorch process:
 *  - rnnlm language models (every PyTorch cell, stacked, tied or not) loaded into PyTorch's
 *    word_language_model RNNModel give the per-token log-probabilities of `rnnlm score`;
 *  - translation models loaded into the equivalent PyTorch module give rnnlm's per-token
 *    log-probabilities of a target given its source;
 *  - a word_language_model trained a few steps in PyTorch, saved as safetensors with its
 *    vocabulary, goes through `rnnlm import pytorch` and `rnnlm score` to PyTorch's scores.
 * Text: Tiny Shakespeare lines. Skips, saying why, where /usr/bin/python3 cannot import torch.
 */
import '../helpers/backend.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runImportTorch } from '../../apps/cli/commands/import.js';
import { runScore } from '../../apps/cli/commands/score.js';
import { noGrad } from '../../src/autograd/graph.js';
import type { RecurrentMode } from '../../src/backend/kernels.js';
import { logSoftmaxRow } from '../../src/generate/sample.js';
import { drain, sentenceIds, tokenLogProbs } from '../../src/generate/score.js';
import { saveCheckpoint } from '../../src/io/checkpoint.js';
import { loadLanguageModel, saveLanguageModel } from '../../src/io/lm.js';
import type { AttentionKind } from '../../src/models/attention.js';
import { RNNLM } from '../../src/models/rnnlm.js';
import { Seq2Seq } from '../../src/models/seq2seq.js';
import { WordTokenizer } from '../../src/tokenizers/word.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PYTHON = process.env.RNNLM_PYTHON ?? '/usr/bin/python3';
const SCRIPT = path.join(root, 'scripts/reference/torch_interop.py');
const TOL = 1e-4; // float32 on both sides, summed over a sentence

const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const skip =
  probe.status === 0
    ? false
    : `PyTorch is not available (${PYTHON} -c 'import torch' failed: ${(probe.error?.message ?? probe.stderr).trim().split('\n').pop()}); install python3-torch to run these checks`;

const LINES = fs.readFileSync(path.join(root, 'data/tinyshakespeare/input.txt'), 'utf8').split('\n');
const TRAIN = LINES.slice(0, 300).filter((l) => l.trim() !== '');
const SENTENCES = [...LINES.slice(320, 326).filter((l) => l.trim() !== ''), 'a wholly unseenword in first citizen speech'];
const tokenizer = WordTokenizer.fromText(TRAIN.join('\n'));

const LM_CASES: { cell: RecurrentMode; layers: number; tied: boolean }[] = [
  { cell: 'lstm', layers: 2, tied: true },
  { cell: 'gru', layers: 2, tied: false },
  { cell: 'rnn_tanh', layers: 1, tied: false },
  { cell: 'rnn_relu', layers: 2, tied: true },
];
const MT_CASES: { cell: RecurrentMode; bidirectional: boolean; attention: AttentionKind }[] = [
  { cell: 'lstm', bidirectional: true, attention: 'general' },
  { cell: 'gru', bidirectional: false, attention: 'concat' },
  { cell: 'rnn_relu', bidirectional: true, attention: 'general' },
  { cell: 'lstm', bidirectional: false, attention: 'dot' },
];
const TRAIN_CASES: { cell: RecurrentMode; tied: boolean }[] = [
  { cell: 'lstm', tied: true },
  { cell: 'gru', tied: false },
];

interface Scored {
  ids: number[];
  logprobs: number[];
}

describe('PyTorch round trips', { skip }, () => {
  let tmp: string;
  let results: unknown[];
  const pairs = [0, 1, 2].map((k) => ({
    src: [...tokenizer.encode(LINES[330 + k]!)], // word ids, ending in <eos> (the source end)
    tgt: [...tokenizer.encode(LINES[331 + k]!, { addEos: false })],
    eos: tokenizer.eosId,
  }));

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-torch-'));
    fs.writeFileSync(path.join(tmp, 'train.txt'), `${TRAIN.join('\n')}\n`);
    const jobs: unknown[] = [];
    LM_CASES.forEach((c, i) => {
      const model = new RNNLM({
        vocabSize: tokenizer.vocabSize,
        embedSize: 12,
        hiddenSize: 12,
        numLayers: c.layers,
        cell: c.cell,
        tieWeights: c.tied,
        init: 0.3,
        seed: 11 + i,
      });
      saveLanguageModel(path.join(tmp, `lm${i}`), model, tokenizer);
      jobs.push({ kind: 'score', model: path.join(tmp, `lm${i}`), sentences: SENTENCES });
    });
    MT_CASES.forEach((c, i) => {
      const V = tokenizer.vocabSize;
      const model = new Seq2Seq({ srcVocabSize: V, tgtVocabSize: V, embedSize: 10, hiddenSize: 8, numLayers: 2, ...c, init: 0.3, seed: 21 + i });
      const { dtype: _d, ...config } = model.config;
      saveCheckpoint(path.join(tmp, `mt${i}`), { stateDict: model.stateDict(), config: { architecture: 'seq2seq', ...config }, tokenizer: {} });
      jobs.push({ kind: 'translate', model: path.join(tmp, `mt${i}`), pairs });
    });
    TRAIN_CASES.forEach((c, i) =>
      jobs.push({
        kind: 'train',
        train: path.join(tmp, 'train.txt'),
        out: path.join(tmp, `pt${i}`),
        cell: c.cell,
        tied: c.tied,
        steps: 25,
        seed: 5,
        score: SENTENCES,
      }),
    );
    fs.writeFileSync(path.join(tmp, 'jobs.json'), JSON.stringify(jobs));
    const r = spawnSync(PYTHON, [SCRIPT, 'jobs', path.join(tmp, 'jobs.json'), path.join(tmp, 'out.json')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `torch_interop.py failed:\n${r.stderr}`);
    results = JSON.parse(fs.readFileSync(path.join(tmp, 'out.json'), 'utf8')) as unknown[];
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** `rnnlm score` on SENTENCES (in process) and per-token log-probs, against PyTorch's. */
  function compareScores(dir: string, torch: Scored[]): void {
    fs.writeFileSync(path.join(tmp, 'sentences.txt'), `${SENTENCES.join('\n')}\n`);
    const { sentences } = runScore({ model: dir, input: path.join(tmp, 'sentences.txt'), json: true, batchSize: 4, backend: 'js' }, () => {});
    const { model, tokenizer: tok } = loadLanguageModel(dir);
    SENTENCES.forEach((s, i) => {
      const ids = sentenceIds(tok, s);
      const t = torch[i]!;
      assert.deepEqual(t.ids, [...ids], `sentence ${i}: PyTorch reads the same ids`);
      const mine = drain(tokenLogProbs(model, ids));
      t.logprobs.forEach((lp, k) => assert.ok(Math.abs(lp - mine[k + 1]!) <= TOL, `sentence ${i} token ${k + 1}: PyTorch ${lp} vs rnnlm ${mine[k + 1]}`));
      const sum = t.logprobs.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - sentences[i]!.logProb) <= TOL * t.logprobs.length, `sentence ${i}: PyTorch ${sum} vs rnnlm score ${sentences[i]!.logProb}`);
      assert.equal(sentences[i]!.tokens, t.logprobs.length);
    });
  }

  LM_CASES.forEach((c, i) => {
    test(`rnnlm ${c.cell} (${c.layers} layer${c.layers > 1 ? 's' : ''}${c.tied ? ', tied' : ''}) in word_language_model's RNNModel scores as rnnlm score`, () => {
      compareScores(path.join(tmp, `lm${i}`), results[i] as Scored[]);
    });
  });

  MT_CASES.forEach((c, i) => {
    test(`translation ${c.cell}${c.bidirectional ? ' bidirectional' : ''}, ${c.attention} attention, in the PyTorch module: same per-token log-probabilities`, () => {
      const torch = results[LM_CASES.length + i] as number[][];
      const V = tokenizer.vocabSize;
      const model = new Seq2Seq({ srcVocabSize: V, tgtVocabSize: V, embedSize: 10, hiddenSize: 8, numLayers: 2, ...c, init: 0.3, seed: 21 + i });
      model.eval();
      pairs.forEach((p, k) => {
        const src = Int32Array.from(p.src);
        const tin = Int32Array.from([p.eos, ...p.tgt]);
        const gold = [...p.tgt, p.eos];
        const logits = noGrad(() => {
          const enc = model.encode(src, src.length, 1, Int32Array.of(src.length));
          return model.decode(enc, tin, tin.length, enc.state).logits.data; // [T,Vt] (B = 1)
        });
        gold.forEach((g, t) => {
          const row = logSoftmaxRow(logits.subarray(t * V, (t + 1) * V), new Float64Array(V));
          assert.ok(Math.abs(row[g]! - torch[k]![t]!) <= TOL, `pair ${k} step ${t}: rnnlm ${row[g]} vs PyTorch ${torch[k]![t]}`);
        });
      });
    });
  });

  TRAIN_CASES.forEach((c, i) => {
    test(`a ${c.cell}${c.tied ? ' tied' : ''} word_language_model trained in PyTorch → safetensors → rnnlm import pytorch → rnnlm score gives PyTorch's scores`, () => {
      const r = results[LM_CASES.length + MT_CASES.length + i] as { scores: Scored[]; loss: number };
      assert.ok(Number.isFinite(r.loss));
      const dir = path.join(tmp, `imported${i}`);
      const log: string[] = [];
      runImportTorch({ weights: path.join(tmp, `pt${i}`, 'model.safetensors'), vocab: path.join(tmp, `pt${i}`, 'vocab.txt'), out: dir }, (s) => log.push(s));
      assert.match(log.join(''), new RegExp(`imported ${c.cell} L=2`));
      assert.equal(loadLanguageModel(dir).model.config.tieWeights, c.tied);
      compareScores(dir, r.scores);
    });
  });
});
