/**
 * End-to-end tests of the `rnnlm` command line: the real CLI in a child process, on tiny
 * corpora in temporary directories, with tiny models on the js backend (each run < 1 s).
 * Covers train → eval → generate for char and word models, --version, and the error paths a
 * user can hit (bad files, damaged or mismatched checkpoints, bad option values).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TINY_TRAIN, acceptReplacedFile, copyCheckpoint, errorCodes, hasStackTrace, makeTmpDir, repoRoot, runCli, show, toyCorpus } from './helpers.js';

const CHECKPOINT_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'train-log.jsonl'];

interface EvalJson {
  loss: number;
  perplexity: number;
  bitsPerToken: number;
  accuracy: number;
  tokens: number;
}

let tmp: { dir: string; cleanup: () => void };
let corpus: string; // training text (a few KB)
let heldOut: string; // evaluation text
let charCk: string; // trained char checkpoint (lstm, hidden 16)
let wordCk: string; // trained word checkpoint
let trainChar: ReturnType<typeof runCli>;
let trainWord: ReturnType<typeof runCli>;

function file(name: string, contents: string | Uint8Array): string {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, contents);
  return p;
}

function trainTiny(out: string, tokenizer: 'char' | 'word', extra: string[] = []): ReturnType<typeof runCli> {
  return runCli(['train', '--train', corpus, '--tokenizer', tokenizer, ...TINY_TRAIN, '--out', out, ...extra]);
}

function evalJson(model: string): EvalJson {
  const r = runCli(['eval', '--model', model, '--data', heldOut, '--batch-size', '2', '--json', '--backend', 'js']);
  assert.equal(r.status, 0, show(r));
  return JSON.parse(r.stdout) as EvalJson;
}

function generate(model: string, args: string[]): string {
  const r = runCli(['generate', '--model', model, '--backend', 'js', ...args]);
  assert.equal(r.status, 0, show(r));
  return r.stdout;
}

/** A run that must fail with exit 2 and exactly one `rnnlm: error [code]` line, no stack trace. */
function assertCliError(r: ReturnType<typeof runCli>, code: string, mentions?: string): void {
  assert.equal(r.status, 2, show(r));
  assert.deepEqual(errorCodes(r.stderr), [code], show(r));
  assert.ok(!hasStackTrace(r.stderr + r.stdout), `stack trace printed:\n${show(r)}`);
  if (mentions !== undefined) assert.ok(r.stderr.includes(mentions), `stderr should mention ${mentions}:\n${show(r)}`);
}

function snapshot(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) out[f] = fs.readFileSync(path.join(dir, f));
  return out;
}

before(() => {
  tmp = makeTmpDir();
  corpus = file('train.txt', toyCorpus(120, 1));
  heldOut = file('heldout.txt', toyCorpus(30, 2));
  charCk = path.join(tmp.dir, 'char');
  wordCk = path.join(tmp.dir, 'word');
  trainChar = trainTiny(charCk, 'char');
  trainWord = trainTiny(wordCk, 'word');
});

after(() => tmp.cleanup());

