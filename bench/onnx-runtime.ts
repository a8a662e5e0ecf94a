/**
 * ONNX Runtime (CPU, onnxruntime-node) vs rnnlm native on one language model, in one process,
 * the two sides interleaved window by window / token by token: the model is exported with
 * exportLanguageModelOnnx and both run the same weights.
 *   eval: PTB valid, batch B, windows of T steps, state carried; forward (logits) only is timed,
 *         the perplexity of both is computed afterwards and printed, so the two can be compared.
 *   gen:  greedy generation, batch 1, one token per call, state carried (argmax included).
 * Usage: node --import tsx bench/onnx-runtime.ts --model DIR [--windows 20] [--gen 200]
 *          [--repeats 3] [--threads 2] [--batch 10] [--bptt 35] [--json out.json]
 * Legend: T steps per window, B batch, V vocabulary.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type * as Ort from 'onnxruntime-common';
import { describeBackend, exportLanguageModelOnnx, lmStateNames, loadLanguageModel, noGrad, type RNNState } from '../src/node.js';
import { logSoftmaxRow } from '../src/generate/sample.js';

const { values: a } = parseArgs({
  options: {
    model: { type: 'string' },
    valid: { type: 'string', default: path.resolve(import.meta.dirname, '../../shared/data/ptb/ptb.valid.txt') },
    windows: { type: 'string', default: '20' },
    gen: { type: 'string', default: '200' },
    repeats: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '10' },
    bptt: { type: 'string', default: '35' },
    json: { type: 'string' },
  },
});
if (!a.model) throw new Error('--model DIR is required');
const ort = (await import('onnxruntime-node' as string)) as typeof Ort;
const threads = Number(a.threads);
const [W, G, R, B, T] = [a.windows, a.gen, a.repeats, a.batch, a.bptt].map(Number) as [number, number, number, number, number];

const { model, tokenizer } = loadLanguageModel(a.model);
const V = model.config.vocabSize;
const t0 = performance.now();
const bytes = exportLanguageModelOnnx(model, tokenizer);
const exportMs = performance.now() - t0;
const session = await ort.InferenceSession.create(bytes, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const { inputs: stateIn, outputs: stateOut } = lmStateNames(model);

// PTB valid as B columns (batchify), W windows of T steps.
const stream = tokenizer.encode(fs.readFileSync(a.valid!, 'utf8'));
const cols = Math.floor(stream.length / B);
const windows: { x: Int32Array; y: Int32Array }[] = [];
for (let w = 0; w < W; w++) {
  const x = new Int32Array(T * B);
  const y = new Int32Array(T * B);
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) {
      x[t * B + b] = stream[b * cols + w * T + t]!;
      y[t * B + b] = stream[b * cols + w * T + t + 1]!;
    }
  windows.push({ x, y });
}
const nll = (logits: ArrayLike<number>, y: Int32Array): number => {
  const row = new Float64Array(V);
  let s = 0;
  for (let n = 0; n < y.length; n++) s -= logSoftmaxRow(Float32Array.prototype.slice.call(logits, n * V, (n + 1) * V) as Float32Array, row)[y[n]!]!;
  return s;
};
const zeros = (Bn: number): Record<string, Ort.Tensor> =>
  Object.fromEntries(
    stateIn.map((n) => [
      n,
      new ort.Tensor('float32', new Float32Array(model.config.numLayers * Bn * model.config.hiddenSize), [model.config.numLayers, Bn, model.config.hiddenSize]),
    ]),
  );
const ids64 = (ids: Int32Array, dims: number[]): Ort.Tensor =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(ids, (v) => BigInt(v)),
    dims,
  );
const argmax = (x: ArrayLike<number>): number => {
  let k = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[k]!) k = i;
  return k;
};

/**
 * Both sides over the same windows, interleaved window by window (the order flipping each
 * window), so a load change on this shared machine hits both alike.
 */
async function evalBoth(): Promise<{ rnnlmMs: number; ortMs: number; ppl: { rnnlm: number; ort: number } }> {
  let state: RNNState | null = null;
  let feeds = zeros(B);
  const ms = { rnnlm: 0, ort: 0 };
  const loss = { rnnlm: 0, ort: 0 };
  for (let w = 0; w < W; w++) {
    const { x, y } = windows[w]!;
    for (const side of w % 2 === 0 ? (['rnnlm', 'ort'] as const) : (['ort', 'rnnlm'] as const)) {
      const s = performance.now();
      if (side === 'rnnlm') {
        const out = noGrad(() => model.forward(x, T, B, state));
        ms.rnnlm += performance.now() - s;
        state = out.state;
        loss.rnnlm += nll(out.logits.data, y);
      } else {
        const out = await session.run({ input_ids: ids64(x, [T, B]), ...feeds });
        ms.ort += performance.now() - s;
        feeds = Object.fromEntries(stateIn.map((n, i) => [n, out[stateOut[i]!] as Ort.Tensor]));
        loss.ort += nll((out.logits as Ort.Tensor).data as Float32Array, y);
      }
    }
  }
  const n = W * T * B;
  return { rnnlmMs: ms.rnnlm, ortMs: ms.ort, ppl: { rnnlm: Math.exp(loss.rnnlm / n), ort: Math.exp(loss.ort / n) } };
}

