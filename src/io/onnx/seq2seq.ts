/**
 * A translation model (Seq2Seq with Luong attention) as two ONNX graphs: the encoder, run once
 * per batch of sources, and the decoder, run for T ≥ 1 target steps with its state carried
 * (T = 1 per step for greedy/beam search, T = the whole target for teacher-forced scoring).
 *
 * encoder: src_ids int64 [S,B] (padded past each length), src_lengths int64 [B]
 *   → memory [B,S,Dm], keys [B,S,Hk] (attention's memory side), src_mask bool [B,S],
 *     h0 [L,B,H] = tanh(bridge(final encoder state of each layer)), c0 [L,B,H] zeros (LSTM)
 *   Each layer is one ONNX LSTM/GRU/RNN with sequence_lens, direction bidirectional when the
 *   encoder is: ONNX then runs each sequence backwards from its own last token, as rnnlm does.
 * decoder: tgt_ids int64 [T,B], h [L,B,H], c [L,B,H] (LSTM), memory, keys, src_mask
 *   → logits [B,T,Vt], hn, cn [L,B,H], attention [B,T,S]
 *   scores: dot/general q·kᵀ, concat vᵀ tanh(W_q q + k); masked with −∞ then Softmax;
 *   h̃ = tanh(W_c [context; q]); logits = generator(h̃).
 * Legend: S source steps, T target steps, B batch, E embedding, H hidden, L layers,
 * D directions, Dm = D·H memory size, Hk key size (Dm for dot, else H), Vs/Vt vocabularies.
 */
import type { Seq2Seq } from '../../models/seq2seq.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { TranslationSide } from '../../translate/side.js';
import { GraphBuilder } from './graph.js';
import type { OnnxExportOptions } from './lm.js';
import { DT, IR_VERSION, OPSET, type OnnxTypes, encodeModel } from './proto.js';
import { recurrentNode } from './recurrent.js';

/** [rows, cols] → its transpose [cols, rows] as float32. */
function transposed(t: Tensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c]!;
  return out;
}

function modelProto(graph: OnnxTypes.IGraphProto, doc: string, meta: Record<string, string>, opts: OnnxExportOptions): OnnxTypes.IModelProto {
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'rnnlm',
    producerVersion: opts.producerVersion ?? 'rnnlm',
    docString: doc,
    graph,
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
  };
}

