/**
 * saveLanguageModel / loadLanguageModel: a whole model + tokenizer survives a round trip
 * bit for bit (char and word tokenizers, tied and untied weights, every cell kind), and a
 * damaged or mismatched checkpoint is a clear corrupt_checkpoint / checkpoint_mismatch error.
 * Legend: T time, B batch, V vocabulary, E embedding, H hidden.
 */
import '../../test/helpers/backend.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { noGrad } from '../autograd/graph.js';
import { isRnnlmError } from '../errors.js';
import { RNNLM, type RNNLMConfig } from '../models/rnnlm.js';
import { Rng } from '../tensor/random.js';
import { CharTokenizer } from '../tokenizers/char.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { crc32Hex } from './crc32.js';
import { loadLanguageModel, saveLanguageModel } from './lm.js';

const TEXT = 'the cat sat on the mat\nthe dog ran to the cat\na bird sat on a tree\n';

let root = '';
let n = 0;
const fresh = (): string => path.join(root, `lm${n++}`);

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-lm-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A model whose weights are NOT its seeded init, so a load that skipped the weights would show. */
function perturbedModel(tok: Tokenizer, cfg: Partial<RNNLMConfig>, seed = 17): RNNLM {
  const m = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 6, hiddenSize: 6, numLayers: 1, cell: 'lstm', seed: 2, ...cfg });
  const rng = new Rng(seed);
  for (const p of m.parameters()) for (let i = 0; i < p.size; i++) p.data[i]! += rng.uniformRange(-0.5, 0.5);
  return m;
}

/** Logits [T·B, V] for a fixed batch of ids, as a plain array. */
function logitsOf(m: RNNLM, V: number): number[] {
  const T = 5;
  const B = 2;
  const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 7 + 3) % V); // [T, B]
  return noGrad(() => Array.from(m.forward(ids, T, B, null).logits.data));
}

