/**
 * A language model (RNNLM) as one ONNX graph with the recurrent state as explicit inputs and
 * outputs, so a caller runs any number of steps, keeps the state and continues (generation):
 *
 *   input_ids int64 [T,B] (time-major, as PyTorch's word_language_model)
 *   h0, c0 float [L,B,H] (c0 only for LSTM)       — per-layer sizes: h0_l{k}, c0_l{k} [1,B,H_k]
 *   → logits float [T,B,V], hn, cn [L,B,H]         — per-layer sizes: hn_l{k}, cn_l{k} [1,B,H_k]
 *
 * Graph: Gather(encoder.weight) → per layer ONNX LSTM/GRU/RNN (recurrent.ts) → Squeeze →
 * Gemm with decoder.weight (transB, so a tied model stores its one [V,E] matrix once) → Reshape.
 * metadata_props carry the rnnlm configuration and the tokenizer (`rnnlm.config`,
 * `rnnlm.tokenizer`), so the file alone is enough to encode text and decode ids.
 * Legend: T time, B batch, E embedding, H hidden, L layers, V vocabulary.
 */
import { RnnlmError } from '../../errors.js';
import type { RNNLM } from '../../models/rnnlm.js';
import type { Tokenizer } from '../../tokenizers/tokenizer.js';
import { GraphBuilder } from './graph.js';
import { DT, IR_VERSION, OPSET, type OnnxTypes, encodeModel } from './proto.js';
import { recurrentNode } from './recurrent.js';

export interface OnnxExportOptions {
  /** producer_version written into the file (default 'rnnlm'). */
  producerVersion?: string;
}

/** Names of the graph's state inputs/outputs, in order (see the header). */
export function lmStateNames(model: RNNLM): { inputs: string[]; outputs: string[] } {
  const isLstm = model.config.cell === 'lstm';
  if (model.rnn.layout === 'stacked') return isLstm ? { inputs: ['h0', 'c0'], outputs: ['hn', 'cn'] } : { inputs: ['h0'], outputs: ['hn'] };
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (let k = 0; k < model.rnn.numLayers; k++) {
    inputs.push(`h0_l${k}`, ...(isLstm ? [`c0_l${k}`] : []));
    outputs.push(`hn_l${k}`, ...(isLstm ? [`cn_l${k}`] : []));
  }
  return { inputs, outputs };
}

