/**
 * lmStep, the fused one-token step of a stacked recurrent LM (kernels.ts), on every backend here:
 * js (float32 and float64), wasm (its fallback composed from its own kernels) and native on every
 * ISA build and bf16 path this CPU runs, with and without pinned bf16 weights. On each it must give
 * the bits of the op-by-op path on the same backend (lmStepComposed: embedding, recurrentForward
 * T = 1 per layer, decoder gemm + bias), fp32 and bf16, for 1 and 2 threads; and stay within
 * float32 tolerance of the float64 js reference. Then the model level: RNNLM.decodeStep equals
 * forward(ids, 1, B, state) bit for bit, and generateTokens (which runs on it) gives the tokens
 * and log-probabilities of a plain forward-and-sample loop.
 *
 * Dimension legend: B rows, E embedding, H_l layer sizes, G gates, V vocabulary.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../helpers/backend.js';
import { noGrad } from '../../src/autograd/graph.js';
import { BF16_MODES, pinArrays, registerBackend, setBackend } from '../../src/backend/backend.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { type F, type Kernels, type LmStepArgs, type Precision, RECURRENT_MODES, type RecurrentMode, gatesOf } from '../../src/backend/kernels.js';
import { lmStepComposed } from '../../src/backend/lm-step.js';
import { loadNativeBackend, nativeControls } from '../../src/backend/native/index.js';
import { loadWasmBackend } from '../../src/backend/wasm/node.js';
import { isRnnlmError } from '../../src/errors.js';
import { logSoftmaxRow, sampleToken } from '../../src/generate/sample.js';
import { generateTokens } from '../../src/generate/generate.js';
import { RNNLM } from '../../src/models/rnnlm.js';
import { Rng } from '../../src/tensor/random.js';
import { CharTokenizer } from '../../src/tokenizers/char.js';

interface Case {
  B: number;
  E: number;
  Hs: number[];
  V: number;
  bias: boolean;
}

const CASES: Case[] = [
  { B: 1, E: 5, Hs: [7, 7], V: 11, bias: true },
  { B: 3, E: 4, Hs: [6, 9], V: 5, bias: false },
  { B: 16, E: 33, Hs: [40], V: 70, bias: true },
  { B: 2, E: 48, Hs: [64, 64, 32], V: 17, bias: true },
  // Big enough for the native kernel to split each layer and the decoder across threads.
  { B: 4, E: 128, Hs: [256, 256], V: 600, bias: true },
];

/** A problem in plain numbers; `as(make)` turns it into one backend's arrays (fresh h, c each time). */
function problem(mode: RecurrentMode, c: Case, seed: number) {
  const rng = new Rng(seed);
  const r = (n: number, s = 1): number[] => Array.from({ length: n }, () => rng.uniformRange(-s, s));
  const G = gatesOf(mode);
  const Vin = c.V + 2;
  const emb = r(Vin * c.E);
  const layers = c.Hs.map((H, l) => {
    const I = l === 0 ? c.E : c.Hs[l - 1]!;
    const s = 1 / Math.sqrt(H);
    return { wIh: r(G * H * I, s), wHh: r(G * H * H, s), bIh: c.bias ? r(G * H, s) : null, bHh: c.bias ? r(G * H, s) : null };
  });
  const total = c.B * c.Hs.reduce((a, h) => a + h, 0);
  const h = r(total, 0.5);
  const cc = mode === 'lstm' ? r(total) : null;
  const Hl = c.Hs[c.Hs.length - 1]!;
  const dw = r(c.V * Hl, 1 / Math.sqrt(Hl));
  const db = c.bias ? r(c.V, 0.1) : null;
  const ids = Int32Array.from({ length: c.B }, (_, b) => (b * 5 + 1) % Vin);
  return (make: (v: number[]) => F, precision: Precision): LmStepArgs => ({
    mode,
    B: c.B,
    E: c.E,
    hiddenSizes: c.Hs,
    V: c.V,
    precision,
    embedding: make(emb),
    ids,
    layers: layers.map((w) => ({ weightIh: make(w.wIh), weightHh: make(w.wHh), biasIh: w.bIh && make(w.bIh), biasHh: w.bHh && make(w.bHh) })),
    h: make(h),
    c: cc && make(cc),
    decoderWeight: make(dw),
    decoderBias: db && make(db),
    logits: make(Array<number>(c.B * c.V).fill(Number.NaN)),
  });
}

