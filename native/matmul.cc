// gemm for the native backend: C[M,N] = alpha · op(A) · op(B) + beta · C, row-major float32.
//
// Dimension legend: M rows of C and op(A), N columns of C and op(B), K the summed size;
// MR×NR register tile, KC/MC/NC cache blocks (matmul.h).
//
// Goto/BLIS structure. For each KC depth block, op(A) is packed into MR-tall panels [kc][MR]
// (once, for all columns), and for each NC column block op(B) into NR-wide panels [kc][NR] sized
// to stay in L2. The MR×NR microkernel keeps the whole C tile in vector registers: per k it loads
// NR/VL vectors of B and broadcasts MR values of A into MR·NR/VL FMAs. The A panel (the broadcast
// side) stays in L1 while the B panels of the block stream past it from L2. alpha and beta are
// applied when a tile is written (beta on the first KC block only; beta = 0 never reads C, so NaN
// there cannot leak). Packing that transposes (op(A) = A, op(B) = Bᵀ) goes 8×8 in registers.
//
// Special paths:
// - small M, op(B) = B: B rows are read in place (no packing), since each B panel is used only
//   ceil(M/MR) times and packing would cost as much as the math;
// - M ≤ DOT_M (16), op(B) = Bᵀ: dot products along contiguous rows of A and B (gemv-like, memory
//   bound; B read once for all rows); each row gets the same bits for any M, so a batch of up to
//   16 generations computes every row exactly as alone;
// - prepacked operands (gemm_packed) for the recurrent layers, which pack W_hh once for T steps.
//
// bf16 precision (mixed: bf16 operands, float32 sums). The operands are packed as float32 as above,
// then each packed panel is converted in place:
// - with vdpbf16ps (AVX-512 build on a CPU with avx512_bf16): into pairs of bf16 along k, one
//   32-bit word per (k pair, row or column): panels [ceil(kc/2)][MR] / [ceil(kc/2)][NR] words. The
//   microkernel broadcasts a pair of A and multiplies it with NR/VL vectors of B pairs
//   (acc += a_k·b_k + a_{k+1}·b_{k+1}), twice the k-steps per instruction of the float32 FMA;
// - elsewhere (the "emulated" path, correct and no faster): each float rounded to bf16 in place,
//   then the float32 microkernel. The dot path rounds as it loads; the direct path is not used.
// Two or more threads split the columns of C (NR-aligned) or its rows, whichever duplicates the
// cheaper packing; either way each element of C is computed the same way, so results do not
// depend on the thread count.
#include "matmul.h"

#include <cstdlib>

#include "kernels.h"

#if RNNLM_VL == 16 && defined(__x86_64__)
#define RNNLM_DPBF16 1  // vdpbf16ps where the CPU has avx512_bf16
#if defined(__linux__)
#define RNNLM_AMX 1  // AMX tiles where the CPU has them and the OS allows them
#include "amx.h"
#endif
#endif

namespace rnnlm {
namespace RNNLM_ISA {

constexpr int MR = GEMM_MR, NR = GEMM_NR, NV = NR / VL;
constexpr i64 KC = GEMM_KC, MC = GEMM_MC;

// Depth of the KC blocks for a given K: at most KC, split evenly (650 → 2 × 325, not 384 + 266),
// so no block is short. Packed layouts (pack_b_full) use the same blocking.
// AMX blocks are shallower (the 32-row A pair, 32·KB bf16, must stay in L1 while B panels stream
// from L2: a 2×2-tile step reads 4 KiB per 64 cycles of tile math) and a multiple of 32 deep (one
// tile step), so every block's zero-padded depth kpad ≤ KB and the blocked layouts keep their
// offsets (block at pc·width). 256 measured best of 256/384/512/768 for the medium LM's shapes.
#ifndef RNNLM_AMX_KC
#define RNNLM_AMX_KC 256
#endif
static inline i64 kc_for(i64 K, Pack pk) {
  if (pk != PK_BF16_AMX) return ceil_div(K, ceil_div(K, KC));
  const i64 kb = ceil_div(K, ceil_div(K, i64(RNNLM_AMX_KC)));
  return ceil_div(kb, 32) * 32;
}
// Depth a packed panel of kc rows occupies: kc, or kc rounded up to 32 for AMX (zero rows).
static inline i64 kpad(i64 kc, Pack pk) { return pk == PK_BF16_AMX ? ceil_div(kc, 32) * 32 : kc; }
// Columns of a packed B block: kc × nc floats within GEMM_NC_BYTES (a share of L2).
static inline i64 nc_for(i64 kc) { return imax(2, GEMM_NC_BYTES / (kc * NR * 4)) * NR; }
constexpr i64 DIRECT_M = GEMM_DIRECT_M, DOT_M = GEMM_DOT_M;
// The dot path prefetches B's rows RNNLM_PFD blocks of Q rows ahead (RNNLM_PFL: the locality hint).
#ifndef RNNLM_PFD
#define RNNLM_PFD 4
#endif
#ifndef RNNLM_PFL
#define RNNLM_PFL 3
#endif

// ------------------------------------------------------------------ microkernel

// Writes an MRr×NR accumulator tile to C: C = alpha·acc (+ beta·C on the first KC block, + C after).
template <int MRr>
static inline void store_tile(vf (&acc)[MRr][NV], float* __restrict c, i64 ldc, i64 nr, float alpha, float beta,
                              bool first) {
  const vf va = vbc(alpha), vb = vbc(beta);
  if (nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MRr; i++) {
#pragma GCC unroll 4
      for (int j = 0; j < NV; j++) {
        float* cp = c + i * ldc + j * VL;
        vf r = acc[i][j] * va;
        if (!first) r += vld(cp);
        else if (beta != 0) r += vb * vld(cp);
        vst(cp, r);
      }
    }
    return;
  }
  // Right edge: fewer than NR valid columns.
  float tile[MRr * NR];
#pragma GCC unroll 16
  for (int i = 0; i < MRr; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) vst(tile + i * NR + j * VL, acc[i][j]);
  for (int i = 0; i < MRr; i++) {
    float* cp = c + i * ldc;
    for (i64 j = 0; j < nr; j++) {
      float r = alpha * tile[i * NR + j];
      if (!first) r += cp[j];
      else if (beta != 0) r += beta * cp[j];
      cp[j] = r;
    }
  }
}


// C[0:MRr, 0:nr] (+)= alpha · Ap[kc][MR] · Bp[kc][NR] (only the first MRr rows of the A panel).
// ldbk: floats between consecutive k rows of the B panel (NR packed, ldb in place).
template <int MRr>
static inline void ukernel(i64 kc, const float* __restrict a, const float* __restrict b, i64 ldbk,
                           float* __restrict c, i64 ldc, i64 nr, float alpha, float beta, bool first) {
  vf acc[MRr][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MRr; i++) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) acc[i][j] = vf{};
#ifdef PF_C
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + NR - 1, 1, 3);
#endif
  }
  for (i64 k = 0; k < kc; k++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) bv[j] = vld(b + j * VL);
#pragma GCC unroll 16
    for (int i = 0; i < MRr; i++) {
      vf ai = vbc(a[i]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; j++) RNNLM_MADD(acc[i][j], ai, bv[j]);
    }
    a += MR;
    b += ldbk;
  }
  store_tile<MRr>(acc, c, ldc, nr, alpha, beta, first);
}

// Picks the microkernel for mr ≤ MR rows at run time.
template <int R>
struct UkDispatch {
  static inline void run(int mr, i64 kc, const float* a, const float* b, i64 ldbk, float* c, i64 ldc, i64 nr,
                         float alpha, float beta, bool first) {
    if (mr == R) ukernel<R>(kc, a, b, ldbk, c, ldc, nr, alpha, beta, first);
    else UkDispatch<R - 1>::run(mr, kc, a, b, ldbk, c, ldc, nr, alpha, beta, first);
  }
};
template <>
struct UkDispatch<0> {
  static inline void run(int, i64, const float*, const float*, i64, float*, i64, i64, float, float, bool) {}
};

