/**
 * rnnlm side of the Multi30k translation-step benchmark (bench/translate_torch.py is the PyTorch
 * side; compare.ts `--only train-translate` runs both). The model and data are RESULTS.md's
 * Multi30k en→de run: word sides lowercased and pre-tokenized, words seen once → <unk>, pairs of
 * at most 50 tokens a side; embedding 256, 1-layer bidirectional LSTM encoder (256 per
 * direction), LSTM decoder from tanh(bridge([h_fwd; h_bwd])), Luong general attention,
 * h̃ = tanh(W_c [c; h]), generator; Adam lr 1e-3, clip 5, dropout 0.3, U(±0.1) init, batches of
 * 64 length-sorted pairs. Training runs through the public trainTranslation, so a step is what a
 * user gets (encode + teacher-forced decode + fused generator loss, backward, clip, Adam).
 *
 * The batches are trainTranslation's own: makeBatches over the training pairs with Rng(seed),
 * the first W + N of epoch 1. `--export-batches FILE` writes them (token ids, lengths, vocabulary
 * sizes) as JSON, and translate_torch.py trains on exactly those, so both sides do the same work.
 *
 * Tasks:
 *   train    N timed steps after W warm-up ones; target tokens per second (padding not counted)
 *   check    dropout off: `--export-init FILE` writes the initial weights (safetensors) and the
 *            losses and pre-clip gradient norms of the first K steps are printed, for
 *            translate_torch.py --task check --init-from FILE to reproduce
 *   batches  only write --export-batches (W + N batches, or K for --check-steps K if more)
 *
 * Dimension legend: S source steps, T target steps, B batch (64), Vs/Vt source/target vocabulary.
 * Prints one line "RESULT {json}" last.
 *
 *   node --import tsx bench/translate-rnnlm.ts --warmup 2 --steps 10 --threads 2 --export-batches /tmp/b.json
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Stopwatch } from './stopwatch.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** RESULTS.md's Multi30k run; translate_torch.py reads the sizes from the batches file and echoes this. */
export const TRANSLATE_CONFIG = { emb: 256, hidden: 256, layers: 1, dropout: 0.3, batch: 64, minCount: 2, maxLen: 50 } as const;
const LR = 1e-3;
const CLIP = 5;
const INIT_RANGE = 0.1;

type TaskName = 'train' | 'check' | 'batches';

const mb = (bytes: number): number => bytes / 2 ** 20;

function fail(msg: string): never {
  process.stderr.write(`translate-rnnlm: ${msg}\n`);
  process.exit(2);
}

const { values: a } = parseArgs({
  options: {
    task: { type: 'string', default: 'train' },
    warmup: { type: 'string', default: '2' },
    steps: { type: 'string', default: '10' },
    threads: { type: 'string' },
    precision: { type: 'string', default: 'fp32' },
    seed: { type: 'string', default: '1' },
    data: { type: 'string', default: path.join(REPO, '..', 'shared', 'data', 'translation', 'multi30k') },
    'export-batches': { type: 'string' },
    'export-init': { type: 'string' },
    'check-steps': { type: 'string', default: '2' },
  },
});
const task = a.task as TaskName;
if (!['train', 'check', 'batches'].includes(task)) fail('--task must be train, check or batches');
if (a.precision !== 'fp32' && a.precision !== 'bf16') fail('--precision must be fp32 or bf16');
const precision = a.precision as 'fp32' | 'bf16';
const int = (name: string, v: string | undefined, min: number): number => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min)) fail(`--${name} must be an integer >= ${min}, got ${v}`);
  return n;
};
const warmup = int('warmup', a.warmup, 0);
const steps = int('steps', a.steps, 1);
const checkSteps = int('check-steps', a['check-steps'], 1);
const seed = int('seed', a.seed, 0);
// The native thread pool reads RNNLM_THREADS when the backend loads, so set it before importing.
if (a.threads !== undefined) process.env.RNNLM_THREADS = String(int('threads', a.threads, 1));

const { Seq2Seq, TranslationSide, encodeParallel, makeBatches, readParallel, trainTranslation } = await import('../src/translate/index.js');
const { Rng, describeBackend, encodeSafetensors } = await import('../src/node.js');
type TranslationBatch = ReturnType<typeof makeBatches>[number];

/** The batches file translate_torch.py reads: sizes and every batch's ids (see TranslationBatch). */
function batchesJSON(batches: readonly TranslationBatch[], srcVocab: number, tgtVocab: number): string {
  const plain = batches.map((b) => ({
    S: b.S,
    T: b.T,
    B: b.B,
    tokens: b.tokens,
    src: Array.from(b.src), // [S,B] time-major, padded with the source <eos>
    srcLengths: Array.from(b.srcLengths),
    tgtIn: Array.from(b.tgtIn), // [T,B] time-major: <eos> + target, padded with <eos>
    tgtOut: Array.from(b.tgtOut), // [B,T] batch-major: target + <eos>, padded with -100
  }));
  return JSON.stringify({ corpus: 'multi30k en→de train', seed, srcVocab, tgtVocab, config: TRANSLATE_CONFIG, batches: plain });
}

