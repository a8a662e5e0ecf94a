// Vectorised exp, sigmoid and tanh for float32 (Cephes-style polynomials, ~1–2 ulp), used by
// the softmax, elementwise and recurrent kernels of one ISA build. NaN in gives NaN out;
// overflow gives +Inf and underflow 0 (through subnormals), as expf does.
#pragma once

#include "common.h"

namespace rnnlm {
namespace RNNLM_ISA {

// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n applied in two halves
// so that n up to 128 (overflow to Inf) and down to −150 (subnormals) scale correctly.
static inline vf vexp(vf x) {
  const vf hi = vbc(89.0f), lo = vbc(-104.0f);
  x = x > hi ? hi : x;  // NaN stays NaN (comparisons with NaN are false)
  x = x < lo ? lo : x;
  const vf magic = vbc(12582912.0f);  // 1.5·2^23: adding it rounds to an integer in the low bits
  vf t = x * vbc(1.44269504088896341f) + magic;
  vi n = (vi)t - (vi)magic;
  vf fn = t - magic;
  vf r = x - fn * vbc(0.693359375f);
  r = r - fn * vbc(-2.12194440e-4f);
  vf p = vbc(1.9875691500e-4f);
  p = p * r + vbc(1.3981999507e-3f);
  p = p * r + vbc(8.3334519073e-3f);
  p = p * r + vbc(4.1665795894e-2f);
  p = p * r + vbc(1.6666665459e-1f);
  p = p * r + vbc(5.0000001201e-1f);
  p = p * (r * r) + r + vbc(1.0f);
  vi n1 = n >> 1;
  vi n2 = n - n1;
  vf s1 = (vf)((n1 + 127) << 23);
  vf s2 = (vf)((n2 + 127) << 23);
  return p * s1 * s2;
}

// σ(x) = 1/(1+e^−x) for x ≥ 0 and e^x/(1+e^x) below, so neither form loses precision.
static inline vf vsigmoid(vf x) {
  vf e = vexp(-vabs(x));
  vf s = vbc(1.0f) / (vbc(1.0f) + e);
  return x >= vbc(0.0f) ? s : e * s;
}

// tanh(x): odd polynomial for |x| < 0.625, else sign(x)·(1 − 2/(e^{2|x|} + 1)).
static inline vf vtanh(vf x) {
  vf ax = vabs(x);
  vf z = x * x;
  vf p = vbc(-5.70498872745e-3f);
  p = p * z + vbc(2.06390887954e-2f);
  p = p * z + vbc(-5.37397155531e-2f);
  p = p * z + vbc(1.33314422036e-1f);
  p = p * z + vbc(-3.33332819422e-1f);
  vf small = p * z * x + x;
  vf big = vbc(1.0f) - vbc(2.0f) / (vexp(ax + ax) + vbc(1.0f));
  big = (vf)(((vi)big) | ((vi)x & (int32_t)0x80000000));  // copy the sign of x
  return ax < vbc(0.625f) ? small : big;
}

static inline float sexp(float x) { return vexp(vbc(x))[0]; }

}  // namespace RNNLM_ISA
}  // namespace rnnlm