// ------------------------------------------------------------------ bf16 conversion

typedef uint32_t vu __attribute__((vector_size(VL * 4)));

// Float32 bits → bf16 bits in the high half (low half zero): round to nearest, ties to even; NaN
// stays a quiet NaN; overflow rounds to ±Inf (as vcvtne2ps2bf16).
static inline uint32_t bf16_bits(uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return (u | 0x00400000u) & 0xffff0000u;
  return (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
}
static inline vu bf16_bits(vu u) {
  vu r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  vu q = (u | 0x00400000u) & 0xffff0000u;
  return (u & 0x7fffffffu) > 0x7f800000u ? q : r;
}
static inline vf round_bf16(vf v) { return (vf)bf16_bits((vu)v); }

// n floats at p rounded to bf16 in place (the emulated path's packed panels).
static void round_bf16_inplace(float* p, i64 n) {
  i64 i = 0;
  for (; i + VL <= n; i += VL) vst(p + i, round_bf16(vld(p + i)));
  for (; i < n; i++) {
    uint32_t u;
    __builtin_memcpy(&u, p + i, 4);
    u = bf16_bits(u);
    __builtin_memcpy(p + i, &u, 4);
  }
}

// A packed float32 panel [kc][W] → [ceil(kc/2)][W] words of bf16 pairs in place: word (k2, r)
// holds row 2·k2 in its low half and row 2·k2+1 (zero past kc) in its high half. Writing word row
// k2 only overwrites float rows ≤ 2·k2, which have been read by then.
template <int W>
static void to_pairs(float* p, i64 kc) {
  for (i64 k2 = 0; 2 * k2 < kc; k2++) {
    const float* e = p + 2 * k2 * W;
    bool odd = 2 * k2 + 1 < kc;
    if (W % VL == 0) {
      vu w[W / VL > 0 ? W / VL : 1];
      for (int q = 0; q < W / VL; q++) {
        vu lo = bf16_bits((vu)vld(e + q * VL)) >> 16;
        vu hi = odd ? bf16_bits((vu)vld(e + W + q * VL)) : vu{};
        w[q] = hi | lo;
      }
      for (int q = 0; q < W / VL; q++) vst(p + k2 * W + q * VL, (vf)w[q]);
    } else {
      uint32_t w[W];
      for (int r = 0; r < W; r++) {
        uint32_t a, b = 0;
        __builtin_memcpy(&a, e + r, 4);
        if (odd) __builtin_memcpy(&b, e + W + r, 4);
        w[r] = (odd ? bf16_bits(b) : 0u) | (bf16_bits(a) >> 16);
      }
      __builtin_memcpy(p + k2 * W, w, sizeof w);
    }
  }
}

// How bf16 gemms run (BF16_EMULATED / BF16_DOT / BF16_AMX, matmul.h): the best this build and CPU
// support unless set_bf16_mode chose a lower one. AMX needs the AVX-512 build, a CPU with
// amx-tile, amx-bf16 and avx512_bf16 (the AMX path converts with vcvtne2ps2bf16), tile state
// enabled by the OS (XCR0 bits 17–18) and, on Linux, the per-process permission to use it.
static int best_bf16_mode() {
#ifdef RNNLM_DPBF16
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512bf16")) return BF16_EMULATED;
#ifdef RNNLM_AMX
  if (amx_usable()) return BF16_AMX;
#endif
  return BF16_DOT;
#else
  return BF16_EMULATED;
#endif
}
static const int g_bf16_best = best_bf16_mode();
static int g_bf16_mode = g_bf16_best;

// How the packed operands of one gemm are stored.
static inline Pack pack_kind(bool bf16) {
  return !bf16 ? PK_F32 : g_bf16_mode == BF16_AMX ? PK_BF16_AMX : g_bf16_mode == BF16_DOT ? PK_BF16_PAIRS : PK_BF16_ROUND;
}

// Converts a freshly packed float32 panel [kc][W] for the gemm's precision (the AMX kind packs B
// panels as pairs too; its A panels have their own packing).
template <int W>
static inline void finish_panel(Pack pk, float* d, i64 kc) {
  if (pk == PK_BF16_ROUND) round_bf16_inplace(d, kc * W);
  else if (pk == PK_BF16_PAIRS || pk == PK_BF16_AMX) to_pairs<W>(d, kc);
}

int set_bf16_mode(int mode) {
  if (mode >= 0) g_bf16_mode = mode < g_bf16_best ? mode : g_bf16_best;
  return g_bf16_mode;
}

// ------------------------------------------------------------------ bf16 microkernel
#ifdef RNNLM_DPBF16
}  // namespace RNNLM_ISA
}  // namespace rnnlm
#include <immintrin.h>
namespace rnnlm {
namespace RNNLM_ISA {

// 32 floats at p (the first `left`, zeros after) → 32 bf16 in order (vcvtne2ps2bf16 rounds to
// nearest even, as bf16_bits).
static inline __mmask16 tail_mask(i64 n) { return n >= 16 ? (__mmask16)0xffff : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1); }

__attribute__((target("avx512f,avx512bf16"))) static inline __m512bh load_bf16x32(const float* p, i64 left) {
  if (left >= 32) return _mm512_cvtne2ps_pbh(_mm512_loadu_ps(p + 16), _mm512_loadu_ps(p));
  return _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(tail_mask(left - 16), p + 16), _mm512_maskz_loadu_ps(tail_mask(left), p));
}

// C[0:MRr, 0:nr] (+)= alpha · A · B from bf16-pair panels: a [kc2][MR] words, b [kc2][NR] words.
template <int MRr>
__attribute__((target("avx512f,avx512bf16"))) static void ukernel_bf16(i64 kc2, const float* a, const float* b,
                                                                       float* c, i64 ldc, i64 nr, float alpha,
                                                                       float beta, bool first) {
  __m512 acc[MRr][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MRr; i++)
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) acc[i][j] = _mm512_setzero_ps();
  const uint32_t* au = reinterpret_cast<const uint32_t*>(a);
  for (i64 k = 0; k < kc2; k++) {
    __m512bh bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; j++) bv[j] = (__m512bh)_mm512_loadu_si512(b + j * VL);
#pragma GCC unroll 16
    for (int i = 0; i < MRr; i++) {
      __m512bh ai = (__m512bh)_mm512_set1_epi32((int)au[i]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; j++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], ai, bv[j]);
    }
    au += MR;
    b += NR;
  }
  vf t[MRr][NV];
  for (int i = 0; i < MRr; i++)
    for (int j = 0; j < NV; j++) t[i][j] = (vf)acc[i][j];
  store_tile<MRr>(t, c, ldc, nr, alpha, beta, first);
}
#endif

// Picks the bf16-pair microkernel for mr ≤ MR rows at run time (kc2 word rows).
template <int R>
struct UkDispatchBf16 {
  static inline void run(int mr, i64 kc2, const float* a, const float* b, float* c, i64 ldc, i64 nr, float alpha,
                         float beta, bool first) {
#ifdef RNNLM_DPBF16
    if (mr == R) ukernel_bf16<R>(kc2, a, b, c, ldc, nr, alpha, beta, first);
    else UkDispatchBf16<R - 1>::run(mr, kc2, a, b, c, ldc, nr, alpha, beta, first);
#else
    (void)mr, (void)kc2, (void)a, (void)b, (void)c, (void)ldc, (void)nr, (void)alpha, (void)beta, (void)first;
#endif
  }
};
template <>
struct UkDispatchBf16<0> {
  static inline void run(int, i64, const float*, const float*, float*, i64, i64, float, float, bool) {}
};

// One tile of C from packed panels of either kind (kc float rows; the pair kind has ceil(kc/2)).
static inline void tile(Pack pk, int mr, i64 kc, const float* a, const float* b, i64 ldbk, float* c, i64 ldc, i64 nr,
                        float alpha, float beta, bool first) {
  if (pk == PK_BF16_PAIRS) UkDispatchBf16<MR>::run(mr, (kc + 1) / 2, a, b, c, ldc, nr, alpha, beta, first);
  else UkDispatch<MR>::run(mr, kc, a, b, ldbk, c, ldc, nr, alpha, beta, first);
}

