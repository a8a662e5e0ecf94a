/**
 * `rnnlm score`: in process on a saved tiny model (text and JSON output agree with
 * scoreSentences), and once through the real CLI after training a BPE model with pretrained,
 * frozen embeddings and generating with --beam (the options this task added to train/generate).
 */
import '../../../test/helpers/backend.js';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RNNLM, WordTokenizer, loadLanguageModel, saveLanguageModel, scoreSentences } from '../../../src/node.js';
import { TINY_TRAIN, makeTmpDir, runCli, show, toyCorpus } from '../../../test/e2e/helpers.js';
import { fileLines } from '../input.js';
import { runScore } from './score.js';

const tmp = makeTmpDir('rnnlm-score-');
after(() => tmp.cleanup());
const file = (name: string, text: string): string => {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('rnnlm score', () => {
  const corpus = toyCorpus(40);
  const tok = WordTokenizer.fromText(corpus);
  const model = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 6, hiddenSize: 8, numLayers: 1, cell: 'gru', seed: 5 });
  const dir = path.join(tmp.dir, 'word');
  saveLanguageModel(dir, model, tok);
  const input = file('sents.txt', 'the cat sat on the mat\r\n\na dog saw a tree\n');

  test('fileLines: one sentence per line, CRLF accepted, no extra sentence after a final break', () => {
    assert.deepEqual(fileLines('a\r\nb\n\nc'), ['a', 'b', '', 'c']);
    assert.deepEqual(fileLines('a\n'), ['a']);
    assert.deepEqual(fileLines(''), []);
  });

  test('text output: logprob, tokens, ppl per line and a summary; JSON agrees', () => {
    let out = '';
    const r = runScore({ model: dir, input, json: false, batchSize: 2, backend: 'js' }, (s) => (out += s));
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    const expected = scoreSentences(loadLanguageModel(dir).model, tok, ['the cat sat on the mat', '', 'a dog saw a tree']);
    for (let i = 0; i < 3; i++) {
      const [lp, n, ppl] = lines[i]!.split('\t');
      assert.ok(Math.abs(Number(lp) - expected[i]!.logProb) < 1e-3, lines[i]);
      assert.equal(Number(n), expected[i]!.tokens);
      assert.ok(Math.abs(Number(ppl) - expected[i]!.perplexity) < 0.01 * expected[i]!.perplexity);
    }
    assert.deepEqual(
      expected.map((e) => e.tokens),
      [7, 1, 6],
    );
    assert.match(lines[3]!, /^# sentences 3 {2}tokens 14 {2}logprob -\d+\.\d{4} \(nats\) {2}ppl \d+\.\d{2}$/);
    assert.equal(r.summary.tokens, 14);

    let json = '';
    runScore({ model: dir, input, json: true, batchSize: 32, backend: 'js' }, (s) => (json += s));
    const parsed = JSON.parse(json) as { sentences: { logProb: number; tokens: number }[]; summary: { tokens: number; logProb: number } };
    assert.equal(parsed.sentences.length, 3);
    assert.ok(Math.abs(parsed.summary.logProb - r.summary.logProb) < 1e-9);
  });

  test('through the CLI: train --tokenizer bpe with frozen pretrained embeddings, generate --beam, score', () => {
    const train = file('train.txt', toyCorpus(120));
    const glove = file('glove.txt', 'the 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5\ncat 1 0 1 0 1 0 1 0\ndog 0 1 0 1 0 1 0 1\n');
    const ck = path.join(tmp.dir, 'bpe');
    const t = runCli([
      'train',
      '--train',
      train,
      '--tokenizer',
      'bpe',
      '--bpe-merges',
      '60',
      ...TINY_TRAIN,
      '--pretrained-embeddings',
      glove,
      '--freeze-embeddings',
      '--out',
      ck,
    ]);
    assert.equal(t.status, 0, show(t));
    assert.match(t.stdout, /embeddings: 3 of \d+ tokens from .*glove\.txt .*, frozen/);
    assert.match(t.stdout, /\(bpe\)/);
    const { model: m, tokenizer } = loadLanguageModel(ck);
    assert.equal(tokenizer.kind, 'bpe');
    const id = tokenizer.vocab.idOf('cat</w>')!;
    assert.deepEqual(Array.from(m.encoder.weight.data.subarray(id * 8, id * 8 + 8)), [1, 0, 1, 0, 1, 0, 1, 0], 'frozen vector saved unchanged');

    const g = runCli(['generate', '--model', ck, '--prompt', 'the cat', '--beam', '3', '--length-penalty', '0.6', '--max-tokens', '8', '--backend', 'js']);
    assert.equal(g.status, 0, show(g));
    assert.ok(g.stdout.startsWith('the cat '), g.stdout);
    const again = runCli(['generate', '--model', ck, '--prompt', 'the cat', '--beam', '3', '--length-penalty', '0.6', '--max-tokens', '8', '--backend', 'js']);
    assert.equal(again.stdout, g.stdout, 'beam search is deterministic');

    const s = runCli(['score', '--model', ck, '--input', file('s.txt', 'the cat sat on the mat\n'), '--json', '--backend', 'js']);
    assert.equal(s.status, 0, show(s));
    const r = JSON.parse(s.stdout) as { sentences: { logProb: number; tokens: number }[] };
    assert.equal(r.sentences.length, 1);
    assert.ok(r.sentences[0]!.logProb < 0 && r.sentences[0]!.tokens >= 2);

    const bad = runCli(['train', '--train', train, ...TINY_TRAIN, '--freeze-embeddings', '--out', path.join(tmp.dir, 'x')]);
    assert.equal(bad.status, 2, show(bad));
    assert.match(bad.stderr, /--freeze-embeddings needs --pretrained-embeddings/);
  });
});
