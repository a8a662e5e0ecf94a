/**
 * The batched generation engine alone (no HTTP): tokens per CPU-second of BatchGenerator with
 * 1, 4, 16 and 64 sequences of 64 tokens each, for the exact row group (4) and a large one
 * (64). CPU time (process.cpuUsage) rather than wall time, so a busy shared machine disturbs
 * it less; the best of 3 runs.
 *
 *   node --import tsx bench/batch-engine.ts --model DIR [--backend native]
 */
import { parseArgs } from 'node:util';
import { BatchGenerator, loadLanguageModel, useBackend } from '../src/node.js';

const { values: o } = parseArgs({ options: { model: { type: 'string' }, backend: { type: 'string', default: 'native' } } });
if (!o.model) throw new Error('give --model DIR');
useBackend(o.backend as 'native' | 'js');
const { model, tokenizer } = loadLanguageModel(o.model);
for (const rowGroup of [4, 16, 64]) {
  for (const n of [1, 4, 16, 64]) {
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      const e = new BatchGenerator(model, tokenizer, { rowGroup });
      for (let i = 0; i < n; i++) e.add({ prompt: 'ROMEO:', maxTokens: 64, seed: i });
      e.step(); // prompts
      const c0 = process.cpuUsage();
      let tokens = 0;
      while (e.size > 0) tokens += e.step().length;
      const c = process.cpuUsage(c0);
      best = Math.min(best, (c.user + c.system) / 1e6 / tokens);
    }
    console.log(`row group ${rowGroup}, ${n} sequences: ${(1 / best).toFixed(0)} tokens per CPU-second`);
  }
}