// ---- data: RESULTS.md's preprocessing (rnnlm translate train --min-count 2, --max-len 50 default) ----

const par = readParallel(path.join(a.data!, 'train.en'), path.join(a.data!, 'train.de'));
const sideOpts = { kind: 'word' as const, lowercase: true, minCount: TRANSLATE_CONFIG.minCount };
const srcSide = TranslationSide.fromLines(par.src, sideOpts);
const tgtSide = TranslationSide.fromLines(par.tgt, sideOpts);
const pairs = encodeParallel(par, srcSide, tgtSide, { maxLen: TRANSLATE_CONFIG.maxLen });
// trainTranslation's first call on its Rng(seed) is this makeBatches, so these are its epoch-1 batches.
const batches = makeBatches(pairs, TRANSLATE_CONFIG.batch, srcSide.eosId, tgtSide.eosId, new Rng(seed));
const need = task === 'check' ? checkSteps : task === 'batches' ? Math.max(warmup + steps, checkSteps) : warmup + steps;
if (need > batches.length) fail(`epoch 1 has ${batches.length} batches; ${need} steps need more`);
if (a['export-batches']) fs.writeFileSync(a['export-batches'], batchesJSON(batches.slice(0, need), srcSide.vocabSize, tgtSide.vocabSize));
const baseRssMB = mb(process.memoryUsage().rss);

const dropout = task === 'check' ? 0 : TRANSLATE_CONFIG.dropout;
const result: Record<string, unknown> = {
  side: 'rnnlm',
  task,
  model: 'translate',
  vocab: tgtSide.vocabSize,
  config: {
    emb: TRANSLATE_CONFIG.emb,
    hidden: TRANSLATE_CONFIG.hidden,
    layers: TRANSLATE_CONFIG.layers,
    dropout,
    batch: TRANSLATE_CONFIG.batch,
    srcVocab: srcSide.vocabSize,
  },
  precision,
  warmup,
  steps,
  pairs: pairs.length,
  batchesInEpoch: batches.length,
};

if (task !== 'batches') {
  const model = new Seq2Seq({
    srcVocabSize: srcSide.vocabSize,
    tgtVocabSize: tgtSide.vocabSize,
    embedSize: TRANSLATE_CONFIG.emb,
    hiddenSize: TRANSLATE_CONFIG.hidden,
    numLayers: TRANSLATE_CONFIG.layers,
    cell: 'lstm',
    bidirectional: true,
    attention: 'general',
    dropout,
    init: INIT_RANGE,
    seed,
    precision,
  });
  if (task === 'check' && a['export-init']) fs.writeFileSync(a['export-init'], encodeSafetensors(model.stateDict()));
  const n = task === 'check' ? checkSteps : warmup + steps;
  const sw = new Stopwatch(task === 'check' ? 0 : warmup, task === 'check' ? checkSteps : steps, fail);
  const losses: number[] = [];
  const gradNorms: number[] = [];
  let prevNats = 0;
  let seen = 0;
  await trainTranslation(
    model,
    { train: pairs, srcEos: srcSide.eosId, tgtEos: tgtSide.eosId },
    {
      batchSize: TRANSLATE_CONFIG.batch,
      epochs: 1,
      optimizer: 'adam',
      lr: LR,
      clip: CLIP,
      teacherForcingRatio: 1,
      plateauFactor: 1,
      plateauPatience: 0,
      evalBatchSize: TRANSLATE_CONFIG.batch,
      maxSteps: n,
      seed,
    },
    {
      onStep(s) {
        // s.loss is the running mean per target token; unroll it with the batch's token count.
        seen += batches[s.batch - 1]!.tokens;
        const nats = s.loss * seen;
        losses.push((nats - prevNats) / batches[s.batch - 1]!.tokens);
        prevNats = nats;
        gradNorms.push(s.gradNorm);
        sw.mark(s.batch);
      },
    },
  );
  result.parameters = model.numParameters();
  if (task === 'train') {
    const tokens = batches.slice(warmup, warmup + steps).reduce((t, b) => t + b.tokens, 0);
    const sec = sw.seconds();
    Object.assign(result, {
      seconds: sec,
      cpuSeconds: sw.cpu(),
      tokens,
      tokensPerSecond: tokens / sec,
      tokensPerCpuSecond: tokens / sw.cpu(),
      firstLoss: losses[0],
      lastLoss: losses.at(-1),
    });
  } else {
    Object.assign(result, { trainLosses: losses, gradNorms });
  }
}

Object.assign(result, {
  baseRssMB,
  maxRssMB: process.resourceUsage().maxRSS / 1024, // KiB → MiB
  info: { backend: describeBackend(), node: process.version, cpus: os.cpus().length },
});
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
