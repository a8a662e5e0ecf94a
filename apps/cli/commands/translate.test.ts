/**
 * `rnnlm translate train|eval|translate` through the real command line on a toy corpus
 * (reverse a word sequence and map each word): aligned files and a TAB-separated pairs file,
 * BLEU printed by eval, stdin → stdout translation, and clear errors for bad input.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeTmpDir, repoRoot, runCli, show } from '../../../test/e2e/helpers.js';

const WORDS = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox'];
const MAP: Record<string, string> = { ant: 'ameise', bee: 'biene', cat: 'katze', dog: 'hund', eel: 'aal', fox: 'fuchs' };
function corpus(n: number, seed: number): { src: string[]; tgt: string[] } {
  let s = seed;
  const rand = (k: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return Math.floor(s / 65536) % k;
  };
  const src: string[] = [];
  const tgt: string[] = [];
  for (let i = 0; i < n; i++) {
    const ws = Array.from({ length: 2 + rand(3) }, () => WORDS[rand(WORDS.length)]!);
    const cap = (x: string): string => x[0]!.toUpperCase() + x.slice(1);
    src.push(cap(`${ws.join(' ')}.`));
    tgt.push(
      cap(
        `${ws
          .map((w) => MAP[w]!)
          .reverse()
          .join(' ')}.`,
      ),
    );
  }
  return { src, tgt };
}

const { dir, cleanup } = makeTmpDir('rnnlm-translate-');
after(cleanup);
const f = (name: string): string => path.join(dir, name);
const write = (name: string, lines: string[]): string => {
  fs.writeFileSync(f(name), `${lines.join('\n')}\n`);
  return f(name);
};
const train = corpus(300, 1);
const test_ = corpus(30, 2);
write('train.en', train.src);
write('train.de', train.tgt);
write('test.en', test_.src);
write('test.de', test_.tgt);
const small = [
  '--emb',
  '12',
  '--hidden',
  '24',
  '--bidirectional',
  '--dropout',
  '0',
  '--lr',
  '0.02',
  '--batch-size',
  '20',
  '--no-progress',
  '--beam',
  '3',
  '--init-range',
  '0.2',
];

describe('rnnlm translate', () => {
  test('train on aligned files, then eval prints BLEU and translate reads stdin', () => {
    const model = f('model');
    const tr = runCli(
      [
        'translate',
        'train',
        '--src-train',
        f('train.en'),
        '--tgt-train',
        f('train.de'),
        '--src-valid',
        f('test.en'),
        '--tgt-valid',
        f('test.de'),
        '--src-test',
        f('test.en'),
        '--tgt-test',
        f('test.de'),
        '--epochs',
        '8',
        '--out',
        model,
        ...small,
      ],
      60_000,
    );
    assert.equal(tr.status, 0, show(tr));
    assert.match(tr.stdout, /epoch 8: train loss/);
    const bleu = /test \(30 sentences, beam 3.*BLEU = ([\d.]+)/.exec(tr.stdout);
    assert.ok(bleu, show(tr));
    assert.ok(Number(bleu[1]) > 80, `toy-task test BLEU ${bleu[1]}`);
    assert.ok(fs.existsSync(path.join(model, 'model.safetensors')) && fs.existsSync(path.join(model, 'test-hyp.txt')));

    const ev = runCli(['translate', 'eval', '--model', model, '--src', f('test.en'), '--ref', f('test.de'), '--beam', '3', '--json', '--hyp', f('hyp.de')]);
    assert.equal(ev.status, 0, show(ev));
    const r = JSON.parse(ev.stdout) as { bleu: number; signature: string; sentences: number };
    assert.equal(r.sentences, 30);
    assert.equal(r.signature, 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp');
    assert.ok(Math.abs(r.bleu - Number(bleu[1])) < 0.01, `eval BLEU ${r.bleu} vs training-time ${bleu[1]}`);
    assert.equal(fs.readFileSync(f('hyp.de'), 'utf8').split('\n').length, 31);

    const tl = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'apps', 'cli', 'main.ts'), 'translate', 'translate', '--model', model, '--beam', '2'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        input: 'Ant bee cat.\nfox dog.\n',
        timeout: 20_000,
        env: { ...process.env, RNNLM_BACKEND: 'js' },
      },
    );
    assert.equal(tl.status, 0, tl.stderr);
    assert.deepEqual(tl.stdout.split('\n'), ['Katze biene ameise.', 'Hund fuchs.', '']);
  });

  test('train from a TAB-separated pairs file with a char target, BLEU with the zh tokenizer', () => {
    const pairs = train.src.map((s, i) => `${s}\t${train.tgt[i]!.replaceAll(' ', '')}\tCC-BY attribution #${i}`);
    write('pairs.tsv', pairs);
    const model = f('model-pairs');
    const tr = runCli(
      [
        'translate',
        'train',
        '--pairs',
        f('pairs.tsv'),
        '--tgt-tokenizer',
        'char',
        '--bleu-tokenize',
        'zh',
        '--epochs',
        '2',
        '--max-steps',
        '10',
        '--out',
        model,
        ...small,
      ],
      60_000,
    );
    assert.equal(tr.status, 0, show(tr));
    assert.match(tr.stdout, /270 training pairs .*15 valid, 15 test/);
    assert.match(tr.stdout, /tok:zh\|smooth:exp/);
    const ev = runCli(['translate', 'eval', '--model', model, '--pairs', f('pairs.tsv'), '--split', 'valid', '--beam', '1']);
    assert.equal(ev.status, 0, show(ev));
    assert.match(ev.stdout, /^BLEU = [\d.]+ /);
    assert.match(ev.stdout, /tok:zh/);
  });

  test('bad input is a clear error', () => {
    write('short.de', test_.tgt.slice(0, 10));
    const r = runCli(['translate', 'train', '--src-train', f('test.en'), '--tgt-train', f('short.de'), '--out', f('bad')]);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /error \[invalid_argument\]: .*30 lines but .*10/);
    const m = runCli(['translate', 'eval', '--model', f('nowhere'), '--src', f('test.en'), '--ref', f('test.de')]);
    assert.notEqual(m.status, 0);
    assert.match(m.stderr, /error \[(file_not_found|corrupt_checkpoint)\]/);
  });
});
