// Recurrent layers (LSTM, GRU, Elman RNN) over a whole sequence for the native backend.
//
// Dimension legend: T time, B batch, I input size, H hidden, G gate blocks (LSTM 4, GRU 3, RNN 1),
// GH = G·H. x [T,B,I], y [T,B,H], h0/hT/c0/cT [B,H], weight_ih [GH, I], weight_hh [GH, H].
//
// Forward:  Gx = x · W_ihᵀ for all T·B rows as one gemm (into the workspace; into y for RNN).
//           W_hhᵀ is packed once per call, per gate block. Each step is ONE parallel region:
//           thread p owns hidden units [j0, j1) (NR-aligned), computes those columns of every
//           gate block (h_{t-1} · W_hhᵀ on the packed panels) and then the fused gate math of its
//           units, which needs exactly those columns. So a step costs one barrier.
// Backward: W_hh is packed once. Step t's region: thread p computes dh_t[:, j0:j1] =
//           dGh_{t+1} · W_hh[:, j0:j1] (+ dy_t) and then the gate math of its units for step t.
//           Afterwards the weight gradients are big gemms over all T·B rows:
//           dW_ih += dGxᵀ · x, dW_hh += dGhᵀ · [h0; y_0..y_{T-2}], biases += column sums of dG,
//           dx = dGx · W_ih.
//
// Workspace (what backward needs beyond x, h0, c0, y), as in the js reference:
//   LSTM: [ gates T·B·4H (post-activation i, f, g, o) | cells T·B·H ]
//   GRU:  [ gates T·B·3H (post-activation r, z, n)    | hn T·B·H (W_hn h_{t-1} + b_hn) ]
//   RNN:  empty (activation derivatives come from y).
// Backward keeps its gate gradients in per-thread scratch, never in the workspace, so a forward
// may be back-propagated more than once.
#include "common.h"
#include "kernels.h"
#include "matmul.h"
#include "vmath.h"

