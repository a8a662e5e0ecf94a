// Shared helpers for the kernel sources of the native backend.
//
// Every kernel file (matmul.cc, elementwise.cc, ...) is compiled once per instruction-set level
// (binding.gyp: generic, avx2, avx512), each time into its own namespace rnnlm::<RNNLM_ISA>, and
// binding.cc picks one table at load time from what the CPU supports. So this header must not pull
// in STL templates or other inline code with external linkage: two copies of one weak symbol built
// for different ISAs could be merged by the linker and run AVX-512 code on a CPU without it.
// Everything here is `static inline` and lives inside the per-ISA namespace.
//
// Vectors are GCC vector extensions of VL floats (16 for AVX-512, 8 for AVX2, 4 otherwise), so the
// same source builds for x86-64 and arm64; with -mfma and -ffp-contract=fast `acc += a * b` is an FMA.
#pragma once

#include <cstddef>
#include <cstdint>

#include "pool.h"

#ifndef RNNLM_ISA
#error "RNNLM_ISA must name the instruction-set namespace (generic, avx2, avx512)"
#endif

#if defined(__AVX512F__)
#define RNNLM_VL 16
#elif defined(__AVX2__)
#define RNNLM_VL 8
#else
#define RNNLM_VL 4
#endif

namespace rnnlm {
namespace RNNLM_ISA {

typedef int64_t i64;
constexpr int VL = RNNLM_VL;
typedef float vf __attribute__((vector_size(VL * 4)));
typedef int32_t vi __attribute__((vector_size(VL * 4)));

static inline vf vld(const float* p) {
  vf v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
static inline void vst(float* p, vf v) { __builtin_memcpy(p, &v, sizeof v); }
// s − 0 is exactly s (even for −0 and NaN), so GCC emits a plain broadcast.
static inline vf vbc(float s) { return s - vf{}; }
// Loads n < VL floats, the rest `fill`; stores the first n lanes. For row tails.
static inline vf vld_part(const float* p, i64 n, float fill) {
  vf v = vbc(fill);
  __builtin_memcpy(&v, p, (size_t)n * 4);
  return v;
}
static inline void vst_part(float* p, vf v, i64 n) { __builtin_memcpy(p, &v, (size_t)n * 4); }
// max/min with SSE semantics (the second operand when either is NaN).
static inline vf vmax(vf a, vf b) { return a > b ? a : b; }
static inline vf vmin(vf a, vf b) { return a < b ? a : b; }
static inline vf vabs(vf a) { return (vf)((vi)a & 0x7fffffff); }
// Lane-wise sqrt: GCC turns the loop into one vsqrtps/fsqrt (with -fno-math-errno).
static inline vf vsqrt(vf a) {
  vf r;
  for (int i = 0; i < VL; i++) r[i] = __builtin_sqrtf(a[i]);
  return r;
}
static inline float hsum(vf v) {
  float s = 0;
  for (int i = 0; i < VL; i++) s += v[i];
  return s;
}
static inline float hmax(vf v) {
  float m = v[0];
  for (int i = 1; i < VL; i++) m = v[i] > m ? v[i] : m;
  return m;
}
// acc += a·b for the gemm's inner products. Where a build defines RNNLM_RELAXED_MADD (the
// WebAssembly relaxed-SIMD build, scripts/build-wasm.mjs: SIMD128 has no FMA) it is
// f32x4.relaxed_madd, which the engine runs fused or as multiply then add, whichever the CPU
// does fast; everywhere else it is the plain expression, so the native builds (an FMA under
// -mfma -ffp-contract=fast) and the plain SIMD128 build compile exactly as before.
#ifdef RNNLM_RELAXED_MADD
#define RNNLM_MADD(acc, a, b) ((acc) = __builtin_wasm_relaxed_madd_f32x4((a), (b), (acc)))
#else
#define RNNLM_MADD(acc, a, b) ((acc) += (a) * (b))
#endif
static inline i64 imin(i64 a, i64 b) { return a < b ? a : b; }
static inline i64 imax(i64 a, i64 b) { return a > b ? a : b; }
static inline i64 ceil_div(i64 a, i64 b) { return (a + b - 1) / b; }

// Runs fn(tid, nth) on nth pool threads (the caller is tid 0) and waits for all of them.
template <class Fn>
static inline void parallel(int nth, Fn&& fn) {
  Fn* f = &fn;
  pool_run(
      nth, [](void* p, int tid, int n) { (*static_cast<Fn*>(p))(tid, n); }, f);
}

// Threads worth using for `work` units of cheap streaming work (about 32K floats per thread).
static inline int threads_for(i64 work, i64 grain = 32768) {
  i64 t = work / grain;
  int cap = pool_threads();
  return t < 1 ? 1 : (t < cap ? (int)t : cap);
}

// [begin, end) of part `tid` of `n` items split into `nth` near-equal parts, boundaries on multiples of `align`.
static inline void split_range(i64 n, int tid, int nth, i64 align, i64* begin, i64* end) {
  i64 units = ceil_div(n, align);
  i64 b = units * tid / nth, e = units * (tid + 1) / nth;
  *begin = imin(n, b * align);
  *end = imin(n, e * align);
}

// Applies body(begin, end) to [0, n) in parallel chunks (64-float aligned boundaries).
template <class Body>
static inline void for_range(i64 n, Body&& body, i64 grain = 32768) {
  int nth = threads_for(n, grain);
  parallel(nth, [&](int tid, int nt) {
    i64 b, e;
    split_range(n, tid, nt, 64, &b, &e);
    if (b < e) body(b, e);
  });
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
