/**
 * rnnlm's weights as a TensorFlow.js language model, in TF.js's two usual formulations, and the
 * benchmark tasks run identically on either side (bench/tfjs.ts in Node, bench/tfjs-page.ts in
 * Chromium). No node:* import: the page bundles this file.
 *
 * Weight conversion (rnnlm = PyTorch nn.LSTM layout, gates stacked i, f, g, o along the rows):
 *   Keras/TF.js LSTM kernel [E, 4H] = weight_ih_lk^T, recurrent kernel [H, 4H] = weight_hh_lk^T,
 *   bias [4H] = bias_ih_lk + bias_hh_lk; Keras stacks its gates i, f, c, o along the columns
 *   (tfjs-layers LSTMCell.call splits z into z0..z3 = i, f, c, o), the same order, so no
 *   permutation. Decoder [H, V] = decoder.weight^T; embedding [V, E] as is.
 *
 * Formulations:
 *   layers  tf.layers.lstm (recurrentActivation 'sigmoid': its default is hardSigmoid; zeros
 *           initializers, because setWeights overwrites them and the default orthogonal
 *           initializer costs tens of seconds on wasm), applied eagerly with initialState.
 *   ops     matMul per step with the input projection of the whole window hoisted out of the
 *           time loop. Inference takes each step's rows and the four gates with tf.gather (the wasm
 *           backend's Slice, behind tf.slice / tf.split / tf.unstack and tf.basicLSTMCell, reads
 *           its whole source back from the heap on every call). Training cannot: the gradient of
 *           gather is UnsortedSegmentSum, which tfjs-backend-wasm 4.22 does not register, so a
 *           training forward takes tf.unstack / tf.split, and both formulations then look the
 *           embedding up as oneHot(ids)·E (V = 65) instead of tf.gather.
 *
 * Legend: T time steps of a window, B batch, E embedding, H hidden, L layers, V vocabulary.
 */
import type * as TF from '@tensorflow/tfjs';
import { logSoftmaxRow } from '../src/generate/sample.js';
import { RNNLM, Rng, SGD, type Tokenizer, backward, batchify, evaluate, generateTokens, getBatch, noGrad, sampleToken } from '../src/index.js';

type Tf = typeof TF;
export type Formulation = 'layers' | 'ops';
export const FORMULATIONS: readonly Formulation[] = ['layers', 'ops'];

/** The benchmark's model: bench/lm-rnnlm.ts `--model char` (2×512 LSTM, embedding 512, V = 65), seed 1. */
export const CHAR_MODEL = { embedSize: 512, hiddenSize: 512, numLayers: 2 } as const;

export function makeModel(vocabSize: number, size: { embedSize: number; hiddenSize: number; numLayers: number } = CHAR_MODEL, seed = 1): RNNLM {
  // PyTorch's default init (embedding N(0, 1)), not the example's U(±0.1): the check's log-probabilities then spread
  // over a few nats instead of sitting at log(1/V), so a wrong conversion cannot hide under the tolerance.
  return new RNNLM({ vocabSize, ...size, cell: 'lstm', dropout: 0, init: 'torch', seed });
}

/** An LM step function over TF.js tensors; `state` is [h_k, c_k] per layer, each [B, H]. */
export interface TfLM {
  readonly name: Formulation;
  /**
   * ids [B, T] batch-major (int32) → logits [B·T, V] (row b·T + t) and the final state.
   * `train`: only ops with a gradient on every TF.js backend (see the header).
   */
  forward(ids: TF.Tensor2D, state: TF.Tensor2D[] | null, train?: boolean): { logits: TF.Tensor2D; state: TF.Tensor2D[] };
  readonly trainable: TF.Variable[];
  dispose(): void;
}

/** rnnlm's parameters as float32 TF.js variables in TF.js's layout (see the header). */
function convert(tf: Tf, model: RNNLM) {
  const sd = model.stateDict();
  const { vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L } = model.config;
  const f32 = (name: string): Float32Array => Float32Array.from(sd[name]!.data);
  const t = (x: TF.Tensor2D): TF.Tensor2D => tf.tidy(() => tf.transpose(x));
  const layers = Array.from({ length: L }, (_, k) => {
    const inSize = k === 0 ? E : H;
    const bias = f32(`rnn.bias_ih_l${k}`);
    const bhh = f32(`rnn.bias_hh_l${k}`);
    for (let i = 0; i < bias.length; i++) bias[i]! += bhh[i]!;
    return {
      kernel: t(tf.tensor2d(f32(`rnn.weight_ih_l${k}`), [4 * H, inSize])), // [in, 4H]
      recurrent: t(tf.tensor2d(f32(`rnn.weight_hh_l${k}`), [4 * H, H])), // [H, 4H]
      bias: tf.tensor1d(bias), // [4H]
    };
  });
  return {
    V,
    E,
    H,
    L,
    embedding: tf.variable(tf.tensor2d(f32('encoder.weight'), [V, E])), // [V, E]
    decoderW: tf.variable(t(tf.tensor2d(f32('decoder.weight'), [V, H]))), // [H, V]
    decoderB: tf.variable(tf.tensor1d(f32('decoder.bias'))), // [V]
    layers,
  };
}

