/**
 * Checks shared by the compiled backends (the native addon and the wasm module, which run the same
 * C++ kernels behind argument checks of their own): sizes past the conformance suite's, and input
 * checks that must throw the same errors as the js reference (never crash, never read past an
 * array). Registered from native.test.ts and wasm.test.ts.
 *
 * Dimension legend: M/N/K gemm sizes, T time, B batch, I input, H hidden, V vocab.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsBackend } from '../../src/backend/js/index.js';
import type { F, Kernels, RecurrentDesc, RecurrentMode, RecurrentWeights } from '../../src/backend/kernels.js';
import { RECURRENT_MODES, gatesOf } from '../../src/backend/kernels.js';
import { type ErrorCode, isRnnlmError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/random.js';
import { naiveGemm } from './naive.js';

export function rand(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let p = 0; p < n; p++) a[p] = rng.uniformRange(lo, hi);
  return a;
}

/** |got − want| ≤ tol · max(scale, |want|) elementwise. */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, scale: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let p = 0; p < want.length; p++) {
    const err = Math.abs(got[p]! - want[p]!) / Math.max(scale, Math.abs(want[p]!));
    if (!(err <= tol)) assert.fail(`${what}[${p}] = ${got[p]}, expected ${want[p]} (relative error ${err} > ${tol})`);
  }
}

const f64 = (a: F | null): Float64Array | null => (a ? Float64Array.from(a) : null);

interface RecProblem {
  desc: RecurrentDesc;
  w: RecurrentWeights;
  x: Float32Array;
  h0: Float32Array;
  c0: Float32Array | null;
}

export function recurrentProblem(rng: Rng, mode: RecurrentMode, s: { T: number; B: number; I: number; H: number }): RecProblem {
  const GH = gatesOf(mode) * s.H;
  const ws = 1 / Math.sqrt(s.H);
  return {
    desc: { mode, T: s.T, B: s.B, inputSize: s.I, hiddenSize: s.H },
    w: { weightIh: rand(rng, GH * s.I, -ws, ws), weightHh: rand(rng, GH * s.H, -ws, ws), biasIh: rand(rng, GH, -0.2, 0.2), biasHh: rand(rng, GH, -0.2, 0.2) },
    x: rand(rng, s.T * s.B * s.I),
    h0: rand(rng, s.B * s.H, -0.5, 0.5),
    c0: mode === 'lstm' ? rand(rng, s.B * s.H) : null,
  };
}

// ------------------------------------------------------------------------------------------------ at scale

/**
 * Sizes past the suite's: several KC blocks, NC blocks and edge tiles, the in-place-B (small M)
 * and dot (M ≤ 4, Bᵀ) gemm paths, two threads per step in the recurrent layers (where there are threads),
 * V = 10000 rows.
 */
