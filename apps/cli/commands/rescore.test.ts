/**
 * `rnnlm rescore`: in process on a trained tiny word model (the LM flips a hand-made ranking;
 * --out writes the file), and once through the real CLI (stdout output and the summary line).
 */
import '../../../test/helpers/backend.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WordTokenizer, saveLanguageModel } from '../../../src/node.js';
import { makeTmpDir, runCli, show } from '../../../test/e2e/helpers.js';
import { runRescore } from './rescore.js';
import { trainTinyWordLM } from '../../../test/helpers/tiny-lm.js';

const tmp = makeTmpDir('rnnlm-rescore-');
after(() => tmp.cleanup());
const file = (name: string, text: string): string => {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const CORPUS = 'the cat sat on the mat\nthe dog sat on the rug\n'.repeat(40);
const NBEST = 'utt1 -10.0 mat the on sat cat the\nutt1 -10.5 the cat sat on the mat\nutt2\t-5\tthe dog sat on the rug\n';
let dir: string;

before(async () => {
  const tok = WordTokenizer.fromText(CORPUS);
  const lm = await trainTinyWordLM(tok, CORPUS, { seed: 1, epochs: 3 });
  dir = path.join(tmp.dir, 'lm');
  saveLanguageModel(dir, lm, tok);
});

const opts = (over: object = {}) => ({
  model: dir,
  nbest: file('in.nbest', NBEST),
  lmWeight: 0.5,
  wordPenalty: 0,
  log10: false,
  batchSize: 8,
  backend: 'js' as const,
  ...over,
});

describe('rnnlm rescore', () => {
  test('the LM flips the ranking; output columns id, combined, score, lm, hypothesis', () => {
    let out = '';
    const summary = runRescore(opts(), (s) => (out += s));
    const rows = out
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.deepEqual(
      rows.map((r) => [r[0], r[4]]),
      [
        ['utt1', 'the cat sat on the mat'],
        ['utt1', 'mat the on sat cat the'],
        ['utt2', 'the dog sat on the rug'],
      ],
    );
    for (const r of rows) assert.ok(Math.abs(Number(r[1]) - (0.5 * Number(r[2]) + 0.5 * Number(r[3]))) < 1e-5);
    assert.deepEqual(
      rows.map((r) => Number(r[2])),
      [-10.5, -10, -5],
    );
    assert.match(summary, /rescored 3 hypotheses of 2 ids .*changed for 1 ids/);

    // λ = 0: the first pass decides; nothing changes.
    let out0 = '';
    assert.match(
      runRescore(opts({ lmWeight: 0 }), (s) => (out0 += s)),
      /changed for 0 ids/,
    );
    assert.equal(out0.split('\n')[0]!.split('\t')[4], 'mat the on sat cat the');
  });

  test('--out writes the file (and nothing to stdout); --log10 converts the LM column', () => {
    const outFile = path.join(tmp.dir, 'sub', 'out.txt');
    let stdout = '';
    runRescore(opts({ out: outFile }), (s) => (stdout += s));
    assert.equal(stdout, '');
    const nats = fs
      .readFileSync(outFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => Number(l.split('\t')[3]));
    let log10 = '';
    runRescore(opts({ log10: true }), (s) => (log10 += s));
    const l10 = log10
      .trimEnd()
      .split('\n')
      .map((l) => Number(l.split('\t')[3]));
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(l10[i]! - nats[i]! / Math.LN10) < 1e-5);
  });

  test('through the CLI, with a clear error for a malformed line', () => {
    const r = runCli(['rescore', '--model', dir, '--nbest', file('cli.nbest', NBEST), '--lm-weight', '0.5', '--backend', 'js']);
    assert.equal(r.status, 0, show(r));
    assert.equal(r.stdout.split('\n')[0]!.split('\t')[4], 'the cat sat on the mat');
    assert.match(r.stderr, /rescored 3 hypotheses of 2 ids/);
    const bad = runCli(['rescore', '--model', dir, '--nbest', file('bad.nbest', 'u 1 a b\nu x a b\n'), '--backend', 'js']);
    assert.equal(bad.status, 2, show(bad));
    assert.match(bad.stderr, /error \[invalid_argument\]: .*bad\.nbest, line 2: the score "x" is not a finite number/);
  });
});