export function buildTfLM(tf: Tf, model: RNNLM, name: Formulation): TfLM {
  const w = convert(tf, model);
  const { H } = w;
  const head = (y: TF.Tensor2D): TF.Tensor2D => tf.add(tf.matMul(y, w.decoderW), w.decoderB); // [N, V]
  // [..., E] embeddings of int32 ids of any shape.
  const embed = (ids: TF.Tensor, train: boolean): TF.Tensor =>
    train ? tf.reshape(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]), w.V), w.embedding), [...ids.shape, w.E]) : tf.gather(w.embedding, ids);
  const zeros = (B: number): TF.Tensor2D[] => Array.from({ length: 2 * w.L }, () => tf.zeros([B, H]) as TF.Tensor2D);

  if (name === 'layers') {
    const cells = w.layers.map((l, k) => {
      const lstm = tf.layers.lstm({
        units: H,
        returnSequences: true,
        returnState: true,
        recurrentActivation: 'sigmoid',
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
        biasInitializer: 'zeros',
        name: `lstm_${k}`,
      });
      tf.tidy(() => void lstm.apply(tf.zeros([1, 1, k === 0 ? w.E : H]))); // builds the weights (apply() does, not build())
      lstm.setWeights([l.kernel, l.recurrent, l.bias]);
      for (const x of [l.kernel, l.recurrent, l.bias]) x.dispose();
      return lstm;
    });
    return {
      name,
      forward(ids, state, train = false) {
        const [B, T] = ids.shape;
        const s = state ?? zeros(B);
        let x = embed(ids, train) as TF.Tensor3D; // [B, T, E]
        const next: TF.Tensor2D[] = [];
        cells.forEach((cell, k) => {
          const [y, h, c] = cell.apply(x, { initialState: [s[2 * k]!, s[2 * k + 1]!] }) as TF.Tensor[];
          x = y as TF.Tensor3D; // [B, T, H]
          next.push(h as TF.Tensor2D, c as TF.Tensor2D);
        });
        return { logits: head(tf.reshape(x, [B * T, H])), state: next };
      },
      trainable: [w.embedding, w.decoderW, w.decoderB, ...cells.flatMap((c) => c.trainableWeights.map((v) => v.read() as TF.Variable))],
      dispose() {
        for (const c of cells) c.dispose();
        for (const v of [w.embedding, w.decoderW, w.decoderB]) v.dispose();
      },
    };
  }

  // ops: column index sets of the four gates i, f, g, o in the [B, 4H] pre-activations.
  const gateIdx = [0, 1, 2, 3].map((g) => tf.range(g * H, (g + 1) * H, 1, 'int32'));
  const vars = w.layers.map((l) => ({ kernel: tf.variable(l.kernel), recurrent: tf.variable(l.recurrent), bias: tf.variable(l.bias) }));
  const stepIdx: TF.Tensor1D[] = [];
  const stepIndex = (t: number): TF.Tensor1D => {
    while (stepIdx.length <= t) stepIdx.push(tf.keep(tf.tensor1d([stepIdx.length], 'int32'))); // kept: forward runs inside tidy()
    return stepIdx[t]!;
  };
  return {
    name,
    forward(ids, state, train = false) {
      const [B, T] = ids.shape;
      const s = state ?? zeros(B);
      let x = tf.reshape(embed(tf.transpose(ids), train), [T * B, w.E]) as TF.Tensor2D; // [T·B, E] time-major
      const next: TF.Tensor2D[] = [];
      vars.forEach((l, k) => {
        const xp = tf.reshape(tf.add(tf.matMul(x, l.kernel), l.bias), [T, B * 4 * H]); // [T, B·4H]
        const steps = train && T > 1 ? tf.unstack(xp) : null; // T × [B·4H]
        let h = s[2 * k]!;
        let c = s[2 * k + 1]!;
        const ys: TF.Tensor2D[] = [];
        for (let t = 0; t < T; t++) {
          const xt = T === 1 ? xp : (steps?.[t] ?? tf.gather(xp, stepIndex(t)));
          const z = tf.add(tf.reshape(xt, [B, 4 * H]), tf.matMul(h, l.recurrent)) as TF.Tensor2D; // [B, 4H]
          const [i, f, g, o] = train ? tf.split(z, 4, 1) : gateIdx.map((idx) => tf.gather(z, idx, 1));
          c = tf.add(tf.mul(tf.sigmoid(f!), c), tf.mul(tf.sigmoid(i!), tf.tanh(g!)));
          h = tf.mul(tf.sigmoid(o!), tf.tanh(c));
          ys.push(h);
        }
        x = (T === 1 ? ys[0]! : tf.reshape(tf.stack(ys), [T * B, H])) as TF.Tensor2D; // [T·B, H] time-major
        next.push(h, c);
      });
      // Rows back to batch-major (b·T + t), as the layers formulation returns them.
      const y = T === 1 ? x : (tf.reshape(tf.transpose(tf.reshape(x, [T, B, H]), [1, 0, 2]), [B * T, H]) as TF.Tensor2D);
      return { logits: head(y), state: next };
    },
    trainable: [w.embedding, w.decoderW, w.decoderB, ...vars.flatMap((l) => [l.kernel, l.recurrent, l.bias])],
    dispose() {
      for (const v of [...gateIdx, ...stepIdx, w.embedding, w.decoderW, w.decoderB, ...vars.flatMap((l) => [l.kernel, l.recurrent, l.bias])]) v.dispose();
    },
  };
}