export function scaleTests(k: Kernels, isa: string): void {
  test(`${isa}: gemm across blocks, paths and threads`, () => {
    const rng = new Rng(90);
    const shapes: [number, number, number][] = [
      [20, 700, 410], // small M: B read in place; 2 KC blocks
      [45, 300, 100], // small M on avx512 (≤ 4·MR), packed on the others
      [3, 333, 1000], // M ≤ 4 (dot path when Bᵀ)
      [131, 357, 777], // packed path: edge tiles in M and N, 2 KC blocks, NC blocks
      [200, 70, 900], // few columns, deep: threads split the rows
    ];
    for (const [M, N, K] of shapes) {
      for (const [ta, tb] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        const A = rand(rng, M * K);
        const B = rand(rng, K * N);
        const C = rand(rng, M * N);
        const want = naiveGemm(ta, tb, M, N, K, 0.5, A, B, -2, C);
        k.gemm(ta, tb, M, N, K, 0.5, A, B, -2, C);
        assertClose(C, want, 1e-4, Math.sqrt(K), `gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${M}×${N}×${K}`);
      }
    }
  });

  test(`${isa}: softmax-xent and logSoftmax over V = 10000`, () => {
    const rng = new Rng(91);
    const [N, V] = [6, 10000];
    const logits = rand(rng, N * V, -8, 8);
    const targets = Int32Array.from([5, -100, 9999, 0, 1234, 7]);
    const lse = new Float32Array(N);
    const losses = new Float32Array(N);
    k.softmaxXentForward(logits, targets, N, V, -100, lse, losses);
    const refLse = new Float64Array(N);
    const refLoss = new Float64Array(N);
    jsBackend.kernels.softmaxXentForward(Float64Array.from(logits), targets, N, V, -100, refLse, refLoss);
    assertClose(lse, refLse, 1e-5, 1, 'lse');
    assertClose(losses, refLoss, 1e-5, 1, 'losses');
    const d = Float32Array.from(logits); // aliased: dLogits written over the logits
    k.softmaxXentBackward(d, lse, targets, N, V, -100, 0.5, d);
    const refD = new Float64Array(N * V);
    jsBackend.kernels.softmaxXentBackward(Float64Array.from(logits), refLse, targets, N, V, -100, 0.5, refD);
    assertClose(d, refD, 1e-4, 1e-3, 'dLogits');
    const out = new Float32Array(N * V);
    k.logSoftmax(logits, N, V, out);
    const refOut = new Float64Array(N * V);
    jsBackend.kernels.logSoftmax(Float64Array.from(logits), N, V, refOut);
    assertClose(out, refOut, 1e-5, 1, 'logSoftmax');
  });

  test(`${isa}: recurrent layers with two threads per step, backward run twice`, () => {
    const modes = RECURRENT_MODES;
    // B = 24: 2 threads per step, H over several NR panels, W_hh read in place by backward;
    // B = 50: backward packs W_hh (more rows than the in-place path takes on any ISA).
    const sizes = [
      { T: 3, B: 24, I: 11, H: 100 },
      { T: 2, B: 50, I: 5, H: 37 },
    ];
    for (const mode of modes) {
      for (const s of sizes) checkRecurrent(mode, s);
    }
  });

  /** One layer vs the js reference in float64: forward, then backward twice on the same workspace. */
  function checkRecurrent(mode: RecurrentMode, s: { T: number; B: number; I: number; H: number }): void {
    const rng = new Rng(92);
    const p = recurrentProblem(rng, mode, s);
    const { T, B, I, H } = s;
    const GH = gatesOf(mode) * H;
    const lstm = mode === 'lstm';
    // Reference: the js backend in float64 on the same (float32-rounded) values.
    const r = jsBackend.kernels;
    const wr: RecurrentWeights = { weightIh: f64(p.w.weightIh)!, weightHh: f64(p.w.weightHh)!, biasIh: f64(p.w.biasIh), biasHh: f64(p.w.biasHh) };
    const ry = new Float64Array(T * B * H);
    const rhT = new Float64Array(B * H);
    const rcT = lstm ? new Float64Array(B * H) : null;
    const rws = new Float64Array(r.recurrentWorkspaceSize(p.desc));
    r.recurrentForward({ desc: p.desc, w: wr, x: f64(p.x)!, h0: f64(p.h0)!, c0: f64(p.c0), y: ry, hT: rhT, cT: rcT, workspace: rws });

    const y = new Float32Array(T * B * H);
    const hT = new Float32Array(B * H);
    const cT = lstm ? new Float32Array(B * H) : null;
    const ws = new Float32Array(k.recurrentWorkspaceSize(p.desc));
    k.recurrentForward({ desc: p.desc, w: p.w, x: p.x, h0: p.h0, c0: p.c0, y, hT, cT, workspace: ws });
    assertClose(y, ry, 2e-5, 1, `${mode} B=${s.B} y`);
    assertClose(hT, rhT, 2e-5, 1, `${mode} B=${s.B} hT`);
    if (cT) assertClose(cT, rcT!, 2e-5, 1, `${mode} B=${s.B} cT`);

    const dy = rand(rng, T * B * H);
    const dhT = rand(rng, B * H);
    const dcT = lstm ? rand(rng, B * H) : null;
    const rg: RecurrentWeights = {
      weightIh: new Float64Array(GH * I),
      weightHh: new Float64Array(GH * H),
      biasIh: new Float64Array(GH),
      biasHh: new Float64Array(GH),
    };
    const rdx = new Float64Array(T * B * I);
    const rdh0 = new Float64Array(B * H);
    const rdc0 = lstm ? new Float64Array(B * H) : null;
    r.recurrentBackward({
      desc: p.desc,
      w: wr,
      x: f64(p.x)!,
      h0: f64(p.h0)!,
      c0: f64(p.c0),
      y: ry,
      workspace: rws,
      dy: f64(dy)!,
      dhT: f64(dhT),
      dcT: f64(dcT),
      dx: rdx,
      dh0: rdh0,
      dc0: rdc0,
      grads: rg,
    });

    const g: RecurrentWeights = {
      weightIh: new Float32Array(GH * I),
      weightHh: new Float32Array(GH * H),
      biasIh: new Float32Array(GH),
      biasHh: new Float32Array(GH),
    };
    const dx = new Float32Array(T * B * I);
    const dh0 = new Float32Array(B * H);
    const dc0 = lstm ? new Float32Array(B * H) : null;
    // Twice on the same workspace: gradients accumulate to exactly twice one pass.
    for (let pass = 1; pass <= 2; pass++) {
      k.recurrentBackward({ desc: p.desc, w: p.w, x: p.x, h0: p.h0, c0: p.c0, y, workspace: ws, dy: Float32Array.from(dy), dhT, dcT, dx, dh0, dc0, grads: g });
      const twice = (a: F): Float64Array => Float64Array.from(a, (v) => pass * v);
      assertClose(g.weightIh, twice(rg.weightIh), 1e-4, 1, `${mode} B=${s.B} pass ${pass} dW_ih`);
      assertClose(g.weightHh, twice(rg.weightHh), 1e-4, 1, `${mode} B=${s.B} pass ${pass} dW_hh`);
      assertClose(g.biasIh!, twice(rg.biasIh!), 1e-4, 1, `${mode} B=${s.B} pass ${pass} db_ih`);
      assertClose(g.biasHh!, twice(rg.biasHh!), 1e-4, 1, `${mode} B=${s.B} pass ${pass} db_hh`);
      assertClose(dx, rdx, 1e-4, 1, `${mode} B=${s.B} pass ${pass} dx`);
      assertClose(dh0, rdh0, 1e-4, 1, `${mode} B=${s.B} pass ${pass} dh0`);
      if (dc0) assertClose(dc0, rdc0!, 1e-4, 1, `${mode} B=${s.B} pass ${pass} dc0`);
    }
  }

  test(`${isa}: sum, sumSquares and an optimizer step over 300001 elements`, () => {
    const rng = new Rng(93);
    const n = 300001;
    const x = rand(rng, n, -1, 3);
    let s = 0;
    let s2 = 0;
    for (let p = 0; p < n; p++) {
      s += x[p]!;
      s2 += x[p]! * x[p]!;
    }
    assertClose([k.sum(x)], [s], 1e-9, Math.sqrt(n), 'sum');
    assertClose([k.sumSquares(x)], [s2], 1e-9, 1, 'sumSquares');
    const param = rand(rng, n);
    const ref = Float64Array.from(param);
    const m = new Float32Array(n);
    const v = new Float32Array(n);
    const o = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 1 };
    k.adamStep(param, x, m, v, o);
    jsBackend.kernels.adamStep(ref, Float64Array.from(x), new Float64Array(n), new Float64Array(n), o);
    assertClose(param, ref, 1e-5, 1, 'adam param');
  });
}