function throwsCode(fn: () => unknown, code: string, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isRnnlmError(e), `expected an RnnlmError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (msg) assert.match(e.message, msg);
    return true;
  });
}

// biome-ignore lint/suspicious/noExplicitAny: tests reach into arbitrary JSON to damage it
function editJson(file: string, edit: (j: Record<string, any>) => void): void {
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const j = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;
  edit(j);
  fs.writeFileSync(file, JSON.stringify(j, null, 2));
}

/** Replaces `file` in checkpoint `dir` and updates config.json's size/CRC record to match. */
function replaceRecorded(dir: string, file: string, bytes: Uint8Array): void {
  fs.writeFileSync(path.join(dir, file), bytes);
  editJson(path.join(dir, 'config.json'), (j) => {
    j.files[file] = { bytes: bytes.length, crc32: crc32Hex(bytes) };
  });
}

const charTok = CharTokenizer.fromText(TEXT);
const wordTok = WordTokenizer.fromText(TEXT);

describe('saveLanguageModel / loadLanguageModel round trip', () => {
  const cases: { name: string; tok: Tokenizer; cfg: Partial<RNNLMConfig> }[] = [
    { name: 'char, lstm, untied', tok: charTok, cfg: { cell: 'lstm', embedSize: 5, hiddenSize: 7 } },
    { name: 'char, gru, tied', tok: charTok, cfg: { cell: 'gru', tieWeights: true } },
    { name: 'word, rnn_tanh, untied, 2 layers', tok: wordTok, cfg: { cell: 'rnn_tanh', numLayers: 2, hiddenSize: 9 } },
    { name: 'word, lstm, tied, 2 layers, dropout', tok: wordTok, cfg: { cell: 'lstm', numLayers: 2, tieWeights: true, dropout: 0.2 } },
    { name: 'word, rnn_sigmoid, untied', tok: wordTok, cfg: { cell: 'rnn_sigmoid' } },
  ];
  for (const { name, tok, cfg } of cases) {
    test(`${name}: identical logits, config and tokenizer`, () => {
      const m = perturbedModel(tok, cfg);
      m.eval();
      const dir = fresh();
      saveLanguageModel(dir, m, tok);
      const loaded = loadLanguageModel(dir);

      assert.equal(loaded.model.training, false, 'loaded models are in eval mode');
      assert.deepEqual(logitsOf(loaded.model, tok.vocabSize), logitsOf(m, tok.vocabSize));
      const { dtype: _a, init: _b, ...want } = m.config;
      const { dtype: _c, init: _d, ...got } = loaded.model.config;
      assert.deepEqual(got, want);
      assert.equal(loaded.model.numParameters(), m.numParameters());
      assert.equal(loaded.model.decoder.weight === loaded.model.encoder.weight, cfg.tieWeights === true, 'tying survives');

      assert.equal(loaded.tokenizer.kind, tok.kind);
      assert.deepEqual(loaded.tokenizer.toJSON(), tok.toJSON());
      assert.deepEqual(Array.from(loaded.tokenizer.encode(TEXT)), Array.from(tok.encode(TEXT)));
      assert.equal(loaded.trainingState, null);
    });
  }

  test('float64 load gives the float32 logits up to float32 rounding', () => {
    const m = perturbedModel(charTok, { cell: 'gru' });
    m.eval();
    const dir = fresh();
    saveLanguageModel(dir, m, charTok);
    const l64 = loadLanguageModel(dir, { dtype: 'float64' }).model;
    assert.equal(l64.encoder.weight.dtype, 'float64');
    const a = logitsOf(l64, charTok.vocabSize);
    const b = logitsOf(m, charTok.vocabSize);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-5, `logit ${i}: ${a[i]} vs ${b[i]}`);
  });

  test('saving over an older checkpoint replaces it completely', () => {
    const dir = fresh();
    saveLanguageModel(dir, perturbedModel(charTok, { hiddenSize: 10 }, 1), charTok);
    const m = perturbedModel(wordTok, { cell: 'gru' }, 2);
    saveLanguageModel(dir, m, wordTok);
    const loaded = loadLanguageModel(dir);
    assert.equal(loaded.tokenizer.kind, 'word');
    assert.deepEqual(logitsOf(loaded.model, wordTok.vocabSize), logitsOf(m.eval(), wordTok.vocabSize));
  });
});

describe('precision in checkpoints', () => {
  test('a bf16 model loads as bf16; opts.precision overrides it either way; the logits differ only by bf16 rounding', () => {
    const m = perturbedModel(wordTok, { cell: 'lstm', precision: 'bf16' });
    m.eval();
    const dir = fresh();
    saveLanguageModel(dir, m, wordTok);
    const bf = loadLanguageModel(dir).model;
    assert.equal(bf.config.precision, 'bf16');
    const f32 = loadLanguageModel(dir, { precision: 'fp32' }).model;
    assert.equal(f32.config.precision, 'fp32');
    assert.equal(loadLanguageModel(dir, { precision: 'bf16' }).model.config.precision, 'bf16');
    const a = logitsOf(bf, wordTok.vocabSize);
    const b = logitsOf(f32, wordTok.vocabSize);
    assert.deepEqual(a, logitsOf(m, wordTok.vocabSize));
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    assert.ok(maxDiff > 0 && maxDiff < 0.05, `bf16 vs fp32 logits differ by ${maxDiff}`);
  });
});

describe('loadLanguageModel errors', () => {
  /** A fresh saved checkpoint (char, lstm, 6/6). */
  const saved = (): string => {
    const dir = fresh();
    saveLanguageModel(dir, perturbedModel(charTok, {}), charTok);
    return dir;
  };

  test('config.json with an unknown cell → corrupt_checkpoint', () => {
    const dir = saved();
    editJson(path.join(dir, 'config.json'), (j) => {
      j.model.cell = 'transformer';
    });
    throwsCode(() => loadLanguageModel(dir), 'corrupt_checkpoint', /config\.json: cell must be one of lstm, gru/);
  });

  for (const field of ['hiddenSize', 'vocabSize', 'embedSize', 'numLayers']) {
    test(`config.json without ${field} → corrupt_checkpoint`, () => {
      const dir = saved();
      editJson(path.join(dir, 'config.json'), (j) => {
        delete j.model[field];
      });
      throwsCode(() => loadLanguageModel(dir), 'corrupt_checkpoint', new RegExp(`${field} must be a positive integer`));
    });
  }

  test('config.json with a non-integer size or another architecture → corrupt_checkpoint', () => {
    const dir = saved();
    editJson(path.join(dir, 'config.json'), (j) => {
      j.model.hiddenSize = 6.5;
    });
    throwsCode(() => loadLanguageModel(dir), 'corrupt_checkpoint', /hiddenSize/);
    const dir2 = saved();
    editJson(path.join(dir2, 'config.json'), (j) => {
      j.model.architecture = 'transformer';
    });
    throwsCode(() => loadLanguageModel(dir2), 'corrupt_checkpoint', /architecture/);
  });

  const badOptional: [string, unknown, RegExp][] = [
    ['dropout', 5, /dropout must be a number in \[0, 1\)/],
    ['dropout', 'x', /dropout must be a number/],
    ['tieWeights', 'yes', /tieWeights must be true or false/],
    ['tieWeights', true, /tieWeights needs the last layer size to equal embedSize/], // saved model has E 6, H 6: set below
    ['seed', 'one', /seed must be an integer/],
  ];
  for (const [field, value, msg] of badOptional) {
    test(`config.json with ${field} = ${JSON.stringify(value)} → corrupt_checkpoint`, () => {
      const dir = saved();
      editJson(path.join(dir, 'config.json'), (j) => {
        j.model[field] = value;
        if (field === 'tieWeights' && value === true) j.model.hiddenSize = 7;
      });
      throwsCode(() => loadLanguageModel(dir), 'corrupt_checkpoint', msg);
    });
  }

  test('optional config fields may be absent', () => {
    const dir = saved();
    editJson(path.join(dir, 'config.json'), (j) => {
      delete j.model.dropout;
      delete j.model.tieWeights;
      delete j.model.seed;
      delete j.model.init;
    });
    const { model } = loadLanguageModel(dir);
    assert.equal(model.config.dropout, 0);
    assert.equal(model.config.tieWeights, false);
  });

  test('tokenizer from a run with another vocabulary → checkpoint_mismatch', () => {
    const dir = saved();
    const other = WordTokenizer.fromText(TEXT); // a different vocabulary size than the char one
    assert.notEqual(other.vocabSize, charTok.vocabSize);
    const bytes = new TextEncoder().encode(JSON.stringify(other.toJSON()));
    // Swapped without a matching record: the damage check fires first.
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), bytes);
    throwsCode(() => loadLanguageModel(dir), 'corrupt_checkpoint', /tokenizer\.json does not match config\.json/);
    // With a matching record the vocabulary sizes are compared.
    replaceRecorded(dir, 'tokenizer.json', bytes);
    throwsCode(
      () => loadLanguageModel(dir),
      'checkpoint_mismatch',
      new RegExp(`tokenizer has ${other.vocabSize} tokens but the model expects ${charTok.vocabSize}`),
    );
  });

  test('config vocabSize that disagrees with the tokenizer → checkpoint_mismatch', () => {
    const dir = saved();
    editJson(path.join(dir, 'config.json'), (j) => {
      j.model.vocabSize = charTok.vocabSize + 1;
    });
    throwsCode(() => loadLanguageModel(dir), 'checkpoint_mismatch', /different runs/);
  });

  test('weights of another model size → checkpoint_mismatch', () => {
    const dir = saved();
    const big = fresh();
    saveLanguageModel(big, perturbedModel(charTok, { hiddenSize: 8 }), charTok);
    replaceRecorded(dir, 'model.safetensors', fs.readFileSync(path.join(big, 'model.safetensors')));
    throwsCode(() => loadLanguageModel(dir), 'checkpoint_mismatch', /shape \[32, 6\] in the checkpoint but \[24, 6\] in the model/);
  });

  test('weights of a model with another cell → checkpoint_mismatch', () => {
    const dir = saved();
    const gru = fresh();
    saveLanguageModel(gru, perturbedModel(charTok, { cell: 'gru' }), charTok);
    replaceRecorded(dir, 'model.safetensors', fs.readFileSync(path.join(gru, 'model.safetensors')));
    throwsCode(() => loadLanguageModel(dir), 'checkpoint_mismatch', /rnn\.weight_ih_l0/);
  });

  test('a missing directory → file_not_found; a missing file → file_not_found', () => {
    throwsCode(() => loadLanguageModel(path.join(root, 'nothing-here')), 'file_not_found');
    const dir = saved();
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    throwsCode(() => loadLanguageModel(dir), 'file_not_found', /tokenizer\.json/);
  });
});

describe('one validation for building and loading (training never writes what loading refuses)', () => {
  const tok = CharTokenizer.fromText(TEXT);
  /** Writes a checkpoint of a tiny model, then rewrites its config with `edit`, as a hand edit or another tool would. */
  const withConfig = (edit: (m: Record<string, unknown>) => void): string => {
    const dir = fresh();
    saveLanguageModel(dir, new RNNLM({ vocabSize: tok.vocabSize, embedSize: 2, hiddenSize: 2, numLayers: 1, cell: 'gru' }), tok);
    const file = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as { model: Record<string, unknown> };
    edit(cfg.model);
    fs.writeFileSync(file, JSON.stringify(cfg));
    return dir;
  };

  test('64 layers (the limit) builds, saves and loads back', () => {
    const dir = fresh();
    saveLanguageModel(dir, new RNNLM({ vocabSize: tok.vocabSize, embedSize: 2, hiddenSize: 2, numLayers: 64, cell: 'rnn_tanh' }), tok);
    assert.equal(loadLanguageModel(dir).model.config.numLayers, 64);
  });

  const absurd: [string, Partial<RNNLMConfig>, RegExp][] = [
    ['65 layers', { numLayers: 65 }, /65 recurrent layers is more than the 64/],
    ['hidden 1e9', { hiddenSize: 1e9 }, /make ~.* parameters, more than the 2\.1e\+9/],
    ['embedding 1e9', { embedSize: 1e9 }, /make ~.* parameters/],
    ['a tied model of another size', { tieWeights: true, embedSize: 3 }, /tied weights need embedSize == hiddenSize/],
  ];
  for (const [what, cfg, message] of absurd) {
    test(`${what}: refused when built (invalid_argument) and when loaded (corrupt_checkpoint), by the same check`, () => {
      assert.throws(
        () => new RNNLM({ vocabSize: tok.vocabSize, embedSize: 2, hiddenSize: 2, numLayers: 1, cell: 'gru', ...cfg }),
        (e) => isRnnlmError(e, 'invalid_argument') && message.test(e.message),
      );
      const dir = withConfig((m) => Object.assign(m, cfg));
      assert.throws(
        () => loadLanguageModel(dir),
        (e) => isRnnlmError(e, 'corrupt_checkpoint') && message.test(e.message) && e.message.includes('config.json'),
      );
    });
  }
});

test('NaN or Inf weights are refused on load, naming the tensor (non_finite)', () => {
  const tok = CharTokenizer.fromText(TEXT);
  for (const bad of [NaN, Infinity, -Infinity]) {
    const m = perturbedModel(tok, {});
    const w = m.stateDict()['rnn.weight_hh_l0']!;
    w.data[5] = bad;
    const dir = fresh();
    saveLanguageModel(dir, m, tok);
    assert.throws(
      () => loadLanguageModel(dir),
      (e: unknown) =>
        isRnnlmError(e, 'non_finite') &&
        /tensor "rnn\.weight_hh_l0"/.test(e.message) &&
        /first at index 5/.test(e.message) &&
        /earlier checkpoint/.test(e.message),
    );
  }
});
