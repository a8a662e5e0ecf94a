/**
 * `rnnlm demo`: trains a small character LSTM on the Tiny Shakespeare text shipped with the
 * package for about a minute (--seconds), printing samples as it learns, compares its validation
 * loss with the unigram entropy (what a model that ignores context would score), prints a last
 * sample and the next commands to try.
 */
import { Command } from 'commander';
import * as path from 'node:path';
import { type LmRunSpec, defaultLmSpec, generate, getBackend, useBackend } from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';
import { packageRoot } from '../package-root.js';
import { type AfterStep, runTrain } from '../train-session.js';
import { BACKEND_CHOICES, type BackendChoice } from '../train-spec.js';

/** Entropy in nats of the token frequencies of ids (a context-free model's best cross-entropy). */
export function unigramEntropy(ids: Int32Array, V: number): number {
  const counts = new Float64Array(V);
  for (const id of ids) counts[id]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / ids.length) * Math.log(c / ids.length);
  return h;
}

/** The demo's live line: a bar over the time budget, seconds left, loss and speed (stderr, TTY only). */
function budgetLine(elapsed: number, budget: number, loss: number, tps: number): string {
  const width = 30;
  const done = Math.min(width, Math.round((width * elapsed) / budget));
  return `\r|${'█'.repeat(done)}${'░'.repeat(width - done)}| ${Math.max(0, budget - elapsed)
    .toFixed(0)
    .padStart(3)} s left | loss ${loss.toFixed(3)} | ${Math.round(tps)} chars/s `;
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('train a small char LSTM on the shipped Tiny Shakespeare for about a minute, with samples as it learns')
    .option('--seconds <s>', 'training time budget (longer trains a better model, e.g. --seconds 600)', num(1), 40)
    .option('--hidden <n>', 'LSTM hidden size (default: 256 on the native backend, 128 on js)', int(1))
    .option('--sample-every <s>', 'print a short sample every s seconds of training', num(1), 10)
    .option('--out <dir>', 'checkpoint directory', 'runs/demo')
    .option('--seed <n>', 'random seed', int(0), 1)
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--no-progress', 'no live progress line')
    .action(async (o: { seconds: number; hidden?: number; sampleEvery: number; out: string; seed: number; backend: BackendChoice; progress: boolean }) => {
      const log = (s: string): void => console.log(s);
      // Size the model to what the backend can train in the budget: the pure-TypeScript
      // reference is ~50× slower than the native kernels.
      useBackend(o.backend);
      const hidden = o.hidden ?? (getBackend().name === 'js' ? 128 : 256);
      const corpus = path.join(packageRoot(), 'data', 'tinyshakespeare', 'input.txt');
      log(`rnnlm demo: character LSTM on ${corpus}, ${o.seconds} s of training`);
      const base = defaultLmSpec(corpus);
      const spec: LmRunSpec = {
        data: { ...base.data, tokenizer: 'char' },
        model: { ...base.model, numLayers: 1, embedSize: 64, hiddenSize: hidden, seed: o.seed },
        train: { ...base.train, lr: 0.003, clip: 1, batchSize: 32, evalBatchSize: 16, bptt: 64, epochs: 100, maxSeconds: o.seconds, plateauFactor: 0.5 },
      };
      // Live: a line with the time left, and a sample every --sample-every seconds, so the
      // text is seen turning from noise into play-shaped lines while the model trains.
      const live = o.progress && process.stderr.isTTY;
      let nextSample = o.sampleEvery;
      const afterStep: AfterStep = (s, model, tokenizer) => {
        if (live) process.stderr.write(budgetLine(s.elapsedSeconds, o.seconds, s.loss, s.tokensPerSecond));
        if (s.elapsedSeconds < nextSample || s.elapsedSeconds >= o.seconds) return;
        nextSample += o.sampleEvery;
        const text = generate(model, tokenizer, { prompt: 'ROMEO:', maxTokens: 120, temperature: 0.7, seed: o.seed });
        if (live) process.stderr.write('\r\x1b[K');
        log(`[${s.elapsedSeconds.toFixed(0)} s, loss ${s.loss.toFixed(2)}] ROMEO:${text.replace(/\n/g, ' / ')}`);
      };
      const r = await runTrain({ spec, run: { out: o.out, backend: o.backend, progress: false }, resumed: null }, log, afterStep);
      if (live) process.stderr.write('\r\x1b[K');
      const h = unigramEntropy(r.dataset.train, r.dataset.tokenizer.vocabSize);
      const v = r.bestValidLoss!;
      log('');
      log(`validation loss ${v.toFixed(3)} nats/char (${(v / Math.LN2).toFixed(3)} bits/char)`);
      log(
        `unigram entropy ${h.toFixed(3)} nats/char (${(h / Math.LN2).toFixed(3)} bits/char): the model is ${(h - v).toFixed(3)} nats/char better than context-free`,
      );
      log('\n--- sample (temperature 0.6) ---');
      log(`ROMEO:${generate(r.model, r.dataset.tokenizer, { prompt: 'ROMEO:', maxTokens: 300, temperature: 0.6, seed: o.seed })}`);
      log(`\nmodel saved in ${o.out}. Next, try:`);
      log(`  npx rnnlm generate --model ${o.out} --prompt "JULIET:" --temperature 0.7      # more text from this model`);
      log('  npx rnnlm demo --seconds 600                                              # train ten minutes: a much better model');
      log(`  npx rnnlm serve --model ${o.out}                                          # an OpenAI-style HTTP API for it`);
    });
}
