/**
 * Golden tests of the attention seq2seq against PyTorch (scripts/reference/make_attention_golden.py,
 * float64): the attention decoder (embedding → RNN step → Luong dot/general/concat attention with
 * the source mask → tanh(W_c[c; h]) → logits, mean cross-entropy with ignored padding) run both
 * as ONE fused teacher-forced call and step by step (T = 1, carrying the state), and the whole
 * model with a 2-layer bidirectional LSTM encoder. Logits, attention weights, loss, final state
 * and every gradient (parameters, memory, initial state) must match: 1e-9 in float64, 1e-5 in float32.
 * Legend: B batch, S source steps, T target steps, L layers, H hidden, Dm memory, V vocabulary.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../helpers/backend.js';
import { backward } from '../../src/autograd/graph.js';
import { Seq2Seq, type Encoded } from '../../src/models/seq2seq.js';
import type { AttentionKind } from '../../src/models/attention.js';
import { add, scale } from '../../src/ops/elementwise.js';
import { crossEntropy } from '../../src/ops/loss.js';
import type { DType, Tensor } from '../../src/tensor/tensor.js';
import { type TensorJson, readFixtureJson, toTensor } from './load-fixture.js';

const TOL: Record<DType, number> = { float64: 1e-9, float32: 1e-5 };
const CASES = ['attention_general_lstm', 'attention_dot_gru', 'attention_concat_lstm', 'attention_seq2seq_bilstm'];

interface AttnFixture {
  case: string;
  kind: 'decoder' | 'seq2seq';
  config: {
    cell: 'lstm' | 'gru';
    attention: AttentionKind;
    srcVocabSize?: number;
    tgtVocabSize: number;
    embedSize: number;
    hiddenSize: number;
    numLayers: number;
    memorySize: number;
    bidirectional: boolean;
    B: number;
    S: number;
    T: number;
  };
  state_dict: Record<string, TensorJson>;
  src?: number[];
  src_lengths: number[];
  memory?: TensorJson;
  h0?: TensorJson;
  c0?: TensorJson | null;
  tgt_in: number[];
  tgt_out: number[];
  logits: TensorJson;
  attention: TensorJson;
  loss: number;
  hT: TensorJson;
  cT: TensorJson | null;
  grads: Record<string, TensorJson>;
}

function assertClose(what: string, actual: Tensor | null | undefined, expected: TensorJson, tol: number): void {
  assert.ok(actual, `${what}: missing`);
  assert.equal(actual.size, expected.data.length, `${what}: element count`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i]!;
    const err = Math.abs(actual.data[i]! - e) / Math.max(1, Math.abs(e));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: error ${worst} > ${tol} at ${at} (got ${actual.data[at]}, PyTorch ${expected.data[at]})`);
}

function build(fx: AttnFixture, dtype: DType): Seq2Seq {
  const c = fx.config;
  const m = new Seq2Seq({
    srcVocabSize: c.srcVocabSize ?? 2,
    tgtVocabSize: c.tgtVocabSize,
    embedSize: c.embedSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    cell: c.cell,
    bidirectional: c.bidirectional,
    attention: c.attention,
    dtype,
  });
  assert.equal(m.memorySize, c.memorySize);
  const sd = m.stateDict();
  if (fx.kind === 'seq2seq') {
    const loaded: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(fx.state_dict)) loaded[k] = toTensor(t, dtype, k);
    m.loadStateDict(loaded); // every name must match PyTorch's
  } else {
    for (const [k, t] of Object.entries(fx.state_dict)) {
      assert.ok(sd[k], `model has no parameter ${k}`);
      assert.deepEqual([...sd[k]!.shape], t.shape, `${k}: shape`);
      sd[k]!.data.set(t.data);
    }
  }
  return m;
}

/** Runs the fixture through our model; `stepwise` decodes one step at a time. */
function run(fx: AttnFixture, dtype: DType, stepwise: boolean) {
  const { B, S, T } = fx.config;
  const V = fx.config.tgtVocabSize;
  const m = build(fx, dtype);
  const lengths = Int32Array.from(fx.src_lengths);
  let enc: Encoded;
  let memory: Tensor | null = null;
  let h0: Tensor | null = null;
  let c0: Tensor | null = null;
  if (fx.kind === 'seq2seq') {
    enc = m.encode(Int32Array.from(fx.src!), S, B, lengths);
  } else {
    memory = toTensor(fx.memory!, dtype, 'memory');
    h0 = toTensor(fx.h0!, dtype, 'h0');
    c0 = fx.c0 ? toTensor(fx.c0, dtype, 'c0') : null;
    for (const t of [memory, h0, c0]) if (t) t.requiresGrad = true;
    const mask = new Uint8Array(B * S);
    fx.src_lengths.forEach((n, b) => mask.fill(1, b * S, b * S + n));
    enc = m.prepareMemory(memory, mask, { h: h0, c: c0 });
  }
  const tgtIn = Int32Array.from(fx.tgt_in);
  const tgtOut = Int32Array.from(fx.tgt_out);
  let logits: number[];
  let attention: number[];
  let state = enc.state;
  let loss: Tensor;
  if (!stepwise) {
    const r = m.decode(enc, tgtIn, T, enc.state);
    logits = Array.from(r.logits.data);
    attention = Array.from(r.attention.data);
    state = r.state;
    loss = crossEntropy(r.logits, tgtOut, { ignoreIndex: -100 });
  } else {
    logits = new Array<number>(B * T * V);
    attention = new Array<number>(B * T * S);
    let sum: Tensor | null = null;
    let count = 0;
    for (let t = 0; t < T; t++) {
      const r = m.decode(enc, tgtIn.slice(t * B, (t + 1) * B), 1, state);
      state = r.state;
      const targets = Int32Array.from({ length: B }, (_, b) => tgtOut[b * T + t]!);
      for (let b = 0; b < B; b++) {
        for (let v = 0; v < V; v++) logits[(b * T + t) * V + v] = r.logits.data[b * V + v]!;
        for (let s = 0; s < S; s++) attention[(b * T + t) * S + s] = r.attention.data[b * S + s]!;
        if (targets[b] !== -100) count++;
      }
      const l = crossEntropy(r.logits, targets, { ignoreIndex: -100, reduction: 'sum' });
      sum = sum ? add(sum, l) : l;
    }
    loss = scale(sum!, 1 / count);
  }
  backward(loss);
  const grads: Record<string, Tensor | null> = {};
  for (const [k, p] of m.namedParameters()) grads[k] = p.grad;
  if (memory) grads.memory = memory.grad;
  if (h0) grads.h0 = h0.grad;
  if (c0) grads.c0 = c0.grad;
  return { logits, attention, loss: loss.item(), state, grads };
}

