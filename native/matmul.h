// Internal gemm interface of one ISA build (matmul.cc), used by the kernel table and by
// recurrent.cc, which prepacks W_hh once per sequence and runs the per-step gemms on it.
//
// Dimension legend: C [M,N] = alpha · op(A) [M,K] · op(B) [K,N] + beta · C; lda/ldb/ldc are row
// strides in floats of the stored (untransposed) matrices. MR×NR is the register tile, KC the
// depth of one packed block.
#pragma once

#include "common.h"

namespace rnnlm {
namespace RNNLM_ISA {

#if RNNLM_VL == 16
constexpr int GEMM_MR = 12, GEMM_NR = 32;  // 24 zmm accumulators
#elif RNNLM_VL == 8
constexpr int GEMM_MR = 6, GEMM_NR = 16;  // 12 ymm accumulators
#else
// 12 xmm/NEON accumulators. The wasm relaxed-SIMD builds take RNNLM_GEMM_MR=4 (build-wasm.mjs):
// in V8, 12 accumulators + 2 B vectors + a broadcast leave too few of the 16 xmm registers, and
// the spilling 6×8 tile ran at half the speed of 4×8 (src/backend/wasm/README.md).
#ifndef RNNLM_GEMM_MR
#define RNNLM_GEMM_MR 6
#endif
constexpr int GEMM_MR = RNNLM_GEMM_MR, GEMM_NR = 8;
#endif
// Measured on Zen 5 (48 KiB L1d, 1 MiB L2): KC 768 / 256 KiB B blocks is within a few % of the
// best of KC 384–768 × 256–448 KiB on every benchmark shape (bench/gemm.ts).
constexpr i64 GEMM_KC = 768;               // max depth of a block: the A micro-panel MR×KC stays in L1
constexpr i64 GEMM_MC = GEMM_MR * 256;     // A block MC×KC, packed once per KC block (L2/L3)
constexpr i64 GEMM_NC_BYTES = 256 << 10;   // B block KC×NC stays in L2
constexpr i64 GEMM_DIRECT_M = 4 * GEMM_MR;  // at most this many rows with op(B) = B: B read in place
constexpr i64 GEMM_DOT_M = 16;              // at most this many rows with op(B) = Bᵀ: dot products

// How packed operands are stored: float32; bf16 values kept as float32 (the emulated bf16 path);
// bf16 pairs along k for vdpbf16ps. Every function below takes `bf16` (the gemm's precision) and
// derives the kind from it, so operands packed for one call suit every other call.
// The AMX kind packs B as pairs too, zero-padded to a multiple of 32 along k, and A as 16-row
// panels of bf16 along k (the tile layouts).
enum Pack { PK_F32 = 0, PK_BF16_ROUND = 1, PK_BF16_PAIRS = 2, PK_BF16_AMX = 3 };

// How bf16 gemms run: BF16_EMULATED (float32 FMA on rounded operands, everywhere), BF16_DOT
// (vdpbf16ps, AVX-512 build on a CPU with avx512_bf16), BF16_AMX (AMX tiles, where the CPU and OS
// allow them). set_bf16_mode(m) uses m or the best below it this CPU has; -1 only asks. Returns the
// mode in effect.
enum Bf16Mode { BF16_EMULATED = 0, BF16_DOT = 1, BF16_AMX = 2 };
int set_bf16_mode(int mode);

// Pins a bf16 copy of the n floats at src (converted once, as the bf16 gemms round): until
// unpin_bf16(src), bf16 dot-path gemms (M ≤ GEMM_DOT_M, op(B) = Bᵀ: generation) whose B lies
// inside it read the copy. Returns 1 if pinned, 0 where it would not help (emulated bf16, no room).
// The caller must not change the floats while they are pinned.
int pin_bf16(const float* src, int64_t n);
void unpin_bf16(const float* src);

// Full gemm with strides, using up to nth pool threads. False if scratch memory ran out.
bool gemm_ld(bool transA, bool transB, i64 M, i64 N, i64 K, float alpha, const float* A, i64 lda, const float* B,
             i64 ldb, float beta, float* C, i64 ldc, int nth, bool bf16);

// Single-threaded gemm on columns [n0, n1) of C (C, B: column 0; n0 any). False if scratch ran out.
bool gemm_cols(bool transA, bool transB, i64 M, i64 n0, i64 n1, i64 K, float alpha, const float* A, i64 lda,
               const float* B, i64 ldb, float beta, float* C, i64 ldc, bool bf16);

// The dot path alone (M ≤ GEMM_DOT_M rows, op(B) = Bᵀ, A contiguous [M,K]) on columns [n0, n1) of
// C, single-threaded: the bits gemm_ld gives those columns (whatever its split), a pinned bf16
// copy of B read where there is one. Callable from every thread of a region. False if scratch ran out.
// P: dot_packed_b(B, …) (or null), looked up by the caller before the region.
bool gemm_dot_cols(i64 M, i64 n0, i64 n1, i64 K, float alpha, const float* A, const float* B, i64 ldb, float beta,
                   float* C, i64 ldc, bool bf16, const float* P = nullptr);
// Pinned float32 weights (Backend.pin, fp32 generation): until unpin_f32(src), float32 dot-path
// gemms whose B is the whole pinned array as rows of K floats read a copy packed 4 rows at a time
// (one sequential stream per block of 4 rows; the same bits). 1 if pinned. Unchanged meanwhile.
int pin_f32(const float* src, int64_t n);
void unpin_f32(const float* src);
// The packed copy of B [N rows, ldb = K] when B is pinned (packing it on first use), else null.
// Call from the caller's thread, before a region (it may pack).
const float* dot_packed_b(const float* B, i64 ldb, i64 K, i64 N, bool bf16);

// Floats needed to prepack op(B) [K,N] for a gemm of this precision: per KC block, ceil(N/NR)
// panels of [kc][NR] (AMX: kc rounded up to 32).
i64 packed_b_floats(i64 K, i64 N, bool bf16);
// Packs part `tid` of `nth` of op(B) into dst (call from every thread of a region, or tid 0 of 1).
void pack_b_full(bool transB, i64 K, i64 N, const float* B, i64 ldb, float* dst, int tid, int nth, bool bf16);
// Floats needed to prepack op(A) [M,K] for a gemm of this precision: per KC block, ceil(M/MR)
// panels of [kc][MR] (AMX: ceil(M/16) panels of [16][kc rounded up to 32] bf16).
i64 packed_a_floats(i64 M, i64 K, bool bf16);
// Packs all of op(A) (single-threaded), so several gemms with the same A pack it once.
void pack_a_full(bool transA, i64 M, i64 K, const float* A, i64 lda, float* dst, bool bf16);
// Single-threaded C[:, n0:n1] = alpha · op(A) · op(B)[:, n0:n1] + beta · C[:, n0:n1] with both
// operands prepacked. n0 must be a multiple of GEMM_NR. C points at column 0 of C.
bool gemm_packed(i64 M, i64 K, float alpha, const float* Ap, const float* Bp, i64 N, i64 n0, i64 n1, float beta,
                 float* C, i64 ldc, bool bf16);
// The same with op(A) packed on the fly (into this thread's scratch). False if scratch ran out.
bool gemm_packed_cols(bool transA, i64 M, i64 K, float alpha, const float* A, i64 lda, const float* Bp, i64 N, i64 n0,
                      i64 n1, float beta, float* C, i64 ldc, bool bf16);

}  // namespace RNNLM_ISA
}  // namespace rnnlm