// ------------------------------------------------------------------------------------------------ input checks

export function inputChecks(k: Kernels): void {
  const throwsCode = (fn: () => void, code: ErrorCode, mentions: RegExp): void => {
    assert.throws(fn, (e: unknown) => isRnnlmError(e, code) && mentions.test(e.message));
  };

  test('float64 arrays and non-float32 arrays are TypeErrors', () => {
    const a = new Float32Array(4);
    const isDtypeTypeError = (re: RegExp) => (e: unknown) =>
      e instanceof TypeError && (e as TypeError & { code?: string }).code === 'dtype_mismatch' && re.test(e.message);
    assert.throws(() => k.gemm(false, false, 2, 2, 2, 1, new Float64Array(4), a, 0, a), isDtypeTypeError(/A is a Float64Array.*float32 only/));
    assert.throws(() => k.add(a, a, new Float64Array(4)), isDtypeTypeError(/out is a Float64Array/));
    assert.throws(() => k.sum([1, 2] as unknown as F), isDtypeTypeError(/x must be a Float32Array/));
    assert.throws(() => k.embeddingForward(a, new Float32Array(1) as unknown as Int32Array, 2, a), isDtypeTypeError(/ids must be an Int32Array/));
  });

  test('gemm rejects short operands and bad sizes', () => {
    const a = new Float32Array(6);
    throwsCode(() => k.gemm(false, false, 2, 2, 3, 1, a, new Float32Array(5), 0, new Float32Array(4)), 'shape_mismatch', /B has 5 elements but needs 6/);
    throwsCode(() => k.gemm(false, false, 2, 3, 3, 1, a, new Float32Array(9), 0, new Float32Array(4)), 'shape_mismatch', /C has 4 elements but needs 6/);
    throwsCode(() => k.gemm(false, false, -1, 2, 3, 1, a, a, 0, a), 'invalid_argument', /M = -1/);
    throwsCode(() => k.gemm(false, false, 1.5, 2, 3, 1, a, a, 0, a), 'invalid_argument', /M = 1.5/);
    // Sizes whose product overflows must not wrap around into a "small enough" length.
    throwsCode(() => k.gemm(false, false, 2 ** 40, 2 ** 40, 1, 1, a, a, 0, a), 'shape_mismatch', /needs/);
  });

  test('elementwise kernels reject length mismatches and unknown ops', () => {
    throwsCode(() => k.add(new Float32Array(3), new Float32Array(2), new Float32Array(3)), 'shape_mismatch', /b has 2/);
    const x = new Float32Array(2);
    throwsCode(() => k.unary('cube' as never, x, x), 'invalid_argument', /unknown unary op "cube"/);
    throwsCode(() => k.unaryBackward('tanh', x, new Float32Array(1), x, x), 'shape_mismatch', /y has 1/);
    throwsCode(() => k.sumRows(x, 2, 2, 0, x), 'shape_mismatch', /x has 2 elements but needs 4/);
  });

  test('embedding and softmax-xent reject ids and targets outside the vocabulary', () => {
    const weight = new Float32Array(4 * 3); // V=4, E=3
    throwsCode(() => k.embeddingForward(weight, Int32Array.from([1, 4]), 3, new Float32Array(6)), 'invalid_argument', /token id 4 at position 1/);
    throwsCode(() => k.embeddingBackward(new Float32Array(3), Int32Array.from([-1]), 3, weight), 'invalid_argument', /token id -1/);
    throwsCode(() => k.embeddingForward(weight, Int32Array.from([1, 2]), 3, new Float32Array(5)), 'shape_mismatch', /out has 5/);
    const logits = new Float32Array(2 * 3);
    const lse = new Float32Array(2);
    const losses = new Float32Array(2);
    throwsCode(() => k.softmaxXentForward(logits, Int32Array.from([0, 3]), 2, 3, -100, lse, losses), 'invalid_argument', /target 3 at row 1/);
    throwsCode(() => k.softmaxXentBackward(logits, lse, Int32Array.from([0, 1]), 2, 3, -100, new Float32Array(1), logits), 'shape_mismatch', /scale has 1/);
    k.softmaxXentForward(logits, Int32Array.from([0, -100]), 2, 3, -100, lse, losses);
    assert.equal(losses[1], 0);
  });

  test('recurrent kernels check modes, states, workspace and gradient arrays', () => {
    const desc = { mode: 'lstm' as const, T: 2, B: 1, inputSize: 2, hiddenSize: 3 };
    const w = { weightIh: new Float32Array(24), weightHh: new Float32Array(36), biasIh: null, biasHh: null };
    const x = new Float32Array(4);
    const h = new Float32Array(3);
    const y = new Float32Array(6);
    throwsCode(() => k.recurrentForward({ desc, w, x, h0: h, c0: null, y, hT: h, cT: null, workspace: null }), 'invalid_argument', /needs c0 and cT/);
    const short = new Float32Array(k.recurrentWorkspaceSize(desc) - 1);
    throwsCode(
      () => k.recurrentForward({ desc, w, x, h0: h, c0: h, y, hT: new Float32Array(3), cT: new Float32Array(3), workspace: short }),
      'shape_mismatch',
      /workspace/,
    );
    throwsCode(() => k.recurrentWorkspaceSize({ ...desc, mode: 'rnn' as never }), 'invalid_argument', /unknown mode "rnn"/);
    throwsCode(
      () => k.recurrentForward({ desc, w: { ...w, weightHh: new Float32Array(35) }, x, h0: h, c0: h, y, hT: h, cT: h, workspace: null }),
      'shape_mismatch',
      /w.weightHh has 35/,
    );
    throwsCode(
      () => k.recurrentForward({ desc, w: { ...w, biasIh: new Float32Array(12) }, x, h0: h, c0: h, y, hT: h, cT: h, workspace: null }),
      'invalid_argument',
      /both be arrays or both null/,
    );
    const ws = new Float32Array(k.recurrentWorkspaceSize(desc));
    const g = { weightIh: new Float32Array(24), weightHh: new Float32Array(30), biasIh: null, biasHh: null };
    throwsCode(
      () => k.recurrentBackward({ desc, w, x, h0: h, c0: h, y, workspace: ws, dy: y, dhT: null, dcT: null, dx: null, dh0: null, dc0: null, grads: g }),
      'shape_mismatch',
      /grads.weightHh has 30/,
    );
  });

  test('optimizers reject a missing momentum buffer and a step count below 1', () => {
    const p = new Float32Array(2);
    const sgd = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true };
    throwsCode(() => k.sgdStep(p, p.slice(), null, sgd), 'invalid_argument', /momentum buffer/);
    const adam = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, decoupled: false, step: 0 };
    throwsCode(() => k.adamStep(p, p.slice(), p.slice(), p.slice(), adam), 'invalid_argument', /1-based/);
    throwsCode(() => k.adamStep(p, new Float32Array(3), p.slice(), p.slice(), { ...adam, step: 1 }), 'shape_mismatch', /grad has 3/);
  });
}
