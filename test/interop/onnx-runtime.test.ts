/**
 * ONNX export checked by ONNX Runtime (onnxruntime-node, a dev dependency): every cell, stacked,
 * tied or not, per-layer sizes, and the translation encoder + decoder, run on real text
 * (Tiny Shakespeare lines) in two chunks with the state carried from one run to the next, must
 * give rnnlm's logits and states to 1e-5; greedy generation must pick the same tokens.
 * Where ONNX Runtime cannot be loaded the ONNX Runtime tests skip, saying why.
 */
import '../helpers/backend.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as Ort from 'onnxruntime-node';
import { runExportOnnx } from '../../apps/cli/commands/export.js';
import { noGrad } from '../../src/autograd/graph.js';
import type { RecurrentMode } from '../../src/backend/kernels.js';
import { decodeModel, exportLanguageModelOnnx, exportTranslationOnnx, lmStateNames } from '../../src/io/onnx/index.js';
import { saveLanguageModel } from '../../src/io/lm.js';
import { saveTranslationModel } from '../../src/translate/io.js';
import { TranslationSide } from '../../src/translate/side.js';
import { RNNLM, type RNNState } from '../../src/models/rnnlm.js';
import { Seq2Seq } from '../../src/models/seq2seq.js';
import { WordTokenizer } from '../../src/tokenizers/word.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOL = 1e-5;

let ort: typeof Ort | null = null;
let whyNot = '';
try {
  ort = await import('onnxruntime-node');
} catch (e) {
  whyNot = `onnxruntime-node cannot be loaded here (${(e as Error).message.split('\n')[0]}); run npm ci to install it`;
}
const skip = ort ? false : whyNot;

/** The first lines of Tiny Shakespeare, their word tokenizer, and ids of `T·B` consecutive tokens, time-major. */
const LINES = fs.readFileSync(path.join(root, 'data/tinyshakespeare/input.txt'), 'utf8').split('\n').slice(0, 200);
const tokenizer = WordTokenizer.fromText(LINES.join('\n'));
const stream = tokenizer.encode(LINES.slice(100).join('\n'));
function batch(T: number, B: number, offset: number): Int32Array {
  const ids = new Int32Array(T * B); // [T,B]: column b reads the stream from offset + b·T
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) ids[t * B + b] = stream[offset + b * T + t]!;
  return ids;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'same number of values');
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

const i64 = (ids: Int32Array, dims: number[]): Ort.Tensor =>
  new ort!.Tensor(
    'int64',
    BigInt64Array.from(ids, (v) => BigInt(v)),
    dims,
  );
const f32 = (data: ArrayLike<number>, dims: readonly number[]): Ort.Tensor => new ort!.Tensor('float32', Float32Array.from(data), [...dims]);

/** rnnlm's state as the graph's state inputs (per-layer sizes: one [1,B,H_k] block per layer). */
function stateFeeds(model: RNNLM, s: RNNState, B: number): Record<string, Ort.Tensor> {
  const names = lmStateNames(model).inputs;
  if (model.rnn.layout === 'stacked') return Object.fromEntries(names.map((n, i) => [n, f32((i === 0 ? s.h : s.c!).data, (i === 0 ? s.h : s.c!).shape)]));
  const feeds: Record<string, Ort.Tensor> = {};
  let at = 0;
  model.rnn.hiddenSizes.forEach((H, k) => {
    feeds[`h0_l${k}`] = f32(s.h.data.subarray(at, at + B * H), [1, B, H]);
    if (s.c) feeds[`c0_l${k}`] = f32(s.c.data.subarray(at, at + B * H), [1, B, H]);
    at += B * H;
  });
  return feeds;
}

/** The graph's state outputs fed back as its next state inputs. */
function carry(model: RNNLM, out: Ort.InferenceSession.OnnxValueMapType): Record<string, Ort.Tensor> {
  const { inputs, outputs } = lmStateNames(model);
  return Object.fromEntries(inputs.map((n, i) => [n, out[outputs[i]!] as Ort.Tensor]));
}

