/**
 * GFLOP/s of the js reference gemm (float32, then float64) on two shapes:
 * 256×256×256, and 20×650 · 650×2600 (one LSTM step of a 650-unit layer, batch 20: the recurrent
 * gemm h·W_hhᵀ is the NT form, the input projection of a short window is NN-like).
 *
 *   node --import tsx bench/kernels-js.ts
 */
import { gemm } from '../src/backend/js/matmul.js';
import type { F } from '../src/backend/kernels.js';
import { Rng } from '../src/tensor/random.js';

const rng = new Rng(1);

function rand(dtype: 'float32' | 'float64', n: number): F {
  const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniformRange(-1, 1);
  return a;
}

/** Runs for at least `ms` after a warm-up and returns GFLOP/s. */
function measure(dtype: 'float32' | 'float64', transB: boolean, M: number, N: number, K: number, ms = 600): number {
  const A = rand(dtype, M * K);
  const B = rand(dtype, K * N);
  const C = rand(dtype, M * N);
  const run = (): void => gemm(false, transB, M, N, K, 1, A, B, 0, C);
  for (let i = 0; i < 3; i++) run();
  let reps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    run();
    reps++;
    elapsed = performance.now() - t0;
  } while (elapsed < ms);
  return (2 * M * N * K * reps) / (elapsed * 1e6);
}

for (const dtype of ['float32', 'float64'] as const) {
  for (const [label, M, N, K] of [
    ['256x256x256', 256, 256, 256],
    ['20x650 * 650x2600', 20, 2600, 650],
  ] as const) {
    for (const transB of [false, true]) {
      const gflops = measure(dtype, transB, M, N, K);
      console.log(`${dtype}  ${label.padEnd(18)} ${transB ? 'NT' : 'NN'}  ${gflops.toFixed(2)} GFLOP/s`);
    }
  }
}
