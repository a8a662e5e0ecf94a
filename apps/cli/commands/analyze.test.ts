import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { RNNLM, buildTokenizer, isRnnlmError, saveLanguageModel, useBackend } from '../../../src/node.js';
import { analyzeCommand } from './analyze.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-analyze-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const TEXT = Array.from({ length: 40 }, (_, i) => `the cat ${i % 3 === 0 ? 'sat' : 'ran'} on the mat`).join('\n');
fs.writeFileSync(path.join(dir, 'text.txt'), TEXT);

async function run(args: string[]): Promise<string> {
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => void logs.push(s);
  try {
    await analyzeCommand()
      .exitOverride()
      .parseAsync(['gradients', '--backend', 'js', ...args], { from: 'user' });
  } finally {
    console.log = orig;
  }
  return logs.join('\n');
}

test('rnnlm analyze gradients: a checkpoint (trained and re-initialised) and fresh cells in one SVG, and JSON', async () => {
  useBackend('js');
  const tokenizer = buildTokenizer(TEXT, { tokenizer: 'word' });
  const model = new RNNLM({ vocabSize: tokenizer.vocabSize, embedSize: 4, hiddenSize: 5, numLayers: 2, cell: 'gru', seed: 2 });
  for (const p of model.parameters()) p.data[0] = 0.3; // differs from its own initialisation
  saveLanguageModel(path.join(dir, 'ckpt'), model, tokenizer);
  const out = path.join(dir, 'fig', 'g.svg');
  const json = path.join(dir, 'g.json');
  const args = ['--model', path.join(dir, 'ckpt'), '--at-init', '--cell', 'rnn_tanh,lstm', '--emb', '4', '--hidden', '5', '--layers', '1'];
  const data = ['--data', path.join(dir, 'text.txt')];
  const said = await run([...data, ...args, '--k', '4', '--windows', '2', '--batch-size', '3', '--out', out, '--json', json]);
  assert.match(said, /ckpt \(init\): gru/);
  assert.match(said, /lstm \(init\): lstm/);
  const svg = fs.readFileSync(out, 'utf8');
  assert.equal((svg.match(/data-panel="layer-/g) ?? []).length, 2, 'one panel per layer of the deepest model');
  assert.equal((svg.match(/data-panel="layer-1"/g) ?? []).length, 1);
  // Layer 1: four models; layer 2: only the two-layer checkpoint (trained and at init).
  assert.equal((svg.match(/<path class="series"/g) ?? []).length, 6);
  const r = JSON.parse(fs.readFileSync(json, 'utf8')) as { k: number; entries: { label: string; result: { layers: { meanNorm: number[] }[] } }[] };
  assert.deepEqual(
    r.entries.map((e) => e.label),
    ['ckpt (init)', 'ckpt (trained)', 'rnn_tanh (init)', 'lstm (init)'],
  );
  assert.ok(r.entries.every((e) => e.result.layers.every((l) => l.meanNorm.length === 5 && l.meanNorm.every((v) => v > 0))));
  assert.notDeepEqual(r.entries[0]!.result.layers[0]!.meanNorm, r.entries[1]!.result.layers[0]!.meanNorm, 're-initialised weights measure differently');
  assert.equal((svg.match(/<path class="series"[^>]*stroke-dasharray/g) ?? []).length, 4, 'models at initialisation are dashed');
  // --replot redraws the same picture from the JSON without measuring.
  const again = path.join(dir, 'again.svg');
  await run(['--replot', json, '--out', again, '--title', 'x']);
  assert.equal(
    fs.readFileSync(again, 'utf8').replace(/<title>[^<]*<\/title>|aria-label="[^"]*"|font-weight="600" fill="#24292f">[^<]*</g, ''),
    svg.replace(/<title>[^<]*<\/title>|aria-label="[^"]*"|font-weight="600" fill="#24292f">[^<]*</g, ''),
  );
});

test('nothing to measure, or an unknown cell, is a clear error', async () => {
  const data = ['--data', path.join(dir, 'text.txt')];
  await assert.rejects(run(data), (e) => isRnnlmError(e, 'invalid_argument') && /--model checkpoint or --cell/.test(e.message));
  await assert.rejects(run(['--cell', 'lstm']), (e) => isRnnlmError(e, 'invalid_argument') && /give --data/.test(e.message));
  await assert.rejects(run([...data, '--cell', 'lstm,tree']), (e) => isRnnlmError(e, 'invalid_argument') && /comma-separated list/.test(e.message));
});
