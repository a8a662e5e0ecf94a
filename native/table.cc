// The kernel table of one ISA build (see kernels.h) and a probe of its FMA throughput.
#include <time.h>

#include "common.h"
#include "kernels.h"
#include "matmul.h"

namespace rnnlm {
namespace RNNLM_ISA {

bool k_gemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, const float*, float, float*, bool);
void k_add(const float*, const float*, float*, int64_t);
void k_mul(const float*, const float*, float*, int64_t);
void k_axpy(float, const float*, float*, int64_t);
void k_scale(const float*, float, float*, int64_t);
void k_unary(int, const float*, float*, int64_t);
void k_unary_backward(int, const float*, const float*, const float*, float*, int64_t);
void k_add_row_vector(float*, const float*, int64_t, int64_t);
bool k_sum_rows(const float*, int64_t, int64_t, float, float*);
double k_sum(const float*, int64_t);
double k_sum_squares(const float*, int64_t);
void k_embedding_forward(const float*, const int32_t*, int64_t, int64_t, float*);
void k_embedding_backward(const float*, const int32_t*, int64_t, int64_t, float*);
void k_xent_forward(const float*, const int32_t*, int64_t, int64_t, int32_t, float*, float*);
void k_xent_backward(const float*, const float*, const int32_t*, int64_t, int64_t, int32_t, float, const float*, float*);
void k_log_softmax(const float*, int64_t, int64_t, float*);
int64_t k_rec_workspace_size(const RecDesc&);
bool k_rec_forward(const RecDesc&, const RecWeights&, const float*, const float*, const float*, float*, float*, float*,
                   float*);
bool k_rec_backward(const RecDesc&, const RecWeights&, const float*, const float*, const float*, const float*,
                    const float*, float*, const float*, const float*, float*, float*, float*, const RecWeights&);
bool k_lm_step(const LmStepDesc&, const float*, const int32_t*, const RecWeights*, float*, float*, const float*,
               const float*, float*);
void k_sgd_step(float*, const float*, float*, int64_t, const SgdParams&);
void k_adam_step(float*, const float*, float*, float*, int64_t, const AdamParams&);

static double now_ms(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

// 12 independent FMA chains (more than latency × FMA ports on current cores) of VL-wide vectors,
// timed on this thread's CPU clock so time lost to other processes does not count; median interval.
// One chain step: r·m + a (an FMA under -mfma -ffp-contract=fast; in the wasm relaxed-SIMD build
// the relaxed multiply-add the gemm uses, common.h RNNLM_MADD; multiply then add in plain SIMD128).
#ifdef RNNLM_RELAXED_MADD
#define FMA_STEP(r) (r = __builtin_wasm_relaxed_madd_f32x4(r, m, a))
#else
#define FMA_STEP(r) (r = r * m + a)
#endif
static double k_fma_peak(double ms) {
  volatile float seed = 0.999f;
  vf m = vbc(seed), a = vbc(1e-3f);
  vf r0 = vbc(0.1f), r1 = r0 + a, r2 = r1 + a, r3 = r2 + a, r4 = r3 + a, r5 = r4 + a;
  vf r6 = r5 + a, r7 = r6 + a, r8 = r7 + a, r9 = r8 + a, r10 = r9 + a, r11 = r10 + a;
  const i64 iters = 1 << 19;  // ~10 ms per interval
  double rates[64];
  int n = 0;
  double start = now_ms(CLOCK_MONOTONIC);
  do {
    double t0 = now_ms(CLOCK_THREAD_CPUTIME_ID);
    for (i64 it = 0; it < iters; it++) {
      FMA_STEP(r0); FMA_STEP(r1); FMA_STEP(r2); FMA_STEP(r3); FMA_STEP(r4); FMA_STEP(r5);
      FMA_STEP(r6); FMA_STEP(r7); FMA_STEP(r8); FMA_STEP(r9); FMA_STEP(r10); FMA_STEP(r11);
    }
    double dt = now_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
    rates[n++] = 12.0 * 2 * VL * iters / (dt * 1e6);
  } while (n < 64 && (n < 3 || now_ms(CLOCK_MONOTONIC) - start < ms));
  // Median interval: robust to the odd interval a shared machine distorts either way.
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && rates[j] < rates[j - 1]; j--) {
      double t = rates[j];
      rates[j] = rates[j - 1];
      rates[j - 1] = t;
    }
  double best = rates[n / 2];
  vf s = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)) + ((r8 + r9) + (r10 + r11));
  if (hsum(s) == 12345.0f) best += 1e-9;  // keeps the chains alive
  return best;
}

#define RNNLM_STR2(x) #x
#define RNNLM_STR(x) RNNLM_STR2(x)

const KernelTable* kernel_table() {
  static const KernelTable t = {
      RNNLM_STR(RNNLM_ISA), GEMM_MR, GEMM_NR,
      k_gemm, set_bf16_mode, pin_bf16, unpin_bf16, pin_f32, unpin_f32, k_add, k_mul, k_axpy, k_scale, k_unary, k_unary_backward, k_add_row_vector, k_sum_rows, k_sum,
      k_sum_squares, k_embedding_forward, k_embedding_backward, k_xent_forward, k_xent_backward, k_log_softmax,
      k_rec_workspace_size, k_rec_forward, k_rec_backward, k_lm_step, k_sgd_step, k_adam_step, k_fma_peak,
  };
  return &t;
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
