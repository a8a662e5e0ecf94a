/**
 * bf16 precision (kernels.ts Precision): the rounding itself, and every backend's gemm and
 * recurrent kernels in 'bf16' against a naive float64 reference on bf16-rounded operands — the js
 * reference (both dtypes), the wasm backend (emulated), and the native addon on each ISA build and
 * on both of its bf16 paths (vdpbf16ps where the CPU has it, and the emulated float32 path).
 * Tolerances are bf16's: the operands are rounded the same way everywhere, so results agree to
 * float32 summation error (gemm) or, through a recurrence whose h is rounded again at every step,
 * to about 1e-3.
 *
 * Dimension legend: M/N/K gemm sizes, T time, B batch, I input, H hidden, G gates.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../helpers/backend.js';
import { backward } from '../../src/autograd/graph.js';
import { BF16_MODES } from '../../src/backend/backend.js';
import { roundArrayBf16, roundBf16 } from '../../src/backend/bf16.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { type F, type Kernels, type RecurrentMode, type RecurrentWeights, gatesOf } from '../../src/backend/kernels.js';
import { loadNativeBackend, nativeControls } from '../../src/backend/native/index.js';
import { loadWasmBackend } from '../../src/backend/wasm/node.js';
import { isRnnlmError } from '../../src/errors.js';
import { RNNLM } from '../../src/models/rnnlm.js';
import { matmulPrecision, withMatmulPrecision } from '../../src/ops/precision.js';
import { Rng } from '../../src/tensor/random.js';
import { naiveGemm } from './naive.js';

function rand(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

function rounded(a: F): Float64Array {
  const out = new Float64Array(a.length);
  roundArrayBf16(a, out);
  return out;
}

/** max_p |got − want| / max(1, Σ_k |a_k·b_k| of that element) ≤ tol, and the index of the worst. */
function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number> | null): number {
  let worst = 0;
  for (let p = 0; p < want.length; p++) {
    const e = Math.abs(got[p]! - want[p]!) / Math.max(1, scale ? scale[p]! : Math.abs(want[p]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

const absOf = (a: F): Float64Array => Float64Array.from(a, Math.abs);

describe('roundBf16', () => {
  test('rounds to nearest with ties to even, keeps NaN, ±Inf and overflows to Inf', () => {
    assert.equal(roundBf16(1), 1);
    assert.equal(roundBf16(1 + 2 ** -8), 1); // tie between 1 and 1 + 2^-7: to even (1)
    assert.equal(roundBf16(1 + 3 * 2 ** -8), 1 + 2 ** -6); // tie between 1 + 2^-7 and 1 + 2^-6: to even
    assert.equal(roundBf16(1 + 2 ** -8 + 2 ** -20), 1 + 2 ** -7); // just above the tie: up
    assert.equal(roundBf16(-3.14159), -3.140625);
    assert.ok(Number.isNaN(roundBf16(Number.NaN)));
    assert.equal(roundBf16(Infinity), Infinity);
    assert.equal(roundBf16(-Infinity), -Infinity);
    assert.equal(roundBf16(3.4e38), Infinity); // above bf16's largest finite value (≈ 3.39e38)
    assert.equal(roundBf16(0), 0);
    assert.ok(Object.is(roundBf16(-0), -0));
    const rng = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      const x = (rng.uniform() - 0.5) * 2 ** (rng.uniform() * 40 - 20);
      const r = roundBf16(x);
      assert.equal(roundBf16(r), r, 'idempotent');
      assert.ok(Math.abs(r - x) <= Math.abs(x) * 2 ** -8, `${x} → ${r}: within half a bf16 ulp`);
    }
  });
});

/** Backends under test: js, wasm (the emulated path), and native on every ISA and bf16 path this machine runs. */
function backends(): { name: string; k: Kernels; f64: boolean; setup?: () => () => void }[] {
  const list: { name: string; k: Kernels; f64: boolean; setup?: () => () => void }[] = [{ name: 'js', k: jsBackend.kernels, f64: true }];
  const wasm = loadWasmBackend();
  if (wasm) list.push({ name: 'wasm emulated', k: wasm.kernels, f64: false });
  const native = loadNativeBackend();
  const ctl = nativeControls();
  if (!native || !ctl) return list;
  const info = ctl.info();
  for (const isa of info.isas) {
    // Every bf16 path this ISA build runs on this CPU (asking for one it lacks gives a lower one).
    ctl.setIsa(isa);
    const modes = isa === 'avx512' ? BF16_MODES.filter((m) => ctl.setBf16Mode(m) === m) : ['emulated' as const];
    ctl.setBf16Mode(info.bf16);
    ctl.setIsa(info.isa);
    for (const mode of modes) {
      const pin = (): (() => void) => {
        ctl.setIsa(isa);
        ctl.setBf16Mode(mode);
        return () => {
          ctl.setBf16Mode(info.bf16);
          ctl.setIsa(info.isa);
        };
      };
      list.push({ name: `native ${isa} ${mode}`, k: native.kernels, f64: false, setup: pin });
    }
  }
  return list;
}

for (const be of backends()) {
  describe(`bf16 kernels: ${be.name}`, () => {
    const run = (fn: () => void) => () => {
      const restore = be.setup?.() ?? (() => {});
      try {
        fn();
      } finally {
        restore();
      }
    };

    test(
      'gemm: every path and transpose equals the float64 product of bf16-rounded operands',
      run(() => {
        const rng = new Rng(11);
        // dot path (M ≤ 4, Bᵀ), small-M (in place for fp32), packed with edges, several KC blocks, odd K.
        const shapes: [number, number, number][] = [
          [1, 70, 33],
          [3, 45, 650],
          [20, 130, 65],
          [37, 75, 801],
          [13, 37, 5],
          [40, 64, 1],
        ];
        for (const [M, N, K] of shapes) {
          for (const ta of [false, true]) {
            for (const tb of [false, true]) {
              const A = rand(rng, M * K);
              const B = rand(rng, K * N);
              const C0 = rand(rng, M * N);
              const want = naiveGemm(ta, tb, M, N, K, 0.5, rounded(A), rounded(B), 2, C0); // beta applies to C unrounded
              const scale = naiveGemm(ta, tb, M, N, K, 0.5, absOf(rounded(A)), absOf(rounded(B)), 0, C0);
              const C = Float32Array.from(C0);
              be.k.gemm(ta, tb, M, N, K, 0.5, A, B, 2, C, 'bf16');
              const what = `${be.name} gemm ${M}×${N}×${K} ta=${ta} tb=${tb}`;
              assert.ok(maxRelErr(C, want, scale) < 1e-5, `${what}: ${maxRelErr(C, want, scale)}`);
              if (be.f64) {
                const C64 = Float64Array.from(C0);
                be.k.gemm(ta, tb, M, N, K, 0.5, Float64Array.from(A), Float64Array.from(B), 2, C64, 'bf16');
                assert.ok(maxRelErr(C64, want, scale) < 1e-12, `${what} float64`);
              }
              // And bf16 is not fp32: the rounding shows (K ≥ 5 with random operands).
              if (K >= 5) {
                const Cf = Float32Array.from(C0);
                be.k.gemm(ta, tb, M, N, K, 0.5, A, B, 2, Cf, 'fp32');
                assert.ok(maxRelErr(Cf, want, scale) > 1e-4, `${what}: fp32 and bf16 results should differ`);
              }
            }
          }
        }
      }),
    );

    test(
      'gemm: beta = 0 ignores NaN in C; NaN and Inf operands propagate',
      run(() => {
        const A = new Float32Array([1, 2, 3, 4]);
        const B = new Float32Array([1, Number.NaN, Infinity, 1]);
        const C = new Float32Array([Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
        be.k.gemm(false, false, 2, 2, 2, 1, A, B, 0, C, 'bf16');
        assert.ok(Number.isNaN(C[1]!), 'NaN operand → NaN');
        assert.equal(C[0], Infinity); // 1·1 + 2·Inf
      }),
    );

    for (const mode of ['lstm', 'gru', 'rnn_tanh'] as RecurrentMode[]) {
      test(
        `${mode}: forward and backward in bf16 match the js reference in bf16, not fp32`,
        run(() => {
          const rng = new Rng(21);
          // B = 2 (unpacked step gemms) and B = 24 (packed W_hh, NR-wide split).
          for (const [T, B, I, H] of [
            [3, 2, 7, 40],
            [4, 24, 33, 70],
          ] as [number, number, number, number][]) {
            const G = gatesOf(mode);
            const s = 1 / Math.sqrt(H);
            const w: RecurrentWeights = {
              weightIh: rand(rng, G * H * I, -s, s),
              weightHh: rand(rng, G * H * H, -s, s),
              biasIh: rand(rng, G * H, -s, s),
              biasHh: rand(rng, G * H, -s, s),
            };
            const x = rand(rng, T * B * I);
            const h0 = rand(rng, B * H, -0.5, 0.5);
            const c0 = mode === 'lstm' ? rand(rng, B * H) : null;
            const dy = rand(rng, T * B * H);
            const fwd = (k: Kernels, precision: 'fp32' | 'bf16') => {
              const desc = { mode, T, B, inputSize: I, hiddenSize: H, precision };
              const y = new Float32Array(T * B * H);
              const hT = new Float32Array(B * H);
              const cT = c0 ? new Float32Array(B * H) : null;
              const workspace = new Float32Array(k.recurrentWorkspaceSize(desc));
              k.recurrentForward({ desc, w, x, h0, c0, y, hT, cT, workspace });
              const grads: RecurrentWeights = {
                weightIh: new Float32Array(G * H * I),
                weightHh: new Float32Array(G * H * H),
                biasIh: new Float32Array(G * H),
                biasHh: new Float32Array(G * H),
              };
              const dx = new Float32Array(T * B * I);
              const dh0 = new Float32Array(B * H);
              k.recurrentBackward({ desc, w, x, h0, c0, y, workspace, dy: Float32Array.from(dy), dhT: null, dcT: null, dx, dh0, dc0: null, grads });
              return { y, dx, dh0, dWih: grads.weightIh, dWhh: grads.weightHh };
            };
            const ref = fwd(jsBackend.kernels, 'bf16');
            const got = fwd(be.k, 'bf16');
            const f32 = fwd(jsBackend.kernels, 'fp32');
            const what = `${be.name} ${mode} T=${T} B=${B}`;
            for (const key of ['y', 'dx', 'dh0', 'dWih', 'dWhh'] as const) {
              const e = maxRelErr(got[key], ref[key], null);
              assert.ok(e < 2e-3, `${what} ${key}: ${e} vs the js bf16 reference`);
            }
            assert.ok(maxRelErr(f32.y, ref.y, null) > 1e-4, `${what}: bf16 and fp32 outputs should differ`);
          }
        }),
      );
    }

    test(
      'an unknown precision is a clear error',
      run(() => {
        const a = new Float32Array(4);
        assert.throws(
          () => be.k.gemm(false, false, 2, 2, 1, 1, a, a, 0, a, 'fp16' as never),
          (e: unknown) => isRnnlmError(e) && e.code === 'invalid_argument' && /precision/.test(e.message),
        );
      }),
    );
  });
}

describe('bf16 in models', () => {
  test('RNNLM precision bf16: the loss is close to fp32 but not equal, and the scope is restored', () => {
    const make = (precision: 'fp32' | 'bf16') => new RNNLM({ vocabSize: 50, embedSize: 16, hiddenSize: 24, numLayers: 2, cell: 'lstm', seed: 5, precision });
    const ids = Int32Array.from({ length: 5 * 3 }, (_, i) => (i * 7) % 50);
    const targets = Int32Array.from({ length: 5 * 3 }, (_, i) => (i * 11 + 3) % 50);
    const l32 = make('fp32').forwardLoss(ids, targets, 5, 3).loss.data[0]!;
    const m16 = make('bf16');
    const out = m16.forwardLoss(ids, targets, 5, 3);
    const l16 = out.loss.data[0]!;
    assert.equal(matmulPrecision(), 'fp32');
    assert.ok(Math.abs(l16 - l32) < 1e-2 * l32 && l16 !== l32, `bf16 ${l16} vs fp32 ${l32}`);
    backward(out.loss);
    for (const [name, p] of m16.namedParameters()) assert.ok(p.grad && p.grad.data instanceof Float32Array, `${name}: fp32 gradient`);
    assert.throws(() => make('fp16' as never), /precision must be one of fp32, bf16/);
  });

  test('withMatmulPrecision restores the previous precision even when fn throws', () => {
    assert.throws(() =>
      withMatmulPrecision('bf16', () => {
        assert.equal(matmulPrecision(), 'bf16');
        throw new Error('x');
      }),
    );
    assert.equal(matmulPrecision(), 'fp32');
  });
});

describe('native bf16: weights pinned for generation (converted once, Backend.pin)', () => {
  const native = loadNativeBackend();
  const ctl = nativeControls();
  const skip = !native || !ctl ? 'the native addon is not built' : ctl.info().bf16 === 'emulated' ? 'this CPU has no bf16 dot products' : false;

  test('the dot path reads the pinned bf16 copy and gets the same bits; unpinned, fp32 and released as before', { skip }, () => {
    const k = native!.kernels;
    const rng = new Rng(31);
    // W [N+3, K] pinned whole; B = rows 3.. of it (a view inside the pinned array); M ≤ 16 rows.
    for (const [M, N, K] of [
      [1, 70, 650],
      [5, 37, 33],
      [16, 130, 64],
    ] as [number, number, number][]) {
      const W = rand(rng, (N + 3) * K);
      const B = W.subarray(3 * K);
      const A = rand(rng, M * K);
      const gemm = (precision: 'fp32' | 'bf16') => {
        const C = new Float32Array(M * N);
        k.gemm(false, true, M, N, K, 1, A, B, 0, C, precision);
        return C;
      };
      const before = gemm('bf16');
      const f32 = gemm('fp32');
      const unpin = native!.pin!([W], 'bf16');
      const pinned = gemm('bf16');
      W.fill(0); // pinned: the copy is what the bf16 dot path reads (the caller promised no changes)
      const stale = gemm('bf16');
      assert.deepEqual(gemm('fp32'), new Float32Array(M * N), 'fp32 reads the array itself');
      unpin();
      assert.deepEqual(pinned, before, `${M}×${N}×${K}: pinned = converted on the fly, bit for bit`);
      assert.deepEqual(stale, before, `${M}×${N}×${K}: the pinned copy was read`);
      assert.deepEqual(gemm('bf16'), new Float32Array(M * N), 'unpinned: the array itself again');
      assert.notDeepEqual(f32, before);
    }
  });

  test('pinning for fp32 keeps nothing', { skip }, () => {
    const W = rand(new Rng(2), 4 * 40);
    const A = rand(new Rng(3), 40);
    const unpin = native!.pin!([W], 'fp32');
    W.fill(0);
    const C = new Float32Array(4);
    native!.kernels.gemm(false, true, 1, 4, 40, 1, A, W, 0, C, 'bf16');
    unpin();
    assert.deepEqual(C, new Float32Array(4));
  });
});
