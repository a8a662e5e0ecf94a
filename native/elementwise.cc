// Elementwise kernels and reductions for the native backend.
//
// Dimension legend: n flat length; R rows, C columns for the row kernels.
// Streaming kernels split n over the pool once there is enough work (threads_for); each thread's
// part is a contiguous VL-aligned range, so results do not depend on the thread count except for
// the order of the float64 partial sums in sum/sumSquares.
#include "common.h"
#include "kernels.h"
#include "vmath.h"

namespace rnnlm {
namespace RNNLM_ISA {

// Streams [0, n) in vectors over the pool: body(p, m) handles the m ≤ VL elements at p, through
// ld(ptr, p, m) / st(ptr, p, m, v) so the tail uses the same vector code. Scalars the body needs
// are passed by value into it, so the compiler never reloads them between stores.
static inline vf ld(const float* x, i64 p, i64 m) { return m == VL ? vld(x + p) : vld_part(x + p, m, 0); }
static inline void st(float* x, i64 p, i64 m, vf v) {
  if (m == VL) vst(x + p, v);
  else vst_part(x + p, v, m);
}
template <class Body>
static inline void stream(i64 n, Body body, i64 grain = 32768) {
  for_range(
      n,
      [&](i64 s, i64 e) {
        Body b = body;  // a private copy: its captures live in registers
        i64 p = s;
        for (; p + VL <= e; p += VL) b(p, (i64)VL);
        if (p < e) b(p, e - p);
      },
      grain);
}

void k_add(const float* a, const float* b, float* out, int64_t n) {
  stream(n, [a, b, out](i64 p, i64 m) { st(out, p, m, ld(a, p, m) + ld(b, p, m)); });
}

void k_mul(const float* a, const float* b, float* out, int64_t n) {
  stream(n, [a, b, out](i64 p, i64 m) { st(out, p, m, ld(a, p, m) * ld(b, p, m)); });
}

void k_axpy(float alpha, const float* x, float* y, int64_t n) {
  stream(n, [va = vbc(alpha), x, y](i64 p, i64 m) { st(y, p, m, ld(y, p, m) + va * ld(x, p, m)); });
}

void k_scale(const float* x, float alpha, float* out, int64_t n) {
  stream(n, [va = vbc(alpha), x, out](i64 p, i64 m) { st(out, p, m, va * ld(x, p, m)); });
}

void k_unary(int op, const float* x, float* out, int64_t n) {
  const vf zero = vbc(0.0f);
  switch (op) {
    case OP_TANH:
      stream(n, [x, out](i64 p, i64 m) { st(out, p, m, vtanh(ld(x, p, m))); }, 8192);
      return;
    case OP_SIGMOID:
      stream(n, [x, out](i64 p, i64 m) { st(out, p, m, vsigmoid(ld(x, p, m))); }, 8192);
      return;
    case OP_RELU:
      // v < 0 ? 0 : v keeps NaN, so a blown-up activation is still visible downstream.
      stream(n, [x, out, zero](i64 p, i64 m) {
        vf v = ld(x, p, m);
        st(out, p, m, v < zero ? zero : v);
      });
      return;
    case OP_EXP:
      stream(n, [x, out](i64 p, i64 m) { st(out, p, m, vexp(ld(x, p, m))); }, 8192);
      return;
    case OP_LOG:
      for_range(
          n, [&](i64 s, i64 e) {
            for (i64 p = s; p < e; p++) out[p] = __builtin_logf(x[p]);
          },
          8192);
      return;
    case OP_NEG:
      stream(n, [x, out](i64 p, i64 m) { st(out, p, m, -ld(x, p, m)); });
      return;
  }
}

// dx += dy ⊙ op'(·): tanh' = 1 − y², sigmoid' = y(1 − y), exp' = y, relu' = [x > 0], log' = 1/x, neg' = −1.
void k_unary_backward(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n) {
  const vf one = vbc(1.0f), zero = vbc(0.0f);
  switch (op) {
    case OP_TANH:
      stream(n, [=](i64 p, i64 m) {
        vf yv = ld(y, p, m);
        st(dx, p, m, ld(dx, p, m) + ld(dy, p, m) * (one - yv * yv));
      });
      return;
    case OP_SIGMOID:
      stream(n, [=](i64 p, i64 m) {
        vf yv = ld(y, p, m);
        st(dx, p, m, ld(dx, p, m) + ld(dy, p, m) * yv * (one - yv));
      });
      return;
    case OP_RELU:
      stream(n, [=](i64 p, i64 m) { st(dx, p, m, ld(dx, p, m) + (ld(x, p, m) > zero ? ld(dy, p, m) : zero)); });
      return;
    case OP_EXP:
      stream(n, [=](i64 p, i64 m) { st(dx, p, m, ld(dx, p, m) + ld(dy, p, m) * ld(y, p, m)); });
      return;
    case OP_LOG:
      stream(n, [=](i64 p, i64 m) { st(dx, p, m, ld(dx, p, m) + ld(dy, p, m) / (m == VL ? vld(x + p) : vld_part(x + p, m, 1))); });
      return;
    case OP_NEG:
      stream(n, [=](i64 p, i64 m) { st(dx, p, m, ld(dx, p, m) - ld(dy, p, m)); });
      return;
  }
}

// x[r, c] += v[c] for x [R, C]: rows split over threads.
void k_add_row_vector(float* x, const float* v, int64_t R, int64_t C) {
  int nth = threads_for(R * C);
  parallel(nth, [&](int tid, int nt) {
    i64 b, e;
    split_range(R, tid, nt, 1, &b, &e);
    const float* vv = v;
    for (i64 r = b; r < e; r++) {
      float* row = x + r * C;  // x[r, :]
      i64 c = 0;
      for (; c + VL <= C; c += VL) vst(row + c, vld(row + c) + vld(vv + c));
      for (; c < C; c++) row[c] += vv[c];
    }
  });
}

// out[c] = beta · out[c] + Σ_r x[r, c] for x [R, C], summed in float64. Columns split over threads
// (each thread walks all rows of its column range, so every sum keeps the row order).
bool k_sum_rows(const float* x, int64_t R, int64_t C, float beta, float* out) {
  int nth = threads_for(R * C);
  if (C < 64 * nth) nth = 1;
  bool ok[64];
  for (int t = 0; t < 64; t++) ok[t] = true;
  parallel(nth, [&](int tid, int nt) {
    i64 b, e;
    split_range(C, tid, nt, 64, &b, &e);
    if (b >= e) return;
    // float64 accumulators for 512 columns at a time (in L1), rows streamed.
    constexpr i64 CB = 512;
    double* acc = static_cast<double*>(scratch(SCRATCH_MISC, sizeof(double) * CB));
    if (!acc) {
      ok[tid] = false;
      return;
    }
    for (i64 c0 = b; c0 < e; c0 += CB) {
      i64 cn = imin(CB, e - c0);
      for (i64 c = 0; c < cn; c++) acc[c] = 0;
      for (i64 r = 0; r < R; r++) {
        const float* row = x + r * C + c0;  // x[r, c0:]
        for (i64 c = 0; c < cn; c++) acc[c] += (double)row[c];
      }
      for (i64 c = 0; c < cn; c++)
        out[c0 + c] = beta == 0 ? (float)acc[c] : (float)((double)beta * (double)out[c0 + c] + acc[c]);
    }
  });
  for (int t = 0; t < nth && t < 64; t++)
    if (!ok[t]) return false;
  return true;
}

typedef double vd __attribute__((vector_size(VL * 4)));  // VL/2 doubles
typedef float vh __attribute__((vector_size(VL * 2)));   // half a float vector

// Σ over [s, e) of f(x) in float64 lanes (f = identity or square, applied in float64).
template <bool Square>
static double sum_range(const float* x, i64 s, i64 e) {
  vd a0 = vd{}, a1 = vd{}, a2 = vd{}, a3 = vd{};
  i64 p = s;
  for (; p + 2 * VL <= e; p += 2 * VL) {
    vh h[4];
    __builtin_memcpy(h, x + p, sizeof h);
    vd d0 = __builtin_convertvector(h[0], vd), d1 = __builtin_convertvector(h[1], vd);
    vd d2 = __builtin_convertvector(h[2], vd), d3 = __builtin_convertvector(h[3], vd);
    if (Square) {
      a0 += d0 * d0;
      a1 += d1 * d1;
      a2 += d2 * d2;
      a3 += d3 * d3;
    } else {
      a0 += d0;
      a1 += d1;
      a2 += d2;
      a3 += d3;
    }
  }
  vd a = (a0 + a1) + (a2 + a3);
  double t = 0;
  for (int i = 0; i < VL / 2; i++) t += a[i];
  for (; p < e; p++) t += Square ? (double)x[p] * (double)x[p] : (double)x[p];
  return t;
}

template <bool Square>
static double sum_any(const float* x, i64 n) {
  double part[64];
  int nth = threads_for(n, 65536);
  for (int t = 0; t < nth; t++) part[t] = 0;
  parallel(nth, [&](int tid, int nt) {
    i64 b, e;
    split_range(n, tid, nt, 64, &b, &e);
    part[tid] = b < e ? sum_range<Square>(x, b, e) : 0;
  });
  double s = 0;
  for (int t = 0; t < nth; t++) s += part[t];
  return s;
}

double k_sum(const float* x, int64_t n) { return sum_any<false>(x, n); }
double k_sum_squares(const float* x, int64_t n) { return sum_any<true>(x, n); }

}  // namespace RNNLM_ISA
}  // namespace rnnlm
