/**
 * rnnlm side of the rnnlm-vs-PyTorch benchmark: the same tasks as bench/lm_torch.py, through
 * rnnlm's public API (loadTextDataset, RNNLM, trainLanguageModel, evaluate, generateTokens), so
 * the numbers are what a user of the library gets. One task per process, so the peak RSS it
 * reports is that task's alone. The backend is whatever src/node.ts selects (RNNLM_BACKEND).
 *
 * Tasks (see lm_torch.py for the PyTorch loops they mirror):
 *   train     N timed windows after W warm-up ones: forward + backward + clip + SGD step; tokens/s
 *   eval      N timed no-grad windows (evaluate(): loss and argmax accuracy); tokens/s
 *   generate  one token per step, state carried (B=1, T=1), sampling included; ms per token
 *   check     load PyTorch's initial weights (--init-from, safetensors), print the losses of the
 *             first K training windows (dropout off) and of the first eval window
 *
 * Dimension legend: T time (window rows), B batch, V vocab; a window holds T·B tokens.
 * Prints one line "RESULT {json}" last.
 *
 *   node --import tsx bench/lm-rnnlm.ts --task train --model small --warmup 3 --windows 50
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CharTokenizer,
  RNNLM,
  decodeSafetensors,
  describeBackend,
  evaluate,
  generateTokens,
  loadTextDataset,
  readTextFile,
  trainLanguageModel,
} from '../src/node.js';
import { Stopwatch, cpuSeconds } from './stopwatch.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Must match MODELS in bench/lm_torch.py (compare.ts checks the echoed config). */
export const MODELS = {
  small: { data: 'ptb', emb: 200, hidden: 200, layers: 2, dropout: 0 },
  medium: { data: 'ptb', emb: 650, hidden: 650, layers: 2, dropout: 0.5 },
  char: { data: 'tinyshakespeare', emb: 512, hidden: 512, layers: 2, dropout: 0 },
} as const;
export type ModelName = keyof typeof MODELS;
export type TaskName = 'train' | 'eval' | 'generate' | 'check';

const TRAIN_B = 20;
const EVAL_B = 10;
const BPTT = 35;
const LR = 20;
const CLIP = 0.25;
const INIT_RANGE = 0.1;

const mb = (bytes: number): number => bytes / 2 ** 20;

function fail(msg: string): never {
  process.stderr.write(`lm-rnnlm: ${msg}\n`);
  process.exit(2);
}

/** Trains `steps` windows with the example's settings; per-window losses come from the running mean. */
async function trainWindows(model: RNNLM, train: Int32Array, steps: number, onWindow?: (k: number) => void): Promise<number[]> {
  const losses: number[] = [];
  let prevMean = 0;
  await trainLanguageModel(
    model,
    { train },
    {
      batchSize: TRAIN_B,
      bptt: BPTT,
      epochs: 1,
      optimizer: 'sgd',
      lr: LR,
      clip: CLIP,
      plateauFactor: 1,
      plateauPatience: 0,
      evalBatchSize: EVAL_B,
      maxSteps: steps,
    },
    {
      onStep(s) {
        // Every window here is full (T = bptt), so the running mean unrolls exactly.
        losses.push(s.loss * s.batch - prevMean * (s.batch - 1));
        prevMean = s.loss;
        onWindow?.(s.batch);
      },
    },
  );
  return losses;
}