// ------------------------------------------------------------------ packing

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
// Two-source lane shuffle: clang spells it __builtin_shufflevector, GCC (any version) __builtin_shuffle.
#if defined(__clang__)
#define SHUF8(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUF8(a, b, ...) __builtin_shuffle(a, b, (v8i){__VA_ARGS__})
#endif

// dst[c·lds + r] = src[r·ldr + c] for an 8×8 block: unpack, 64-bit shuffle, 128-bit lane swap.
static inline void transpose8(const float* src, i64 ldr, float* dst, i64 lds) {
  v8f r[8], t[8], u[8];
  for (int i = 0; i < 8; i++) __builtin_memcpy(&r[i], src + i * ldr, sizeof(v8f));
  for (int i = 0; i < 8; i += 2) {
    t[i] = SHUF8(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = SHUF8(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = SHUF8(t[i], t[i + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 1] = SHUF8(t[i], t[i + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[i + 2] = SHUF8(t[i + 1], t[i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[i + 3] = SHUF8(t[i + 1], t[i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int i = 0; i < 4; i++) {
    v8f lo = SHUF8(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    v8f hi = SHUF8(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    __builtin_memcpy(dst + i * lds, &lo, sizeof(v8f));
    __builtin_memcpy(dst + (i + 4) * lds, &hi, sizeof(v8f));
  }
}

// op(A)[i0:i0+mc, p0:p0+kc] → dst as ceil(mc/MR) panels [kc][MR] (rows past mc zero).
static void pack_a(bool ta, const float* A, i64 lda, i64 i0, i64 mc, i64 p0, i64 kc, float* dst, Pack pk) {
  for (i64 ir = 0; ir < mc; ir += MR) {
    i64 mr = imin(MR, mc - ir);
    float* d = dst + ir * kc;  // panel ir/MR: [kc][MR]
    if (!ta) {
      // op(A)[i,k] = A[i·lda + k]: a transpose of the mr rows, 8 rows × 8 k at a time.
      i64 r8 = mr & ~i64(7), k8 = kc & ~i64(7);
      for (i64 r = 0; r < r8; r += 8) {
        const float* s = A + (i0 + ir + r) * lda + p0;
        for (i64 k = 0; k < k8; k += 8) transpose8(s + k, lda, d + k * MR + r, MR);
        for (i64 k = k8; k < kc; k++)
          for (i64 q = 0; q < 8; q++) d[k * MR + r + q] = s[q * lda + k];
      }
      for (i64 r = r8; r < mr; r++) {
        const float* s = A + (i0 + ir + r) * lda + p0;
        for (i64 k = 0; k < kc; k++) d[k * MR + r] = s[k];
      }
      for (i64 r = mr; r < MR; r++)
        for (i64 k = 0; k < kc; k++) d[k * MR + r] = 0;
    } else {
      // op(A)[i,k] = A[k·lda + i]: each k is a contiguous run of mr floats.
      for (i64 k = 0; k < kc; k++) {
        const float* s = A + (p0 + k) * lda + i0 + ir;
        float* dk = d + k * MR;
        for (i64 r = 0; r < mr; r++) dk[r] = s[r];
        for (i64 r = mr; r < MR; r++) dk[r] = 0;
      }
    }
    finish_panel<MR>(pk, d, kc);
  }
}

// One panel of op(B)[p0:p0+kc, j0:j0+nr] (nr ≤ NR) → dst [kc][NR], columns past nr zero.
static void pack_b_panel(bool tb, const float* B, i64 ldb, i64 p0, i64 kc, i64 j0, i64 nr, float* d, Pack pk) {
  if (!tb) {
    // op(B)[k,j] = B[k·ldb + j]: copy a row segment per k.
    if (nr == NR) {
      for (i64 k = 0; k < kc; k++) {
        const float* s = B + (p0 + k) * ldb + j0;
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) vst(d + k * NR + j * VL, vld(s + j * VL));
      }
    } else {
      for (i64 k = 0; k < kc; k++) {
        const float* s = B + (p0 + k) * ldb + j0;
        float* dk = d + k * NR;
        for (i64 j = 0; j < nr; j++) dk[j] = s[j];
        for (i64 j = nr; j < NR; j++) dk[j] = 0;
      }
    }
  } else {
    // op(B)[k,j] = B[j·ldb + k]: a transpose, 8×8 blocks in registers, scalar at the edges.
    i64 j8 = nr & ~i64(7), k8 = kc & ~i64(7);
    for (i64 j = 0; j < j8; j += 8) {
      const float* s = B + (j0 + j) * ldb + p0;
      for (i64 k = 0; k < k8; k += 8) transpose8(s + k, ldb, d + k * NR + j, NR);
      for (i64 k = k8; k < kc; k++)
        for (i64 jj = 0; jj < 8; jj++) d[k * NR + j + jj] = s[jj * ldb + k];
    }
    for (i64 j = j8; j < nr; j++) {
      const float* s = B + (j0 + j) * ldb + p0;
      for (i64 k = 0; k < kc; k++) d[k * NR + j] = s[k];
    }
    if (nr < NR)
      for (i64 k = 0; k < kc; k++)
        for (i64 j = nr; j < NR; j++) d[k * NR + j] = 0;
  }
  finish_panel<NR>(pk, d, kc);
}

// op(B)[p0:p0+kc, j0:j0+nc] → dst as ceil(nc/NR) panels [kc][NR].
static void pack_b(bool tb, const float* B, i64 ldb, i64 p0, i64 kc, i64 j0, i64 nc, float* dst, Pack pk) {
  for (i64 jr = 0; jr < nc; jr += NR) pack_b_panel(tb, B, ldb, p0, kc, j0 + jr, imin(NR, nc - jr), dst + jr * kc, pk);
}

// ------------------------------------------------------------------ AMX packing and macrokernel
#ifdef RNNLM_AMX
// r[i][j] → r[j][i] for a 16×16 block of 32-bit words (unpack 32, unpack 64, two 128-bit shuffles).
__attribute__((target("avx512f"))) static inline void transpose16(__m512i (&r)[16]) {
  __m512i t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
    r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
    r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
    r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
  }
  for (int h = 0; h < 16; h += 8)
    for (int i = 0; i < 4; i++) {
      t[h + i] = _mm512_shuffle_i32x4(r[h + i], r[h + i + 4], 0x88);
      t[h + i + 4] = _mm512_shuffle_i32x4(r[h + i], r[h + i + 4], 0xdd);
    }
  for (int i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
  }
}

// 16 words, one per lane: bf16 of lo (low half) and hi (high half); hi = null gives zero halves.
static inline __m512i pair_words(const float* lo, const float* hi, i64 n) {
  vu l = bf16_bits((vu)(n == VL ? vld(lo) : vld_part(lo, n, 0))) >> 16;
  vu h = hi ? bf16_bits((vu)(n == VL ? vld(hi) : vld_part(hi, n, 0))) : vu{};
  return (__m512i)(h | l);
}

// op(A)[i0:i0+mc, p0:p0+kc] → ceil(mc/16) panels [16][kp] of bf16 (rows along k, zero past mc and
// kc), the AMX A-tile layout. op(A) = A converts rows in place (vcvtne2ps2bf16); op(A) = Aᵀ
// (A stored [K, M]) pairs rows k, k+1 of A into words along m and transposes 16×16 words.
__attribute__((target("avx512f,avx512bf16"))) static void pack_a_amx(bool ta, const float* A, i64 lda, i64 i0, i64 mc,
                                                                     i64 p0, i64 kc, i64 kp, uint16_t* dst) {
  for (i64 ir = 0; ir < mc; ir += 16) {
    const i64 mr = imin(16, mc - ir);
    uint16_t* d = dst + ir * kp;  // panel ir/16: [16][kp]
    for (i64 k = 0; k < kp; k += 32) {
      if (!ta) {
        for (i64 r = 0; r < mr; r++)
          _mm512_storeu_si512(d + r * kp + k, (__m512i)load_bf16x32(A + (i0 + ir + r) * lda + p0 + k, kc - k));
        continue;
      }
      __m512i w[16];  // w[k2]: words (op(A)[m][k+2·k2], op(A)[m][k+2·k2+1]) for m = 0..15
      for (i64 k2 = 0; k2 < 16; k2++) {
        const i64 kk = k + 2 * k2;
        const float* row = A + (p0 + kk) * lda + i0 + ir;
        w[k2] = kk >= kc ? _mm512_setzero_si512() : pair_words(row, kk + 1 < kc ? row + lda : nullptr, mr);
      }
      transpose16(w);
      for (i64 r = 0; r < mr; r++) _mm512_storeu_si512(d + r * kp + k, w[r]);
    }
    for (i64 r = mr; r < 16; r++) __builtin_memset(d + r * kp, 0, sizeof(uint16_t) * kp);
  }
}

// op(B)[p0:p0+kc, j0:j0+nr] (nr ≤ NR) → one pair panel [kp/2][NR] words at d (its region is kp·NR
// floats; the pairs fill half of it), zero past kc and nr. op(B) = B: the float32 panel, then pairs
// in place. op(B) = Bᵀ (B stored [N, K]): each row of B converts straight to 16 pair words along k,
// and 16×16 word transposes put them into panel rows.
__attribute__((target("avx512f,avx512bf16"))) static void pack_b_amx_panel(bool tb, const float* B, i64 ldb, i64 p0,
                                                                           i64 kc, i64 kp, i64 j0, i64 nr, float* d) {
  if (!tb) {
    pack_b_panel(false, B, ldb, p0, kc, j0, nr, d, PK_BF16_AMX);
    const i64 used = (kc + 1) / 2;
    __builtin_memset(d + used * NR, 0, sizeof(float) * (kp / 2 - used) * NR);
    return;
  }
  for (i64 h = 0; h < NR; h += 16) {
    for (i64 k = 0; k < kp; k += 32) {
      __m512i w[16];  // w[n]: pair words along k of column j0 + h + n
      for (i64 n = 0; n < 16; n++)
        w[n] = h + n < nr ? (__m512i)load_bf16x32(B + (j0 + h + n) * ldb + p0 + k, kc - k) : _mm512_setzero_si512();
      transpose16(w);
      for (i64 k2 = 0; k2 < 16; k2++) _mm512_storeu_si512(d + (k / 2 + k2) * NR + h, w[k2]);
    }
  }
}

// C[0:mc, 0:nc] (+)= alpha · A · B for one packed A block ([16][kp] bf16 panels) and B block (pair
// panels of kp·NR floats): 32×32 blocks of C, A pair outside so it stays in L1 while B streams.
static void macro_amx(i64 mc, i64 nc, i64 kp, const uint16_t* Ap, const float* Bp, float* C, i64 ldc, float alpha,
                      float beta, bool first) {
  static_assert(NR == 32, "the AMX block is 32 columns: one pair panel");
  amx_configure();
  alignas(64) float acc[32][32];
  const vf va = vbc(alpha);
  for (i64 ir = 0; ir < mc; ir += 32) {
    const i64 mr = imin(32, mc - ir);
    const uint16_t* a0 = Ap + ir * kp;
    for (i64 jr = 0; jr < nc; jr += NR) {
      const i64 nr = imin(NR, nc - jr);
      const uint32_t* b = reinterpret_cast<const uint32_t*>(Bp + jr * kp);
      float* c = C + ir * ldc + jr;
      // Whole tiles with alpha = 1 and beta 0 or 1 (the usual case): the tiles start from C (or
      // zero) and store straight into it. Otherwise through acc: C = alpha·acc (+ beta·C on the
      // first block, + C after); beta = 0 never reads C.
      if (alpha == 1 && nr == NR && (mr == 16 || mr == 32) && (!first || beta == 0 || beta == 1)) {
        const float* init = !first || beta == 1 ? c : nullptr;
        if (mr == 32) amx_block<true>(kp, a0, a0 + 16 * kp, b, NR, init, c, ldc);
        else amx_block<false>(kp, a0, nullptr, b, NR, init, c, ldc);
        continue;
      }
      if (mr > 16) amx_block<true>(kp, a0, a0 + 16 * kp, b, NR, nullptr, &acc[0][0], 32);
      else amx_block<false>(kp, a0, nullptr, b, NR, nullptr, &acc[0][0], 32);
      const bool read = !first || beta != 0;
      const vf vc = vbc(first ? beta : 1.0f);
      for (i64 i = 0; i < mr; i++) {
        float* ci = c + i * ldc;
        for (i64 j = 0; j < nr; j += VL) {
          const i64 n = imin(VL, nr - j);
          vf r = vld(&acc[i][j]) * va;
          if (n == VL) {
            if (read) r += vc * vld(ci + j);
            vst(ci + j, r);
          } else {
            if (read) r += vc * vld_part(ci + j, n, 0);
            vst_part(ci + j, r, n);
          }
        }
      }
    }
  }
}

// gemm_block for the AMX kind: the same blocking, AMX packing and 32×32 tiles.
static bool gemm_block_amx(bool ta, bool tb, i64 m0, i64 m1, i64 n0, i64 n1, i64 K, float alpha, const float* A,
                           i64 lda, const float* B, i64 ldb, float beta, float* C, i64 ldc) {
  const i64 M = m1 - m0, KB = kc_for(K, PK_BF16_AMX), NC = nc_for(KB);
  uint16_t* Abuf = static_cast<uint16_t*>(scratch(SCRATCH_PACK_A, sizeof(uint16_t) * ceil_div(imin(M, MC), 16) * 16 * KB));
  float* Bbuf = static_cast<float*>(scratch(SCRATCH_PACK_B, sizeof(float) * KB * NC));
  if (!Abuf || !Bbuf) return false;
  for (i64 pc = 0; pc < K; pc += KB) {
    const i64 kc = imin(KB, K - pc), kp = kpad(kc, PK_BF16_AMX);
    for (i64 ic = m0; ic < m1; ic += MC) {
      const i64 mc = imin(MC, m1 - ic);
      pack_a_amx(ta, A, lda, ic, mc, pc, kc, kp, Abuf);
      for (i64 jc = n0; jc < n1; jc += NC) {
        const i64 nc = imin(NC, n1 - jc);
        for (i64 jr = 0; jr < nc; jr += NR) pack_b_amx_panel(tb, B, ldb, pc, kc, kp, jc + jr, imin(NR, nc - jr), Bbuf + jr * kp);
        macro_amx(mc, nc, kp, Abuf, Bbuf, C + ic * ldc + jc, ldc, alpha, beta, pc == 0);
      }
    }
  }
  return true;
}
#endif

// ------------------------------------------------------------------ macrokernel

// C[0:mc, 0:nc] (+)= alpha · Ap · op(B) for one packed A block and one B block of depth kc.
// B block: packed panels (direct = false, panel jr/NR at Bsrc + jr·kc) or B itself (direct = true:
// row k of the block at Bsrc + k·ldb; the partial last panel is packed into `edge`).
// Loops over B panels outside A panels: each B panel is loaded once (from L3 or memory) and
// reused from L1 by all A panels — the order for few rows (small M, prepacked W_hh).
static void macro_b_outer(i64 mc, i64 nc, i64 kc, const float* Ap, const float* Bsrc, i64 ldb, bool direct, float* C,
                          i64 ldc, float alpha, float beta, bool first, float* edge, Pack pk) {
  for (i64 jr = 0; jr < nc; jr += NR) {
    i64 nr = imin(NR, nc - jr);
    const float* bp;
    i64 ldbk = NR;
    if (!direct) {
      bp = Bsrc + jr * kc;
    } else if (nr == NR) {
      bp = Bsrc + jr;
      ldbk = ldb;
    } else {
      pack_b_panel(false, Bsrc, ldb, 0, kc, jr, nr, edge, PK_F32);  // direct: float32 only
      bp = edge;
    }
    for (i64 ir = 0; ir < mc; ir += MR) {
      int mr = (int)imin(MR, mc - ir);
      tile(pk, mr, kc, Ap + ir * kc, bp, ldbk, C + ir * ldc + jr, ldc, nr, alpha, beta, first);
    }
  }
}

// Same with A panels outside: the A panel (MR×kc, the broadcast side) stays in L1 while the
// packed B block (kc×nc, sized for L2) streams past it — the order for large M.
static void macro_a_outer(i64 mc, i64 nc, i64 kc, const float* Ap, const float* Bp, float* C, i64 ldc, float alpha,
                          float beta, bool first, Pack pk) {
  for (i64 ir = 0; ir < mc; ir += MR) {
    int mr = (int)imin(MR, mc - ir);
    for (i64 jr = 0; jr < nc; jr += NR)
      tile(pk, mr, kc, Ap + ir * kc, Bp + jr * kc, NR, C + ir * ldc + jr, ldc, imin(NR, nc - jr), alpha, beta, first);
  }
}

// Single-threaded gemm over rows [m0,m1) and columns [n0,n1) of C.
static bool gemm_block(bool ta, bool tb, i64 m0, i64 m1, i64 n0, i64 n1, i64 K, float alpha, const float* A, i64 lda,
                       const float* B, i64 ldb, float beta, float* C, i64 ldc, Pack pk) {
#ifdef RNNLM_AMX
  if (pk == PK_BF16_AMX) return gemm_block_amx(ta, tb, m0, m1, n0, n1, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
  i64 M = m1 - m0;
  bool direct = !tb && M <= DIRECT_M && pk == PK_F32;
  const i64 KB = kc_for(K, pk), NC = nc_for(KB);
  float* Abuf = static_cast<float*>(scratch(SCRATCH_PACK_A, sizeof(float) * ceil_div(imin(M, MC), MR) * MR * KB));
  float* Bbuf = direct ? nullptr : static_cast<float*>(scratch(SCRATCH_PACK_B, sizeof(float) * KB * NC));
  float* edge = static_cast<float*>(scratch(SCRATCH_PANEL, sizeof(float) * KB * NR));
  if (!Abuf || (!direct && !Bbuf) || !edge) return false;
  for (i64 pc = 0; pc < K; pc += KB) {
    i64 kc = imin(KB, K - pc);
    bool first = pc == 0;
    for (i64 ic = m0; ic < m1; ic += MC) {
      i64 mc = imin(MC, m1 - ic);
      pack_a(ta, A, lda, ic, mc, pc, kc, Abuf, pk);  // A block [mc, kc]: packed once, used for all columns
      if (direct) {
        macro_b_outer(mc, n1 - n0, kc, Abuf, B + pc * ldb + n0, ldb, true, C + ic * ldc + n0, ldc, alpha, beta, first,
                      edge, pk);
        continue;
      }
      for (i64 jc = n0; jc < n1; jc += NC) {
        i64 nc = imin(NC, n1 - jc);
        pack_b(tb, B, ldb, pc, kc, jc, nc, Bbuf, pk);
        macro_a_outer(mc, nc, kc, Abuf, Bbuf, C + ic * ldc + jc, ldc, alpha, beta, first, pk);
      }
    }
  }
  return true;
}

// ------------------------------------------------------------------ dot path (M ≤ DOT_M, op(B) = Bᵀ)

// C[i, j+q] = alpha · A[i,:]·B[j+q,:] + beta · C[i, j+q] for rows i < Mr and columns q < Q; A is
// row-major [Mr,K] (contiguous). Row i's sums read row i of A only, in the same order for every
// Mr and Q, so a row gets the same bits whatever rows share the call (batched generation relies
// on it). Rb: every loaded element rounded to bf16 first (bf16 precision).
template <int Mr, int Q, bool Rb>
static inline void dot_cols(i64 j, i64 K, float alpha, const float* A, const float* B, i64 ldb, float beta, float* C,
                            i64 ldc) {
  auto ld = [](const float* p) { return Rb ? round_bf16(vld(p)) : vld(p); };
  auto ldp = [](const float* p, i64 n) { return Rb ? round_bf16(vld_part(p, n, 0)) : vld_part(p, n, 0); };
  vf acc[Mr][Q];
  for (int i = 0; i < Mr; i++)
    for (int q = 0; q < Q; q++) acc[i][q] = vf{};
  const float* b0 = B + j * ldb;
  i64 k = 0;
  for (; k + VL <= K; k += VL) {
    vf bv[Q];
#pragma GCC unroll 4
    for (int q = 0; q < Q; q++) {
      // The next Q rows of B, a block ahead: a row is only a few KiB, too short a stream for the
      // hardware prefetchers, so gemv-sized products would wait on every row's first lines.
      if (k % 16 == 0) __builtin_prefetch(b0 + (RNNLM_PFD * Q + q) * ldb + k, 0, RNNLM_PFL);
      bv[q] = ld(b0 + q * ldb + k);
    }
#pragma GCC unroll 4
    for (int i = 0; i < Mr; i++) {
      vf av = ld(A + i * K + k);
#pragma GCC unroll 4
      for (int q = 0; q < Q; q++) RNNLM_MADD(acc[i][q], av, bv[q]);
    }
  }
  if (k < K) {
    vf bv[Q];
    for (int q = 0; q < Q; q++) bv[q] = ldp(b0 + q * ldb + k, K - k);
    for (int i = 0; i < Mr; i++) {
      vf av = ldp(A + i * K + k, K - k);
      for (int q = 0; q < Q; q++) RNNLM_MADD(acc[i][q], av, bv[q]);
    }
  }
  for (int i = 0; i < Mr; i++)
    for (int q = 0; q < Q; q++) {
      float* cp = C + i * ldc + j + q;
      const float sum = hsum(acc[i][q]);
      *cp = beta == 0 ? alpha * sum : alpha * sum + beta * *cp;
    }
}

template <int Q, bool Rb>
static inline void dot_cols_m(i64 mr, i64 j, i64 K, float alpha, const float* A, const float* B, i64 ldb, float beta,
                              float* C, i64 ldc) {
  switch (mr) {
    case 1: dot_cols<1, Q, Rb>(j, K, alpha, A, B, ldb, beta, C, ldc); break;
    case 2: dot_cols<2, Q, Rb>(j, K, alpha, A, B, ldb, beta, C, ldc); break;
    case 3: dot_cols<3, Q, Rb>(j, K, alpha, A, B, ldb, beta, C, ldc); break;
    default: dot_cols<4, Q, Rb>(j, K, alpha, A, B, ldb, beta, C, ldc); break;
  }
}

// dot_cols<Mr, 4, false> on a pinned float32 copy packed in blocks of 4 rows (pinned_f32): block
// j/4 holds, per VL floats of k, the 4 rows' chunks one after another, so the block is one
// sequential stream. The same values in the same order as dot_cols: the same bits.
template <int Mr>
static inline void dot_cols_packed(i64 j, i64 K, float alpha, const float* A, const float* P, float beta, float* C,
                                   i64 ldc) {
  const i64 KV = ceil_div(K, VL) * VL;
  const float* pb = P + (j / 4) * 4 * KV;  // block of rows j..j+3
  vf acc[Mr][4];
  for (int i = 0; i < Mr; i++)
    for (int q = 0; q < 4; q++) acc[i][q] = vf{};
  i64 k = 0;
  for (; k + VL <= K; k += VL) {
    const float* c = pb + k * 4;  // chunk k/VL of the 4 rows
    __builtin_prefetch(c + 4 * 1024);
    vf bv[4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) bv[q] = vld(c + q * VL);
#pragma GCC unroll 4
    for (int i = 0; i < Mr; i++) {
      vf av = vld(A + i * K + k);
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++) acc[i][q] += av * bv[q];
    }
  }
  if (k < K) {
    const float* c = pb + k * 4;
    vf bv[4];
    for (int q = 0; q < 4; q++) bv[q] = vld_part(c + q * VL, K - k, 0);
    for (int i = 0; i < Mr; i++) {
      vf av = vld_part(A + i * K + k, K - k, 0);
      for (int q = 0; q < 4; q++) acc[i][q] += av * bv[q];
    }
  }
  for (int i = 0; i < Mr; i++)
    for (int q = 0; q < 4; q++) {
      float* cp = C + i * ldc + j + q;
      const float sum = hsum(acc[i][q]);
      *cp = beta == 0 ? alpha * sum : alpha * sum + beta * *cp;
    }
}

static inline void dot_cols_packed_m(i64 mr, i64 j, i64 K, float alpha, const float* A, const float* P, float beta,
                                     float* C, i64 ldc) {
  switch (mr) {
    case 1: dot_cols_packed<1>(j, K, alpha, A, P, beta, C, ldc); break;
    case 2: dot_cols_packed<2>(j, K, alpha, A, P, beta, C, ldc); break;
    case 3: dot_cols_packed<3>(j, K, alpha, A, P, beta, C, ldc); break;
    default: dot_cols_packed<4>(j, K, alpha, A, P, beta, C, ldc); break;
  }
}

// Columns [n0,n1) of C for all M rows: per block of 4 columns, the 4 rows of B (4·K floats) stay
// in L1 while the rows of A pass by 4 at a time, so B is read from memory once for all M rows.
// P: B's pinned packed copy (float32 only), read for the blocks that start on a multiple of 4.
template <bool Rb>
static void gemm_dot(i64 M, i64 n0, i64 n1, i64 K, float alpha, const float* A, const float* B, i64 ldb, float beta,
                     float* C, i64 ldc, const float* P = nullptr) {
  i64 j = n0;
  if (!Rb && P && n0 % 4 == 0)
    for (; j + 4 <= n1; j += 4)
      for (i64 i = 0; i < M; i += 4) dot_cols_packed_m(M - i, j, K, alpha, A + i * K, P, beta, C + i * ldc, ldc);
  for (; j + 4 <= n1; j += 4)
    for (i64 i = 0; i < M; i += 4) dot_cols_m<4, Rb>(M - i, j, K, alpha, A + i * K, B, ldb, beta, C + i * ldc, ldc);
  for (; j < n1; j++)
    for (i64 i = 0; i < M; i += 4) dot_cols_m<1, Rb>(M - i, j, K, alpha, A + i * K, B, ldb, beta, C + i * ldc, ldc);
}

#ifdef RNNLM_DPBF16
// The dot path on vdpbf16ps: op(A) (≤ DOT_M rows) is converted once to bf16 rows of Kp = K rounded up
// to 32 (zero-padded); B's rows are converted 32 floats at a time as they are loaded
// (vcvtne2ps2bf16 rounds exactly as bf16_bits). Both use the same lane order, so each lane's pair
// products are a_k·b_k for matching k, and the lane sum is the dot product.

__attribute__((target("avx512f,avx512bf16"))) static void rows_to_bf16(const float* A, i64 M, i64 K, i64 Kp, __m512bh* dst) {
  for (i64 i = 0; i < M; i++)
    for (i64 k = 0; k < Kp; k += 32) dst[(i * Kp + k) / 32] = load_bf16x32(A + i * K + k, K - k);
}

// 32 elements of a B row as bf16: float32 converted as loaded, or a pinned bf16 copy read as it is
// (the copy was made by load_bf16x32, so both give the same bits).
__attribute__((target("avx512f,avx512bf16"))) static inline __m512bh load_b(const float* p, i64 left) {
  return load_bf16x32(p, left);
}
__attribute__((target("avx512f,avx512bw,avx512bf16"))) static inline __m512bh load_b(const uint16_t* p, i64 left) {
  const __mmask32 m = left >= 32 ? ~__mmask32(0) : left <= 0 ? __mmask32(0) : (__mmask32(1) << left) - 1;
  return (__m512bh)_mm512_maskz_loadu_epi16(m, p);
}

template <int Mr, int Q, typename BT>
__attribute__((target("avx512f,avx512bf16"))) static void dot_dp_cols(i64 j, i64 K, i64 Kp, float alpha, const __m512bh* Ab,
                                                                      const BT* B, i64 ldb, float beta, float* C,
                                                                      i64 ldc) {
  __m512 acc[Mr][Q];
  for (int i = 0; i < Mr; i++)
    for (int q = 0; q < Q; q++) acc[i][q] = _mm512_setzero_ps();
  for (i64 k = 0; k < Kp; k += 32) {
    __m512bh bv[Q];
#pragma GCC unroll 4
    for (int q = 0; q < Q; q++) {
      __builtin_prefetch(B + (j + RNNLM_PFD * Q + q) * ldb + k, 0, RNNLM_PFL);  // the next Q rows, as in dot_cols
      bv[q] = load_b(B + (j + q) * ldb + k, K - k);
    }
#pragma GCC unroll 4
    for (int i = 0; i < Mr; i++) {
      __m512bh av = Ab[(i * Kp + k) / 32];
#pragma GCC unroll 4
      for (int q = 0; q < Q; q++) acc[i][q] = _mm512_dpbf16_ps(acc[i][q], av, bv[q]);
    }
  }
  for (int i = 0; i < Mr; i++)
    for (int q = 0; q < Q; q++) {
      float s = _mm512_reduce_add_ps(acc[i][q]);
      float* cp = C + i * ldc + j + q;
      *cp = beta == 0 ? alpha * s : alpha * s + beta * *cp;
    }
}

template <int Q, typename BT>
static void dot_dp_cols_m(i64 mr, i64 j, i64 K, i64 Kp, float alpha, const __m512bh* Ab, const BT* B, i64 ldb,
                          float beta, float* C, i64 ldc) {
  switch (mr) {
    case 1: dot_dp_cols<1, Q>(j, K, Kp, alpha, Ab, B, ldb, beta, C, ldc); break;
    case 2: dot_dp_cols<2, Q>(j, K, Kp, alpha, Ab, B, ldb, beta, C, ldc); break;
    case 3: dot_dp_cols<3, Q>(j, K, Kp, alpha, Ab, B, ldb, beta, C, ldc); break;
    default: dot_dp_cols<4, Q>(j, K, Kp, alpha, Ab, B, ldb, beta, C, ldc); break;
  }
}

// As gemm_dot: rows 4 at a time past each block of 4 columns (Ab holds Kp / 32 vectors per row).
template <typename BT>
static void gemm_dot_dp(i64 M, i64 n0, i64 n1, i64 K, i64 Kp, float alpha, const __m512bh* Ab, const BT* B, i64 ldb,
                        float beta, float* C, i64 ldc) {
  i64 j = n0;
  for (; j + 4 <= n1; j += 4)
    for (i64 i = 0; i < M; i += 4) dot_dp_cols_m<4>(M - i, j, K, Kp, alpha, Ab + i * Kp / 32, B, ldb, beta, C + i * ldc, ldc);
  for (; j < n1; j++)
    for (i64 i = 0; i < M; i += 4) dot_dp_cols_m<1>(M - i, j, K, Kp, alpha, Ab + i * Kp / 32, B, ldb, beta, C + i * ldc, ldc);
}

// Pinned bf16 copies of weight matrices (Backend.pin while a bf16 model generates): the dot path
// reads B = a pinned array (or part of one) from its copy, half the bytes of float32, instead of
// converting it on every call. Pins and gemm calls come from the one JS thread, never at once.
struct PinnedBf16 {
  const float* src;
  i64 n;
  uint16_t* bf;
};
constexpr int MAX_PINNED = 256;
static PinnedBf16 g_pinned[MAX_PINNED];
static int g_npinned = 0;

// The copy of B[0, extent) when it lies inside a pinned array, else null.
static const uint16_t* pinned_bf16(const float* B, i64 extent) {
  for (int p = 0; p < g_npinned; p++) {
    const PinnedBf16& e = g_pinned[p];
    if (B >= e.src && B + extent <= e.src + e.n) return e.bf + (B - e.src);
  }
  return nullptr;
}

__attribute__((target("avx512f,avx512bw,avx512bf16"))) static void to_bf16_copy(const float* src, i64 n, uint16_t* dst) {
  for (i64 k = 0; k < n; k += 32) {
    const i64 left = n - k;
    const __mmask32 m = left >= 32 ? ~__mmask32(0) : (__mmask32(1) << left) - 1;
    _mm512_mask_storeu_epi16(dst + k, m, (__m512i)load_bf16x32(src + k, left));
  }
}
#endif

int pin_bf16(const float* src, int64_t n) {
#ifdef RNNLM_DPBF16
  if (g_bf16_mode == BF16_EMULATED || n <= 0 || g_npinned == MAX_PINNED) return 0;
  for (int p = 0; p < g_npinned; p++)
    if (g_pinned[p].src == src) return 0;  // already pinned
  uint16_t* bf = static_cast<uint16_t*>(std::aligned_alloc(64, (size_t)ceil_div(n * 2, 64) * 64));
  if (!bf) return 0;
  to_bf16_copy(src, n, bf);
  g_pinned[g_npinned++] = {src, n, bf};
  return 1;
#else
  (void)src, (void)n;
  return 0;
#endif
}

void unpin_bf16(const float* src) {
#ifdef RNNLM_DPBF16
  for (int p = 0; p < g_npinned; p++)
    if (g_pinned[p].src == src) {
      std::free(g_pinned[p].bf);
      g_pinned[p] = g_pinned[--g_npinned];
      return;
    }
#else
  (void)src;
#endif
}

// Pinned float32 weights (Backend.pin while an fp32 model generates): registered here, and packed
// for dot_cols_packed on their first dot-path use as a matrix of rows of K floats (ldb = K), from
// the calling thread, before any region. Rows past the last whole block of 4 stay unpacked.
struct PinnedF32 {
  const float* src;
  i64 n;
  i64 K;  // 0 until packed
  float* packed;
};
static PinnedF32 g_pinned_f32[256];
static int g_npinned_f32 = 0;

int pin_f32(const float* src, int64_t n) {
  if (n <= 0 || g_npinned_f32 == 256) return 0;
  for (int p = 0; p < g_npinned_f32; p++)
    if (g_pinned_f32[p].src == src) return 0;
  g_pinned_f32[g_npinned_f32++] = {src, n, 0, nullptr};
  return 1;
}

void unpin_f32(const float* src) {
  for (int p = 0; p < g_npinned_f32; p++)
    if (g_pinned_f32[p].src == src) {
      std::free(g_pinned_f32[p].packed);
      g_pinned_f32[p] = g_pinned_f32[--g_npinned_f32];
      return;
    }
}

const float* dot_packed_b(const float* B, i64 ldb, i64 K, i64 N, bool bf16) {
  if (bf16 || ldb != K || K <= 0 || N < 4) return nullptr;
  for (int p = 0; p < g_npinned_f32; p++) {
    PinnedF32& e = g_pinned_f32[p];
    if (e.src != B || N * K > e.n) continue;
    if (e.packed) return e.K == K ? e.packed : nullptr;
    const i64 KV = ceil_div(K, VL) * VL, blocks = (e.n / K) / 4;
    float* P = static_cast<float*>(std::aligned_alloc(64, (size_t)ceil_div(blocks * 4 * KV * 4, 64) * 64));
    if (!P) return nullptr;
    for (i64 b = 0; b < blocks; b++)
      for (i64 k = 0; k < KV; k += VL)
        for (i64 q = 0; q < 4; q++) {
          float* d = P + b * 4 * KV + k * 4 + q * VL;
          const float* r = B + (4 * b + q) * K;
          for (i64 l = 0; l < VL; l++) d[l] = k + l < K ? r[k + l] : 0.0f;
        }
    e.K = K;
    e.packed = P;
    return P;
  }
  return nullptr;
}

static void gemm_dot_any(i64 M, i64 n0, i64 n1, i64 K, float alpha, const float* A, const float* B, i64 ldb,
                         float beta, float* C, i64 ldc, bool bf16, const float* P = nullptr) {
  if (bf16) gemm_dot<true>(M, n0, n1, K, alpha, A, B, ldb, beta, C, ldc);
  else gemm_dot<false>(M, n0, n1, K, alpha, A, B, ldb, beta, C, ldc, P);
}

// ------------------------------------------------------------------ drivers

// C = beta · C (beta = 0 writes zeros, whatever C held).
static void scale_c(i64 M, i64 N, float beta, float* C, i64 ldc) {
  if (beta == 1) return;
  for (i64 i = 0; i < M; i++) {
    float* c = C + i * ldc;
    if (beta == 0) __builtin_memset(c, 0, sizeof(float) * N);
    else
      for (i64 j = 0; j < N; j++) c[j] *= beta;
  }
}

bool gemm_ld(bool ta, bool tb, i64 M, i64 N, i64 K, float alpha, const float* A, i64 lda, const float* B, i64 ldb,
             float beta, float* C, i64 ldc, int nth, bool bf16) {
  const Pack pk = pack_kind(bf16);
  if (M == 0 || N == 0) return true;
  if (K == 0 || alpha == 0) {
    scale_c(M, N, beta, C, ldc);
    return true;
  }
  double flops = 2.0 * (double)M * (double)N * (double)K;
  if (flops < 1e6) nth = 1;

  if (tb && M <= DOT_M) {
    const float* Ar = A;
    if (ta) {
      // Gather op(A) [M,K] into a contiguous copy (M ≤ DOT_M rows: small).
      float* t = static_cast<float*>(scratch(SCRATCH_MISC, sizeof(float) * M * K));
      if (!t) return false;
      for (i64 k = 0; k < K; k++)
        for (i64 i = 0; i < M; i++) t[i * K + k] = A[k * lda + i];
      Ar = t;
    } else if (lda != K) {
      float* t = static_cast<float*>(scratch(SCRATCH_MISC, sizeof(float) * M * K));
      if (!t) return false;
      for (i64 i = 0; i < M; i++) __builtin_memcpy(t + i * K, A + i * lda, sizeof(float) * K);
      Ar = t;
    }
#ifdef RNNLM_DPBF16
    if (pk == PK_BF16_PAIRS || pk == PK_BF16_AMX) {
      const i64 Kp = ceil_div(K, 32) * 32;
      __m512bh* Ab = static_cast<__m512bh*>(scratch(SCRATCH_PANEL, (size_t)(2 * M * Kp)));
      if (!Ab) return false;
      rows_to_bf16(Ar, M, K, Kp, Ab);
      const uint16_t* Bb = pinned_bf16(B, (N - 1) * ldb + K);  // a pinned weight: read its bf16 copy
      parallel(nth, [&](int tid, int n) {
        i64 b, e;
        split_range(N, tid, n, 16, &b, &e);
        if (b >= e) return;
        if (Bb) gemm_dot_dp(M, b, e, K, Kp, alpha, Ab, Bb, ldb, beta, C, ldc);
        else gemm_dot_dp(M, b, e, K, Kp, alpha, Ab, B, ldb, beta, C, ldc);
      });
      return true;
    }
#endif
    const float* P = dot_packed_b(B, ldb, K, N, bf16);  // a pinned float32 weight: its packed copy
    parallel(nth, [&](int tid, int n) {
      i64 b, e;
      split_range(N, tid, n, 16, &b, &e);
      if (b < e) gemm_dot_any(M, b, e, K, alpha, Ar, B, ldb, beta, C, ldc, bf16, P);
    });
    return true;
  }

  bool ok[64];
  for (int t = 0; t < 64; t++) ok[t] = true;
  // Splitting columns makes every thread pack all of op(A), splitting rows all of op(B): duplicate
  // the cheaper one (a transposing pack costs about twice a copying one). Few rows: columns.
  double dup_a = (double)M * (double)K * (ta ? 1 : 2), dup_b = (double)K * (double)N * (tb ? 2 : 1);
  bool rows_ok = ceil_div(M, MR) >= 2 * (i64)nth && !(!tb && M <= DIRECT_M && pk == PK_F32);
  bool cols_ok = ceil_div(N, NR) >= 2 * (i64)nth;
  bool split_cols = cols_ok ? !(rows_ok && dup_b < dup_a) : !rows_ok;
  parallel(nth, [&](int tid, int n) {
    i64 b, e;
    if (split_cols) {
      split_range(N, tid, n, NR, &b, &e);
      if (b < e) ok[tid] = gemm_block(ta, tb, 0, M, b, e, K, alpha, A, lda, B, ldb, beta, C, ldc, pk);
    } else {
      split_range(M, tid, n, MR, &b, &e);
      if (b < e) ok[tid] = gemm_block(ta, tb, b, e, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pk);
    }
  });
  for (int t = 0; t < nth && t < 64; t++)
    if (!ok[t]) return false;
  return true;
}

bool gemm_dot_cols(i64 M, i64 n0, i64 n1, i64 K, float alpha, const float* A, const float* B, i64 ldb, float beta,
                   float* C, i64 ldc, bool bf16, const float* P) {
  if (M == 0 || n1 <= n0) return true;
  if (K == 0 || alpha == 0) {
    for (i64 i = 0; i < M; i++) scale_c(1, n1 - n0, beta, C + i * ldc + n0, ldc);
    return true;
  }
#ifdef RNNLM_DPBF16
  const Pack pk = pack_kind(bf16);
  if (pk == PK_BF16_PAIRS || pk == PK_BF16_AMX) {  // as gemm_ld's dot path
    const i64 Kp = ceil_div(K, 32) * 32;
    __m512bh* Ab = static_cast<__m512bh*>(scratch(SCRATCH_PANEL, (size_t)(2 * M * Kp)));
    if (!Ab) return false;
    rows_to_bf16(A, M, K, Kp, Ab);
    const uint16_t* Bb = pinned_bf16(B, (n1 - 1) * ldb + K);
    if (Bb) gemm_dot_dp(M, n0, n1, K, Kp, alpha, Ab, Bb, ldb, beta, C, ldc);
    else gemm_dot_dp(M, n0, n1, K, Kp, alpha, Ab, B, ldb, beta, C, ldc);
    return true;
  }
#endif
  gemm_dot_any(M, n0, n1, K, alpha, A, B, ldb, beta, C, ldc, bf16, P);
  return true;
}

bool gemm_cols(bool ta, bool tb, i64 M, i64 n0, i64 n1, i64 K, float alpha, const float* A, i64 lda, const float* B,
               i64 ldb, float beta, float* C, i64 ldc, bool bf16) {
  if (M == 0 || n1 <= n0) return true;
  if (K == 0 || alpha == 0) {
    for (i64 i = 0; i < M; i++) scale_c(1, n1 - n0, beta, C + i * ldc + n0, ldc);
    return true;
  }
  return gemm_block(ta, tb, 0, M, n0, n1, K, alpha, A, lda, B, ldb, beta, C, ldc, pack_kind(bf16));
}

i64 packed_b_floats(i64 K, i64 N, bool bf16) { return ceil_div(N, NR) * NR * kpad(K, pack_kind(bf16)); }

void pack_b_full(bool tb, i64 K, i64 N, const float* B, i64 ldb, float* dst, int tid, int nth, bool bf16) {
  const Pack pk = pack_kind(bf16);
  i64 npad = ceil_div(N, NR) * NR;
  i64 panels = ceil_div(N, NR);
  const i64 KB = kc_for(K, pk);
  i64 blocks = ceil_div(K, KB);
  // Work items: (KC block, panel) pairs, split evenly over the threads.
  i64 items = blocks * panels;
  i64 b = items * tid / nth, e = items * (tid + 1) / nth;
  for (i64 it = b; it < e; it++) {
    i64 pb = it / panels, p = it % panels;
    i64 pc = pb * KB, kc = imin(KB, K - pc), kp = kpad(kc, pk);
    i64 jr = p * NR;
    float* d = dst + pc * npad + jr * kp;
#ifdef RNNLM_AMX
    if (pk == PK_BF16_AMX) {
      pack_b_amx_panel(tb, B, ldb, pc, kc, kp, jr, imin(NR, N - jr), d);
      continue;
    }
#endif
    pack_b_panel(tb, B, ldb, pc, kc, jr, imin(NR, N - jr), d, pk);
  }
}

// Rows of a packed A layout: MR-tall panels, or 16-row AMX panels (as bf16, two per float).
static inline i64 a_rows(i64 M, Pack pk) { return pk == PK_BF16_AMX ? ceil_div(M, 16) * 16 : ceil_div(M, MR) * MR; }

i64 packed_a_floats(i64 M, i64 K, bool bf16) {
  const Pack pk = pack_kind(bf16);
  const i64 n = a_rows(M, pk) * kpad(K, pk);
  return pk == PK_BF16_AMX ? ceil_div(n, 2) : n;
}

void pack_a_full(bool ta, i64 M, i64 K, const float* A, i64 lda, float* dst, bool bf16) {
  const Pack pk = pack_kind(bf16);
  const i64 KB = kc_for(K, pk), mpad = a_rows(M, pk);
#ifdef RNNLM_AMX
  if (pk == PK_BF16_AMX) {
    // KC block pc at pc·mpad bf16 (KB is a multiple of 32, so the offsets stay whole floats).
    uint16_t* d16 = reinterpret_cast<uint16_t*>(dst);
    for (i64 pc = 0; pc < K; pc += KB) {
      const i64 kc = imin(KB, K - pc);
      pack_a_amx(ta, A, lda, 0, M, pc, kc, kpad(kc, pk), d16 + pc * mpad);
    }
    return;
  }
#endif
  for (i64 pc = 0; pc < K; pc += KB) pack_a(ta, A, lda, 0, M, pc, imin(KB, K - pc), dst + pc * mpad, pk);
}

bool gemm_packed(i64 M, i64 K, float alpha, const float* Ap, const float* Bp, i64 N, i64 n0, i64 n1, float beta,
                 float* C, i64 ldc, bool bf16) {
  const Pack pk = pack_kind(bf16);
  if (M == 0 || n1 <= n0) return true;
  if (K == 0) {
    for (i64 i = 0; i < M; i++) scale_c(1, n1 - n0, beta, C + i * ldc + n0, ldc);
    return true;
  }
  const i64 KB = kc_for(K, pk), npad = ceil_div(N, NR) * NR, mpad = a_rows(M, pk);
  for (i64 pc = 0; pc < K; pc += KB) {
    const i64 kc = imin(KB, K - pc);
    // KC block pc: A panels at Ap + pc·mpad, B panel n0/NR at Bp + pc·npad + n0·kpad(kc).
#ifdef RNNLM_AMX
    if (pk == PK_BF16_AMX) {
      const i64 kp = kpad(kc, pk);
      macro_amx(M, n1 - n0, kp, reinterpret_cast<const uint16_t*>(Ap) + pc * mpad, Bp + pc * npad + n0 * kp, C + n0,
                ldc, alpha, beta, pc == 0);
      continue;
    }
#endif
    macro_b_outer(M, n1 - n0, kc, Ap + pc * mpad, Bp + pc * npad + n0 * kc, 0, false, C + n0, ldc, alpha, beta,
                  pc == 0, nullptr, pk);
  }
  return true;
}

bool gemm_packed_cols(bool ta, i64 M, i64 K, float alpha, const float* A, i64 lda, const float* Bp, i64 N, i64 n0,
                      i64 n1, float beta, float* C, i64 ldc, bool bf16) {
  if (M == 0 || n1 <= n0) return true;
  float* Ap = static_cast<float*>(scratch(SCRATCH_PACK_A, sizeof(float) * packed_a_floats(M, K, bf16)));
  if (!Ap) return false;
  pack_a_full(ta, M, K, A, lda, Ap, bf16);
  return gemm_packed(M, K, alpha, Ap, Bp, N, n0, n1, beta, C, ldc, bf16);
}

// Kernel-table entry: contiguous row-major operands.
bool k_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, const float* B,
            float beta, float* C, bool bf16) {
  return gemm_ld(ta, tb, M, N, K, alpha, A, ta ? M : K, B, tb ? K : N, beta, C, N, pool_threads(), bf16);
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
