// Optimizer steps for one parameter (in place) for the native backend: PyTorch torch.optim.SGD
// and Adam / AdamW (amsgrad off), the same formulas as src/backend/js/optim.ts, in float32.
//
// Dimension legend: n = param.length; grad, momentum buffer, m, v all have n elements.
// The gradient is never modified. Elements are independent, so n is split over threads.
#include "common.h"
#include "kernels.h"

namespace rnnlm {
namespace RNNLM_ISA {

// d = g + wd·p;  with momentum: buf = d on the first step, else μ·buf + (1 − dampening)·d;
// d = nesterov ? d + μ·buf : buf;  p −= lr·d.
void k_sgd_step(float* param, const float* grad, float* buf, int64_t n, const SgdParams& o) {
  const float lr = o.lr, mu = o.momentum, damp1 = 1.0f - o.dampening, wd = o.weight_decay;
  const bool first = o.first_step, nesterov = o.nesterov, use_mu = mu != 0;
  for_range(n, [&](i64 s, i64 e) {
    for (i64 p = s; p < e; p++) {
      // wd = 0 must not touch d: 0 · Inf would turn an infinite weight into NaN.
      float d = wd != 0 ? grad[p] + wd * param[p] : grad[p];
      if (use_mu) {
        float b = first ? d : mu * buf[p] + damp1 * d;
        buf[p] = b;
        d = nesterov ? d + mu * b : b;
      }
      param[p] -= lr * d;
    }
  });
}

// decoupled: p ← p·(1 − lr·wd), else g ← g + wd·p;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
// p ← p − step_size · m / (√v / √(1 − β2ᵗ) + eps) with step_size = lr / (1 − β1ᵗ).
void k_adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& o) {
  const float b1 = o.beta1, b2 = o.beta2, c1 = 1.0f - o.beta1, c2 = 1.0f - o.beta2, eps = o.eps;
  const float wd = o.decoupled ? 0.0f : o.weight_decay, decay = o.decay;
  const float step = o.step_size, inv_bc2 = 1.0f / o.sqrt_bc2;
  for_range(n, [&](i64 s, i64 e) {
    for (i64 p = s; p < e; p++) {
      float g = wd != 0 ? grad[p] + wd * param[p] : grad[p];
      float pv = decay != 1 ? param[p] * decay : param[p];
      float mv = b1 * m[p] + c1 * g;
      float vv = b2 * v[p] + c2 * g * g;
      m[p] = mv;
      v[p] = vv;
      param[p] = pv - step * mv / (__builtin_sqrtf(vv) * inv_bc2 + eps);
    }
  });
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
