// Fused log-softmax + cross-entropy for the native backend.
//
// Dimension legend: N rows (usually T·B), V vocabulary. logits / dLogits / out [N, V];
// targets, lse, losses [N]. Rows are split over threads.
//
// Forward reads each row twice (max, then Σ exp(x − max) with vectorised exp); lse = max + log Σ.
// Backward is one pass: dLogits = scale · (exp(x − lse) − onehot), reading each element before
// writing the same index, so dLogits may alias logits. The Σ exp is kept in float32 lanes
// (VL·4 partial sums per row) — well within float32 tolerance for V up to millions.
#include "common.h"
#include "kernels.h"
#include "vmath.h"

namespace rnnlm {
namespace RNNLM_ISA {

static inline float row_max(const float* x, i64 V) {
  vf m0 = vbc(-__builtin_inff()), m1 = m0, m2 = m0, m3 = m0;
  i64 v = 0;
  // A NaN may be dropped here; row_lse still turns it into NaN through exp(NaN − m).
  for (; v + 4 * VL <= V; v += 4 * VL) {
    m0 = vmax(m0, vld(x + v));
    m1 = vmax(m1, vld(x + v + VL));
    m2 = vmax(m2, vld(x + v + 2 * VL));
    m3 = vmax(m3, vld(x + v + 3 * VL));
  }
  for (; v + VL <= V; v += VL) m0 = vmax(m0, vld(x + v));
  if (v < V) m1 = vmax(m1, vld_part(x + v, V - v, -__builtin_inff()));
  return hmax(vmax(vmax(m0, m1), vmax(m2, m3)));
}

// log Σ_v exp(x[v]) for one row; −Inf for an all −Inf (or empty) row, NaN if the row has a NaN.
static inline float row_lse(const float* x, i64 V) {
  float m = row_max(x, V);
  if (m == -__builtin_inff()) return m;
  // A +Inf or NaN anywhere makes some exp(x − m) NaN, so lse is NaN (as in the js reference).
  vf vm = vbc(m);
  vf s0 = vf{}, s1 = vf{};
  i64 v = 0;
  for (; v + 2 * VL <= V; v += 2 * VL) {
    s0 += vexp(vld(x + v) - vm);
    s1 += vexp(vld(x + v + VL) - vm);
  }
  for (; v + VL <= V; v += VL) s0 += vexp(vld(x + v) - vm);
  if (v < V) s1 += vexp(vld_part(x + v, V - v, -__builtin_inff()) - vm);
  return m + __builtin_logf(hsum(s0 + s1));
}

template <class Body>
static inline void for_rows(i64 N, i64 V, Body&& body) {
  int nth = threads_for(N * V, 16384);
  parallel(nth, [&](int tid, int nt) {
    i64 b, e;
    split_range(N, tid, nt, 1, &b, &e);
    for (i64 n = b; n < e; n++) body(n);
  });
}

void k_xent_forward(const float* logits, const int32_t* targets, int64_t N, int64_t V, int32_t ignore, float* lse,
                    float* losses) {
  for_rows(N, V, [&](i64 n) {
    const float* row = logits + n * V;  // logits[n, :]
    float l = row_lse(row, V);
    lse[n] = l;
    int32_t t = targets[n];
    losses[n] = t == ignore ? 0.0f : l - row[t];
  });
}

void k_xent_backward(const float* logits, const float* lse, const int32_t* targets, int64_t N, int64_t V,
                     int32_t ignore, float scale, const float* scales, float* dLogits) {
  for_rows(N, V, [&](i64 n) {
    const float* row = logits + n * V;  // logits[n, :]
    float* d = dLogits + n * V;         // dLogits[n, :]
    int32_t t = targets[n];
    if (t == ignore) {
      __builtin_memset(d, 0, sizeof(float) * V);
      return;
    }
    float s = scales ? scales[n] : scale;
    vf vs = vbc(s), vl = vbc(lse[n]);
    i64 v = 0;
    for (; v + VL <= V; v += VL) vst(d + v, vs * vexp(vld(row + v) - vl));
    if (v < V) vst_part(d + v, vs * vexp(vld_part(row + v, V - v, 0) - vl), V - v);
    d[t] -= s;
  });
}

void k_log_softmax(const float* logits, int64_t N, int64_t V, float* out) {
  for_rows(N, V, [&](i64 n) {
    const float* row = logits + n * V;  // logits[n, :]
    float* o = out + n * V;             // out[n, :] (may be the same row)
    float l = row_lse(row, V);
    for (i64 v = 0; v < V; v++) o[v] = row[v] - l;
  });
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