/** The graph's state outputs flattened as rnnlm lays its state out (h then c). */
function flatState(model: RNNLM, out: Ort.InferenceSession.OnnxValueMapType): { h: Float32Array; c: Float32Array | null } {
  const outs = lmStateNames(model).outputs;
  const cat = (ns: string[]): Float32Array => Float32Array.from(ns.flatMap((n) => [...((out[n] as Ort.Tensor).data as Float32Array)]));
  const hNames = outs.filter((n) => n.startsWith('h'));
  const cNames = outs.filter((n) => n.startsWith('c'));
  return { h: cat(hNames), c: cNames.length ? cat(cNames) : null };
}

const V = tokenizer.vocabSize;
const LM_CASES: { name: string; cell: RecurrentMode; layers: number; tied: boolean; hiddenSizes?: number[] }[] = [
  { name: 'lstm, 2 layers', cell: 'lstm', layers: 2, tied: false },
  { name: 'lstm, 2 layers, tied', cell: 'lstm', layers: 2, tied: true },
  { name: 'lstm, per-layer sizes 24/16', cell: 'lstm', layers: 2, tied: true, hiddenSizes: [24, 16] },
  { name: 'gru, 2 layers, tied', cell: 'gru', layers: 2, tied: true },
  { name: 'gru, 1 layer', cell: 'gru', layers: 1, tied: false },
  { name: 'rnn_tanh, 2 layers', cell: 'rnn_tanh', layers: 2, tied: false },
  { name: 'rnn_relu, 2 layers, tied', cell: 'rnn_relu', layers: 2, tied: true },
  { name: 'rnn_sigmoid, 2 layers', cell: 'rnn_sigmoid', layers: 2, tied: false },
];