const f32 = (v: number[]): F => Float32Array.from(v);
const f64 = (v: number[]): F => Float64Array.from(v);

/** What one step produced: logits and the new state. */
const outputs = (a: LmStepArgs): F[] => (a.c ? [a.logits, a.h, a.c] : [a.logits, a.h]);

function maxRelErr(got: F, want: F): number {
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
  return e;
}

interface BackendUnderTest {
  name: string;
  k: Kernels;
  /** Switches to this variant (ISA, bf16 path); returns the undo. */
  setup?: () => () => void;
  /** Native: pins these weights for products in `precision` (Backend.pin); returns the unpin. */
  pin?: (arrays: Float32Array[], precision: Precision) => () => void;
  threads?: (n: number) => () => void;
}

function backendsUnderTest(): BackendUnderTest[] {
  const list: BackendUnderTest[] = [{ name: 'js', k: jsBackend.kernels }];
  const wasm = loadWasmBackend();
  if (wasm) list.push({ name: 'wasm (composed fallback)', k: wasm.kernels });
  const native = loadNativeBackend();
  const ctl = nativeControls();
  if (!native || !ctl) return list;
  const info = ctl.info();
  const threads = (n: number) => {
    ctl.setThreads(n);
    return () => void ctl.setThreads(info.threads);
  };
  for (const isa of info.isas) {
    ctl.setIsa(isa);
    const modes = isa === 'avx512' ? BF16_MODES.filter((m) => ctl.setBf16Mode(m) === m) : ['emulated' as const];
    ctl.setBf16Mode(info.bf16);
    ctl.setIsa(info.isa);
    for (const mode of modes) {
      const setup = (): (() => void) => {
        ctl.setIsa(isa);
        ctl.setBf16Mode(mode);
        return () => {
          ctl.setBf16Mode(info.bf16);
          ctl.setIsa(info.isa);
        };
      };
      const pin = (arrays: Float32Array[], precision: Precision) => native.pin!(arrays, precision);
      list.push({ name: `native ${isa} bf16 ${mode}`, k: native.kernels, setup, pin, threads });
    }
  }
  return list;
}

for (const be of backendsUnderTest()) {
  describe(`lmStep: ${be.name}`, () => {
    for (const mode of RECURRENT_MODES) {
      test(`${mode}: the bits of the op-by-op path (fp32 and bf16), within float32 tolerance of float64`, () => {
        const restore = be.setup?.() ?? (() => {});
        try {
          CASES.forEach((c, ci) => {
            const make = problem(mode, c, 10 + ci);
            const ref64 = make(f64, 'fp32');
            lmStepComposed(jsBackend.kernels, ref64);
            for (const precision of ['fp32', 'bf16'] as const) {
              const what = `${mode} B=${c.B} E=${c.E} H=${c.Hs.join('/')} V=${c.V} ${precision}`;
              const want = make(f32, precision);
              lmStepComposed(be.k, want);
              // Each variant arranges the call (threads, pinned weights) and returns its undo.
              const variants: [string, (a: LmStepArgs) => () => void][] = [['', () => () => {}]];
              if (be.threads) variants.push([' 1 thread', () => be.threads!(1)], [' 2 threads', () => be.threads!(2)]);
              if (be.pin) {
                const weights = (a: LmStepArgs) => [a.embedding, a.decoderWeight, ...a.layers.flatMap((w) => [w.weightIh, w.weightHh])] as Float32Array[];
                variants.push([' pinned', (a) => be.pin!(weights(a), precision)]);
                // Pinned, then the 2 threads split the packed blocks (columns not on a block of 4 read the rows).
                variants.push([
                  ' pinned, 2 threads',
                  (a) => {
                    const unpin = be.pin!(weights(a), precision);
                    const undo = be.threads!(2);
                    return () => (undo(), unpin());
                  },
                ]);
              }
              for (const [label, arrange] of variants) {
                const got = make(f32, precision);
                const undo = arrange(got);
                try {
                  be.k.lmStep(got);
                } finally {
                  undo();
                }
                outputs(got).forEach((o, i) => assert.deepEqual(o, outputs(want)[i], `${what}${label}: output ${i} bit for bit`));
              }
              const tol = precision === 'fp32' ? 1e-5 : 3e-2;
              outputs(want).forEach((o, i) => {
                const e = maxRelErr(o, outputs(ref64)[i]!);
                assert.ok(e < tol, `${what}: output ${i} is ${e} from the float64 reference`);
              });
            }
          });
          // float64 on the js backend: lmStep is the composition itself.
          if (be.name === 'js') {
            const make = problem(mode, CASES[1]!, 3);
            const a = make(f64, 'fp32');
            const b = make(f64, 'fp32');
            be.k.lmStep(a);
            lmStepComposed(jsBackend.kernels, b);
            outputs(a).forEach((o, i) => assert.deepEqual(o, outputs(b)[i]));
          }
        } finally {
          restore();
        }
      });
    }

    test('bad arguments are clear errors', () => {
      const make = problem('lstm', CASES[0]!, 1);
      const bad = (over: Partial<LmStepArgs>, re: RegExp) =>
        assert.throws(
          () => be.k.lmStep({ ...make(f32, 'fp32'), ...over }),
          (e: unknown) => isRnnlmError(e) && re.test(e.message),
        );
      bad({ B: 17, ids: new Int32Array(17) }, /1 to 16/);
      bad({ c: null }, /c must be given/);
      bad({ ids: Int32Array.from([999]) }, /outside the vocabulary|token id/);
      bad({ h: new Float32Array(3) }, /h has 3 elements/);
    });
  });
}

