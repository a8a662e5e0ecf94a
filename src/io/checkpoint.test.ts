import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isRnnlmError } from '../errors.js';
import { nodePlatform } from '../platform/node.js';
import { createBrowserPlatform } from '../platform/browser.js';
import { platform, setPlatform } from '../platform/platform.js';
import { Tensor } from '../tensor/tensor.js';
import { type Checkpoint, isCheckpointDir, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { crc32Hex } from './crc32.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

let root = '';
let n = 0;
/** A fresh, not yet existing directory under the test's temp root. */
const fresh = () => path.join(root, `ck${n++}`);

before(() => {
  setPlatform(nodePlatform);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-ck-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function throwsCode(fn: () => unknown, code: string, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isRnnlmError(e), `expected RnnlmError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (msg) assert.match(e.message, msg);
    return true;
  });
}

function sample(withTraining: boolean, seed = 1): Checkpoint {
  const ck: Checkpoint = {
    stateDict: {
      'encoder.weight': Tensor.from([seed, -0, 0.1, 1e-40], [2, 2]),
      'rnn.weight_ih_l0': Tensor.from([1, 2, 3, 4, 5, 6, 7, 8], [8, 1]),
      'rnn.bias_hh_l0': Tensor.from([0.5, -0.5, 0.25, NaN, Infinity, -Infinity, 3, 4], [8]),
      'decoder.bias': new Tensor(new Float32Array([seed]), []),
    },
    config: { cell: 'lstm', hidden: 2, layers: 1, tied: false, dropout: 0.1 },
    tokenizer: { type: 'char', vocab: ['<unk>', 'a', 'é', '名'] },
  };
  if (withTraining) {
    ck.trainingState = {
      json: { step: 42, epoch: 3, rng: [1, 2, 3, 4], lr: 0.001, best: null },
      tensors: { 'state.0.exp_avg': Tensor.from([1e-8, 2], [2]), 'state.0.step': Tensor.from([42], [1], 'float64') },
    };
  }
  return ck;
}

function sameTensors(a: Record<string, Tensor>, b: Record<string, Tensor>): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    assert.equal(a[k]!.dtype, b[k]!.dtype, k);
    assert.deepEqual(a[k]!.shape, b[k]!.shape, k);
    const bits = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    assert.deepEqual(bits(a[k]!), bits(b[k]!), k);
  }
}

const listing = (dir: string) => fs.readdirSync(dir).sort();

describe('checkpoint save/load', () => {
  test('round trip with training state, exact bits', () => {
    const dir = fresh();
    const ck = sample(true);
    saveCheckpoint(dir, ck);
    assert.deepEqual(listing(dir), ['config.json', 'model.safetensors', 'optimizer.safetensors', 'tokenizer.json', 'training-state.json']);
    assert.ok(isCheckpointDir(dir));

    const got = loadCheckpoint(dir);
    sameTensors(got.stateDict, ck.stateDict);
    assert.deepEqual(got.config, ck.config);
    assert.deepEqual(got.tokenizer, ck.tokenizer);
    assert.ok(got.trainingState);
    assert.deepEqual(got.trainingState.json, ck.trainingState!.json);
    sameTensors(got.trainingState.tensors, ck.trainingState!.tensors);
  });

  test('on-disk layout: config.json, weights metadata, plain JSON files', () => {
    const dir = fresh();
    saveCheckpoint(dir, sample(true));
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.format, 'rnnlm-checkpoint');
    assert.equal(cfg.version, 1);
    assert.deepEqual(cfg.model, sample(false).config);
    const model = fs.readFileSync(path.join(dir, 'model.safetensors'));
    assert.deepEqual(cfg.files['model.safetensors'], { bytes: model.length, crc32: crc32Hex(model) });
    const dec = decodeSafetensors(new Uint8Array(model));
    assert.deepEqual(dec.metadata, { format: 'rnnlm', version: '1' });
    assert.ok('rnn.weight_ih_l0' in dec.tensors);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), sample(false).tokenizer);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'training-state.json'), 'utf8')).step, 42);
  });

  test('without training state; dtype option', () => {
    const dir = fresh();
    saveCheckpoint(dir, sample(false));
    assert.deepEqual(listing(dir), ['config.json', 'model.safetensors', 'tokenizer.json']);
    const got = loadCheckpoint(dir, { dtype: 'float64' });
    assert.equal(got.trainingState, null);
    assert.equal(got.stateDict['encoder.weight']!.dtype, 'float64');
    assert.deepEqual(got.stateDict['encoder.weight']!.toArray(), Array.from(Float32Array.from([1, -0, 0.1, 1e-40])));
  });

  test('re-saving without training state does not resurrect the old one', () => {
    const dir = fresh();
    saveCheckpoint(dir, sample(true, 1));
    saveCheckpoint(dir, sample(false, 2));
    assert.ok(fs.existsSync(path.join(dir, 'training-state.json'))); // stale file from the first save
    const got = loadCheckpoint(dir);
    assert.equal(got.trainingState, null);
    assert.equal(got.stateDict['decoder.bias']!.item(), 2);
  });

  test('a hand-made checkpoint without "files" in config.json loads', () => {
    const dir = fresh();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors({ w: Tensor.from([1, 2]) }, { format: 'pt' }));
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"type":"word"}');
    fs.writeFileSync(path.join(dir, 'config.json'), '{"format":"rnnlm-checkpoint","version":1,"model":{"cell":"gru"}}');
    const got = loadCheckpoint(dir);
    assert.deepEqual(got.stateDict.w!.toArray(), [1, 2]);
    assert.deepEqual(got.config, { cell: 'gru' });
    assert.equal(got.trainingState, null);
  });

  test('works on the browser platform (in-memory files)', () => {
    const web = createBrowserPlatform();
    setPlatform(web);
    try {
      const ck = sample(true);
      saveCheckpoint('/runs/ck', ck);
      assert.deepEqual(web.listFiles('/runs/ck'), [
        '/runs/ck/config.json',
        '/runs/ck/model.safetensors',
        '/runs/ck/optimizer.safetensors',
        '/runs/ck/tokenizer.json',
        '/runs/ck/training-state.json',
      ]);
      assert.ok(isCheckpointDir('/runs/ck'));
      const got = loadCheckpoint('/runs/ck');
      sameTensors(got.stateDict, ck.stateDict);
      sameTensors(got.trainingState!.tensors, ck.trainingState!.tensors);
    } finally {
      setPlatform(nodePlatform);
    }
    assert.equal(platform().name, 'node');
  });
});

describe('checkpoint errors', () => {
  test('missing directory or files → file_not_found naming them', () => {
    const nowhere = fresh();
    throwsCode(
      () => loadCheckpoint(nowhere),
      'file_not_found',
      /does not exist; a checkpoint directory needs model\.safetensors \+ config\.json \+ tokenizer\.json/,
    );
    assert.equal(isCheckpointDir(nowhere), false);

    const dir = fresh();
    saveCheckpoint(dir, sample(false));
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    throwsCode(() => loadCheckpoint(dir), 'file_not_found', /tokenizer\.json not found; a checkpoint directory needs/);
    assert.equal(isCheckpointDir(dir), false);
    fs.rmSync(path.join(dir, 'config.json'));
    throwsCode(() => loadCheckpoint(dir), 'file_not_found', /config\.json, .*tokenizer\.json not found/);

    const listed = fresh();
    saveCheckpoint(listed, sample(true));
    fs.rmSync(path.join(listed, 'optimizer.safetensors'));
    throwsCode(() => loadCheckpoint(listed), 'file_not_found', /optimizer\.safetensors not found/);
  });

  test('bad JSON, wrong format, newer or bad version → corrupt_checkpoint', () => {
    const dir = fresh();
    saveCheckpoint(dir, sample(false));
    const cfgPath = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    const put = (v: unknown) => fs.writeFileSync(cfgPath, typeof v === 'string' ? v : JSON.stringify(v));

    put('{"format": "rnnlm-checkpoint", ');
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /config\.json is not valid JSON/);
    assert.equal(isCheckpointDir(dir), false);
    put({ ...cfg, version: 2 });
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /version 2 .*written by a newer rnnlm\?/);
    put({ ...cfg, version: '1' });
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /"version"/);
    put({ ...cfg, format: 'something-else' });
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /not an rnnlm checkpoint/);
    put([cfg]);
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /JSON object/);
    put({ ...cfg, model: 3 });
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /"model"/);
    put({ ...cfg, files: { 'model.safetensors': { bytes: 'x' } } });
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /"files"/);
    fs.writeFileSync(cfgPath, new Uint8Array([0x7b, 0xff, 0x7d]));
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /not valid UTF-8/);

    put(cfg);
    assert.ok(loadCheckpoint(dir)); // restored config loads again
  });

  test('newer weights version in model.safetensors metadata', () => {
    const dir = fresh();
    saveCheckpoint(dir, sample(false));
    fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors({ w: Tensor.from([1]) }, { format: 'rnnlm', version: '2' }));
    const cfgPath = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    delete cfg.files;
    fs.writeFileSync(cfgPath, JSON.stringify(cfg));
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /newer rnnlm/);
  });

  test('truncated model.safetensors → corrupt_checkpoint (with and without the files record)', () => {
    const dir = fresh();
    saveCheckpoint(dir, sample(true));
    const modelPath = path.join(dir, 'model.safetensors');
    const full = fs.readFileSync(modelPath);
    fs.writeFileSync(modelPath, full.subarray(0, full.length - 3));
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /model\.safetensors does not match config\.json/);

    const cfgPath = path.join(dir, 'config.json');
    const cfg = JSON.parse(fs.readFileSync(cfgPath, 'utf8'));
    delete cfg.files;
    fs.writeFileSync(cfgPath, JSON.stringify(cfg));
    for (const cut of [0, 5, 8, 20, full.length - 3]) {
      fs.writeFileSync(modelPath, full.subarray(0, cut));
      throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /model\.safetensors: safetensors: /);
    }
    fs.writeFileSync(modelPath, full);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"type": ');
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /tokenizer\.json is not valid JSON/);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{}');
    fs.writeFileSync(path.join(dir, 'training-state.json'), '[1]');
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /training-state\.json must hold a JSON object/);
  });

  test('a save interrupted while overwriting an older checkpoint is detected', () => {
    const dir = fresh();
    saveCheckpoint(dir, sample(false, 1));
    // The new model landed but the crash came before the new config.json.
    fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(sample(false, 2).stateDict, { format: 'rnnlm', version: '1' }));
    throwsCode(() => loadCheckpoint(dir), 'corrupt_checkpoint', /partly overwritten/);
  });
});

describe('checkpoint writes are atomic', () => {
  const tmpFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.includes('.tmp')) : []);

  test('writing into a directory that does not exist → io_error, no file left', () => {
    const parent = fresh();
    fs.mkdirSync(parent);
    const target = path.join(parent, 'missing', 'model.safetensors');
    throwsCode(() => nodePlatform.writeFileAtomic(target, encodeSafetensors({ w: Tensor.from([1]) })), 'io_error');
    assert.deepEqual(listing(parent), []);
  });

  test('a checkpoint directory that cannot be created → io_error, nothing written', () => {
    const file = path.join(`${fresh()}.txt`);
    fs.writeFileSync(file, 'not a directory');
    throwsCode(() => saveCheckpoint(path.join(file, 'ck'), sample(false)), 'io_error', /cannot create checkpoint directory/);
  });

  test('failing on the last file (config.json) leaves no valid checkpoint and no temp file', () => {
    const dir = fresh();
    fs.mkdirSync(path.join(dir, 'config.json'), { recursive: true }); // rename onto a directory fails
    throwsCode(() => saveCheckpoint(dir, sample(true)), 'io_error', /config\.json/);
    assert.deepEqual(tmpFiles(dir), []);
    assert.equal(isCheckpointDir(dir), false);
    throwsCode(() => loadCheckpoint(dir), 'io_error');
  });

  test('failing on the first file writes nothing after it', () => {
    const dir = fresh();
    fs.mkdirSync(path.join(dir, 'model.safetensors'), { recursive: true });
    throwsCode(() => saveCheckpoint(dir, sample(false)), 'io_error', /model\.safetensors/);
    assert.deepEqual(listing(dir), ['model.safetensors']);
  });

  test('unserializable input is rejected before anything is written', () => {
    const cases: [Partial<Checkpoint>, RegExp][] = [
      [{ config: { lr: NaN } }, /"lr" is NaN/],
      [{ config: { n: 1n } as never }, /not JSON-serializable/],
      [{ tokenizer: undefined }, /tokenizer is not JSON-serializable/],
      [{ tokenizer: { encode: () => 1 } }, /"encode" is a function/],
      [{ trainingState: { json: { best: Infinity }, tensors: {} } }, /"best" is Infinity/],
      [{ config: [] as never }, /config must be an object/],
      [{ stateDict: { w: [1] as never } }, /not a Tensor/],
    ];
    for (const [patch, msg] of cases) {
      const dir = fresh();
      throwsCode(() => saveCheckpoint(dir, { ...sample(false), ...patch }), 'invalid_argument', msg);
      assert.equal(fs.existsSync(dir), false, String(msg));
    }
  });
});