describe('ONNX export run by ONNX Runtime (node)', { skip }, () => {
  for (const c of LM_CASES) {
    test(`language model ${c.name}: logits and carried states equal rnnlm's over two chunks; greedy generation agrees`, async () => {
      const model = new RNNLM({
        vocabSize: V,
        embedSize: 16,
        hiddenSize: 16,
        numLayers: c.layers,
        cell: c.cell,
        tieWeights: c.tied,
        hiddenSizes: c.hiddenSizes ?? null,
        init: 0.3,
        seed: 7,
      });
      model.eval();
      const session = await ort!.InferenceSession.create(exportLanguageModelOnnx(model, tokenizer));
      const B = 3;
      let state = model.initState(B);
      let feeds = stateFeeds(model, state, B);
      for (const [T, offset] of [
        [7, 0],
        [5, 21],
      ] as const) {
        const ids = batch(T, B, offset);
        const ref = noGrad(() => model.forward(ids, T, B, state));
        const out = await session.run({ input_ids: i64(ids, [T, B]), ...feeds });
        assert.deepEqual((out.logits as Ort.Tensor).dims, [T, B, V]);
        const got = flatState(model, out);
        const d = [
          maxDiff((out.logits as Ort.Tensor).data as Float32Array, ref.logits.data),
          maxDiff(got.h, ref.state.h.data),
          got.c ? maxDiff(got.c, ref.state.c!.data) : 0,
        ];
        assert.ok(Math.max(...d) <= TOL, `max |ONNX Runtime − rnnlm| logits/h/c = ${d.join(' / ')}`);
        state = ref.state;
        feeds = carry(model, out);
      }

      // Greedy generation, one token at a time, the state carried by each side.
      let ortFeeds = stateFeeds(model, model.initState(1), 1);
      let s = model.initState(1);
      let a = tokenizer.eosId;
      let b = tokenizer.eosId;
      const argmax = (x: ArrayLike<number>): number => {
        let k = 0;
        for (let i = 1; i < x.length; i++) if (x[i]! > x[k]!) k = i;
        return k;
      };
      const seqA: number[] = [];
      const seqB: number[] = [];
      for (let t = 0; t < 12; t++) {
        const out = await session.run({ input_ids: i64(Int32Array.of(a), [1, 1]), ...ortFeeds });
        ortFeeds = carry(model, out);
        a = argmax((out.logits as Ort.Tensor).data as Float32Array);
        const ref = noGrad(() => model.forward(Int32Array.of(b), 1, 1, s));
        s = ref.state;
        b = argmax(ref.logits.data);
        seqA.push(a);
        seqB.push(b);
      }
      assert.deepEqual(seqA, seqB);
    });
  }

  for (const [cell, bidirectional, attention] of [
    ['lstm', true, 'general'],
    ['lstm', false, 'dot'],
    ['gru', true, 'concat'],
    ['rnn_tanh', false, 'general'],
    ['rnn_sigmoid', true, 'general'],
  ] as const) {
    test(`translation ${cell}${bidirectional ? ' bidirectional' : ''}, ${attention} attention: encoder and decoder steps equal rnnlm's`, async () => {
      const model = new Seq2Seq({
        srcVocabSize: V,
        tgtVocabSize: V,
        embedSize: 12,
        hiddenSize: 10,
        numLayers: 2,
        cell,
        bidirectional,
        attention,
        init: 0.3,
        seed: 3,
      });
      model.eval();
      const { encoder, decoder } = exportTranslationOnnx(model, null);
      const es = await ort!.InferenceSession.create(encoder);
      const ds = await ort!.InferenceSession.create(decoder);
      // Sources: three lines of different lengths, padded; targets: the next lines.
      const lines = [LINES[120]!, LINES[121]!, LINES[125]!].map((l) => tokenizer.encode(l));
      const B = lines.length;
      const S = Math.max(...lines.map((l) => l.length));
      const lengths = Int32Array.from(lines, (l) => l.length);
      const src = new Int32Array(S * B); // [S,B], padded with 0
      lines.forEach((l, b) => l.forEach((id, s) => (src[s * B + b] = id)));
      const T = 6;
      const tgt = batch(T, B, 40);

      const enc = noGrad(() => model.encode(src, S, B, lengths));
      const eo = await es.run({ src_ids: i64(src, [S, B]), src_lengths: i64(lengths, [B]) });
      assert.ok(maxDiff((eo.h0 as Ort.Tensor).data as Float32Array, enc.state.h.data) <= TOL, 'decoder initial state');
      assert.deepEqual([...((eo.src_mask as Ort.Tensor).data as Uint8Array)], [...enc.mask]);
      const mem = (eo.memory as Ort.Tensor).data as Float32Array; // [B,S,Dm]: compare the real positions only
      const Dm = model.memorySize;
      for (let b = 0; b < B; b++) {
        const n = lengths[b]! * Dm;
        assert.ok(maxDiff(mem.subarray(b * S * Dm, b * S * Dm + n), enc.memory.data.subarray(b * S * Dm, b * S * Dm + n)) <= TOL, `memory of source ${b}`);
      }

      // Teacher-forced over T steps, then two single steps carrying the state.
      let state = enc.state;
      let feeds: Record<string, Ort.Tensor> = {
        h: eo.h0 as Ort.Tensor,
        memory: eo.memory as Ort.Tensor,
        keys: eo.keys as Ort.Tensor,
        src_mask: eo.src_mask as Ort.Tensor,
      };
      if (cell === 'lstm') feeds.c = eo.c0 as Ort.Tensor;
      for (const [steps, offset] of [
        [T, 0],
        [1, 50],
        [1, 51],
      ] as const) {
        const ids = steps === T ? tgt : batch(1, B, offset);
        const ref = noGrad(() => model.decode(enc, ids, steps, state));
        const out = await ds.run({ tgt_ids: i64(ids, [steps, B]), ...feeds });
        const d = [
          maxDiff((out.logits as Ort.Tensor).data as Float32Array, ref.logits.data),
          maxDiff((out.hn as Ort.Tensor).data as Float32Array, ref.state.h.data),
          maxDiff((out.attention as Ort.Tensor).data as Float32Array, ref.attention.data),
          cell === 'lstm' ? maxDiff((out.cn as Ort.Tensor).data as Float32Array, ref.state.c!.data) : 0,
        ];
        assert.ok(Math.max(...d) <= TOL, `${steps} step(s): max |ONNX Runtime − rnnlm| logits/h/attention/c = ${d.join(' / ')}`);
        state = ref.state;
        feeds = { ...feeds, h: out.hn as Ort.Tensor, ...(cell === 'lstm' ? { c: out.cn as Ort.Tensor } : {}) };
      }
    });
  }
});

