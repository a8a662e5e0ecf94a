/**
 * `rnnlm classify train|eval|predict` through the real command line on a toy sentiment task
 * (the label is whether "good" or "bad" occurs): TSV with a header, texts + labels files,
 * predictions on stdin, --init-from a language model trained by `rnnlm train`, and clear
 * errors that name the line for bad input.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeTmpDir, repoRoot, runCli, show } from '../../../test/e2e/helpers.js';

const { dir, cleanup } = makeTmpDir('rnnlm-classify-');
after(cleanup);
const f = (name: string): string => path.join(dir, name);
const write = (name: string, text: string): string => {
  fs.writeFileSync(f(name), text);
  return f(name);
};
const NOISE = ['the', 'film', 'was', 'really', 'quite', 'plot', 'acting'];
function examples(n: number, seed: number): { text: string; label: string }[] {
  let s = seed;
  const rand = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 16) % k;
  };
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 1 + rand(5) }, () => NOISE[rand(NOISE.length)]!);
    const pos = i % 2 === 0;
    words.splice(rand(words.length + 1), 0, pos ? 'good' : 'bad');
    return { text: words.join(' '), label: pos ? 'positive' : 'negative' };
  });
}
const train = examples(200, 1);
const dev = examples(40, 2);
write('train.tsv', `sentence\tlabel\n${train.map((e) => `${e.text}\t${e.label}`).join('\n')}\n`);
write('dev.txt', `${dev.map((e) => e.text).join('\n')}\n`);
write('dev.labels', `${dev.map((e) => e.label).join('\n')}\n`);
const small = ['--emb', '8', '--hidden', '8', '--lr', '0.02', '--batch-size', '16', '--dropout', '0', '--dropout-input', '0', '--no-progress'];

describe('rnnlm classify', () => {
  test('train on a TSV, eval on texts + labels, predict from stdin', () => {
    const model = f('model');
    const tr = runCli(
      [
        'classify',
        'train',
        '--train',
        f('train.tsv'),
        '--valid',
        f('dev.txt'),
        '--valid-labels',
        f('dev.labels'),
        '--bidirectional',
        '--pooling',
        'attention',
        '--epochs',
        '6',
        '--out',
        model,
        ...small,
      ],
      60_000,
    );
    assert.equal(tr.status, 0, show(tr));
    assert.match(tr.stdout, /200 train \/ 40 valid \/ 0 test examples, 2 classes \(negative, positive\)/);
    const acc = /valid \(best checkpoint\):\naccuracy ([\d.]+)%/.exec(tr.stdout);
    assert.ok(acc && Number(acc[1]) >= 95, show(tr));

    const ev = runCli(['classify', 'eval', '--model', model, '--data', f('dev.txt'), '--labels', f('dev.labels'), '--json']);
    assert.equal(ev.status, 0, show(ev));
    const r = JSON.parse(ev.stdout) as { accuracy: number; macroF1: number; confusion: number[][]; labels: string[] };
    assert.ok(Math.abs(100 * r.accuracy - Number(acc[1])) < 0.01);
    assert.deepEqual(r.labels, ['negative', 'positive']);
    assert.equal(
      r.confusion.flat().reduce((a, b) => a + b, 0),
      40,
    );

    const pr = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps', 'cli', 'main.ts'), 'classify', 'predict', '--model', model], {
      cwd: repoRoot,
      encoding: 'utf8',
      input: 'the film was good\nreally bad plot\n',
      timeout: 20_000,
      env: { ...process.env, RNNLM_BACKEND: 'js' },
    });
    assert.equal(pr.status, 0, pr.stderr);
    const out = pr.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.deepEqual(
      out.map((c) => c[0]),
      ['positive', 'negative'],
    );
    for (const c of out) assert.ok(Math.abs(Number(c[1]!.split('=')[1]) + Number(c[2]!.split('=')[1]) - 1) < 1e-3, c.join(' '));
  });

  test('rnnlm serve on a classifier checkpoint answers POST /v1/classify, and shuts down on SIGTERM as the LM server does', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'apps', 'cli', 'main.ts'), 'serve', '--model', f('model'), '--port', '0', '--log-level', 'silent'],
      {
        cwd: repoRoot,
        env: { ...process.env, RNNLM_BACKEND: 'js' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const until = Date.now() + 30_000;
      let url: string | undefined;
      while (!(url = /at (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out)?.[1])) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`no URL printed: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(out, /classifier of negative\/positive, POST \/v1\/classify/);
      const res = await fetch(`${url}/v1/classify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts: ['good film', 'bad plot'] }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { results: { label: string }[] };
      assert.deepEqual(
        body.results.map((r) => r.label),
        ['positive', 'negative'],
      );
      const health = (await (await fetch(`${url}/healthz`)).json()) as { model: { architecture: string } };
      assert.equal(health.model.architecture, 'classifier');
      child.kill('SIGTERM');
      assert.equal(await exited, 0, err);
      assert.match(err, /shutting down: new requests get 503; 0 queued request\(s\) refused with 503; 0 running request\(s\) get up to 20 s to finish/);
      assert.match(err, /0 request\(s\) finished within the grace period, 0 stopped at its end/);
      assert.match(out, /server stopped/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('--init-from a language model trained by rnnlm train', () => {
    write('lm.txt', `${train.map((e) => e.text).join('\n')}\n`);
    const lm = runCli(
      [
        'train',
        '--train',
        f('lm.txt'),
        '--cell',
        'gru',
        '--layers',
        '1',
        '--emb',
        '8',
        '--hidden',
        '8',
        '--epochs',
        '1',
        '--batch-size',
        '4',
        '--bptt',
        '8',
        '--no-progress',
        '--out',
        f('lm'),
      ],
      60_000,
    );
    assert.equal(lm.status, 0, show(lm));
    const tr = runCli(
      [
        'classify',
        'train',
        '--train',
        f('train.tsv'),
        '--init-from',
        f('lm'),
        '--freeze',
        'encoder',
        '--unfreeze-after',
        '1',
        '--epochs',
        '2',
        '--out',
        f('from-lm'),
        ...small.slice(4),
      ],
      60_000,
    );
    assert.equal(tr.status, 0, show(tr));
    assert.match(tr.stdout, /model: 1×8 gru, embedding 8/); // the LM's shape
    assert.match(tr.stdout, /init: embedding \(\d+ tokens\) and 1 recurrent layer\(s\)/);
    assert.match(tr.stdout, /frozen: encoder for 1 epoch/);
  });

  test('bad input is a clear error naming the line', () => {
    write('bad-cols.tsv', 'good film\tpositive\nbad film\tnegative\textra\n');
    const r = runCli(['classify', 'train', '--train', f('bad-cols.tsv'), '--out', f('bad')]);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /error \[invalid_argument\]: .*bad-cols\.tsv, line 2: expected 2 TAB-separated columns/);
    write('unknown.tsv', 'good film\tpositive\nso so\tmixed\n');
    const u = runCli(['classify', 'eval', '--model', f('model'), '--data', f('unknown.tsv')]);
    assert.equal(u.status, 2, show(u));
    assert.match(u.stderr, /unknown\.tsv, line 2: unknown label "mixed"; the model knows "negative", "positive"/);
    write('gap.txt', 'good\n\nbad\n');
    const g = runCli(['classify', 'predict', '--model', f('model'), '--input', f('gap.txt')]);
    assert.equal(g.status, 2, show(g));
    assert.match(g.stderr, /gap\.txt, line 2: the line is empty/);
  });
});