/** The two graphs as ModelProto objects (see the header). */
export function translationGraphs(
  model: Seq2Seq,
  sides: { src: TranslationSide; tgt: TranslationSide } | null,
  opts: OnnxExportOptions = {},
): { encoder: OnnxTypes.IModelProto; decoder: OnnxTypes.IModelProto } {
  const c = model.config;
  const { embedSize: E, hiddenSize: H, numLayers: L, cell } = c;
  const D = c.bidirectional ? 2 : 1;
  const Dm = model.memorySize;
  const Hk = c.attention === 'dot' ? Dm : H;
  const sd = model.stateDict();
  const w = (name: string): Tensor => sd[name]!;
  const isLstm = cell === 'lstm';
  const { dtype: _dtype, ...config } = c;
  const meta: Record<string, string> = { 'rnnlm.config': JSON.stringify({ architecture: 'seq2seq', ...config }) };
  if (sides) meta['rnnlm.tokenizer'] = JSON.stringify({ src: sides.src.toJSON(), tgt: sides.tgt.toJSON() });

  // ---- encoder ----
  const e = new GraphBuilder();
  const src = e.input('src_ids', DT.INT64, ['S', 'B']);
  const lengths = e.input('src_lengths', DT.INT64, ['B']);
  const lens32 = e.op('Cast', [lengths], { to: DT.INT32 });
  let x = e.op('Gather', [e.weight('src_embed.weight', w('src_embed.weight').data, [c.srcVocabSize, E]), src], { axis: 0 }); // [S,B,E]
  const bridgeW = e.weight('bridge.weight', w('bridge.weight').data, [H, Dm]);
  const bridgeB = e.weight('bridge.bias', w('bridge.bias').data, [H]);
  const h0s: string[] = [];
  for (let l = 0; l < L; l++) {
    const I = l === 0 ? E : Dm;
    const dirs = (D === 2 ? ['', '_reverse'] : ['']).map((sfx) => ({
      weightIh: w(`encoder.weight_ih_l${l}${sfx}`).data,
      weightHh: w(`encoder.weight_hh_l${l}${sfx}`).data,
      biasIh: w(`encoder.bias_ih_l${l}${sfx}`).data,
      biasHh: w(`encoder.bias_hh_l${l}${sfx}`).data,
    }));
    const r = recurrentNode(e, cell, `encoder.l${l}`, dirs, H, I, { x, seqLens: lens32 });
    let final: string;
    if (D === 1) {
      x = e.op('Squeeze', [r.y, e.ints([1])]); // [S,1,B,H] → [S,B,H]
      final = e.op('Squeeze', [r.yh, e.ints([0])]); // [1,B,H] → [B,H]
    } else {
      x = e.op('Reshape', [e.op('Transpose', [r.y], { perm: [0, 2, 1, 3] }), e.ints([0, 0, -1])]); // [S,2,B,H] → [S,B,2,H] → [S,B,2H]
      final = e.op('Reshape', [e.op('Transpose', [r.yh], { perm: [1, 0, 2] }), e.ints([0, -1])]); // [2,B,H] → [B,2,H] → [B,2H]
    }
    const h0 = e.op('Tanh', [e.op('Gemm', [final, bridgeW, bridgeB], { transB: 1 })]); // [B,H]
    h0s.push(e.op('Unsqueeze', [h0, e.ints([0])])); // [1,B,H]
  }
  const memory = e.op('Transpose', [x], { perm: [1, 0, 2] }); // [S,B,Dm] → [B,S,Dm]
  e.output('memory', memory, DT.FLOAT, ['B', 'S', Dm]);
  let keys = memory;
  if (c.attention !== 'dot') {
    const kw = c.attention === 'general' ? w('attn.weight') : w('attn.key.weight'); // [H,Dm]
    keys = e.op('MatMul', [memory, e.weight(`${c.attention === 'general' ? 'attn.weight' : 'attn.key.weight'}.T`, transposed(kw), [Dm, H])]); // [B,S,H]
  }
  e.output('keys', keys, DT.FLOAT, ['B', 'S', Hk]);
  const S = e.op('Gather', [e.op('Shape', [src]), e.ints([0], true)], { axis: 0 }); // scalar S
  const positions = e.op('Unsqueeze', [e.op('Range', [e.ints([0], true), S, e.ints([1], true)]), e.ints([0])]); // [1,S]
  e.output('src_mask', e.op('Less', [positions, e.op('Unsqueeze', [lengths, e.ints([1])])]), DT.BOOL, ['B', 'S']); // [B,S]
  const h0 = h0s.length === 1 ? h0s[0]! : e.op('Concat', h0s, { axis: 0 }); // [L,B,H]
  e.output('h0', h0, DT.FLOAT, [L, 'B', H]);
  if (isLstm) e.output('c0', e.op('ConstantOfShape', [e.op('Shape', [h0])]), DT.FLOAT, [L, 'B', H]); // zeros [L,B,H]
  const encDoc =
    `rnnlm translation encoder (${cell}, ${L} layer${L > 1 ? 's' : ''}${D === 2 ? ', bidirectional' : ''}, ${c.attention} attention). ` +
    `Inputs: src_ids int64 [S,B] time-major, padded; src_lengths int64 [B]. Outputs: memory, keys, src_mask and the decoder's initial ${isLstm ? 'h0, c0' : 'h0'}.`;

  // ---- decoder ----
  const d = new GraphBuilder();
  const tgt = d.input('tgt_ids', DT.INT64, ['T', 'B']);
  const h = d.input('h', DT.FLOAT, [L, 'B', H]);
  const cIn = isLstm ? d.input('c', DT.FLOAT, [L, 'B', H]) : '';
  const mem = d.input('memory', DT.FLOAT, ['B', 'S', Dm]);
  const keysIn = d.input('keys', DT.FLOAT, ['B', 'S', Hk]);
  const mask = d.input('src_mask', DT.BOOL, ['B', 'S']);
  let y = d.op('Gather', [d.weight('tgt_embed.weight', w('tgt_embed.weight').data, [c.tgtVocabSize, E]), tgt], { axis: 0 }); // [T,B,E]
  const hs: string[] = [];
  const cs: string[] = [];
  for (let l = 0; l < L; l++) {
    const sl = (s: string): string => d.op('Slice', [s, d.ints([l]), d.ints([l + 1]), d.ints([0])]); // [L,B,H] → [1,B,H]
    const p = model.decoder.layerParams(l);
    const dir = { weightIh: p.weightIh.data, weightHh: p.weightHh.data, biasIh: p.biasIh?.data ?? null, biasHh: p.biasHh?.data ?? null };
    const r = recurrentNode(d, cell, `decoder.l${l}`, [dir], H, l === 0 ? E : H, { x: y, h0: sl(h), ...(isLstm ? { c0: sl(cIn) } : {}) });
    y = d.op('Squeeze', [r.y, d.ints([1])]); // [T,1,B,H] → [T,B,H]
    hs.push(r.yh);
    if (r.yc) cs.push(r.yc);
  }
  const query = d.op('Transpose', [y], { perm: [1, 0, 2] }); // [B,T,H]
  let scores: string;
  if (c.attention === 'concat') {
    const q = d.op('MatMul', [query, d.weight('attn.query.weight.T', transposed(w('attn.query.weight')), [H, H])]); // [B,T,H]
    const sum = d.op('Add', [d.op('Unsqueeze', [q, d.ints([2])]), d.op('Unsqueeze', [keysIn, d.ints([1])])]); // [B,T,1,H] + [B,1,S,H] → [B,T,S,H]
    const v = d.weight('attn.v.weight.T', transposed(w('attn.v.weight')), [H, 1]);
    scores = d.op('Squeeze', [d.op('MatMul', [d.op('Tanh', [sum]), v]), d.ints([3])]); // [B,T,S,1] → [B,T,S]
  } else {
    scores = d.op('MatMul', [query, d.op('Transpose', [keysIn], { perm: [0, 2, 1] })]); // [B,T,H]·[B,H,S] → [B,T,S]
  }
  const masked = d.op('Where', [d.op('Unsqueeze', [mask, d.ints([1])]), scores, d.scalar(-Infinity, 'minus_inf')]); // [B,1,S] broadcast over T
  const attention = d.op('Softmax', [masked], { axis: -1 }); // [B,T,S]
  const context = d.op('MatMul', [attention, mem]); // [B,T,Dm]
  const cat = d.op('Concat', [context, query], { axis: -1 }); // [B,T,Dm+H]
  const ht = d.op('Tanh', [d.op('MatMul', [cat, d.weight('combine.weight.T', transposed(w('combine.weight')), [Dm + H, H])])]); // [B,T,H]
  const gen = d.op('MatMul', [ht, d.weight('generator.weight.T', transposed(w('generator.weight')), [H, c.tgtVocabSize])]); // [B,T,Vt]
  d.output('logits', d.op('Add', [gen, d.weight('generator.bias', w('generator.bias').data, [c.tgtVocabSize])]), DT.FLOAT, ['B', 'T', c.tgtVocabSize]);
  const cat0 = (xs: string[]): string => (xs.length === 1 ? xs[0]! : d.op('Concat', xs, { axis: 0 })); // L × [1,B,H] → [L,B,H]
  d.output('hn', cat0(hs), DT.FLOAT, [L, 'B', H]);
  if (isLstm) d.output('cn', cat0(cs), DT.FLOAT, [L, 'B', H]);
  d.output('attention', attention, DT.FLOAT, ['B', 'T', 'S']);
  const decDoc =
    `rnnlm translation decoder, T ≥ 1 steps. Inputs: tgt_ids int64 [T,B] (the first is the target <eos>, the start symbol), ` +
    `${isLstm ? 'h, c' : 'h'} [L,B,H] (the encoder's h0${isLstm ? ', c0' : ''}, then this graph's last state), memory, keys, src_mask from the encoder. ` +
    `Outputs: logits [B,T,Vt], ${isLstm ? 'hn, cn' : 'hn'}, attention [B,T,S].`;

  return {
    encoder: modelProto(e.build('rnnlm_translation_encoder', encDoc), encDoc, meta, opts),
    decoder: modelProto(d.build('rnnlm_translation_decoder', decDoc), decDoc, meta, opts),
  };
}

/** The bytes of the two .onnx files (see the header). */
export function exportTranslationOnnx(
  model: Seq2Seq,
  sides: { src: TranslationSide; tgt: TranslationSide } | null,
  opts: OnnxExportOptions = {},
): { encoder: Uint8Array; decoder: Uint8Array } {
  const g = translationGraphs(model, sides, opts);
  return { encoder: encodeModel(g.encoder), decoder: encodeModel(g.decoder) };
}