describe('rnnlm export onnx', () => {
  test('writes one file for a language model, with ONNX LSTM operators, the tokenizer and config in metadata', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-onnx-'));
    try {
      const model = new RNNLM({ vocabSize: V, embedSize: 8, hiddenSize: 8, numLayers: 2, cell: 'lstm', tieWeights: true });
      saveLanguageModel(path.join(dir, 'ck'), model, tokenizer);
      const lines: string[] = [];
      runExportOnnx({ model: path.join(dir, 'ck'), out: path.join(dir, 'lm.onnx') }, (s) => lines.push(s));
      assert.match(lines.join(''), /wrote .*lm\.onnx/);
      const m = decodeModel(fs.readFileSync(path.join(dir, 'lm.onnx')));
      const g = m.graph!;
      assert.equal((g.node ?? []).filter((n) => n.opType === 'LSTM').length, 2);
      assert.deepEqual(
        (g.input ?? []).map((i) => i.name),
        ['input_ids', 'h0', 'c0'],
      );
      assert.deepEqual(
        (g.output ?? []).map((o) => o.name),
        ['logits', 'hn', 'cn'],
      );
      // Tied: the one [V,E] matrix serves the embedding and the output layer.
      assert.deepEqual(
        (g.initializer ?? []).filter((t) => t.name === 'encoder.weight' || t.name === 'decoder.weight').map((t) => t.name),
        ['encoder.weight'],
      );
      const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
      assert.equal(JSON.parse(meta['rnnlm.tokenizer']!).kind, 'word');
      assert.equal(JSON.parse(meta['rnnlm.config']!).cell, 'lstm');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('writes <stem>.encoder.onnx and <stem>.decoder.onnx for a translation model, which ONNX Runtime loads', { skip }, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-onnx-'));
    try {
      const side = TranslationSide.fromLines(LINES.slice(0, 50), { kind: 'word' });
      const model = new Seq2Seq({
        srcVocabSize: side.vocabSize,
        tgtVocabSize: side.vocabSize,
        embedSize: 8,
        hiddenSize: 8,
        numLayers: 1,
        cell: 'gru',
        bidirectional: true,
      });
      saveTranslationModel(path.join(dir, 'mt'), model, side, side);
      const lines: string[] = [];
      runExportOnnx({ model: path.join(dir, 'mt'), out: path.join(dir, 'mt.onnx') }, (s) => lines.push(s));
      assert.match(lines.join(''), /mt\.encoder\.onnx[\s\S]*mt\.decoder\.onnx/);
      for (const part of ['encoder', 'decoder']) {
        const session = await ort!.InferenceSession.create(fs.readFileSync(path.join(dir, `mt.${part}.onnx`)));
        assert.ok(session.inputNames.length >= 2, `${part}: ${session.inputNames.join(', ')}`);
      }
      const meta = decodeModel(fs.readFileSync(path.join(dir, 'mt.decoder.onnx'))).metadataProps;
      assert.equal(JSON.parse(meta.find((p) => p.key === 'rnnlm.tokenizer')!.value!).tgt.kind, 'word');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
