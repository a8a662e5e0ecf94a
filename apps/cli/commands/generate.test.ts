import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { RNNLM, buildTokenizer, drain, saveLanguageModel, tokenLogProbs, useBackend } from '../../../src/node.js';
import { generateCommand } from './generate.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-generate-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("rnnlm generate --candidates K: the K most probable next tokens, in order, with the model's own probabilities", async () => {
  useBackend('js');
  const text = 'the cat sat on the mat\nthe dog ran to the cat\na bird sat on a dog\n';
  const tokenizer = buildTokenizer(text, { tokenizer: 'word' });
  const model = new RNNLM({ vocabSize: tokenizer.vocabSize, embedSize: 6, hiddenSize: 8, numLayers: 1, cell: 'lstm', seed: 4, init: 1 });
  saveLanguageModel(dir, model, tokenizer);
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => void logs.push(s);
  try {
    await generateCommand().exitOverride().parseAsync(['--model', dir, '--prompt', 'the cat', '--candidates', '4', '--backend', 'js'], { from: 'user' });
  } finally {
    console.log = orig;
  }
  assert.equal(logs[0], 'next token after "the cat":');
  const rows = logs.slice(1).map((l) => /^\s*(\d+)\s+(\S+)\s+([\d.]+)%\s+log p (-?[\d.]+)$/.exec(l));
  assert.equal(rows.length, 4);
  const prompt = tokenizer.encode('the cat', { addEos: false });
  const all = Array.from({ length: tokenizer.vocabSize }, (_, id) => {
    const lp = drain(tokenLogProbs(model, Int32Array.from([...prompt, id])));
    return { id, lp: lp[lp.length - 1]! };
  }).sort((a, b) => b.lp - a.lp);
  rows.forEach((m, i) => {
    assert.ok(m, `row ${i + 1} is "rank token percent log p": ${logs[i + 1]}`);
    const want = all[i]!;
    assert.equal(Number(m[1]), i + 1);
    assert.equal(m[2], want.id === tokenizer.eosId ? '<eos>' : tokenizer.tokenText(want.id));
    assert.ok(Math.abs(Number(m[4]) - want.lp) < 1e-3, `log p ${m[4]} vs ${want.lp}`);
    assert.ok(Math.abs(Number(m[3]) - 100 * Math.exp(want.lp)) < 0.01);
  });
});