const asTensor = (values: number[]): Tensor => ({ size: values.length, data: values }) as unknown as Tensor;

describe('golden: attention seq2seq vs PyTorch', () => {
  for (const name of CASES) {
    const fx = readFixtureJson(name) as unknown as AttnFixture;
    const paths: boolean[] = fx.kind === 'decoder' ? [false, true] : [false];
    for (const dtype of ['float64', 'float32'] as const) {
      for (const stepwise of paths) {
        test(`${name} (${dtype}, ${stepwise ? 'step by step' : 'fused over T'})`, () => {
          const tol = TOL[dtype];
          const r = run(fx, dtype, stepwise);
          assertClose('logits', asTensor(r.logits), fx.logits, tol);
          assertClose('attention', asTensor(r.attention), fx.attention, tol);
          assert.ok(Math.abs(r.loss - fx.loss) <= tol * Math.max(1, Math.abs(fx.loss)), `loss ${r.loss} vs ${fx.loss}`);
          assertClose('hT', r.state.h, fx.hT, tol);
          if (fx.cT) assertClose('cT', r.state.c, fx.cT, tol);
          // Everything that got a gradient is checked (decoder cases leave the unused encoder without one).
          const got = Object.entries(r.grads)
            .filter(([, g]) => g !== null)
            .map(([k]) => k);
          assert.deepEqual(got.sort(), Object.keys(fx.grads).sort(), 'gradient names');
          for (const [k, g] of Object.entries(fx.grads)) assertClose(`grad ${k}`, r.grads[k], g, tol);
        });
      }
    }
  }
});
