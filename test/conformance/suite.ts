/**
 * Backend conformance suite: checks every kernel of src/backend/kernels.ts against the naive float64
 * references of naive.ts, on seeded random inputs of awkward sizes (1, odd, non-square, T = 1, B = 1,
 * H not a multiple of 4 or 8). Any backend registers it from its own test file:
 *
 *   runBackendSuite('native', nativeKernels, { dtypes: ['float32'] });
 *
 * Comparisons use |got − want| ≤ tol · max(1, |want|), with tol per dtype (defaults below).
 * Recurrent backward is checked two ways: in float64 against central finite differences of the
 * backend's own recurrentForward (relative error < 1e-6), and in every dtype against finite
 * differences of the naive float64 forward (within tol), so a float32-only backend runs it too.
 *
 * Dimension legend: M/N/K gemm sizes, T time, B batch, I input, H hidden, G gates, V vocab, E embed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type F, type Kernels, RECURRENT_MODES, type RecurrentMode, type RecurrentWeights, type UnaryOp, gatesOf } from '../../src/backend/kernels.js';
import { Rng } from '../../src/tensor/random.js';
import { finiteDifferences, naiveGemm, naiveLogSumExp, naiveRecurrentForward, naiveUnary, naiveUnaryDerivative } from './naive.js';

export type SuiteDType = 'float32' | 'float64';

export interface BackendSuiteOptions {
  dtypes: SuiteDType[];
  /** Relative tolerance per dtype against the float64 references (default float32 1e-4, float64 1e-9). */
  tol?: Partial<Record<SuiteDType, number>>;
  /** Tests to skip, by name ("gemm NT") for every dtype, or by dtype and name ("float32 gemm NT"). */
  skip?: { reason: string; tests: string[] }[];
}

const DEFAULT_TOL: Record<SuiteDType, number> = { float32: 1e-4, float64: 1e-9 };
const UNARY_OPS: UnaryOp[] = ['tanh', 'sigmoid', 'relu', 'exp', 'log', 'neg'];

export function runBackendSuite(name: string, kernels: Kernels, opts: BackendSuiteOptions): void {
  for (const dtype of opts.dtypes) {
    const tol = opts.tol?.[dtype] ?? DEFAULT_TOL[dtype];
    const ctx = new Ctx(dtype, tol);
    const def = (testName: string, fn: () => void): void => {
      const reason = opts.skip?.find((s) => s.tests.includes(testName) || s.tests.includes(`${dtype} ${testName}`))?.reason;
      test(testName, reason === undefined ? {} : { skip: reason }, fn);
    };
    describe(`backend ${name} (${dtype})`, () => {
      gemmTests(def, kernels, ctx);
      elementwiseTests(def, kernels, ctx);
      embeddingTests(def, kernels, ctx);
      softmaxTests(def, kernels, ctx);
      recurrentTests(def, kernels, ctx);
      optimizerTests(def, kernels, ctx);
    });
  }
}

type Def = (testName: string, fn: () => void) => void;

// ------------------------------------------------------------------------------------------------ helpers

/** Per-dtype array factory and comparisons. */
class Ctx {
  constructor(
    readonly dtype: SuiteDType,
    readonly tol: number,
  ) {}

  alloc(n: number): F {
    return this.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  }

  from(values: ArrayLike<number>): F {
    const a = this.alloc(values.length);
    a.set(values as ArrayLike<number>);
    return a;
  }

  /** n values uniform in [lo, hi), already rounded to this dtype. */
  rand(rng: Rng, n: number, lo = -1, hi = 1): F {
    const a = this.alloc(n);
    for (let p = 0; p < n; p++) a[p] = rng.uniformRange(lo, hi);
    return a;
  }

  nans(n: number): F {
    return this.alloc(n).fill(Number.NaN);
  }

