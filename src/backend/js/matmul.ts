/**
 * gemm for the js reference backend: C[M,N] = alpha · op(A) · op(B) + beta · C, row-major.
 *
 * Dimension legend: M rows of C and op(A), N columns of C and op(B), K the shared (summed) size.
 *
 * Two loop shapes keep every inner loop walking memory contiguously:
 * - op(B) = B ([K,N], transB false): "i-k-j". Row i of C gets Σ_k a_ik · B[k, :], so the inner
 *   loop streams one row of B and one row of C. A may be transposed: a_ik is a single scalar load
 *   per (i, k), so its stride does not matter. k is unrolled by 4 (four B rows per pass over the
 *   C row: a quarter of the loads/stores of C), and the loops are blocked over k and j so the
 *   block of B being reused for every row i stays in cache.
 * - op(B) = Bᵀ (B is [N,K], transB true): "dot". C[i, j] = A[i, :] · B[j, :] with both rows
 *   contiguous in k; four columns j at once share each load of A[i, k]. If A is transposed too,
 *   it is first packed into a row-major [M, K] copy (O(M·K), small next to the O(M·N·K) work).
 *
 * Arithmetic is in JS numbers (float64). For Float32Array C the row-update form rounds C to float32
 * after every 4 k's (like a float32 BLAS accumulating in registers); the dot form rounds once.
 *
 * Precision 'bf16' emulates the native mixed-precision kernels: A and B are first copied with each
 * element rounded to bfloat16 (bf16.ts), then multiplied as above (the products are exact, the sums
 * are in float64 here and float32 there).
 */
import { roundArrayBf16 } from '../bf16.js';
import type { F, Precision } from '../kernels.js';
import { allocLike, checkPrecision, checkSizes, needLength, sameDtype } from './checks.js';

/** k-block × j-block of B kept hot while all rows i pass over it (256·1024 floats ≈ 1–2 MiB). */
const KC = 256;
const NC = 1024;

export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: F,
  B: F,
  beta: number,
  C: F,
  precision: Precision = 'fp32',
): void {
  checkSizes('gemm', { M, N, K });
  checkPrecision('gemm', precision);
  sameDtype('gemm', A, B, C);
  needLength('gemm', 'A', A, M * K);
  needLength('gemm', 'B', B, K * N);
  needLength('gemm', 'C', C, M * N);

  // C = beta · C first; beta = 0 overwrites, so NaN/Inf already in C cannot leak through 0 · NaN.
  if (beta === 0) C.fill(0, 0, M * N);
  else if (beta !== 1) for (let p = 0; p < M * N; p++) C[p] = beta * C[p]!;
  if (alpha === 0 || M === 0 || N === 0 || K === 0) return;
  if (precision === 'bf16') {
    A = bf16Copy(A, M * K);
    B = bf16Copy(B, K * N);
  }

  if (!transB) {
    // op(A)[i, k] = A[i·sAi + k·sAk]
    const sAi = transA ? 1 : K;
    const sAk = transA ? M : 1;
    gemmRowUpdate(M, N, K, alpha, A, sAi, sAk, B, C);
  } else {
    gemmDot(M, N, K, alpha, transA ? transposed(A, K, M) : A, B, C);
  }
}

/** C[i, :] += alpha · Σ_k op(A)[i, k] · B[k, :] with B [K,N] row-major; op(A) read through strides. */
function gemmRowUpdate(M: number, N: number, K: number, alpha: number, A: F, sAi: number, sAk: number, B: F, C: F): void {
  for (let k0 = 0; k0 < K; k0 += KC) {
    const k1 = Math.min(K, k0 + KC);
    for (let j0 = 0; j0 < N; j0 += NC) {
      const j1 = Math.min(N, j0 + NC);
      for (let i = 0; i < M; i++) {
        const cRow = i * N; // C[i, 0]
        const aRow = i * sAi; // op(A)[i, 0]
        // Inner index j runs over C's flat positions; B[k, j] is then at (k·N − cRow) + j.
        const jStart = cRow + j0;
        const jEnd = cRow + j1;
        let k = k0;
        for (; k + 3 < k1; k += 4) {
          const a0 = alpha * A[aRow + k * sAk]!;
          const a1 = alpha * A[aRow + (k + 1) * sAk]!;
          const a2 = alpha * A[aRow + (k + 2) * sAk]!;
          const a3 = alpha * A[aRow + (k + 3) * sAk]!;
          const b0 = k * N - cRow;
          const b1 = b0 + N;
          const b2 = b1 + N;
          const b3 = b2 + N;
          for (let j = jStart; j < jEnd; j++) {
            C[j]! += a0 * B[b0 + j]! + a1 * B[b1 + j]! + a2 * B[b2 + j]! + a3 * B[b3 + j]!;
          }
        }
        for (; k < k1; k++) {
          const a = alpha * A[aRow + k * sAk]!;
          const b = k * N - cRow;
          for (let j = jStart; j < jEnd; j++) C[j]! += a * B[b + j]!;
        }
      }
    }
  }
}

/** C[i, j] += alpha · A[i, :] · B[j, :] with A [M,K] and B [N,K] row-major. */
function gemmDot(M: number, N: number, K: number, alpha: number, A: F, B: F, C: F): void {
  for (let i = 0; i < M; i++) {
    const a = i * K; // A[i, 0]
    const c = i * N; // C[i, 0]
    let j = 0;
    for (; j + 3 < N; j += 4) {
      const b0 = j * K; // B[j, 0] .. B[j+3, 0]
      const b1 = b0 + K;
      const b2 = b1 + K;
      const b3 = b2 + K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < K; k++) {
        const x = A[a + k]!;
        s0 += x * B[b0 + k]!;
        s1 += x * B[b1 + k]!;
        s2 += x * B[b2 + k]!;
        s3 += x * B[b3 + k]!;
      }
      C[c + j]! += alpha * s0;
      C[c + j + 1]! += alpha * s1;
      C[c + j + 2]! += alpha * s2;
      C[c + j + 3]! += alpha * s3;
    }
    for (; j < N; j++) {
      const b = j * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a + k]! * B[b + k]!;
      C[c + j]! += alpha * s;
    }
  }
}

/** Row-major [C, R] copy of a row-major [R, C] matrix. */
function transposed(X: F, R: number, C: number): F {
  const out = allocLike(X, R * C);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) out[c * R + r] = X[r * C + c]!;
  }
  return out;
}

/** The first n elements of X rounded to bfloat16, in a new array of X's kind. */
function bf16Copy(X: F, n: number): F {
  const out = allocLike(X, n);
  roundArrayBf16(X, out, n);
  return out;
}