/** The model as an ONNX ModelProto object (encode with encodeModel, or use exportLanguageModelOnnx). */
export function languageModelGraph(model: RNNLM, tokenizer: Tokenizer | null, opts: OnnxExportOptions = {}): OnnxTypes.IModelProto {
  const c = model.config;
  const { vocabSize: V, embedSize: E, numLayers: L, cell } = c;
  const rnn = model.rnn;
  const stacked = rnn.layout === 'stacked';
  const isLstm = cell === 'lstm';
  const g = new GraphBuilder();

  const ids = g.input('input_ids', DT.INT64, ['T', 'B']);
  let h0 = '';
  let c0 = '';
  if (stacked) {
    h0 = g.input('h0', DT.FLOAT, [L, 'B', c.hiddenSize]);
    if (isLstm) c0 = g.input('c0', DT.FLOAT, [L, 'B', c.hiddenSize]);
  }
  const emb = g.weight('encoder.weight', model.encoder.weight.data, [V, E]);
  let x = g.op('Gather', [emb, ids], { axis: 0 }); // [T,B,E]
  const hs: string[] = [];
  const cs: string[] = [];
  for (let l = 0; l < L; l++) {
    const H = rnn.hiddenSizes[l]!;
    const I = l === 0 ? E : rnn.hiddenSizes[l - 1]!;
    let hl: string;
    let cl = '';
    if (stacked) {
      const sl = (s: string): string => g.op('Slice', [s, g.ints([l]), g.ints([l + 1]), g.ints([0])]); // [L,B,H] → [1,B,H]
      hl = sl(h0);
      if (isLstm) cl = sl(c0);
    } else {
      hl = g.input(`h0_l${l}`, DT.FLOAT, [1, 'B', H]);
      if (isLstm) cl = g.input(`c0_l${l}`, DT.FLOAT, [1, 'B', H]);
    }
    const p = rnn.layerParams(l);
    const dir = { weightIh: p.weightIh.data, weightHh: p.weightHh.data, biasIh: p.biasIh?.data ?? null, biasHh: p.biasHh?.data ?? null };
    const r = recurrentNode(g, cell, `rnn.l${l}`, [dir], H, I, { x, h0: hl, ...(isLstm ? { c0: cl } : {}) });
    x = g.op('Squeeze', [r.y, g.ints([1])]); // [T,1,B,H] → [T,B,H]
    hs.push(r.yh);
    if (r.yc) cs.push(r.yc);
  }
  const H = c.hiddenSize;
  const flat = g.op('Reshape', [x, g.ints([-1, H])]); // [T·B,H]
  const decW = c.tieWeights ? emb : g.weight('decoder.weight', model.decoder.weight.data, [V, H]);
  const decB = g.weight('decoder.bias', model.decoder.bias!.data, [V]);
  const logits2 = g.op('Gemm', [flat, decW, decB], { transB: 1 }); // [T·B,V]
  const shape = g.op('Concat', [g.op('Shape', [ids]), g.ints([V])], { axis: 0 }); // [T, B, V]
  g.output('logits', g.op('Reshape', [logits2, shape]), DT.FLOAT, ['T', 'B', V]); // [T,B,V]

  if (stacked) {
    const cat = (xs: string[]): string => (xs.length === 1 ? xs[0]! : g.op('Concat', xs, { axis: 0 })); // L × [1,B,H] → [L,B,H]
    g.output('hn', cat(hs), DT.FLOAT, [L, 'B', H]);
    if (isLstm) g.output('cn', cat(cs), DT.FLOAT, [L, 'B', H]);
  } else {
    for (let l = 0; l < L; l++) {
      const Hl = rnn.hiddenSizes[l]!;
      g.output(`hn_l${l}`, hs[l]!, DT.FLOAT, [1, 'B', Hl]);
      if (isLstm) g.output(`cn_l${l}`, cs[l]!, DT.FLOAT, [1, 'B', Hl]);
    }
  }

  const { dtype: _dtype, ...config } = c;
  const states = lmStateNames(model);
  const doc =
    `rnnlm language model (${cell}, ${L} layer${L > 1 ? 's' : ''}, V=${V}, E=${E}, H=${rnn.hiddenSizes.join('/')}${c.tieWeights ? ', tied' : ''}). ` +
    `Inputs: input_ids int64 [T,B] time-major, ${states.inputs.join(', ')} (zeros to start). ` +
    `Outputs: logits [T,B,V], ${states.outputs.join(', ')} (feed back as the next state).`;
  const metadataProps: OnnxTypes.IStringStringEntryProto[] = [{ key: 'rnnlm.config', value: JSON.stringify({ architecture: 'rnnlm', ...config }) }];
  if (tokenizer) {
    if (tokenizer.vocabSize !== V) throw new RnnlmError('checkpoint_mismatch', `the tokenizer has ${tokenizer.vocabSize} tokens but the model expects ${V}`);
    metadataProps.push({ key: 'rnnlm.tokenizer', value: JSON.stringify(tokenizer.toJSON()) });
  }
  return {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'rnnlm',
    producerVersion: opts.producerVersion ?? 'rnnlm',
    docString: doc,
    graph: g.build('rnnlm', doc),
    metadataProps,
  };
}

/** The bytes of a .onnx file holding the language model (see the header). */
export function exportLanguageModelOnnx(model: RNNLM, tokenizer: Tokenizer | null, opts: OnnxExportOptions = {}): Uint8Array {
  return encodeModel(languageModelGraph(model, tokenizer, opts));
}