/** Time-major [T, B] ids → batch-major [B, T] int32 tensor. */
function batchMajor(tf: Tf, ids: Int32Array, T: number, B: number): TF.Tensor2D {
  const out = new Int32Array(T * B);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out[b * T + t] = ids[t * B + b]!;
  return tf.tensor2d(out, [B, T], 'int32');
}

/**
 * The training loss of one window from the zero state: mean cross-entropy of time-major [T, B]
 * targets given time-major [T, B] inputs, through the gradient-safe forward (see the header).
 * Note that SGD then updates TF.js's one bias b = b_ih + b_hh once where rnnlm updates both terms.
 */
export function trainingLoss(tf: Tf, lm: TfLM, input: Int32Array, target: Int32Array, T: number, B: number): TF.Scalar {
  return tf.tidy(() => crossEntropy(tf, lm.forward(batchMajor(tf, input, T, B), null, true).logits, target, T, B, 'mean'));
}

/** Time-major [T, B] targets → the mean (or sum) cross-entropy of batch-major logits [B·T, V]. */
function crossEntropy(tf: Tf, logits: TF.Tensor2D, targets: Int32Array, T: number, B: number, reduce: 'sum' | 'mean'): TF.Scalar {
  const y = tf.reshape(batchMajor(tf, targets, T, B), [B * T]) as TF.Tensor1D;
  const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(y, logits.shape[1]), tf.logSoftmax(logits)), 1)); // [B·T]
  return (reduce === 'sum' ? tf.sum(nll) : tf.mean(nll)) as TF.Scalar;
}

// ---------------------------------------------------------------------------------------------
// The tasks. A side is rnnlm (whatever backend is active) or one TF.js formulation (whatever
// TF.js backend is active). Each task returns its own numbers; timing is performance.now().

export type Side = { kind: 'rnnlm'; model: RNNLM } | { kind: 'tfjs'; tf: Tf; lm: TfLM };

/** Per-position log-probability rows of `ids` (batch 1, from the zero state): [(n−1)·V], row t = log p(· | ids[0..t]). */
export async function logProbs(side: Side, ids: Int32Array): Promise<Float32Array> {
  const n = ids.length - 1;
  if (side.kind === 'rnnlm') {
    const { model } = side;
    const V = model.config.vocabSize;
    const logits = noGrad(() => model.eval().forward(ids.subarray(0, n), n, 1).logits); // [n, V]
    const out = new Float32Array(n * V);
    const row = new Float64Array(V);
    for (let t = 0; t < n; t++) out.set(logSoftmaxRow(logits.data.subarray(t * V, (t + 1) * V) as Float32Array, row), t * V);
    return out;
  }
  const { tf, lm } = side;
  const lp = tf.tidy(() => tf.logSoftmax(lm.forward(tf.tensor2d(ids.subarray(0, n), [1, n], 'int32'), null).logits));
  const out = (await lp.data()) as Float32Array;
  lp.dispose();
  return out;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return Number.isNaN(m) ? Number.POSITIVE_INFINITY : m;
}