  /** Asserts |got − want| ≤ tol · max(scale, |want|) elementwise (non-finite wants must match exactly). */
  close(got: ArrayLike<number>, want: ArrayLike<number>, what: string, tol = this.tol, scale = 1): void {
    assert.equal(got.length, want.length, `${what}: length ${got.length}, expected ${want.length}`);
    let worst = -1;
    let worstErr = 0;
    for (let p = 0; p < want.length; p++) {
      const g = got[p]!;
      const w = want[p]!;
      if (!Number.isFinite(w)) {
        assert.ok(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what}[${p}] = ${g}, expected ${w}`);
        continue;
      }
      const err = Math.abs(g - w) / Math.max(scale, Math.abs(w));
      if (!(err <= tol) && (worst < 0 || !(err <= worstErr))) {
        worst = p;
        worstErr = err;
      }
    }
    if (worst >= 0) {
      assert.fail(`${what}[${worst}] = ${got[worst]}, expected ${want[worst]} (relative error ${worstErr} > ${tol})`);
    }
  }
}

function tag(sizes: Record<string, number | boolean | string>): string {
  return Object.entries(sizes)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

// ------------------------------------------------------------------------------------------------ gemm

function gemmTests(def: Def, k: Kernels, ctx: Ctx): void {
  // Odd, 1, non-square; the last ones cross the js backend's 4-wide unrolls and cache blocks.
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 3],
    [5, 1, 4],
    [3, 5, 1],
    [7, 6, 5],
    [13, 17, 9],
    [4, 33, 21],
    [2, 1030, 261],
  ];
  for (const [transA, transB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    def(`gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`, () => {
      const rng = new Rng(11);
      for (const [M, N, K] of sizes) {
        for (const beta of [0, 1, 0.5]) {
          const alpha = beta === 0.5 ? -0.75 : 1;
          const A = ctx.rand(rng, M * K);
          const B = ctx.rand(rng, K * N);
          // beta = 0 must ignore C entirely, even NaN.
          const C = beta === 0 ? ctx.nans(M * N) : ctx.rand(rng, M * N);
          const want = naiveGemm(transA, transB, M, N, K, alpha, A, B, beta, C);
          k.gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
          ctx.close(C, want, `gemm ${tag({ transA, transB, M, N, K, alpha, beta })}`, ctx.tol, Math.sqrt(K));
        }
      }
    });
  }

  def('gemm on subarray views', () => {
    // Operands at odd offsets inside bigger buffers; nothing outside C's view may change.
    const rng = new Rng(12);
    const [M, N, K] = [3, 5, 7];
    const bufA = ctx.rand(rng, M * K + 9);
    const bufB = ctx.rand(rng, K * N + 9);
    const bufC = ctx.rand(rng, M * N + 9);
    const before = Float64Array.from(bufC);
    const A = bufA.subarray(3, 3 + M * K);
    const B = bufB.subarray(5, 5 + K * N);
    const C = bufC.subarray(1, 1 + M * N);
    const want = naiveGemm(false, true, M, N, K, 0.5, A, B, 1, C);
    k.gemm(false, true, M, N, K, 0.5, A, B, 1, C);
    ctx.close(C, want, 'gemm view C', ctx.tol, Math.sqrt(K));
    assert.equal(bufC[0], before[0], 'element before the C view was written');
    ctx.close(bufC.subarray(1 + M * N), before.subarray(1 + M * N), 'elements after the C view', 0);
  });
}

// ------------------------------------------------------------------------------------------------ elementwise

function elementwiseTests(def: Def, k: Kernels, ctx: Ctx): void {
  const lengths = [0, 1, 7, 130];

  def('add', () => {
    const rng = new Rng(21);
    for (const n of lengths) {
      const a = ctx.rand(rng, n);
      const b = ctx.rand(rng, n);
      const out = ctx.nans(n);
      k.add(a, b, out);
      ctx.close(
        out,
        Array.from(a, (v, p) => v + b[p]!),
        `add n=${n}`,
      );
    }
  });

  def('mul', () => {
    const rng = new Rng(22);
    for (const n of lengths) {
      const a = ctx.rand(rng, n);
      const b = ctx.rand(rng, n);
      const out = ctx.nans(n);
      k.mul(a, b, out);
      ctx.close(
        out,
        Array.from(a, (v, p) => v * b[p]!),
        `mul n=${n}`,
      );
    }
  });

  def('axpy', () => {
    const rng = new Rng(23);
    for (const n of lengths) {
      const x = ctx.rand(rng, n);
      const y = ctx.rand(rng, n);
      const want = Array.from(y, (v, p) => v + -1.5 * x[p]!);
      k.axpy(-1.5, x, y);
      ctx.close(y, want, `axpy n=${n}`);
    }
  });

  def('scale', () => {
    const rng = new Rng(24);
    for (const n of lengths) {
      const x = ctx.rand(rng, n);
      const out = ctx.nans(n);
      k.scale(x, 0.3, out);
      ctx.close(
        out,
        Array.from(x, (v) => 0.3 * v),
        `scale n=${n}`,
      );
      const twice = Array.from(x, (v) => 2 * v);
      k.scale(x, 2, x); // out may be x
      ctx.close(x, twice, `scale in place n=${n}`);
    }
  });

  /** Inputs for op: log needs positive values; sigmoid/tanh also get huge magnitudes (must not overflow). */
  const unaryInputs = (op: UnaryOp, rng: Rng, n: number): F => {
    const x = op === 'log' ? ctx.rand(rng, n, 0.05, 5) : ctx.rand(rng, n, -3, 3);
    if ((op === 'sigmoid' || op === 'tanh') && n >= 4) x.set([-800, 800, -40, 40]);
    if (op === 'relu' && n >= 1) x[0] = 0;
    return x;
  };

  def('unary', () => {
    const rng = new Rng(25);
    for (const op of UNARY_OPS) {
      for (const n of lengths) {
        const x = unaryInputs(op, rng, n);
        const out = ctx.nans(n);
        k.unary(op, x, out);
        ctx.close(out, Array.from(x, naiveUnary[op]), `unary ${op} n=${n}`);
        k.unary(op, x, x); // out may be x
        ctx.close(x, out, `unary ${op} in place n=${n}`, 0);
      }
    }
  });

  def('unaryBackward', () => {
    const rng = new Rng(26);
    for (const op of UNARY_OPS) {
      for (const n of lengths) {
        const x = unaryInputs(op, rng, n);
        const y = ctx.from(Array.from(x, naiveUnary[op]));
        const dy = ctx.rand(rng, n);
        const dx = ctx.rand(rng, n); // accumulates
        const want = Array.from(dx, (v, p) => v + dy[p]! * naiveUnaryDerivative[op](x[p]!));
        k.unaryBackward(op, x, y, dy, dx);
        // exp' = y is only as exact as y's rounding: compare relative to |want|.
        ctx.close(dx, want, `unaryBackward ${op} n=${n}`);
      }
    }
  });

  def('addRowVector', () => {
    const rng = new Rng(27);
    for (const [R, C] of [
      [1, 1],
      [3, 7],
      [5, 1],
      [1, 9],
    ] as const) {
      const x = ctx.rand(rng, R * C);
      const v = ctx.rand(rng, C);
      const want = Array.from(x, (val, p) => val + v[p % C]!);
      k.addRowVector(x, v, R, C);
      ctx.close(x, want, `addRowVector R=${R} C=${C}`);
    }
  });

  def('sumRows', () => {
    const rng = new Rng(28);
    for (const [R, C] of [
      [1, 1],
      [3, 7],
      [5, 1],
      [37, 9],
    ] as const) {
      for (const beta of [0, 1, 0.5]) {
        const x = ctx.rand(rng, R * C);
        const out = beta === 0 ? ctx.nans(C) : ctx.rand(rng, C);
        const want = Array.from({ length: C }, (_, c) => {
          let s = beta === 0 ? 0 : beta * out[c]!;
          for (let r = 0; r < R; r++) s += x[r * C + c]!;
          return s;
        });
        k.sumRows(x, R, C, beta, out);
        ctx.close(out, want, `sumRows R=${R} C=${C} beta=${beta}`, ctx.tol, Math.sqrt(R));
      }
    }
  });

  def('sum', () => {
    const rng = new Rng(29);
    for (const n of [0, 1, 7, 10007]) {
      const x = ctx.rand(rng, n, -1, 3);
      const want = Array.from(x).reduce((s, v) => s + v, 0);
      ctx.close([k.sum(x)], [want], `sum n=${n}`, ctx.tol, Math.sqrt(n) + 1);
    }
  });

  def('sumSquares', () => {
    const rng = new Rng(30);
    for (const n of [0, 1, 7, 10007]) {
      const x = ctx.rand(rng, n, -2, 2);
      const want = Array.from(x).reduce((s, v) => s + v * v, 0);
      ctx.close([k.sumSquares(x)], [want], `sumSquares n=${n}`);
    }
  });
}

// ------------------------------------------------------------------------------------------------ embedding

function embeddingTests(def: Def, k: Kernels, ctx: Ctx): void {
  const cases = [
    { V: 1, E: 1, ids: [0] },
    { V: 7, E: 5, ids: [3, 0, 6, 3, 3, 1, 6, 2, 0] }, // repeats must add up in backward
    { V: 4, E: 3, ids: [] as number[] },
  ];

  def('embeddingForward', () => {
    const rng = new Rng(41);
    for (const { V, E, ids } of cases) {
      const weight = ctx.rand(rng, V * E);
      const out = ctx.nans(ids.length * E);
      k.embeddingForward(weight, Int32Array.from(ids), E, out);
      const want = ids.flatMap((id) => Array.from(weight.subarray(id * E, (id + 1) * E)));
      ctx.close(out, want, `embeddingForward V=${V} E=${E}`, 0);
    }
  });

  def('embeddingBackward', () => {
    const rng = new Rng(42);
    for (const { V, E, ids } of cases) {
      const dOut = ctx.rand(rng, ids.length * E);
      const dWeight = ctx.rand(rng, V * E); // accumulates
      const want = Float64Array.from(dWeight);
      ids.forEach((id, n) => {
        for (let e = 0; e < E; e++) want[id * E + e]! += dOut[n * E + e]!;
      });
      k.embeddingBackward(dOut, Int32Array.from(ids), E, dWeight);
      ctx.close(dWeight, want, `embeddingBackward V=${V} E=${E}`);
    }
  });
}

// ------------------------------------------------------------------------------------------------ softmax + cross-entropy

function softmaxTests(def: Def, k: Kernels, ctx: Ctx): void {
  interface Case {
    N: number;
    V: number;
    logits: F;
    targets: Int32Array;
    ignore: number;
  }
  /** Random rows; some targets are the ignore index (−100, or 0 as a padding id would be). */
  const cases = (seed: number): Case[] => {
    const rng = new Rng(seed);
    return [
      [1, 1, -100],
      [1, 2, -100],
      [6, 11, -100],
      [5, 3, 0],
    ].map(([N, V, ignore]) => {
      const targets = Int32Array.from({ length: N! }, (_, n) => (n % 3 === 1 ? ignore! : rng.int(V!)));
      return { N: N!, V: V!, logits: ctx.rand(rng, N! * V!, -3, 3), targets, ignore: ignore! };
    });
  };
  const rowOf = (c: Case, n: number, shift = 0): number[] => Array.from(c.logits.subarray(n * c.V, (n + 1) * c.V), (v) => v - shift);

  def('softmaxXentForward', () => {
    for (const c of cases(51)) {
      const lse = ctx.nans(c.N);
      const losses = ctx.nans(c.N);
      k.softmaxXentForward(c.logits, c.targets, c.N, c.V, c.ignore, lse, losses);
      const wantLse = Array.from({ length: c.N }, (_, n) => naiveLogSumExp(rowOf(c, n)));
      const wantLoss = wantLse.map((l, n) => (c.targets[n] === c.ignore ? 0 : l - c.logits[n * c.V + c.targets[n]!]!));
      ctx.close(lse, wantLse, `lse N=${c.N} V=${c.V}`);
      ctx.close(losses, wantLoss, `losses N=${c.N} V=${c.V} ignore=${c.ignore}`);
    }
  });

  /** scale[n] · (softmax − onehot), 0 on ignored rows. */
  const wantGrad = (c: Case, scale: number | F): Float64Array => {
    const want = new Float64Array(c.N * c.V);
    for (let n = 0; n < c.N; n++) {
      if (c.targets[n] === c.ignore) continue;
      const s = typeof scale === 'number' ? scale : scale[n]!;
      const row = rowOf(c, n);
      const l = naiveLogSumExp(row);
      for (let v = 0; v < c.V; v++) want[n * c.V + v] = s * (Math.exp(row[v]! - l) - (v === c.targets[n] ? 1 : 0));
    }
    return want;
  };
  const lseOf = (c: Case): F => ctx.from(Array.from({ length: c.N }, (_, n) => naiveLogSumExp(rowOf(c, n))));

  def('softmaxXentBackward', () => {
    const rng = new Rng(52);
    for (const c of cases(53)) {
      for (const scale of [0.37, ctx.rand(rng, c.N, 0.1, 2)]) {
        const dLogits = ctx.nans(c.N * c.V);
        k.softmaxXentBackward(c.logits, lseOf(c), c.targets, c.N, c.V, c.ignore, scale, dLogits);
        const kind = typeof scale === 'number' ? 'scalar' : 'per-row';
        ctx.close(dLogits, wantGrad(c, scale), `dLogits N=${c.N} V=${c.V} ${kind} scale`);
      }
    }
  });

  def('softmaxXentBackward with dLogits aliasing logits', () => {
    for (const c of cases(54)) {
      const want = wantGrad(c, 1.25);
      const lse = lseOf(c);
      const buf = ctx.from(c.logits);
      k.softmaxXentBackward(buf, lse, c.targets, c.N, c.V, c.ignore, 1.25, buf);
      ctx.close(buf, want, `aliased dLogits N=${c.N} V=${c.V}`);
    }
  });

  def('softmax-xent with large logits', () => {
    // exp(±1000) overflows: only max-subtraction gets these right. Expected values come from the
    // shift identity lse(x + s) = s + lse(x), computed on the (dtype-rounded) logits minus s.
    for (const shift of [1000, -1000]) {
      for (const c0 of cases(55)) {
        const c = { ...c0, logits: ctx.from(Array.from(c0.logits, (v) => v + shift)) };
        const lse = ctx.nans(c.N);
        const losses = ctx.nans(c.N);
        k.softmaxXentForward(c.logits, c.targets, c.N, c.V, c.ignore, lse, losses);
        const wantLse = Array.from({ length: c.N }, (_, n) => shift + naiveLogSumExp(rowOf(c, n, shift)));
        const wantLoss = wantLse.map((l, n) => (c.targets[n] === c.ignore ? 0 : l - c.logits[n * c.V + c.targets[n]!]!));
        ctx.close(lse, wantLse, `lse shift=${shift}`);
        // The loss is a difference of two numbers near |shift|: judge it on that scale.
        ctx.close(losses, wantLoss, `losses shift=${shift}`, ctx.tol, Math.abs(shift));
        const dLogits = ctx.nans(c.N * c.V);
        k.softmaxXentBackward(c.logits, lse, c.targets, c.N, c.V, c.ignore, 1, dLogits);
        const want = new Float64Array(c.N * c.V);
        for (let n = 0; n < c.N; n++) {
          if (c.targets[n] === c.ignore) continue;
          const row = rowOf(c, n, shift);
          const l = naiveLogSumExp(row);
          for (let v = 0; v < c.V; v++) want[n * c.V + v] = Math.exp(row[v]! - l) - (v === c.targets[n] ? 1 : 0);
        }
        // softmax from a lse near |shift| is only as exact as lse's rounding.
        ctx.close(dLogits, want, `dLogits shift=${shift}`, ctx.tol * Math.abs(shift));
      }
    }
  });

  def('logSoftmax', () => {
    for (const c of cases(56)) {
      const want = Array.from(c.logits, (v, p) => v - naiveLogSumExp(rowOf(c, Math.floor(p / c.V))));
      const out = ctx.nans(c.N * c.V);
      k.logSoftmax(c.logits, c.N, c.V, out);
      ctx.close(out, want, `logSoftmax N=${c.N} V=${c.V}`);
      k.logSoftmax(c.logits, c.N, c.V, c.logits); // out may be logits
      ctx.close(c.logits, want, `logSoftmax in place N=${c.N} V=${c.V}`);
    }
  });
}

// ------------------------------------------------------------------------------------------------ recurrent

interface RecCase {
  T: number;
  B: number;
  I: number;
  H: number;
  bias: boolean;
}

/** One recurrent problem: float64 master values (rounded to the dtype under test) plus loss weights. */
interface RecProblem {
  mode: RecurrentMode;
  c: RecCase;
  x: Float64Array; // [T,B,I]
  h0: Float64Array; // [B,H]
  c0: Float64Array | null; // [B,H] (LSTM)
  w: { wIh: Float64Array; wHh: Float64Array; bIh: Float64Array | null; bHh: Float64Array | null };
  Ry: Float64Array; // [T,B,H] weights of y in the loss
  Rh: Float64Array | null; // [B,H] weights of hT (null: not in the loss, dhT = null)
  Rc: Float64Array | null; // [B,H] weights of cT (LSTM; null: dcT = null)
}

function makeProblem(ctx: Ctx, mode: RecurrentMode, c: RecCase, seed: number, withStateGrads: boolean): RecProblem {
  const rng = new Rng(seed);
  const GH = gatesOf(mode) * c.H;
  const vals = (n: number, lo = -1, hi = 1): Float64Array => Float64Array.from(ctx.rand(rng, n, lo, hi));
  const ws = 0.7; // weight scale: large enough for real signal, small enough to keep gates unsaturated
  return {
    mode,
    c,
    x: vals(c.T * c.B * c.I),
    h0: vals(c.B * c.H, -0.5, 0.5),
    c0: mode === 'lstm' ? vals(c.B * c.H) : null,
    w: {
      wIh: vals(GH * c.I, -ws, ws),
      wHh: vals(GH * c.H, -ws, ws),
      bIh: c.bias ? vals(GH, -0.3, 0.3) : null,
      bHh: c.bias ? vals(GH, -0.3, 0.3) : null,
    },
    Ry: vals(c.T * c.B * c.H),
    Rh: withStateGrads ? vals(c.B * c.H) : null,
    Rc: withStateGrads && mode === 'lstm' ? vals(c.B * c.H) : null,
  };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let p = 0; p < a.length; p++) s += a[p]! * b[p]!;
  return s;
}

/** L = Σ y⊙Ry + Σ hT⊙Rh + Σ cT⊙Rc. */
function lossOf(p: RecProblem, y: ArrayLike<number>, hT: ArrayLike<number>, cT: ArrayLike<number> | null): number {
  return dot(y, p.Ry) + (p.Rh ? dot(hT, p.Rh) : 0) + (p.Rc && cT ? dot(cT, p.Rc) : 0);
}

/** The arrays of a problem that the loss depends on, named as in the kernel signatures. */
function inputsOf(p: RecProblem): [string, Float64Array][] {
  const list: [string, Float64Array | null][] = [
    ['x', p.x],
    ['h0', p.h0],
    ['c0', p.c0],
    ['weightIh', p.w.wIh],
    ['weightHh', p.w.wHh],
    ['biasIh', p.w.bIh],
    ['biasHh', p.w.bHh],
  ];
  return list.filter((e): e is [string, Float64Array] => e[1] !== null);
}

/** Finite-difference gradients of the loss for every input, using `forward` to evaluate it. */
function fdGradients(p: RecProblem, forward: () => number): Map<string, Float64Array> {
  const eps = 1e-5;
  return new Map(inputsOf(p).map(([n, arr]) => [n, finiteDifferences(forward, arr, eps)]));
}

/** Loss through the naive float64 forward (reads p's arrays each call, so perturbations count). */
function naiveLoss(p: RecProblem): number {
  const { T, B, I, H } = p.c;
  const r = naiveRecurrentForward(p.mode, T, B, I, H, p.w, p.x, p.h0, p.c0);
  return lossOf(p, r.y, r.hT, r.cT);
}

/** Loss through the backend's own float64 forward, run directly on p's Float64Arrays. */
function backendLoss(k: Kernels, p: RecProblem): number {
  const { T, B, I, H } = p.c;
  const desc = { mode: p.mode, T, B, inputSize: I, hiddenSize: H };
  const y = new Float64Array(T * B * H);
  const hT = new Float64Array(B * H);
  const cT = p.mode === 'lstm' ? new Float64Array(B * H) : null;
  const w: RecurrentWeights = { weightIh: p.w.wIh, weightHh: p.w.wHh, biasIh: p.w.bIh, biasHh: p.w.bHh };
  k.recurrentForward({ desc, w, x: p.x, h0: p.h0, c0: p.c0, y, hT, cT, workspace: null });
  return lossOf(p, y, hT, cT);
}

interface BackwardRun {
  /** Backend outputs by input name: parameter gradients (accumulated onto `initial`), dx/dh0/dc0. */
  grads: Map<string, ArrayLike<number>>;
  /** Starting (non-zero) values of the parameter gradients. */
  initial: Map<string, Float64Array>;
}

/**
 * Runs the backend's forward (with workspace) and backward in ctx.dtype. Parameter gradients start
 * from random non-zero values (they must be accumulated into); dx/dh0/dc0 start as NaN (overwritten).
 */
function runBackward(k: Kernels, ctx: Ctx, p: RecProblem, wantInputGrads: boolean, seed: number): BackwardRun {
  const { mode, c } = p;
  const { T, B, I, H } = c;
  const rng = new Rng(seed);
  const desc = { mode, T, B, inputSize: I, hiddenSize: H };
  const w: RecurrentWeights = {
    weightIh: ctx.from(p.w.wIh),
    weightHh: ctx.from(p.w.wHh),
    biasIh: p.w.bIh && ctx.from(p.w.bIh),
    biasHh: p.w.bHh && ctx.from(p.w.bHh),
  };
  const x = ctx.from(p.x);
  const h0 = ctx.from(p.h0);
  const c0 = p.c0 && ctx.from(p.c0);
  const y = ctx.nans(T * B * H);
  const hT = ctx.nans(B * H);
  const cT = mode === 'lstm' ? ctx.nans(B * H) : null;
  const workspace = ctx.nans(k.recurrentWorkspaceSize(desc));
  k.recurrentForward({ desc, w, x, h0, c0, y, hT, cT, workspace });

  const GH = gatesOf(mode) * H;
  const initial = new Map<string, Float64Array>([
    ['weightIh', Float64Array.from(ctx.rand(rng, GH * I))],
    ['weightHh', Float64Array.from(ctx.rand(rng, GH * H))],
  ]);
  if (c.bias) {
    initial.set('biasIh', Float64Array.from(ctx.rand(rng, GH)));
    initial.set('biasHh', Float64Array.from(ctx.rand(rng, GH)));
  }
  const grads: RecurrentWeights = {
    weightIh: ctx.from(initial.get('weightIh')!),
    weightHh: ctx.from(initial.get('weightHh')!),
    biasIh: c.bias ? ctx.from(initial.get('biasIh')!) : null,
    biasHh: c.bias ? ctx.from(initial.get('biasHh')!) : null,
  };
  const dx = wantInputGrads ? ctx.nans(T * B * I) : null;
  const dh0 = wantInputGrads ? ctx.nans(B * H) : null;
  const dc0 = wantInputGrads && mode === 'lstm' ? ctx.nans(B * H) : null;
  k.recurrentBackward({ desc, w, x, h0, c0, y, workspace, dy: ctx.from(p.Ry), dhT: p.Rh && ctx.from(p.Rh), dcT: p.Rc && ctx.from(p.Rc), dx, dh0, dc0, grads });
  const out = new Map<string, ArrayLike<number>>([
    ['weightIh', grads.weightIh],
    ['weightHh', grads.weightHh],
  ]);
  if (grads.biasIh) out.set('biasIh', grads.biasIh);
  if (grads.biasHh) out.set('biasHh', grads.biasHh);
  if (dx) out.set('x', dx);
  if (dh0) out.set('h0', dh0);
  if (dc0) out.set('c0', dc0);
  return { grads: out, initial };
}

/** Compares a backward run (initial + gradient) with reference gradients. */
function checkGradients(
  run: BackwardRun,
  ref: Map<string, Float64Array>,
  what: string,
  cmp: (got: ArrayLike<number>, want: Float64Array, label: string) => void,
): void {
  for (const [name, want] of ref) {
    const got = run.grads.get(name);
    if (got === undefined) continue; // an input gradient that was not requested (null output)
    const init = run.initial.get(name);
    const total = init ? want.map((v, i) => v + init[i]!) : want;
    cmp(got, total, `${what} d${name}`);
  }
}

/** Relative error < rtol per element, measured against max(|got|, |want|, floor) (finite differences). */
function assertRelClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, floor: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let p = 0; p < want.length; p++) {
    const g = got[p]!;
    const w = want[p]!;
    const err = Math.abs(g - w) / Math.max(Math.abs(g), Math.abs(w), floor);
    assert.ok(err < rtol, `${what}[${p}] = ${g}, finite differences give ${w} (relative error ${err})`);
  }
}

function recurrentTests(def: Def, k: Kernels, ctx: Ctx): void {
  const forwardCases: RecCase[] = [
    { T: 1, B: 1, I: 1, H: 1, bias: true },
    { T: 3, B: 2, I: 3, H: 5, bias: true },
    { T: 5, B: 3, I: 4, H: 7, bias: false },
    { T: 2, B: 1, I: 6, H: 3, bias: true },
    { T: 4, B: 5, I: 2, H: 9, bias: true },
  ];
  const backwardCases: RecCase[] = [
    { T: 1, B: 1, I: 1, H: 1, bias: true },
    { T: 3, B: 2, I: 3, H: 5, bias: true },
    { T: 4, B: 3, I: 2, H: 3, bias: false },
    { T: 2, B: 1, I: 4, H: 6, bias: true },
  ];

  for (const mode of RECURRENT_MODES) {
    def(`recurrentForward ${mode}`, () => {
      forwardCases.forEach((c, ci) => {
        const p = makeProblem(ctx, mode, c, 100 + ci, true);
        const { T, B, I, H } = c;
        const want = naiveRecurrentForward(mode, T, B, I, H, p.w, p.x, p.h0, p.c0);
        const desc = { mode, T, B, inputSize: I, hiddenSize: H };
        const w: RecurrentWeights = {
          weightIh: ctx.from(p.w.wIh),
          weightHh: ctx.from(p.w.wHh),
          biasIh: p.w.bIh && ctx.from(p.w.bIh),
          biasHh: p.w.bHh && ctx.from(p.w.bHh),
        };
        // Both with a workspace (training) and without (inference): same outputs.
        for (const withWorkspace of [true, false]) {
          const y = ctx.nans(T * B * H);
          const hT = ctx.nans(B * H);
          const cT = mode === 'lstm' ? ctx.nans(B * H) : null;
          const workspace = withWorkspace ? ctx.nans(k.recurrentWorkspaceSize(desc)) : null;
          k.recurrentForward({ desc, w, x: ctx.from(p.x), h0: ctx.from(p.h0), c0: p.c0 && ctx.from(p.c0), y, hT, cT, workspace });
          const what = `${mode} ${tag({ ...c, workspace: withWorkspace })}`;
          ctx.close(y, want.y, `${what} y`);
          ctx.close(hT, want.hT, `${what} hT`);
          if (cT) ctx.close(cT, want.cT, `${what} cT`);
        }
      });
    });

    def(`recurrentBackward ${mode}`, () => {
      backwardCases.forEach((c, ci) => {
        // Variants: state gradients in and out; none (dhT/dcT null, dx/dh0/dc0 null); dy all zero.
        const variants = [
          { stateGrads: true, inputGrads: true, zeroDy: false },
          { stateGrads: false, inputGrads: false, zeroDy: false },
          { stateGrads: true, inputGrads: true, zeroDy: true },
        ];
        variants.forEach((v, vi) => {
          const p = makeProblem(ctx, mode, c, 200 + 10 * ci + vi, v.stateGrads);
          if (v.zeroDy) p.Ry.fill(0);
          const what = `${mode} ${tag({ ...c, ...v })}`;
          const run = runBackward(k, ctx, p, v.inputGrads, 300 + ci);
          // Against finite differences of the naive float64 forward, within the dtype's tolerance.
          const fdNaive = fdGradients(p, () => naiveLoss(p));
          checkGradients(run, fdNaive, `${what} vs naive`, (got, want, label) => ctx.close(got, want, label, Math.max(ctx.tol, 1e-7)));
          if (ctx.dtype === 'float64') {
            // Against finite differences of the backend's own forward: relative error < 1e-6.
            const fdOwn = fdGradients(p, () => backendLoss(k, p));
            checkGradients(run, fdOwn, `${what} vs own forward`, (got, want, label) => assertRelClose(got, want, 1e-6, 1e-3, label));
          }
        });
      });
    });
  }
}

// ------------------------------------------------------------------------------------------------ optimizers

function optimizerTests(def: Def, k: Kernels, ctx: Ctx): void {
  const n = 13;
  const steps = 4;

  def('sgdStep', () => {
    const configs = [
      { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
      { lr: 0.05, momentum: 0, dampening: 0, weightDecay: 0.1, nesterov: false },
      { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: false },
      { lr: 0.2, momentum: 0.9, dampening: 0.1, weightDecay: 0, nesterov: false },
      { lr: 0.1, momentum: 0.8, dampening: 0, weightDecay: 0.001, nesterov: true },
    ];
    configs.forEach((cfg, ci) => {
      const rng = new Rng(60 + ci);
      const param = ctx.rand(rng, n);
      const buf = cfg.momentum !== 0 ? ctx.nans(n) : null; // first step must overwrite it
      const refP = Float64Array.from(param);
      const refBuf = new Float64Array(n);
      for (let s = 0; s < steps; s++) {
        const grad = ctx.rand(rng, n);
        // torch.optim.SGD, written out per element
        for (let i = 0; i < n; i++) {
          let d = grad[i]! + cfg.weightDecay * refP[i]!;
          if (cfg.momentum !== 0) {
            refBuf[i] = s === 0 ? d : cfg.momentum * refBuf[i]! + (1 - cfg.dampening) * d;
            d = cfg.nesterov ? d + cfg.momentum * refBuf[i]! : refBuf[i]!;
          }
          refP[i]! -= cfg.lr * d;
        }
        k.sgdStep(param, grad, buf, { ...cfg, firstStep: s === 0 });
        ctx.close(param, refP, `sgd config ${ci} step ${s + 1} param`);
        if (buf) ctx.close(buf, refBuf, `sgd config ${ci} step ${s + 1} momentum buffer`);
      }
    });
  });

  def('adamStep', () => {
    const configs = [
      { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false },
      { lr: 0.003, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1, decoupled: false },
      { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, decoupled: true },
      { lr: 0.1, beta1: 0, beta2: 0.5, eps: 0.1, weightDecay: 0, decoupled: true },
    ];
    configs.forEach((cfg, ci) => {
      const rng = new Rng(70 + ci);
      const param = ctx.rand(rng, n);
      const m = ctx.alloc(n);
      const v = ctx.alloc(n);
      const refP = Float64Array.from(param);
      const refM = new Float64Array(n);
      const refV = new Float64Array(n);
      for (let t = 1; t <= steps; t++) {
        const grad = ctx.rand(rng, n);
        // torch.optim.Adam / AdamW, written out per element
        for (let i = 0; i < n; i++) {
          let g = grad[i]!;
          if (cfg.decoupled) refP[i]! *= 1 - cfg.lr * cfg.weightDecay;
          else g += cfg.weightDecay * refP[i]!;
          refM[i] = cfg.beta1 * refM[i]! + (1 - cfg.beta1) * g;
          refV[i] = cfg.beta2 * refV[i]! + (1 - cfg.beta2) * g * g;
          const mHat = refM[i]! / (1 - cfg.beta1 ** t);
          const denom = Math.sqrt(refV[i]!) / Math.sqrt(1 - cfg.beta2 ** t) + cfg.eps;
          refP[i]! -= (cfg.lr * mHat) / denom;
        }
        k.adamStep(param, grad, m, v, { ...cfg, step: t });
        ctx.close(param, refP, `adam config ${ci} step ${t} param`);
        ctx.close(m, refM, `adam config ${ci} step ${t} m`);
        ctx.close(v, refV, `adam config ${ci} step ${t} v`);
      }
    });
  });

  def('optimizers leave grad unchanged', () => {
    const rng = new Rng(80);
    const grad = ctx.rand(rng, n);
    const copy = Float64Array.from(grad);
    const sgd = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0.1, nesterov: true, firstStep: true };
    k.sgdStep(ctx.rand(rng, n), grad, ctx.alloc(n), sgd);
    const adam = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, decoupled: false, step: 1 };
    k.adamStep(ctx.rand(rng, n), grad, ctx.alloc(n), ctx.alloc(n), adam);
    ctx.close(grad, copy, 'grad after sgdStep and adamStep', 0);
  });
}
