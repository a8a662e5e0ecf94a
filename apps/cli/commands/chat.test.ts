/**
 * `rnnlm chat train|eval` and the terminal chat through the real command line on a tiny
 * dialogue file: training saves a model, eval prints the metrics table for the full and the
 * deduplicated test set, `rnnlm chat --model DIR` answers each stdin line, and a file that is
 * not in DailyDialog format is a clear error naming the line.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { makeTmpDir, repoRoot, runCli, show } from '../../../test/e2e/helpers.js';

const { dir, cleanup } = makeTmpDir('rnnlm-chat-');
after(cleanup);
const f = (name: string): string => path.join(dir, name);
const QA = [
  ['what is your name ?', 'my name is tom .'],
  ['where do you live ?', 'i live in paris .'],
  ['how old are you ?', 'i am ten .'],
];
const lines = (n: number, offset: number): string =>
  `${Array.from({ length: n }, (_, i) => `Hello . __eou__ ${QA[(i + offset) % 3]![0]} __eou__ ${QA[(i + offset) % 3]![1]} __eou__`).join('\n')}\n`;
fs.writeFileSync(f('train.txt'), lines(30, 0));
fs.writeFileSync(f('test.txt'), `${lines(3, 0)}Hi . __eou__ Bye . __eou__\n`);

describe('rnnlm chat', () => {
  test('train, eval (full and deduplicated), terminal chat from stdin', () => {
    const model = f('model');
    const tr = runCli(
      [
        'chat',
        'train',
        '--train',
        f('train.txt'),
        '--valid',
        f('test.txt'),
        '--emb',
        '12',
        '--hidden',
        '16',
        '--epochs',
        '8',
        '--lr',
        '0.02',
        '--batch-size',
        '8',
        '--dropout',
        '0',
        '--no-progress',
        '--out',
        model,
      ],
      60_000,
    );
    assert.equal(tr.status, 0, show(tr));
    assert.match(tr.stdout, /data: 30 dialogues → 60 training pairs/);
    assert.ok(fs.existsSync(path.join(model, 'model.safetensors')));
    const ev = runCli(['chat', 'eval', '--model', model, '--test', f('test.txt'), '--train', f('train.txt'), '--beam', '2', '--samples', '1'], 60_000);
    assert.equal(ev.status, 0, show(ev));
    assert.match(ev.stdout, /full\s+7\s+[\d.]+/); // 3 dialogues × 2 turns + 1
    assert.match(ev.stdout, /deduplicated\s+1\s+[\d.]+/); // only "Hi . / Bye ." is not in train
    assert.match(ev.stdout, /SmoothingFunction\(\)\.method7/);
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps', 'cli', 'main.ts'), 'chat', '--model', model, '--beam', '2'], {
      input: 'hello .\nwhat is your name ?\n/reset\nhow old are you ?\n',
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, RNNLM_BACKEND: 'js' },
    });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout.trim().split('\n');
    assert.equal(out.length, 3, r.stdout); // one response per utterance; /reset prints nothing without a terminal
    assert.ok(out.every((l) => l.trim().length > 0));
  });

  test('a dialogue without __eou__ is an error with its line number', () => {
    fs.writeFileSync(f('bad.txt'), 'Hi . __eou__ Yes . __eou__\nno markers on this line\n');
    const r = runCli(['chat', 'train', '--train', f('bad.txt'), '--out', f('bad-model')]);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /bad\.txt line 2 has no "__eou__"/);
  });
});
