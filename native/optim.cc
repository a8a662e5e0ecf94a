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
  const vf lr = vbc(o.lr), mu = vbc(o.momentum), damp1 = vbc(1.0f - o.dampening), wd = vbc(o.weight_decay);
  const bool first = o.first_step, nesterov = o.nesterov, use_mu = o.momentum != 0, use_wd = o.weight_decay != 0;
  for_range(n, [=](i64 s, i64 e) {
    for (i64 p = s; p < e; p += VL) {
      i64 m = imin(VL, e - p);
      auto ld = [m](const float* a) { return m == VL ? vld(a) : vld_part(a, m, 0); };
      auto st = [m](float* a, vf v) { m == VL ? vst(a, v) : vst_part(a, v, m); };
      vf pv = ld(param + p);
      // wd = 0 must not touch d: 0 · Inf would turn an infinite weight into NaN.
      vf d = use_wd ? ld(grad + p) + wd * pv : ld(grad + p);
      if (use_mu) {
        vf b = first ? d : mu * ld(buf + p) + damp1 * d;
        st(buf + p, b);
        d = nesterov ? d + mu * b : b;
      }
      st(param + p, pv - lr * d);
    }
  });
}

// decoupled: p ← p·(1 − lr·wd), else g ← g + wd·p;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
// p ← p − step_size · m / (√v / √(1 − β2ᵗ) + eps) with step_size = lr / (1 − β1ᵗ).
void k_adam_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& o) {
  const vf b1 = vbc(o.beta1), b2 = vbc(o.beta2), c1 = vbc(1.0f - o.beta1), c2 = vbc(1.0f - o.beta2), eps = vbc(o.eps);
  const vf wd = vbc(o.weight_decay), decay = vbc(o.decay), step = vbc(o.step_size), inv_bc2 = vbc(1.0f / o.sqrt_bc2);
  const bool use_wd = !o.decoupled && o.weight_decay != 0, use_decay = o.decay != 1;
  for_range(n, [=](i64 s, i64 e) {
    for (i64 p = s; p < e; p += VL) {
      i64 k = imin(VL, e - p);
      auto ld = [k](const float* a) { return k == VL ? vld(a) : vld_part(a, k, 0); };
      auto st = [k](float* a, vf x) { k == VL ? vst(a, x) : vst_part(a, x, k); };
      vf pv = ld(param + p);
      vf g = use_wd ? ld(grad + p) + wd * pv : ld(grad + p);
      if (use_decay) pv = pv * decay;
      vf mv = b1 * ld(m + p) + c1 * g;
      vf vv = b2 * ld(v + p) + c2 * g * g;
      st(m + p, mv);
      st(v + p, vv);
      st(param + p, pv - step * mv / (vsqrt(vv) * inv_bc2 + eps));
    }
  });
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