/** The first n full eval windows of `ids`: n·T·B + B tokens batchify to n·T + 1 rows. */
function evalSlice(ids: Int32Array, n: number): Int32Array {
  const need = n * BPTT * EVAL_B + EVAL_B;
  if (ids.length < need) fail(`the validation split has ${ids.length} tokens; ${n} eval windows need ${need}`);
  return ids.subarray(0, need);
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      task: { type: 'string' },
      model: { type: 'string' },
      warmup: { type: 'string', default: '3' },
      windows: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      data: { type: 'string', default: path.join(REPO, '..', 'shared', 'data') },
      'init-from': { type: 'string' },
      'check-windows': { type: 'string', default: '3' },
      precision: { type: 'string', default: 'fp32' },
      // Cell comparison (RESULTS.md): another cell and hidden size on the same task.
      cell: { type: 'string', default: 'lstm' },
      hidden: { type: 'string' },
    },
  });
  const task = a.task as TaskName;
  if (a.precision !== 'fp32' && a.precision !== 'bf16') fail('--precision must be fp32 or bf16');
  const precision = a.precision as 'fp32' | 'bf16';
  if (!['train', 'eval', 'generate', 'check'].includes(task)) fail('--task must be train, eval, generate or check');
  if (!a.model || !(a.model in MODELS)) fail(`--model must be one of ${Object.keys(MODELS).join(', ')}`);
  const modelName = a.model as ModelName;
  const warmup = Number(a.warmup);
  const windows = Number(a.windows);
  const checkWindows = Number(a['check-windows']);
  if (!(Number.isInteger(warmup) && warmup >= 0 && Number.isInteger(windows) && windows >= 1)) {
    fail('--warmup must be an integer >= 0 and --windows an integer >= 1');
  }
  if (task === 'generate' && warmup === 0) fail('generate needs --warmup >= 1 (the prompt step is not a timed token)');
  const cfg: { data: string; emb: number; hidden: number; layers: number; dropout: number } = {
    ...MODELS[modelName],
    dropout: task === 'check' ? 0 : MODELS[modelName].dropout,
  };
  const cell = a.cell as 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';
  if (!['lstm', 'gru', 'rnn_tanh', 'rnn_relu'].includes(cell)) fail('--cell must be lstm, gru, rnn_tanh or rnn_relu');
  if (a.hidden !== undefined) cfg.hidden = Number(a.hidden);

  let train: Int32Array = new Int32Array(0);
  let valid: Int32Array = new Int32Array(0);
  let vocab: number;
  let charTok: CharTokenizer | null = null;
  if (cfg.data === 'ptb') {
    const ds = loadTextDataset({ train: path.join(a.data!, 'ptb', 'ptb.train.txt'), valid: path.join(a.data!, 'ptb', 'ptb.valid.txt') }, { tokenizer: 'word' });
    train = ds.train;
    valid = ds.valid!;
    vocab = ds.tokenizer.vocabSize;
  } else {
    charTok = CharTokenizer.fromText(readTextFile(path.join(a.data!, 'tinyshakespeare', 'input.txt')), { unk: false });
    vocab = charTok.vocabSize;
  }
  const baseRssMB = mb(process.memoryUsage().rss);

  const model = new RNNLM({
    vocabSize: vocab,
    embedSize: cfg.emb,
    hiddenSize: cfg.hidden,
    numLayers: cfg.layers,
    cell,
    dropout: cfg.dropout,
    init: INIT_RANGE,
    seed: Number(a.seed),
    precision,
  });
  const result: Record<string, unknown> = {
    side: 'rnnlm',
    task,
    model: modelName,
    cell,
    vocab,
    config: { emb: cfg.emb, hidden: cfg.hidden, layers: cfg.layers, dropout: cfg.dropout },
    precision,
    warmup,
    windows,
  };

  if (task === 'train') {
    const sw = new Stopwatch(warmup, windows, fail);
    const losses = await trainWindows(model, train, warmup + windows, (k) => sw.mark(k));
    const sec = sw.seconds();
    const tokens = windows * BPTT * TRAIN_B;
    Object.assign(result, {
      seconds: sec,
      cpuSeconds: sw.cpu(),
      tokensPerCpuSecond: tokens / sw.cpu(),
      tokens,
      tokensPerSecond: tokens / sec,
      firstLoss: losses[0],
      lastLoss: losses.at(-1),
    });
  } else if (task === 'eval') {
    const sw = new Stopwatch(warmup, windows, fail);
    const r = evaluate(model, evalSlice(valid, warmup + windows), {
      batchSize: EVAL_B,
      bptt: BPTT,
      onProgress: (done) => sw.mark(done / (BPTT * EVAL_B)),
    });
    const sec = sw.seconds();
    const tokens = windows * BPTT * EVAL_B;
    Object.assign(result, { seconds: sec, tokens, tokensPerSecond: tokens / sec, loss: r.loss });
  } else if (task === 'generate') {
    // Yield k comes right after sampling token k, so yields W → W+N span N forward+sample steps.
    let k = 0;
    let t0 = performance.now();
    let c0 = cpuSeconds();
    for (const _ of generateTokens(model, charTok!, { maxTokens: warmup + windows, temperature: 1, seed: Number(a.seed), stopAtEos: false })) {
      k++;
      if (k === warmup) {
        t0 = performance.now();
        c0 = cpuSeconds();
      }
    }
    const sec = (performance.now() - t0) / 1000;
    Object.assign(result, { seconds: sec, cpuSeconds: cpuSeconds() - c0, tokens: windows, msPerToken: (1000 * sec) / windows });
  } else {
    if (!a['init-from']) fail('check needs --init-from FILE.safetensors (written by lm_torch.py --task check --export-init)');
    model.loadStateDict(decodeSafetensors(fs.readFileSync(a['init-from']!)).tensors);
    const ev = evaluate(model, evalSlice(valid, 1), { batchSize: EVAL_B, bptt: BPTT });
    const losses = await trainWindows(model, train, checkWindows);
    Object.assign(result, { evalLoss: ev.loss, evalCorrect: Math.round(ev.accuracy * ev.tokens), trainLosses: losses });
  }

  Object.assign(result, {
    baseRssMB,
    maxRssMB: process.resourceUsage().maxRSS / 1024, // KiB → MiB
    info: { backend: describeBackend(), node: process.version, cpus: os.cpus().length },
  });
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

await main();