/** Greedy generation on both sides, interleaved token by token. */
async function genBoth(): Promise<{ rnnlmMs: number; ortMs: number; same: boolean }> {
  let state: RNNState | null = null;
  let feeds = zeros(1);
  let a = tokenizer.eosId ?? 0;
  let b = a;
  let same = true;
  const ms = { rnnlm: 0, ort: 0 };
  for (let i = 0; i < G; i++) {
    let s = performance.now();
    const out = noGrad(() => model.forward(Int32Array.of(a), 1, 1, state));
    state = out.state;
    a = argmax(out.logits.data);
    ms.rnnlm += performance.now() - s;
    s = performance.now();
    const o = await session.run({ input_ids: ids64(Int32Array.of(b), [1, 1]), ...feeds });
    feeds = Object.fromEntries(stateIn.map((n, k) => [n, o[stateOut[k]!] as Ort.Tensor]));
    b = argmax((o.logits as Ort.Tensor).data as Float32Array);
    ms.ort += performance.now() - s;
    same &&= a === b;
  }
  return { rnnlmMs: ms.rnnlm, ortMs: ms.ort, same };
}

const loadBefore = os.loadavg()[0]!;
const runs: Record<string, number[]> = { evalRnnlm: [], evalOrt: [], genRnnlm: [], genOrt: [] };
let ppl = { rnnlm: 0, ort: 0 };
let sameTokens = true;
await evalBoth(); // warm-up (first-run allocations) of both tasks
await genBoth();
for (let r = 0; r < R; r++) {
  const e = await evalBoth();
  const g = await genBoth();
  runs.evalRnnlm!.push((W * T * B) / (e.rnnlmMs / 1000));
  runs.evalOrt!.push((W * T * B) / (e.ortMs / 1000));
  runs.genRnnlm!.push(G / (g.rnnlmMs / 1000));
  runs.genOrt!.push(G / (g.ortMs / 1000));
  ppl = e.ppl;
  sameTokens &&= g.same;
}
const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]): string => `${median(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`;
const load = [loadBefore, os.loadavg()[0]!].map((x) => Number(x.toFixed(1)));
const result = {
  loadAverage1m: load,
  model: a.model,
  config: { cell: model.config.cell, layers: model.config.numLayers, hidden: model.config.hiddenSize, vocab: V, tied: model.config.tieWeights },
  rnnlmBackend: describeBackend(),
  ortVersion: ort.env.versions?.common ?? 'unknown',
  threads,
  exportMs: Math.round(exportMs),
  onnxBytes: bytes.length,
  eval: {
    tokens: W * T * B,
    batch: B,
    bptt: T,
    rnnlmTokPerS: runs.evalRnnlm,
    ortTokPerS: runs.evalOrt,
    ratio: median(runs.evalRnnlm!) / median(runs.evalOrt!),
    ppl,
  },
  gen: { tokens: G, rnnlmTokPerS: runs.genRnnlm, ortTokPerS: runs.genOrt, ratio: median(runs.genRnnlm!) / median(runs.genOrt!), sameTokens },
};
console.log(`model ${JSON.stringify(result.config)}, rnnlm backend ${result.rnnlmBackend}, ONNX Runtime ${result.ortVersion}, ${threads} threads each`);
console.log(`load average (1 min) ${load.join(' → ')}`);
console.log(`export ${result.exportMs} ms, ${(bytes.length / 1e6).toFixed(1)} MB`);
console.log(
  `eval  (B=${B}, T=${T}, ${W * T * B} tokens)  rnnlm ${fmt(runs.evalRnnlm!)} tok/s   ONNX Runtime ${fmt(runs.evalOrt!)} tok/s   rnnlm/ORT ${result.eval.ratio.toFixed(2)}   ppl ${ppl.rnnlm.toFixed(3)} vs ${ppl.ort.toFixed(3)}`,
);
console.log(
  `gen   (B=1, ${G} tokens, greedy)  rnnlm ${fmt(runs.genRnnlm!)} tok/s   ONNX Runtime ${fmt(runs.genOrt!)} tok/s   rnnlm/ORT ${result.gen.ratio.toFixed(2)}   same tokens: ${sameTokens}`,
);
if (a.json) fs.writeFileSync(a.json, `${JSON.stringify(result, null, 2)}\n`);