namespace rnnlm {
namespace RNNLM_ISA {

bool k_sum_rows(const float* x, int64_t R, int64_t C, float beta, float* out);

int64_t k_rec_workspace_size(const RecDesc& d) {
  if (d.mode == MODE_LSTM) return d.T * d.B * 5 * d.H;
  if (d.mode == MODE_GRU) return d.T * d.B * 4 * d.H;
  return 0;
}

// Loads/stores n ≤ VL floats (a whole vector when n == VL).
static inline vf ldn(const float* p, i64 n) { return n == VL ? vld(p) : vld_part(p, n, 0); }
static inline void stn(float* p, vf v, i64 n) {
  if (n == VL) vst(p, v);
  else vst_part(p, v, n);
}

static inline vf rnn_act(int mode, vf v) {
  if (mode == MODE_RNN_TANH) return vtanh(v);
  if (mode == MODE_RNN_SIGMOID) return vsigmoid(v);
  return v < vbc(0.0f) ? vbc(0.0f) : v;  // relu, NaN kept
}

// Threads for the per-step regions: only when a step's gemm is big enough to amortise a barrier.
static int step_threads(i64 B, i64 GH, i64 H) {
  if (2.0 * (double)B * (double)GH * (double)H < 4e5) return 1;
  i64 panels = ceil_div(H, GEMM_NR);
  int p = pool_threads();
  return panels < p ? (int)panels : p;
}

// Packs G gate blocks of op(B) in parallel: block g is op(B_g) [K,N] at B + g·bstride, into dst + g·pstride.
static void pack_gates(bool tb, int G, i64 K, i64 N, const float* B, i64 ldb, i64 bstride, float* dst, i64 pstride,
                       int nth) {
  parallel(nth, [&](int tid, int nt) {
    for (int g = 0; g < G; g++) pack_b_full(tb, K, N, B + g * bstride, ldb, dst + g * pstride, tid, nt);
  });
}

bool k_rec_forward(const RecDesc& d, const RecWeights& w, const float* x, const float* h0, const float* c0, float* y,
                   float* hT, float* cT, float* ws) {
  const int mode = d.mode, G = gates_of(mode);
  const i64 T = d.T, B = d.B, I = d.I, H = d.H, GH = G * H, BH = B * H;
  const bool lstm = mode == MODE_LSTM, gru = mode == MODE_GRU, rnn = !lstm && !gru;
  if (T == 0 || BH == 0) {
    // Empty sequence (or nothing to compute): the state passes through unchanged.
    if (BH) {
      __builtin_memcpy(hT, h0, sizeof(float) * BH);
      if (lstm) __builtin_memcpy(cT, c0, sizeof(float) * BH);
    }
    return true;
  }
  const int nth = pool_threads();

  // Gate pre-activations of all steps [T·B, GH]: the workspace's gates region, else scratch; RNN uses y.
  float* Gx = rnn ? y : ws ? ws : static_cast<float*>(scratch(SCRATCH_REC_G, sizeof(float) * T * B * GH));
  float* extra = ws ? ws + T * B * GH : nullptr;  // [T,B,H] cells (LSTM) or hn (GRU)
  const i64 pw = packed_b_floats(H, H);
  float* Wp = static_cast<float*>(scratch(SCRATCH_REC_W, sizeof(float) * G * pw));
  float* bias = static_cast<float*>(scratch(SCRATCH_REC_S, sizeof(float) * 2 * GH));
  float* Gh = gru ? static_cast<float*>(scratch(SCRATCH_REC_G2, sizeof(float) * B * GH)) : nullptr;  // [B, GH]
  if (!Gx || !Wp || !bias || (gru && !Gh)) return false;

  // bx is added to the input side, bh to the recurrent side; only GRU needs them apart (r ⊙ hn).
  float* bx = bias;
  float* bh = bias + GH;
  for (i64 k = 0; k < GH; k++) {
    float a = w.b_ih ? w.b_ih[k] : 0.0f, b = w.b_hh ? w.b_hh[k] : 0.0f;
    if (gru) {
      bx[k] = a;
      bh[k] = b;
    } else {
      bx[k] = a + b;
      bh[k] = 0;
    }
  }

  if (!gemm_ld(false, true, T * B, GH, I, 1.0f, x, I, w.w_ih, I, 0.0f, Gx, GH, nth)) return false;
  // op(B) of gate block g = W_hh[g·H:(g+1)·H, :]ᵀ, [H_in, H_out].
  pack_gates(true, G, H, H, w.w_hh, H, H * H, Wp, pw, nth);
  if (lstm && !ws) __builtin_memcpy(cT, c0, sizeof(float) * BH);  // inference: c updated in place in cT

  const int sth = step_threads(B, GH, H);
  bool ok[64];
  for (int q = 0; q < 64; q++) ok[q] = true;
  for (i64 t = 0; t < T; t++) {
    const float* hprev = t == 0 ? h0 : y + (t - 1) * BH;  // [B,H]
    float* Gt = Gx + t * B * GH;                          // [B,GH] this step's pre-activations
    float* yt = y + t * BH;                                   // [B,H]
    parallel(sth, [&](int tid, int nt) {
      i64 j0, j1;
      split_range(H, tid, nt, GEMM_NR, &j0, &j1);
      if (j0 >= j1) return;
      for (int g = 0; g < G; g++) {
        // LSTM/RNN accumulate onto Gx (beta 1); GRU keeps the recurrent part apart in Gh.
        bool r = gru ? gemm_packed_cols(false, B, H, 1.0f, hprev, H, Wp + g * pw, H, j0, j1, 0.0f, Gh + g * H, GH)
                     : gemm_packed_cols(false, B, H, 1.0f, hprev, H, Wp + g * pw, H, j0, j1, 1.0f, Gt + g * H, GH);
        if (!r) ok[tid] = false;
      }
      for (i64 b = 0; b < B; b++) {
        float* gt = Gt + b * GH;  // [GH] row of this batch element
        float* yo = yt + b * H;
        const float* hp = hprev + b * H;
        for (i64 j = j0; j < j1; j += VL) {
          i64 n = imin(VL, j1 - j);
          if (lstm) {
            const float* cp = t == 0 ? c0 + b * H : ws ? extra + (t - 1) * BH + b * H : cT + b * H;
            float* co = ws ? extra + t * BH + b * H : cT + b * H;
            vf i = vsigmoid(ldn(gt + j, n) + ldn(bx + j, n));
            vf f = vsigmoid(ldn(gt + H + j, n) + ldn(bx + H + j, n));
            vf gg = vtanh(ldn(gt + 2 * H + j, n) + ldn(bx + 2 * H + j, n));
            vf o = vsigmoid(ldn(gt + 3 * H + j, n) + ldn(bx + 3 * H + j, n));
            vf c = f * ldn(cp + j, n) + i * gg;
            stn(gt + j, i, n);
            stn(gt + H + j, f, n);
            stn(gt + 2 * H + j, gg, n);
            stn(gt + 3 * H + j, o, n);
            stn(co + j, c, n);
            stn(yo + j, o * vtanh(c), n);
          } else if (gru) {
            const float* gh = Gh + b * GH;
            vf r = vsigmoid(ldn(gt + j, n) + ldn(bx + j, n) + ldn(gh + j, n) + ldn(bh + j, n));
            vf z = vsigmoid(ldn(gt + H + j, n) + ldn(bx + H + j, n) + ldn(gh + H + j, n) + ldn(bh + H + j, n));
            vf hn = ldn(gh + 2 * H + j, n) + ldn(bh + 2 * H + j, n);
            vf nn = vtanh(ldn(gt + 2 * H + j, n) + ldn(bx + 2 * H + j, n) + r * hn);
            stn(gt + j, r, n);
            stn(gt + H + j, z, n);
            stn(gt + 2 * H + j, nn, n);
            if (ws) stn(extra + t * BH + b * H + j, hn, n);
            stn(yo + j, (vbc(1.0f) - z) * nn + z * ldn(hp + j, n), n);
          } else {
            stn(gt + j, rnn_act(mode, ldn(gt + j, n) + ldn(bx + j, n)), n);
          }
        }
      }
    });
  }
  for (int q = 0; q < 64; q++)
    if (!ok[q]) return false;
  __builtin_memcpy(hT, y + (T - 1) * BH, sizeof(float) * BH);
  if (lstm && ws) __builtin_memcpy(cT, extra + (T - 1) * BH, sizeof(float) * BH);
  return true;
}

bool k_rec_backward(const RecDesc& d, const RecWeights& w, const float* x, const float* h0, const float* c0,
                    const float* y, const float* ws, float* dy, const float* dhT, const float* dcT, float* dx,
                    float* dh0, float* dc0, const RecWeights& grads) {
  const int mode = d.mode, G = gates_of(mode);
  const i64 T = d.T, B = d.B, I = d.I, H = d.H, GH = G * H, BH = B * H, TB = T * B;
  const bool lstm = mode == MODE_LSTM, gru = mode == MODE_GRU;
  if (T == 0 || BH == 0) {
    // No steps: the state gradients pass straight through.
    if (dh0 && BH) {
      if (dhT) __builtin_memcpy(dh0, dhT, sizeof(float) * BH);
      else __builtin_memset(dh0, 0, sizeof(float) * BH);
    }
    if (lstm && dc0 && BH) {
      if (dcT) __builtin_memcpy(dc0, dcT, sizeof(float) * BH);
      else __builtin_memset(dc0, 0, sizeof(float) * BH);
    }
    if (dx && T * B * I != 0) __builtin_memset(dx, 0, sizeof(float) * T * B * I);
    return true;
  }
  const int nth = pool_threads();
  const float* gates = ws;                  // [T,B,GH] post-activations
  const float* extra = ws ? ws + TB * GH : nullptr;  // [T,B,H] cells (LSTM) / hn (GRU)

  const i64 pw = packed_b_floats(GH, H);
  float* Wp = static_cast<float*>(scratch(SCRATCH_REC_W, sizeof(float) * pw));
  float* dGx = static_cast<float*>(scratch(SCRATCH_REC_G, sizeof(float) * TB * GH));  // [T·B, GH]
  float* dGh = gru ? static_cast<float*>(scratch(SCRATCH_REC_G2, sizeof(float) * TB * GH)) : dGx;
  float* dh = static_cast<float*>(scratch(SCRATCH_REC_S, sizeof(float) * 2 * BH));  // [B,H] running dh_t
  if (!Wp || !dGx || !dGh || !dh) return false;
  float* dc = dh + BH;  // [B,H] running dc_t (LSTM)
  if (dhT) __builtin_memcpy(dh, dhT, sizeof(float) * BH);
  else __builtin_memset(dh, 0, sizeof(float) * BH);
  if (lstm) {
    if (dcT) __builtin_memcpy(dc, dcT, sizeof(float) * BH);
    else __builtin_memset(dc, 0, sizeof(float) * BH);
  }

  // op(B) = W_hh [GH, H] as it is: dh_{t-1} = dGh_t · W_hh.
  pack_gates(false, 1, GH, H, w.w_hh, H, 0, Wp, 0, nth);

  const int sth = step_threads(B, GH, H);
  bool ok[64];
  for (int q = 0; q < 64; q++) ok[q] = true;
  // Region for step t (t = T−1..0), then one more (t = −1) that only forms dh0.
  for (i64 t = T - 1; t >= -1; t--) {
    if (t == -1 && !dh0) break;
    parallel(sth, [&](int tid, int nt) {
      i64 j0, j1;
      split_range(H, tid, nt, GEMM_NR, &j0, &j1);
      if (j0 >= j1) return;
      if (t < T - 1) {
        // dh_t[:, j0:j1] = (GRU: z ⊙ dh_{t+1} already there +) dGh_{t+1} · W_hh[:, j0:j1]
        if (!gemm_packed_cols(false, B, GH, 1.0f, dGh + (t + 1) * B * GH, GH, Wp, H, j0, j1, gru ? 1.0f : 0.0f, dh,
                              H))
          ok[tid] = false;
      }
      if (t < 0) return;
      const float* hprev = t == 0 ? h0 : y + (t - 1) * BH;  // [B,H]
      for (i64 b = 0; b < B; b++) {
        const float* dyt = dy + t * BH + b * H;
        float* dhb = dh + b * H;
        float* gx = dGx + (t * B + b) * GH;  // [GH] gate gradients of (t, b)
        for (i64 j = j0; j < j1; j += VL) {
          i64 n = imin(VL, j1 - j);
          vf dhv = ldn(dhb + j, n) + ldn(dyt + j, n);  // total gradient of h_t
          if (lstm) {
            const float* g = gates + (t * B + b) * GH;
            const float* cc = extra + t * BH + b * H;
            const float* cp = t == 0 ? c0 + b * H : extra + (t - 1) * BH + b * H;
            float* dcb = dc + b * H;
            vf i = ldn(g + j, n), f = ldn(g + H + j, n), gg = ldn(g + 2 * H + j, n), o = ldn(g + 3 * H + j, n);
            vf tc = vtanh(ldn(cc + j, n));
            vf one = vbc(1.0f);
            vf dcv = ldn(dcb + j, n) + dhv * o * (one - tc * tc);
            stn(gx + j, dcv * gg * i * (one - i), n);
            stn(gx + H + j, dcv * ldn(cp + j, n) * f * (one - f), n);
            stn(gx + 2 * H + j, dcv * i * (one - gg * gg), n);
            stn(gx + 3 * H + j, dhv * tc * o * (one - o), n);
            stn(dcb + j, dcv * f, n);
          } else if (gru) {
            const float* g = gates + (t * B + b) * GH;
            const float* hn = extra + t * BH + b * H;
            float* gh = dGh + (t * B + b) * GH;
            vf r = ldn(g + j, n), z = ldn(g + H + j, n), nn = ldn(g + 2 * H + j, n);
            vf one = vbc(1.0f);
            vf dn = dhv * (one - z) * (one - nn * nn);
            vf dz = dhv * (ldn(hprev + b * H + j, n) - nn) * z * (one - z);
            vf dr = dn * ldn(hn + j, n) * r * (one - r);
            stn(gx + j, dr, n);
            stn(gx + H + j, dz, n);
            stn(gx + 2 * H + j, dn, n);
            stn(gh + j, dr, n);
            stn(gh + H + j, dz, n);
            stn(gh + 2 * H + j, dn * r, n);
            stn(dhb + j, dhv * z, n);  // direct part of dh_{t-1}; the next region adds dGh_t · W_hh
          } else {
            vf yv = ldn(y + t * BH + b * H + j, n);
            vf dact = mode == MODE_RNN_TANH      ? vbc(1.0f) - yv * yv
                      : mode == MODE_RNN_SIGMOID ? yv * (vbc(1.0f) - yv)
                                                 : (yv > vbc(0.0f) ? vbc(1.0f) : vbc(0.0f));
            stn(gx + j, dhv * dact, n);
          }
        }
      }
    });
  }
  for (int q = 0; q < 64; q++)
    if (!ok[q]) return false;
  if (dh0) __builtin_memcpy(dh0, dh, sizeof(float) * BH);
  if (lstm && dc0) __builtin_memcpy(dc0, dc, sizeof(float) * BH);

  // Parameter gradients over all T·B rows (accumulated), then dx.
  if (!gemm_ld(true, false, GH, I, TB, 1.0f, dGx, GH, x, I, 1.0f, grads.w_ih, I, nth)) return false;
  if (!gemm_ld(true, false, GH, H, B, 1.0f, dGh, GH, h0, H, 1.0f, grads.w_hh, H, nth)) return false;  // step 0 saw h0
  if (T > 1 && !gemm_ld(true, false, GH, H, (T - 1) * B, 1.0f, dGh + B * GH, GH, y, H, 1.0f, grads.w_hh, H, nth))
    return false;  // steps 1..T−1 saw y_0..y_{T−2}
  if (grads.b_ih && !k_sum_rows(dGx, TB, GH, 1.0f, grads.b_ih)) return false;
  if (grads.b_hh && !k_sum_rows(dGh, TB, GH, 1.0f, grads.b_hh)) return false;
  if (dx && !gemm_ld(false, false, TB, I, GH, 1.0f, dGx, GH, w.w_ih, I, 0.0f, dx, I, nth)) return false;
  return true;
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