/**
 * Generation: batch 1, one token per step, state carried, temperature-1 sampling from the
 * log-softmax of the step's logits (rnnlm: generateTokens; TF.js: the logits read back and
 * sampled with rnnlm's sampleToken). Returns ms per token over `tokens` steps after `warmup`.
 */
export async function generateMs(side: Side, tokenizer: Tokenizer, warmup: number, tokens: number, seed = 1): Promise<number> {
  if (side.kind === 'rnnlm') {
    let k = 0;
    let t0 = performance.now();
    for (const _ of generateTokens(side.model.eval(), tokenizer, { maxTokens: warmup + tokens, temperature: 1, seed, stopAtEos: false })) {
      if (++k === warmup) t0 = performance.now();
    }
    return (performance.now() - t0) / tokens;
  }
  const { tf, lm } = side;
  const rng = new Rng(seed);
  const V = tokenizer.vocabSize;
  const row = new Float64Array(V);
  let state: TF.Tensor2D[] | null = null;
  let id = 0;
  let t0 = performance.now();
  for (let k = 1; k <= warmup + tokens; k++) {
    const prev: TF.Tensor2D[] | null = state;
    const out = tf.tidy(() => {
      const r = lm.forward(tf.tensor2d([id], [1, 1], 'int32'), prev);
      return [r.logits, ...r.state];
    });
    if (prev) for (const s of prev) s.dispose();
    const [logits, ...next] = out as TF.Tensor2D[];
    state = next;
    const lp = logSoftmaxRow((await logits!.data()) as Float32Array, row);
    logits!.dispose();
    id = sampleToken(lp, { temperature: 1, rng });
    if (k === warmup) t0 = performance.now();
  }
  if (state) for (const s of state) s.dispose();
  return (performance.now() - t0) / tokens;
}

/** The first n targets of `ids` as evaluation windows: B columns, windows of T rows, state carried. */
export function evalText(ids: Int32Array, n: number, B: number): Int32Array {
  const need = n + B; // batchify drops the remainder; n/B + 1 rows per column
  if (ids.length < need || n % B !== 0) throw new Error(`evaluation needs ${need} ids and n divisible by B`);
  return ids.subarray(0, need);
}

/** Evaluation: the summed NLL of every target of `ids` (evalText), windows of T, batch B; returns chars/s and the mean loss. */
export async function evaluateSpeed(side: Side, ids: Int32Array, B: number, T: number): Promise<{ charsPerSecond: number; loss: number; chars: number }> {
  const batched = batchify(ids, B);
  const chars = (batched.L - 1) * B;
  if (side.kind === 'rnnlm') {
    const t0 = performance.now();
    const r = evaluate(side.model.eval(), ids, { batchSize: B, bptt: T });
    return { charsPerSecond: chars / ((performance.now() - t0) / 1000), loss: r.loss, chars: r.tokens };
  }
  const { tf, lm } = side;
  const t0 = performance.now();
  let state: TF.Tensor2D[] | null = null;
  let nats = 0;
  for (let i = 0; i < batched.L - 1; i += T) {
    const w = getBatch(batched, i, T);
    const prev: TF.Tensor2D[] | null = state;
    const out = tf.tidy(() => {
      const r = lm.forward(batchMajor(tf, w.input, w.T, B), prev);
      return [crossEntropy(tf, r.logits, w.target, w.T, B, 'sum'), ...r.state];
    });
    if (prev) for (const s of prev) s.dispose();
    const [loss, ...next] = out;
    state = next as TF.Tensor2D[];
    nats += (await loss!.data())[0]!;
    loss!.dispose();
  }
  if (state) for (const s of state) s.dispose();
  return { charsPerSecond: chars / ((performance.now() - t0) / 1000), loss: nats / chars, chars };
}

/**
 * Training: `warmup` + `windows` windows of T steps × B columns from the zero state, each
 * forward + mean cross-entropy + backward + plain SGD (lr, no clipping). Returns tokens/s of the
 * timed windows and the first and last losses.
 */
