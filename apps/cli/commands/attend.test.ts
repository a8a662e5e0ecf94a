import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { useBackend } from '../../../src/node.js';
import { Seq2Seq, TranslationSide, saveTranslationModel } from '../../../src/translate/index.js';
import { translateCommandGroup } from './translate.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-attend-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('rnnlm translate attend: prints the translation and writes a source × target heatmap', async () => {
  useBackend('js');
  const src = TranslationSide.fromLines(['the cat sat', 'a dog ran'], { kind: 'word', lowercase: false });
  const tgt = TranslationSide.fromLines(['die katze sass', 'ein hund lief'], { kind: 'word', lowercase: false });
  const model = new Seq2Seq({
    srcVocabSize: src.vocabSize,
    tgtVocabSize: tgt.vocabSize,
    embedSize: 4,
    hiddenSize: 6,
    numLayers: 1,
    cell: 'lstm',
    attention: 'dot',
    seed: 2,
    init: 1,
  });
  saveTranslationModel(path.join(dir, 'm'), model, src, tgt);
  const out = path.join(dir, 'a.svg');
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => void logs.push(s);
  try {
    const args = [
      'attend',
      '--model',
      path.join(dir, 'm'),
      '--sentence',
      'the dog sat',
      '--out',
      out,
      '--json',
      '--beam',
      '2',
      '--max-len-b',
      '4',
      '--backend',
      'js',
    ];
    await translateCommandGroup().exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    console.log = orig;
  }
  const j = JSON.parse(logs[1]!) as { source: string[]; target: string[]; weights: number[] };
  assert.deepEqual(j.source, ['the', 'dog', 'sat', '</s>']);
  assert.equal(j.weights.length, j.source.length * j.target.length);
  assert.match(logs[2]!, new RegExp(`wrote .*a\\.svg \\(${j.target.length} target × 4 source tokens\\)`));
  const svg = fs.readFileSync(out, 'utf8');
  assert.equal((svg.match(/<rect [^>]*data-weight=/g) ?? []).length, j.weights.length);
  assert.ok(svg.includes(`Attention: ${logs[0]}`));
});
