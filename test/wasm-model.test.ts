/**
 * A language model end to end on the wasm backend, against the js reference: parameters move
 * into the module's shared memory when registered (Backend.place) and keep their values, the
 * loss, three SGD steps (forward, backward, update) and a state-dict round trip agree with js.
 * And the plain-memory build (what ordinary pages get: parameters pinned during generation
 * instead) generates exactly what the shared build generates.
 * Skipped when the module cannot load here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import './helpers/backend.js';
import { backward } from '../src/autograd/graph.js';
import { registerBackend, setBackend } from '../src/backend/backend.js';
import { readFileSync } from 'node:fs';
import { webAssembly } from '../src/backend/wasm/abi.js';
import { createWasmBackend } from '../src/backend/wasm/index.js';
import { loadWasmBackend, wasmUnavailableReason } from '../src/backend/wasm/node.js';
import { CharTokenizer } from '../src/tokenizers/char.js';
import { generate } from '../src/generate/generate.js';
import { RNNLM } from '../src/models/rnnlm.js';
import { SGD } from '../src/optim/sgd.js';

const wasm = loadWasmBackend();
const make = () => new RNNLM({ vocabSize: 40, embedSize: 16, hiddenSize: 24, numLayers: 2, cell: 'lstm', seed: 9 });
const [T, B] = [6, 3];
const ids = Int32Array.from({ length: T * B }, (_, i) => (i * 7 + 1) % 40);
const targets = Int32Array.from({ length: T * B }, (_, i) => (i * 11 + 3) % 40);

/** Losses of three SGD steps on one model built under `backend`. */
function train(backend: 'js' | 'wasm'): { losses: number[]; model: RNNLM } {
  setBackend(backend);
  try {
    const model = make();
    const opt = new SGD(model.parameters(), { lr: 0.5 });
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      const out = model.forwardLoss(ids, targets, T, B);
      losses.push(out.loss.data[0]!);
      backward(out.loss);
      opt.step();
    }
    return { losses, model };
  } finally {
    setBackend('js');
  }
}

test('an RNNLM on the wasm backend: resident parameters, same losses and updates as js', {
  skip: wasm ? false : (wasmUnavailableReason() ?? 'no wasm'),
}, () => {
  registerBackend(wasm!);
  const ref = train('js');
  const got = train('wasm');
  for (const [name, p] of got.model.namedParameters()) {
    if (wasm!.controls.shared) assert.ok(p.data.buffer instanceof SharedArrayBuffer, `${name} lives in wasm memory`);
  }
  for (let s = 0; s < 3; s++)
    assert.ok(Math.abs(got.losses[s]! - ref.losses[s]!) < 1e-5 * ref.losses[s]!, `step ${s}: wasm ${got.losses[s]} vs js ${ref.losses[s]}`);
  // The updated weights agree too (SGD wrote the resident arrays in place).
  const refParams = new Map(ref.model.namedParameters());
  for (const [name, p] of got.model.namedParameters()) {
    const r = refParams.get(name)!.data;
    let worst = 0;
    for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(p.data[i]! - r[i]!));
    assert.ok(worst < 1e-5, `${name}: max |wasm − js| = ${worst}`);
  }
  // A state dict loaded into a fresh wasm model gives the same loss.
  setBackend('wasm');
  try {
    const copy = make();
    copy.loadStateDict(got.model.stateDict());
    const a = got.model.forwardLoss(ids, targets, T, B).loss.data[0]!;
    const b = copy.forwardLoss(ids, targets, T, B).loss.data[0]!;
    assert.equal(b, a);
  } finally {
    setBackend('js');
  }
});

test('the plain-memory build, weights pinned while generating, generates what the shared build does', {
  skip: wasm ? false : (wasmUnavailableReason() ?? 'no wasm'),
}, () => {
  const bytes = readFileSync(new URL('../native/wasm/rnnlm_kernels.wasm', import.meta.url));
  const plain = createWasmBackend(new (webAssembly()!.Module)(bytes));
  assert.equal(plain.controls.shared, false);
  const tokenizer = CharTokenizer.fromText('abcdefghij klmnopqrst\n');
  const opts = { prompt: 'abc', maxTokens: 40, temperature: 0.9, seed: 3 };
  const run = (b: typeof plain) => {
    registerBackend(b);
    setBackend('wasm');
    try {
      const model = new RNNLM({ vocabSize: tokenizer.vocabSize, embedSize: 8, hiddenSize: 16, numLayers: 2, cell: 'lstm', seed: 4 });
      return generate(model, tokenizer, opts);
    } finally {
      setBackend('js');
    }
  };
  const fromPlain = run(plain);
  const fromShared = run(wasm!);
  assert.ok(fromPlain.length > 0);
  assert.equal(fromPlain, fromShared);
});
