/**
 * End-to-end `rnnlm train` presets, --resume and Ctrl-C: a run stopped halfway and resumed from
 * its checkpoint ends with byte-identical weights and optimizer state to a run that went straight
 * through (dropout, weight-drop and variable BPTT on); conflicting options on resume are refused;
 * SIGINT saves a resumable checkpoint and exits 130; a preset's values yield to explicit options.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorCodes, makeTmpDir, repoRoot, runCli, show, toyCorpus } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
let corpus: string;

const RUN = [
  '--tokenizer',
  'char',
  '--layers',
  '1',
  '--emb',
  '8',
  '--hidden',
  '16',
  '--batch-size',
  '4',
  '--bptt',
  '8',
  '--epochs',
  '50',
  '--dropout',
  '0.2',
  '--dropout-input',
  '0.2',
  '--weight-drop',
  '0.3',
  '--variable-bptt',
  '--checkpoint-every',
  '5',
  '--eval-batch-size',
  '2',
  '--backend',
  'js',
  '--no-progress',
];

const out = (name: string): string => path.join(tmp.dir, name);
const bytes = (...p: string[]): Buffer => fs.readFileSync(path.join(...p));
const logRecords = (dir: string): { kind: string; [k: string]: unknown }[] =>
  fs
    .readFileSync(path.join(dir, 'train-log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string });

before(() => {
  tmp = makeTmpDir('rnnlm-resume-e2e-');
  corpus = path.join(tmp.dir, 'train.txt');
  fs.writeFileSync(corpus, toyCorpus(120, 3));
});
after(() => tmp.cleanup());

describe('rnnlm train --resume', () => {
  test('12 steps straight = 6 steps + --resume to 12: identical weights and optimizer state', () => {
    const a = runCli(['train', '--train', corpus, ...RUN, '--max-steps', '12', '--out', out('straight')]);
    assert.equal(a.status, 0, show(a));
    const b1 = runCli(['train', '--train', corpus, ...RUN, '--max-steps', '6', '--out', out('split')]);
    assert.equal(b1.status, 0, show(b1));
    assert.ok(fs.existsSync(path.join(out('split'), 'resume', 'training-state.json')));
    // The same backend on both legs: exact resume is bit-exact per backend, not across backends.
    const b2 = runCli(['train', '--resume', out('split'), '--max-steps', '12', '--backend', 'js']);
    assert.equal(b2.status, 0, show(b2));
    assert.match(b2.stdout, /resuming from .*resume at step 6/);
    for (const f of ['model.safetensors', 'optimizer.safetensors']) {
      assert.ok(bytes(out('straight'), 'resume', f).equals(bytes(out('split'), 'resume', f)), `${f} differs`);
    }
    // The log of the resumed run is appended to, with a resume record in between.
    const kinds = logRecords(out('split')).map((r) => r.kind);
    const at = kinds.indexOf('resume');
    assert.ok(at > 0 && kinds.slice(0, at).includes('checkpoint') && kinds.slice(at).includes('epoch'), kinds.join(','));
    const epochRec = logRecords(out('split')).find((r) => r.kind === 'epoch')!;
    for (const k of ['validPpl', 'lr', 'seconds', 'elapsedSeconds', 'step']) assert.ok(k in epochRec, k);
  });

  test('an option that conflicts with the saved run is refused; free ones are accepted', () => {
    const r = runCli(['train', '--resume', out('split'), '--lr', '5', '--max-steps', '13']);
    assert.equal(r.status, 2, show(r));
    assert.deepEqual(errorCodes(r.stderr), ['invalid_argument']);
    assert.match(r.stderr, /--lr 5 conflicts with the checkpoint's 0\.002/);
    const same = runCli(['train', '--resume', out('split'), '--lr', '0.002', '--epochs', '60', '--max-steps', '13']);
    assert.equal(same.status, 0, show(same));
    const missing = runCli(['train', '--resume', out('nothing-here')]);
    assert.equal(missing.status, 2, show(missing));
    assert.deepEqual(errorCodes(missing.stderr), ['file_not_found']);
  });

  test('a copied run folder resumes into the copy; the original is not touched', () => {
    const copy = out('split-copy');
    fs.cpSync(out('split'), copy, { recursive: true });
    const before = fs.readdirSync(out('split'), { recursive: true }).map((f) => [f, fs.statSync(path.join(out('split'), String(f))).mtimeMs]);
    const r = runCli(['train', '--resume', copy, '--max-steps', '14', '--backend', 'js', '--no-progress']);
    assert.equal(r.status, 0, show(r));
    const after = fs.readdirSync(out('split'), { recursive: true }).map((f) => [f, fs.statSync(path.join(out('split'), String(f))).mtimeMs]);
    assert.deepEqual(after, before);
    assert.equal((JSON.parse(fs.readFileSync(path.join(copy, 'resume', 'training-state.json'), 'utf8')) as { step: number }).step, 14);
  });

  test('Ctrl-C saves a resumable checkpoint and exits 130; the run then resumes', async () => {
    const dir = out('interrupted');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repoRoot, 'apps', 'cli', 'main.ts'),
        'train',
        '--train',
        corpus,
        ...RUN.filter((x) => x !== '--checkpoint-every' && x !== '5'),
        '--out',
        dir,
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, RNNLM_BACKEND: 'js' },
      },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/model:/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1500)); // let it train a little
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stdout);
    assert.match(stdout, /interrupted at step (\d+): continue with {2}rnnlm train --resume/);
    const step = Number(/interrupted at step (\d+)/.exec(stdout)![1]);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'resume', 'training-state.json'), 'utf8')) as { step: number };
    assert.equal(state.step, step);
    const again = runCli(['train', '--resume', dir, '--max-steps', String(step + 2)]);
    assert.equal(again.status, 0, show(again));
    assert.match(again.stdout, new RegExp(`resuming from .* at step ${step}`));
    assert.match(again.stdout, new RegExp(`\\(${step + 2} steps, stopped by steps`));
  });
});

describe('rnnlm train --preset', () => {
  test('preset values apply, explicit options win, and --train replaces the preset data', () => {
    const dir = out('preset');
    const r = runCli([
      'train',
      '--preset',
      'ptb-awd',
      '--train',
      corpus,
      '--tokenizer',
      'char',
      '--layers',
      '1',
      '--hidden',
      '8',
      '--emb',
      '8',
      '--batch-size',
      '4',
      '--bptt',
      '8',
      '--eval-batch-size',
      '2',
      '--max-steps',
      '3',
      '--backend',
      'js',
      '--no-progress',
      '--out',
      dir,
    ]);
    assert.equal(r.status, 0, show(r));
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { model: Record<string, unknown> };
    assert.deepEqual([cfg.model.hiddenSize, cfg.model.numLayers, cfg.model.hiddenSizes], [8, 1, null], 'explicit sizes replace the preset 1150/1150/400');
    assert.deepEqual([cfg.model.dropoutInput, cfg.model.weightDrop, cfg.model.tieWeights], [0.4, 0.5, true], 'the preset regularisation applies');
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'resume', 'training-state.json'), 'utf8')) as { config: Record<string, unknown> };
    assert.deepEqual([saved.config.optimizer, saved.config.lr, saved.config.variableBptt, saved.config.ar], ['ntasgd', 30, true, 2]);
  });
});
