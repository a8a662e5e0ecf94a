/**
 * `rnnlm demo`: trains a small character LSTM on the Tiny Shakespeare text shipped with the
 * package for a few minutes, compares its validation loss with the unigram entropy (what a
 * model that ignores context would score), and prints samples.
 */
import { Command } from 'commander';
import * as path from 'node:path';
import { type LmRunSpec, defaultLmSpec, generate, getBackend, useBackend } from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';
import { packageRoot } from '../package-root.js';
import { runTrain } from '../train-session.js';

/** Entropy in nats of the token frequencies of ids (a context-free model's best cross-entropy). */
export function unigramEntropy(ids: Int32Array, V: number): number {
  const counts = new Float64Array(V);
  for (const id of ids) counts[id]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / ids.length) * Math.log(c / ids.length);
  return h;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('train a small char LSTM on the shipped Tiny Shakespeare and print samples')
    .option('--minutes <m>', 'training time budget', num(0.05), 3)
    .option('--hidden <n>', 'LSTM hidden size (default: 512 on the native backend, 128 on js)', int(1))
    .option('--out <dir>', 'checkpoint directory', 'runs/demo')
    .option('--seed <n>', 'random seed', int(0), 1)
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto')
    .option('--no-progress', 'no progress bar')
    .action(async (o: { minutes: number; hidden?: number; out: string; seed: number; backend: 'auto' | 'js' | 'native'; progress: boolean }) => {
      const log = (s: string): void => console.log(s);
      // Size the model to what the backend can train in the budget: the pure-TypeScript
      // reference is ~50× slower than the native kernels.
      useBackend(o.backend);
      const hidden = o.hidden ?? (getBackend().name === 'js' ? 128 : 512);
      const corpus = path.join(packageRoot(), 'data', 'tinyshakespeare', 'input.txt');
      log(`rnnlm demo: character LSTM on ${corpus}, ${o.minutes} min budget`);
      const base = defaultLmSpec(corpus);
      const spec: LmRunSpec = {
        data: { ...base.data, tokenizer: 'char' },
        model: { ...base.model, numLayers: 1, embedSize: 64, hiddenSize: hidden, seed: o.seed },
        train: { ...base.train, lr: 0.003, clip: 1, batchSize: 32, evalBatchSize: 16, bptt: 64, epochs: 100, maxSeconds: o.minutes * 60, plateauFactor: 0.5 },
      };
      const r = await runTrain({ spec, run: { out: o.out, backend: o.backend, progress: o.progress }, resumed: null }, log);
      const h = unigramEntropy(r.dataset.train, r.dataset.tokenizer.vocabSize);
      const v = r.bestValidLoss!;
      log('');
      log(`validation loss ${v.toFixed(3)} nats/char (${(v / Math.LN2).toFixed(3)} bits/char)`);
      log(`unigram entropy ${h.toFixed(3)} nats/char (${(h / Math.LN2).toFixed(3)} bits/char): the model is ${(h - v).toFixed(3)} nats/char better than context-free`);
      for (const [i, t] of [0.8, 0.5].entries()) {
        log(`\n--- sample ${i + 1} (temperature ${t}) ---`);
        log(`ROMEO:${generate(r.model, r.dataset.tokenizer, { prompt: 'ROMEO:', maxTokens: 300, temperature: t, seed: o.seed + i })}`);
      }
      log(`\nmodel saved in ${o.out}; try: npx rnnlm generate --model ${o.out} --prompt "JULIET:" --temperature 0.7`);
    });
}