describe('rnnlm train', () => {
  for (const kind of ['char', 'word'] as const) {
    test(`${kind} tokenizer: writes a complete checkpoint and an epoch log`, () => {
      const r = kind === 'char' ? trainChar : trainWord;
      const dir = kind === 'char' ? charCk : wordCk;
      assert.equal(r.status, 0, show(r));
      assert.match(r.stdout, /backend: js\b/, 'the output names the backend');
      assert.match(r.stdout, new RegExp(`vocabulary \\d+ \\(${kind}\\)`));
      assert.match(r.stdout, /20 steps, stopped by steps/);
      assert.equal(r.stderr, '', show(r));
      assert.deepEqual(fs.readdirSync(dir).sort(), CHECKPOINT_FILES);

      const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      assert.equal(config.model.hiddenSize, 16);
      assert.equal(config.model.embedSize, 8);
      assert.equal(config.model.cell, 'lstm');
      assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')).kind, kind);

      const lines = fs
        .readFileSync(path.join(dir, 'train-log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const epochs = lines.filter((l) => l.kind === 'epoch');
      assert.equal(epochs.length, 1, 'one epoch line (20 steps is less than one epoch)');
      assert.equal(epochs[0].epoch, 1);
      assert.ok(Number.isFinite(epochs[0].trainLoss) && epochs[0].trainLoss > 0);
      assert.ok(Number.isFinite(epochs[0].valid.loss) && epochs[0].valid.tokens > 0);
    });
  }
});

describe('rnnlm eval', () => {
  for (const kind of ['char', 'word'] as const) {
    test(`${kind}: --json prints finite, consistent metrics`, () => {
      const r = evalJson(kind === 'char' ? charCk : wordCk);
      for (const k of ['loss', 'perplexity', 'bitsPerToken', 'accuracy', 'tokens'] as const) {
        assert.ok(Number.isFinite(r[k]), `${k} = ${r[k]}`);
      }
      assert.ok(r.loss > 0 && r.tokens > 0);
      assert.ok(Math.abs(r.perplexity - Math.exp(r.loss)) <= 1e-9 * r.perplexity, `perplexity ${r.perplexity} vs exp(loss) ${Math.exp(r.loss)}`);
      assert.ok(Math.abs(r.bitsPerToken - r.loss / Math.LN2) <= 1e-12);
      assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
    });
  }

  test('plain output is a readable table', () => {
    const r = runCli(['eval', '--model', charCk, '--data', heldOut, '--batch-size', '2', '--backend', 'js']);
    assert.equal(r.status, 0, show(r));
    assert.match(r.stdout, /^perplexity\s+\d+\.\d\d$/m);
    assert.match(r.stdout, /bits per character/);
  });
});

describe('rnnlm generate', () => {
  test('char: prints the prompt and the continuation; the same seed gives the same text', () => {
    const prompt = 'the cat ';
    const a = generate(charCk, ['--prompt', prompt, '--max-tokens', '30', '--seed', '7']);
    assert.ok(a.startsWith(prompt), JSON.stringify(a));
    assert.ok(a.endsWith('\n'));
    // One character per token (<unk> prints as U+FFFD), then the final newline.
    assert.equal([...a].length, [...prompt].length + 30 + 1, JSON.stringify(a));
    assert.equal(generate(charCk, ['--prompt', prompt, '--max-tokens', '30', '--seed', '7']), a);
  });

  test('--greedy is deterministic', () => {
    const args = ['--prompt', 'a dog ', '--max-tokens', '25', '--greedy'];
    const a = generate(charCk, args);
    assert.ok(a.startsWith('a dog '));
    assert.equal(generate(charCk, args), a);
  });

  test('--max-tokens 0 prints just the prompt', () => {
    assert.equal(generate(charCk, ['--prompt', 'the bird', '--max-tokens', '0', '--seed', '1']), 'the bird\n');
  });

  test('word: continues the prompt word by word', () => {
    const a = generate(wordCk, ['--prompt', 'the cat', '--max-tokens', '8', '--seed', '5']);
    assert.ok(a.startsWith('the cat'), JSON.stringify(a));
    // Every generated word comes from the training vocabulary (or is <unk>).
    const vocab = new Set(fs.readFileSync(corpus, 'utf8').split(/\s+/).filter(Boolean));
    for (const w of a.slice('the cat'.length).split(/\s+/).filter(Boolean)) {
      assert.ok(vocab.has(w) || w === '<unk>', `unexpected word ${JSON.stringify(w)} in ${JSON.stringify(a)}`);
    }
  });
});

test('--version prints the version and the backend', () => {
  const r = runCli(['--version']);
  assert.equal(r.status, 0, show(r));
  const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.ok(r.stdout.includes(`rnnlm ${version}`), r.stdout);
  assert.match(r.stdout, /backend js\b/);
});

describe('bad input: exit 2, one clear error line, no stack trace', () => {
  test('empty training file → empty_corpus', () => {
    const r = runCli(['train', '--train', file('empty.txt', ''), ...TINY_TRAIN, '--out', path.join(tmp.dir, 'o-empty')]);
    assertCliError(r, 'empty_corpus', 'empty.txt');
    assert.ok(!fs.existsSync(path.join(tmp.dir, 'o-empty')), 'no checkpoint directory for a run that never started');
  });

  test('missing training file → file_not_found', () => {
    const r = runCli(['train', '--train', path.join(tmp.dir, 'nope.txt'), ...TINY_TRAIN, '--out', path.join(tmp.dir, 'o-missing')]);
    assertCliError(r, 'file_not_found', 'nope.txt');
  });

  test('invalid UTF-8 in the training file → invalid_utf8', () => {
    const bytes = Buffer.concat([Buffer.from('the cat sat\n'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(' on the mat\n')]);
    const r = runCli(['train', '--train', file('latin1.txt', bytes), ...TINY_TRAIN, '--out', path.join(tmp.dir, 'o-utf8')]);
    assertCliError(r, 'invalid_utf8', 'offset 12');
  });

  test('weights of another model size → checkpoint_mismatch (or corrupt_checkpoint while config.json records the old file)', () => {
    const small = path.join(tmp.dir, 'small');
    const t = trainTiny(small, 'char', ['--hidden', '12', '--max-steps', '2']);
    assert.equal(t.status, 0, show(t));
    const swapped = path.join(tmp.dir, 'swapped');
    copyCheckpoint(charCk, swapped);
    fs.copyFileSync(path.join(small, 'model.safetensors'), path.join(swapped, 'model.safetensors'));
    // config.json's size/CRC record catches the swapped file first...
    assertCliError(runCli(['eval', '--model', swapped, '--data', heldOut, '--backend', 'js']), 'corrupt_checkpoint', 'model.safetensors');
    // ...and once the user accepts the file, its shapes are checked against the model.
    acceptReplacedFile(swapped, 'model.safetensors');
    const r = runCli(['eval', '--model', swapped, '--data', heldOut, '--backend', 'js']);
    assertCliError(r, 'checkpoint_mismatch');
    assert.match(r.stderr, /\[48, 8\].*\[64, 8\]/, 'names both shapes of the first mismatched parameter (4·12 vs 4·16 LSTM rows)');
  });

  test('truncated model.safetensors → corrupt_checkpoint', () => {
    const cut = path.join(tmp.dir, 'truncated');
    copyCheckpoint(charCk, cut);
    const p = path.join(cut, 'model.safetensors');
    fs.writeFileSync(p, fs.readFileSync(p).subarray(0, 3000));
    assertCliError(runCli(['eval', '--model', cut, '--data', heldOut, '--backend', 'js']), 'corrupt_checkpoint', 'model.safetensors');
    // Without config.json's record the safetensors decoder itself must catch the truncation.
    acceptReplacedFile(cut, 'model.safetensors');
    assertCliError(runCli(['generate', '--model', cut, '--max-tokens', '3', '--backend', 'js']), 'corrupt_checkpoint', 'model.safetensors');
  });

  test('missing checkpoint directory → file_not_found', () => {
    const missing = path.join(tmp.dir, 'no-such-run');
    assertCliError(runCli(['eval', '--model', missing, '--data', heldOut, '--backend', 'js']), 'file_not_found', 'no-such-run');
  });

  test('missing evaluation file → file_not_found', () => {
    assertCliError(runCli(['eval', '--model', charCk, '--data', path.join(tmp.dir, 'gone.txt'), '--backend', 'js']), 'file_not_found', 'gone.txt');
  });

  test('invalid option value → commander error, non-zero exit, nothing written', () => {
    const out = path.join(tmp.dir, 'o-opt');
    const r = runCli(['train', '--train', corpus, '--hidden', 'abc', '--out', out]);
    assert.notEqual(r.status, 0, show(r));
    assert.match(r.stderr, /--hidden/);
    assert.match(r.stderr, /"abc"/);
    assert.ok(!hasStackTrace(r.stderr), show(r));
    assert.ok(!fs.existsSync(out));
  });

  test('a failed run leaves an existing checkpoint in --out untouched and loadable', () => {
    const dir = path.join(tmp.dir, 'keep');
    copyCheckpoint(charCk, dir);
    const before = snapshot(dir);

    // Diverges at step 2: ReLU activations overflow with this learning rate and no clipping.
    const diverged = trainTiny(dir, 'char', ['--cell', 'rnn_relu', '--optimizer', 'sgd', '--lr', '1e30', '--clip', '0']);
    assertCliError(diverged, 'non_finite');
    assertCliError(runCli(['train', '--train', file('empty2.txt', ''), ...TINY_TRAIN, '--out', dir]), 'empty_corpus');

    assert.deepEqual(snapshot(dir), before, 'checkpoint files are byte-identical');
    assert.ok(Number.isFinite(evalJson(dir).loss), 'and still load');
  });
});