// ------------------------------------------------------------------------------------------------ model level

const native = loadNativeBackend();
if (native) registerBackend(native);

describe('RNNLM.decodeStep and generation on it', () => {
  const TEXT = 'the cat sat on the mat\nthe dog ran to the cat\n';
  const tok = CharTokenizer.fromText(TEXT);
  for (const backend of ['js', 'native'] as const) {
    for (const precision of ['fp32', 'bf16'] as const) {
      for (const hiddenSizes of [null, [10, 16]]) {
        const name = `${backend} ${precision}${hiddenSizes ? ' per-layer sizes' : ''}`;
        test(`${name}: decodeStep equals forward(ids, 1, B, state); generateTokens equals a forward-and-sample loop`, {
          skip: backend === 'native' && !native,
        }, () => {
          setBackend(backend);
          try {
            const model = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 12, hiddenSize: 16, hiddenSizes, numLayers: 2, cell: 'lstm', seed: 9, precision });
            model.eval();
            const V = tok.vocabSize;
            for (const B of [1, 4]) {
              const ids = Int32Array.from({ length: B }, (_, b) => (b * 3 + 2) % V);
              const state = model.initState(B);
              const rng = new Rng(4);
              for (const t of [state.h, state.c!]) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniformRange(-0.5, 0.5);
              const fwd = noGrad(() => model.forward(ids, 1, B, state));
              const logits = new Float32Array(B * V);
              model.decodeStep(ids, state, logits); // state advanced in place
              assert.deepEqual(logits, fwd.logits.data, `B=${B} logits`);
              assert.deepEqual(state.h.data, fwd.state.h.data, `B=${B} h`);
              assert.deepEqual(state.c!.data, fwd.state.c!.data, `B=${B} c`);
            }
            // Generation: the fused engine vs forward + the same sampling, one token at a time.
            const opts = { prompt: 'the c', maxTokens: 25, temperature: 0.9, seed: 7, stopAtEos: false };
            const fused = [...generateTokens(model, tok, opts)];
            const unpin = pinArrays(
              model.parameters().map((p) => p.data),
              precision,
            );
            const plain: { id: number; logProbs: Float64Array }[] = [];
            try {
              noGrad(() => {
                const rng = new Rng(opts.seed);
                let state = model.initState(1);
                let input = Array.from(tok.encode(opts.prompt));
                while (plain.length < opts.maxTokens) {
                  let row: Float32Array | Float64Array = new Float32Array(0);
                  for (const id of input) {
                    const f = model.forward(Int32Array.of(id), 1, 1, state); // the prompt one token a step, as the engine reads it
                    state = f.state;
                    row = f.logits.data;
                  }
                  const id = sampleToken(row, { temperature: opts.temperature, rng });
                  plain.push({ id, logProbs: logSoftmaxRow(row, new Float64Array(V)) });
                  input = [id];
                }
              });
            } finally {
              unpin();
            }
            assert.deepEqual(
              fused.map((t) => t.id),
              plain.map((t) => t.id),
              'tokens',
            );
            fused.forEach((t, k) => assert.deepEqual(t.logProbs, plain[k]!.logProbs, `token ${k}: log-probs bit for bit`));
          } finally {
            setBackend('js');
          }
        });
      }
    }
  }
});
