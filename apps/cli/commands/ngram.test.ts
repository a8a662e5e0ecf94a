/**
 * `rnnlm ngram train|eval|score` through the real CLI, and the n-gram options of `eval` and
 * `rescore` (mixing, λ tuning, WER against references) on a tiny word model.
 */
import '../../../test/helpers/backend.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WordTokenizer, saveLanguageModel } from '../../../src/node.js';
import { makeTmpDir, runCli, show } from '../../../test/e2e/helpers.js';
import { trainTinyWordLM } from '../../../test/helpers/tiny-lm.js';

const tmp = makeTmpDir('rnnlm-ngram-');
after(() => tmp.cleanup());
const file = (name: string, text: string): string => {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const CORPUS = 'the cat sat on the mat\nthe dog sat on the rug\na cat ate the fish\n'.repeat(20);
const TEST = 'the dog sat on the mat\nthe cat ate\n';
let dir: string;
let arpa: string;

before(async () => {
  const tok = WordTokenizer.fromText(CORPUS);
  const lm = await trainTinyWordLM(tok, CORPUS, { seed: 1, epochs: 2 });
  dir = path.join(tmp.dir, 'lm');
  saveLanguageModel(dir, lm, tok);
  arpa = path.join(tmp.dir, 'kn3.arpa');
});

describe('rnnlm ngram', () => {
  test('train writes an ARPA file and prints the held-out perplexity; eval and score read it back', () => {
    const r = runCli(['ngram', 'train', '--train', file('train.txt', CORPUS), '--order', '3', '--out', arpa, '--valid', file('test.txt', TEST)]);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /3-grams \d+ +D1 [\d.]+ D2 [\d.]+ D3\+ [\d.]+/);
    const m = /file .*test\.txt: 2 sentences, 9 words, 0 OOVs\n0 zeroprobs, logprob= (-[\d.]+) ppl= ([\d.]+) ppl1= [\d.]+/.exec(r.stdout);
    assert.ok(m, show(r));
    assert.match(fs.readFileSync(arpa, 'utf8'), /^# rnnlm ngram train: order 3[^]*\\data\\\nngram 1=13\n/);
    const e = runCli(['ngram', 'eval', '--lm', arpa, '--data', path.join(tmp.dir, 'test.txt')]);
    assert.equal(e.status, 0, show(e));
    assert.equal(e.stdout, r.stdout, 'the file read back gives the same perplexity');
    const s = runCli(['ngram', 'score', '--lm', arpa, '--input', file('s.txt', 'the cat sat\n\nzebra\n'), '--log10']);
    assert.equal(s.status, 0, show(s));
    const lines = s.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.deepEqual(
      lines.slice(0, 3).map((l) => Number(l.split('\t')[1])),
      [4, 1, 2],
      'tokens: words + </s>; an unseen word is <unk>',
    );
    assert.match(lines[3]!, /^# sentences 3 {2}tokens 7 {2}OOVs 0/);
  });

  test('eval --ngram mixes, --tune-weight picks λ; rescore --ref prints WER before and after', () => {
    const e = runCli([
      'eval',
      '--model',
      dir,
      '--data',
      path.join(tmp.dir, 'test.txt'),
      '--batch-size',
      '1',
      '--ngram',
      arpa,
      '--tune-weight',
      file('valid.txt', TEST),
      '--backend',
      'js',
    ]);
    assert.equal(e.status, 0, show(e));
    const num = (re: RegExp): number => Number(re.exec(e.stdout)?.[1]);
    const [rnn, ng, mixed] = [num(/perplexity RNN +([\d.]+)/), num(/perplexity n-gram +([\d.]+)/), num(/perplexity mixed +([\d.]+)/)];
    assert.ok(mixed <= Math.min(rnn, ng) + 1e-2, show(e)); // λ tuned on this very text
    assert.match(e.stdout, /mixed with λ = 0\.\d+, tuned on .*valid\.txt/);

    const nbest = file('n.nbest', 'u1\t-1\tthe cat sat on the rug\nu1\t-2\tthe cat sat on the mat\nu2\t-3\tdog the\nu2\t-3.5\tthe dog\n');
    const refs = file('refs.txt', 'u1\tthe cat sat on the mat\nu2 the dog\n');
    const r = runCli([
      'rescore',
      '--model',
      dir,
      '--nbest',
      nbest,
      '--ref',
      refs,
      '--ngram',
      arpa,
      '--ngram-weight',
      '0.5',
      '--lm-weight',
      '0.9',
      '--backend',
      'js',
    ]);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stderr, /first-pass 1-best +WER 37\.50% \(3 errors of 8 words: 3 sub, 0 del, 0 ins\) +SER 100\.00% \(2 of 2\)/);
    assert.match(r.stderr, /rescored 1-best +WER [\d.]+%/);
    const missing = runCli(['rescore', '--model', dir, '--nbest', nbest, '--ref', file('r2.txt', 'u1 the cat\n'), '--backend', 'js']);
    assert.equal(missing.status, 2, show(missing));
    assert.match(missing.stderr, /no reference for the n-best id "u2"/);
  });

  test('a character n-gram keeps its tokenizer beside the ARPA file; a vocabulary mismatch is a clear error', () => {
    const charArpa = path.join(tmp.dir, 'char.arpa');
    const r = runCli(['ngram', 'train', '--train', path.join(tmp.dir, 'train.txt'), '--tokenizer', 'char', '--order', '4', '--out', charArpa]);
    assert.equal(r.status, 0, show(r));
    assert.ok(fs.existsSync(`${charArpa}.tokenizer.json`));
    assert.match(fs.readFileSync(charArpa, 'utf8'), /\t<U\+0020>\t/);
    const e = runCli(['ngram', 'eval', '--lm', charArpa, '--data', path.join(tmp.dir, 'test.txt'), '--json']);
    assert.equal(e.status, 0, show(e));
    assert.equal(JSON.parse(e.stdout).words, 'the dog sat on the mat'.length + 'the cat ate'.length);
    const bad = runCli(['eval', '--model', dir, '--data', path.join(tmp.dir, 'test.txt'), '--ngram', charArpa, '--backend', 'js']);
    assert.equal(bad.status, 2, show(bad));
    assert.match(bad.stderr, /error \[vocab_mismatch\]: .*char\.arpa and the RNN predict different vocabularies/);
  });
});