export async function trainSpeed(
  side: Side,
  ids: Int32Array,
  B: number,
  T: number,
  warmup: number,
  windows: number,
  lr = 1,
): Promise<{ tokensPerSecond: number; firstLoss: number; lastLoss: number }> {
  const batched = batchify(ids, B);
  if ((warmup + windows) * T > batched.L - 1) throw new Error(`training needs ${(warmup + windows) * T * B + B} ids`);
  const losses: number[] = [];
  let t0 = performance.now();
  if (side.kind === 'rnnlm') {
    const model = side.model.train();
    const opt = new SGD(model.parameters(), { lr });
    for (let k = 0; k < warmup + windows; k++) {
      if (k === warmup) t0 = performance.now();
      const w = getBatch(batched, k * T, T);
      const { loss } = model.forwardLoss(w.input, w.target, T, B, null);
      model.zeroGrad();
      backward(loss);
      opt.step();
      losses.push(loss.data[0]!);
    }
  } else {
    const { tf, lm } = side;
    const opt = tf.train.sgd(lr);
    for (let k = 0; k < warmup + windows; k++) {
      if (k === warmup) t0 = performance.now();
      const w = getBatch(batched, k * T, T);
      const loss = opt.minimize(() => trainingLoss(tf, lm, w.input, w.target, T, B), true, lm.trainable)!;
      losses.push((await loss.data())[0]!);
      loss.dispose();
    }
    opt.dispose();
  }
  const sec = (performance.now() - t0) / 1000;
  return { tokensPerSecond: (windows * T * B) / sec, firstLoss: losses[0]!, lastLoss: losses.at(-1)! };
}

// ---------------------------------------------------------------------------------------------
// One side's whole run, shared by the Node worker and the Chromium page.

export type Task = 'check' | 'generate' | 'eval' | 'train';
export const TASKS: readonly Task[] = ['check', 'generate', 'eval', 'train'];

export interface BenchOptions {
  tasks: readonly Task[];
  /** check: log-probability rows of the first n + 1 characters, batch 1. */
  checkChars: number;
  genWarmup: number;
  genTokens: number;
  evalChars: number;
  evalBatch: number;
  evalBptt: number;
  trainBatch: number;
  trainBptt: number;
  trainWarmup: number;
  trainWindows: number;
  /** TF.js formulations to run (default both). */
  formulations?: readonly Formulation[];
}

export const DEFAULTS: BenchOptions = {
  tasks: TASKS,
  checkChars: 500,
  genWarmup: 20,
  genTokens: 200,
  evalChars: 10_000,
  evalBatch: 10,
  evalBptt: 100,
  trainBatch: 32,
  trainBptt: 35,
  trainWarmup: 1,
  trainWindows: 1,
};

/** Tolerance of the log-probability check (float32 on both sides, sums in different orders). */
export const CHECK_TOL = 1e-4;

export interface SideResult {
  side: string;
  formulation?: Formulation;
  /** TF.js only: max |log p_tfjs − log p_rnnlm(js)| over checkChars rows × V. */
  checkMaxAbsDiff?: number;
  genMsPerToken?: number;
  evalCharsPerSecond?: number;
  evalLoss?: number;
  trainTokensPerSecond?: number;
  trainLosses?: [number, number];
}

/**
 * Runs `opts.tasks` on rnnlm (its active backend; `tf` absent) or on both TF.js formulations
 * (`tf` given, its backend already set; the rnnlm model, on the js backend, is then only the
 * source of the weights and the check's reference). Training runs last: it changes the weights.
 */
export async function runSide(side: string, tokenizer: Tokenizer, ids: Int32Array, opts: BenchOptions, tf?: Tf): Promise<SideResult[]> {
  const model = makeModel(tokenizer.vocabSize);
  const has = (t: Task): boolean => opts.tasks.includes(t);
  const run = async (s: Side, r: SideResult): Promise<SideResult> => {
    if (has('generate')) r.genMsPerToken = await generateMs(s, tokenizer, opts.genWarmup, opts.genTokens);
    if (has('eval')) {
      const e = await evaluateSpeed(s, evalText(ids, opts.evalChars, opts.evalBatch), opts.evalBatch, opts.evalBptt);
      r.evalCharsPerSecond = e.charsPerSecond;
      r.evalLoss = e.loss;
    }
    if (has('train')) {
      const t = await trainSpeed(s, ids, opts.trainBatch, opts.trainBptt, opts.trainWarmup, opts.trainWindows);
      r.trainTokensPerSecond = t.tokensPerSecond;
      r.trainLosses = [t.firstLoss, t.lastLoss];
    }
    return r;
  };
  if (!tf) return [await run({ kind: 'rnnlm', model }, { side })];
  const checkIds = ids.subarray(0, opts.checkChars + 1);
  const ref = has('check') ? await logProbs({ kind: 'rnnlm', model }, checkIds) : null;
  const out: SideResult[] = [];
  for (const f of opts.formulations ?? FORMULATIONS) {
    const lm = buildTfLM(tf, model, f);
    const s: Side = { kind: 'tfjs', tf, lm };
    const r: SideResult = { side, formulation: f };
    if (ref) r.checkMaxAbsDiff = maxAbsDiff(ref, await logProbs(s, checkIds));
    out.push(await run(s, r));
    lm.dispose();
  }
  return out;
}
