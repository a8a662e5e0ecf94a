import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import { isRnnlmError } from '../../../src/node.js';
import { plotCommand } from './plot.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function runDir(lines: object[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-plot-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'train-log.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return dir;
}

const LOG = [
  { kind: 'step', epoch: 1, batch: 50, batches: 100, step: 50, loss: 4.1 },
  { kind: 'step', epoch: 1, batch: 100, batches: 100, step: 100, loss: 3.2 },
  { kind: 'epoch', epoch: 1, trainLoss: 3.2, valid: { loss: 3.0 } },
  { kind: 'step', epoch: 2, batch: 50, batches: 100, step: 150, loss: 2.9 },
  { kind: 'epoch', epoch: 2, trainLoss: 2.8, valid: { loss: 2.7 } },
];

async function run(args: string[]): Promise<string> {
  const logs: string[] = [];
  const orig = console.log;
  console.log = (s: string) => void logs.push(s);
  try {
    await plotCommand().exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    console.log = orig;
  }
  return logs.join('\n');
}

test('rnnlm plot writes an SVG of the curves, next to the log by default', async () => {
  const dir = runDir(LOG);
  const said = await run(['--log', path.join(dir, 'train-log.jsonl')]);
  const svg = fs.readFileSync(path.join(dir, 'curves.svg'), 'utf8');
  assert.match(said, /wrote .*curves\.svg \(5 records\)/);
  assert.match(svg, /^<svg xmlns/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal((svg.match(/<path class="series"/g) ?? []).length, 6, 'three series × (loss, perplexity)');
  assert.ok(svg.includes(`Training curves: ${path.basename(dir)}`), 'titled by the run directory');
  assert.ok(svg.includes('data-series="validation" data-points="2"'));
});

test('--out, --x step, --no-perplexity and --title are honoured; the output directory is created', async () => {
  const dir = runDir(LOG);
  const out = path.join(dir, 'figs', 'c.svg');
  await run(['--log', path.join(dir, 'train-log.jsonl'), '--out', out, '--x', 'step', '--no-perplexity', '--title', 'PTB <run>']);
  const svg = fs.readFileSync(out, 'utf8');
  assert.equal((svg.match(/<path class="series"/g) ?? []).length, 3);
  assert.ok(!svg.includes('data-panel="perplexity"'));
  assert.ok(svg.includes('>step</text>') && svg.includes('PTB &lt;run&gt;'));
});

test('a log without training records, or a missing log, is a clear error', async () => {
  const dir = runDir([{ kind: 'config', lr: 1 }]);
  await assert.rejects(
    run(['--log', path.join(dir, 'train-log.jsonl')]),
    (e) => isRnnlmError(e, 'invalid_argument') && /no step or epoch records/.test(e.message),
  );
  assert.ok(!fs.existsSync(path.join(dir, 'curves.svg')), 'nothing written');
  await assert.rejects(run(['--log', path.join(dir, 'nope.jsonl')]), (e) => isRnnlmError(e, 'file_not_found'));
});
