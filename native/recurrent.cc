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
//           With B ≤ 4 (generation) packing W_hh would cost more than the whole step: each step
//           is then a gemv straight from W_hh (the gemm's dot path) and the gate math.
// Backward: step t's region: thread p computes dh_t[:, j0:j1] = dGh_{t+1} · W_hh[:, j0:j1]
//           (+ dy_t) and then the gate math of its units for step t. W_hh is read in place for
//           small B and packed once otherwise. Afterwards the weight gradients are big gemms over
//           all T·B rows: dW_ih += dGxᵀ · x, dW_hh += dGhᵀ · [h0; y_0..y_{T-2}] (copied together),
//           biases += column sums of dG, dx = dGx · W_ih.
//
// Workspace (what backward needs beyond x, h0, c0, y), as in the js reference:
//   LSTM: [ gates T·B·4H (post-activation i, f, g, o) | cells T·B·H ]
//   GRU:  [ gates T·B·3H (post-activation r, z, n)    | hn T·B·H (W_hn h_{t-1} + b_hn) ]
//   RNN:  empty (activation derivatives come from y).
// Backward keeps its gate gradients in per-thread scratch, never in the workspace, so a forward
// may be back-propagated more than once.
// bf16 precision (d.bf16): every gemm here gets bf16 operands (matmul.cc); the gate math, y, the
// cells and all gradients stay float32.
#include "common.h"
#include "kernels.h"
#include "matmul.h"
#include "vmath.h"

#include <time.h>

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

// Sequences (T > 1) with more rows than this pack W_hh once for all steps (float32 forward, and
// every bf16 backward: bf16 gemms never read B in place); fewer rows take the dot path per step.
constexpr i64 SEQ_PREPACK_M = 4;

// Threads for the per-step regions: only when a step's gemm is big enough to amortise a barrier.
static int step_threads(i64 B, i64 GH, i64 H) {
  if (2.0 * (double)B * (double)GH * (double)H < 4e5) return 1;
  i64 panels = ceil_div(H, GEMM_NR);
  int p = pool_threads();
  return panels < p ? (int)panels : p;
}

// Packs G gate blocks of op(B) in parallel: block g is op(B_g) [K,N] at B + g·bstride, into dst + g·pstride.
static void pack_gates(bool tb, int G, i64 K, i64 N, const float* B, i64 ldb, i64 bstride, float* dst, i64 pstride,
                       int nth, bool bf16) {
  parallel(nth, [&](int tid, int nt) {
    for (int g = 0; g < G; g++) pack_b_full(tb, K, N, B + g * bstride, ldb, dst + g * pstride, tid, nt, bf16);
  });
}

// ------------------------------------------------------------------ forward gate math

// One forward step's operands. Gt [B,GH] holds the pre-activations (x-projection, plus the
// recurrent part for LSTM/RNN) and receives the post-activations.
struct FwdStep {
  int mode;
  i64 B, H, GH;
  const float* bx;     // [GH] bias on the input side (LSTM/RNN: b_ih + b_hh)
  const float* bh;     // [GH] bias on the recurrent side (GRU only)
  float* Gt;           // [B,GH]
  const float* Gh;     // [B,GH] GRU: h_{t-1} · W_hhᵀ
  const float* hprev;  // [B,H]
  const float* cprev;  // [B,H] LSTM
  float* cout;         // [B,H] LSTM (may equal cprev)
  float* hn;           // [B,H] GRU: W_hn h_{t-1} + b_hn, or null (inference)
  float* yt;           // [B,H]
};

// Fused gate math for hidden units [j0, j1) of every batch row.
static void forward_gates(const FwdStep& s, i64 j0, i64 j1) {
  const i64 H = s.H;
  const float *bx = s.bx, *bh = s.bh;
  const vf one = vbc(1.0f);
  for (i64 b = 0; b < s.B; b++) {
    float* gt = s.Gt + b * s.GH;  // [GH] row of this batch element
    float* yo = s.yt + b * H;
    for (i64 j = j0; j < j1; j += VL) {
      i64 n = imin(VL, j1 - j);
      if (s.mode == MODE_LSTM) {
        vf i = vsigmoid(ldn(gt + j, n) + ldn(bx + j, n));
        vf f = vsigmoid(ldn(gt + H + j, n) + ldn(bx + H + j, n));
        vf g = vtanh(ldn(gt + 2 * H + j, n) + ldn(bx + 2 * H + j, n));
        vf o = vsigmoid(ldn(gt + 3 * H + j, n) + ldn(bx + 3 * H + j, n));
        vf c = f * ldn(s.cprev + b * H + j, n) + i * g;
        stn(gt + j, i, n);
        stn(gt + H + j, f, n);
        stn(gt + 2 * H + j, g, n);
        stn(gt + 3 * H + j, o, n);
        stn(s.cout + b * H + j, c, n);
        stn(yo + j, o * vtanh(c), n);
      } else if (s.mode == MODE_GRU) {
        const float* gh = s.Gh + b * s.GH;
        vf r = vsigmoid(ldn(gt + j, n) + ldn(bx + j, n) + ldn(gh + j, n) + ldn(bh + j, n));
        vf z = vsigmoid(ldn(gt + H + j, n) + ldn(bx + H + j, n) + ldn(gh + H + j, n) + ldn(bh + H + j, n));
        vf hn = ldn(gh + 2 * H + j, n) + ldn(bh + 2 * H + j, n);
        vf nn = vtanh(ldn(gt + 2 * H + j, n) + ldn(bx + 2 * H + j, n) + r * hn);
        stn(gt + j, r, n);
        stn(gt + H + j, z, n);
        stn(gt + 2 * H + j, nn, n);
        if (s.hn) stn(s.hn + b * H + j, hn, n);
        stn(yo + j, (one - z) * nn + z * ldn(s.hprev + b * H + j, n), n);
      } else {
        stn(gt + j, rnn_act(s.mode, ldn(gt + j, n) + ldn(bx + j, n)), n);
      }
    }
  }
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
  // W_hh is packed once for all T steps when the rows are many enough to pay for it. A sequence
  // (T > 1: training, evaluation, a long prompt) keeps the threshold its speed was tuned with; a
  // single step (generation) uses the dot path up to GEMM_DOT_M rows, which gives each row the
  // bits of a lone row, so batched generation stays exact.
  const bool prepack = B > (T > 1 ? SEQ_PREPACK_M : GEMM_DOT_M), bf16 = d.bf16;

  // Gate pre-activations of all steps [T·B, GH]: the workspace's gates region, else scratch; RNN uses y.
  float* Gx = rnn ? y : ws ? ws : static_cast<float*>(scratch(SCRATCH_REC_G, sizeof(float) * T * B * GH));
  float* extra = ws ? ws + T * B * GH : nullptr;  // [T,B,H] cells (LSTM) or hn (GRU)
  const i64 pw = packed_b_floats(H, H, bf16);
  float* Wp = prepack ? static_cast<float*>(scratch(SCRATCH_REC_W, sizeof(float) * G * pw)) : nullptr;
  float* bias = static_cast<float*>(scratch(SCRATCH_REC_S, sizeof(float) * 2 * GH));
  float* Gh = gru ? static_cast<float*>(scratch(SCRATCH_REC_G2, sizeof(float) * B * GH)) : nullptr;  // [B, GH]
  if (!Gx || (prepack && !Wp) || !bias || (gru && !Gh)) return false;

  // bx is added to the input side, bh to the recurrent side; only GRU needs them apart (r ⊙ hn).
  float* bx = bias;
  float* bh = bias + GH;
  for (i64 k = 0; k < GH; k++) {
    float a = w.b_ih ? w.b_ih[k] : 0.0f, b = w.b_hh ? w.b_hh[k] : 0.0f;
    bx[k] = gru ? a : a + b;
    bh[k] = gru ? b : 0.0f;
  }

  if (!gemm_ld(false, true, T * B, GH, I, 1.0f, x, I, w.w_ih, I, 0.0f, Gx, GH, nth, bf16)) return false;
  // op(B) of gate block g = W_hh[g·H:(g+1)·H, :]ᵀ, [H_in, H_out].
  if (prepack) pack_gates(true, G, H, H, w.w_hh, H, H * H, Wp, pw, nth, bf16);
  if (lstm && !ws) __builtin_memcpy(cT, c0, sizeof(float) * BH);  // inference: c updated in place in cT

  const int sth = step_threads(B, GH, H);
  bool ok[64];
  for (int q = 0; q < 64; q++) ok[q] = true;
  for (i64 t = 0; t < T; t++) {
    FwdStep s;
    s.mode = mode;
    s.B = B;
    s.H = H;
    s.GH = GH;
    s.bx = bx;
    s.bh = bh;
    s.Gt = Gx + t * B * GH;                      // [B,GH]
    s.Gh = Gh;
    s.hprev = t == 0 ? h0 : y + (t - 1) * BH;    // [B,H]
    s.cprev = !lstm ? nullptr : t == 0 ? c0 : ws ? extra + (t - 1) * BH : cT;
    s.cout = !lstm ? nullptr : ws ? extra + t * BH : cT;
    s.hn = gru && ws ? extra + t * BH : nullptr;
    s.yt = y + t * BH;                           // [B,H]
    // LSTM/RNN accumulate the recurrent part onto Gx (beta 1); GRU keeps it apart in Gh.
    float* rec = gru ? Gh : s.Gt;
    const float beta = gru ? 0.0f : 1.0f;
    if (!prepack) {
      if (!gemm_ld(false, true, B, GH, H, 1.0f, s.hprev, H, w.w_hh, H, beta, rec, GH, nth, bf16)) return false;
      forward_gates(s, 0, H);
      continue;
    }
    parallel(sth, [&](int tid, int nt) {
      i64 j0, j1;
      split_range(H, tid, nt, GEMM_NR, &j0, &j1);
      if (j0 >= j1) return;
      // h_{t-1} packed once per thread, used by all G gate blocks.
      float* Ap = static_cast<float*>(scratch(SCRATCH_PACK_A, sizeof(float) * packed_a_floats(B, H, bf16)));
      if (!Ap) {
        ok[tid] = false;
        return;
      }
      pack_a_full(false, B, H, s.hprev, H, Ap, bf16);
      for (int g = 0; g < G; g++) gemm_packed(B, H, 1.0f, Ap, Wp + g * pw, H, j0, j1, beta, rec + g * H, GH, bf16);
      forward_gates(s, j0, j1);
    });
  }
  for (int q = 0; q < 64; q++)
    if (!ok[q]) return false;
  __builtin_memcpy(hT, y + (T - 1) * BH, sizeof(float) * BH);
  if (lstm && ws) __builtin_memcpy(cT, extra + (T - 1) * BH, sizeof(float) * BH);
  return true;
}

// ------------------------------------------------------------------ fused inference step (lmStep)

// One generation step of a stacked recurrent LM in one call: for each layer ONE parallel region in
// which thread p computes the columns of its hidden units [j0, j1) in every gate block, x · W_ihᵀ
// then + h · W_hhᵀ (the dot path, as k_rec_forward's per-step gemms at B ≤ GEMM_DOT_M), and then
// the gate math of those units; then the decoder's dot products and its bias. Every sum is the one
// the op-by-op path computes (same dot path, same order, bias added the same way), so the bits
// are the same. New h goes to scratch while other threads may still read h_{t−1}, and is copied
// back after the last layer; c is updated in place (each unit reads only its own).
// Threads for lmStep, by measurement: at batch 1 a step is a few hundred µs of gemv reading every
// weight once, and whether a second thread pays depends on the machine at the moment (a free core
// doubles the bandwidth; a core shared with other work makes every step wait at the barrier). The
// thread count never changes the bits, so each model shape keeps a running mean of the step time
// with 1 thread and with all of them, uses the faster, and retries the other one step in 16.
struct LmTune {
  uint64_t key;
  double ns[2];  // mean step time: [0] 1 thread, [1] pool_threads()
  int n[2];
  unsigned calls;
};
constexpr int LM_TUNE_SLOTS = 8;
static LmTune g_lm_tune[LM_TUNE_SLOTS];
static int g_lm_tune_next = 0;

static double mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static LmTune& lm_tune(uint64_t key) {
  for (LmTune& t : g_lm_tune)
    if (t.key == key && key) return t;
  LmTune& t = g_lm_tune[g_lm_tune_next];
  g_lm_tune_next = (g_lm_tune_next + 1) % LM_TUNE_SLOTS;
  t = LmTune{key, {0, 0}, {0, 0}, 0};
  return t;
}

static bool lm_step_run(const LmStepDesc& d, const float* emb, const int32_t* ids, const RecWeights* layers, float* h,
                        float* c, const float* dec_w, const float* dec_b, float* logits, int nth);

bool k_lm_step(const LmStepDesc& d, const float* emb, const int32_t* ids, const RecWeights* layers, float* h, float* c,
               const float* dec_w, const float* dec_b, float* logits) {
  const int nth = pool_threads();
  if (nth == 1) return lm_step_run(d, emb, ids, layers, h, c, dec_w, dec_b, logits, 1);
  uint64_t key = 1469598103934665603ull;
  auto mix = [&](uint64_t v) { key = (key ^ v) * 1099511628211ull; };
  mix(d.mode), mix(d.B), mix(d.E), mix(d.V), mix(d.L), mix(d.bf16), mix(nth);
  for (i64 l = 0; l < d.L; l++) mix(d.H[l]);
  LmTune& t = lm_tune(key);
  const int best = t.n[1] > 0 && t.ns[1] < t.ns[0] ? 1 : 0;
  const int arm = t.n[0] < 3 ? 0 : t.n[1] < 3 ? 1 : (++t.calls % 16 == 0 ? 1 - best : best);
  const double t0 = mono_ns();
  const bool ok = lm_step_run(d, emb, ids, layers, h, c, dec_w, dec_b, logits, arm ? nth : 1);
  const double dt = mono_ns() - t0;
  t.ns[arm] = t.n[arm] == 0 ? dt : 0.75 * t.ns[arm] + 0.25 * dt;
  t.n[arm]++;
  return ok;
}

static bool lm_step_run(const LmStepDesc& d, const float* emb, const int32_t* ids, const RecWeights* layers, float* h,
                        float* c, const float* dec_w, const float* dec_b, float* logits, int nth) {
  const int mode = d.mode, G = gates_of(mode);
  const bool lstm = mode == MODE_LSTM, gru = mode == MODE_GRU, rnn = !lstm && !gru, bf16 = d.bf16;
  const i64 B = d.B, E = d.E, V = d.V, L = d.L;
  i64 Hmax = 0, Hsum = 0;
  for (i64 l = 0; l < L; l++) {
    Hmax = imax(Hmax, d.H[l]);
    Hsum += d.H[l];
  }
  const i64 GHmax = G * Hmax;
  float* ynew = static_cast<float*>(scratch(SCRATCH_REC_W, sizeof(float) * imax(1, B * Hsum)));  // [Σ_l B·H_l]
  float* Gt = static_cast<float*>(scratch(SCRATCH_REC_G, sizeof(float) * imax(1, B * GHmax)));    // [B, GH]
  float* Gh = gru ? static_cast<float*>(scratch(SCRATCH_REC_G2, sizeof(float) * B * GHmax)) : nullptr;
  float* bias = static_cast<float*>(scratch(SCRATCH_REC_S, sizeof(float) * imax(1, 2 * GHmax)));
  if (!ynew || !Gt || (gru && !Gh) || !bias) return false;
  // Layer 0's input [B, E]: the embedding row itself for one row, else the rows gathered.
  const float* x = emb + (i64)ids[0] * E;
  if (B > 1) {
    float* xg = static_cast<float*>(scratch(SCRATCH_REC_H, sizeof(float) * B * E));
    if (!xg) return false;
    for (i64 b = 0; b < B; b++) __builtin_memcpy(xg + b * E, emb + (i64)ids[b] * E, sizeof(float) * E);
    x = xg;
  }
  bool ok[64];
  for (int q = 0; q < 64; q++) ok[q] = true;
  i64 I = E, off = 0;
  for (i64 l = 0; l < L; l++) {
    const i64 H = d.H[l], GH = G * H;
    const RecWeights& w = layers[l];
    float* bx = bias;
    float* bh = bias + GH;
    for (i64 k = 0; k < GH; k++) {  // as k_rec_forward
      float a = w.b_ih ? w.b_ih[k] : 0.0f, b = w.b_hh ? w.b_hh[k] : 0.0f;
      bx[k] = gru ? a : a + b;
      bh[k] = gru ? b : 0.0f;
    }
    float* hl = h + off;     // [B,H] h_{t−1}
    float* yl = ynew + off;  // [B,H] h_t
    FwdStep s;
    s.mode = mode;
    s.B = B;
    s.H = H;
    s.GH = GH;
    s.bx = bx;
    s.bh = bh;
    s.Gt = rnn ? yl : Gt;  // RNN: the pre-activations become the output in place, as in k_rec_forward
    s.Gh = Gh;
    s.hprev = hl;
    s.cprev = lstm ? c + off : nullptr;
    s.cout = lstm ? c + off : nullptr;
    s.hn = nullptr;
    s.yt = yl;
    float* rec = gru ? Gh : s.Gt;
    const float beta = gru ? 0.0f : 1.0f;
    const float* Pih = dot_packed_b(w.w_ih, I, I, GH, bf16);  // pinned float32 weights: packed copies
    const float* Phh = dot_packed_b(w.w_hh, H, H, GH, bf16);
    // Threads only when the layer's products outweigh a region's start (as gemm_ld's 1e6 flops).
    const int nt = 2.0 * (double)B * (double)GH * (double)(I + H) < 1e6 ? 1 : nth;
    parallel(nt, [&](int tid, int n) {
      i64 j0, j1;
      split_range(H, tid, n, VL, &j0, &j1);
      if (j0 >= j1) return;
      bool r = true;
      for (int g = 0; g < G && r; g++) r = gemm_dot_cols(B, g * H + j0, g * H + j1, I, 1.0f, x, w.w_ih, I, 0.0f, s.Gt, GH, bf16, Pih);
      for (int g = 0; g < G && r; g++) r = gemm_dot_cols(B, g * H + j0, g * H + j1, H, 1.0f, hl, w.w_hh, H, beta, rec, GH, bf16, Phh);
      if (!r) {
        ok[tid] = false;
        return;
      }
      forward_gates(s, j0, j1);
    });
    for (int q = 0; q < 64; q++)
      if (!ok[q]) return false;
    x = yl;
    I = H;
    off += B * H;
  }
  __builtin_memcpy(h, ynew, sizeof(float) * B * Hsum);
  // Decoder: logits [B,V] = x · W_decᵀ (+ bias), as linearInto: the gemm's dot path, then the bias.
  const int nd = 2.0 * (double)B * (double)V * (double)I < 1e6 ? 1 : nth;
  const float* Pd = dot_packed_b(dec_w, I, I, V, bf16);
  parallel(nd, [&](int tid, int n) {
    i64 v0, v1;
    split_range(V, tid, n, 16, &v0, &v1);
    if (v0 < v1 && !gemm_dot_cols(B, v0, v1, I, 1.0f, x, dec_w, I, 0.0f, logits, V, bf16, Pd)) ok[tid] = false;
  });
  for (int q = 0; q < 64; q++)
    if (!ok[q]) return false;
  if (dec_b)
    for (i64 b = 0; b < B; b++) {
      float* row = logits + b * V;
      for (i64 v = 0; v < V; v++) row[v] += dec_b[v];
    }
  return true;
}

// ------------------------------------------------------------------ backward gate math

// One backward step's operands (see the js reference's lstm.ts / gru.ts / rnn.ts for the formulas).
struct BwdStep {
  int mode;
  i64 B, H, GH;
  const float* gates;  // [B,GH] post-activations of step t
  const float* extra;  // [B,H] LSTM c_t / GRU hn_t
  const float* cprev;  // [B,H] LSTM c_{t-1}
  const float* hprev;  // [B,H] h_{t-1}
  const float* yt;     // [B,H] h_t
  const float* dyt;    // [B,H]
  float* dh;           // [B,H] in: gradient of h_t from later steps; GRU out: z ⊙ (total dh_t)
  float* dc;           // [B,H] LSTM: in dc_t, out dc_{t-1}
  float* dGx;          // [B,GH] out: gradients of the input-side pre-activations
  float* dGh;          // [B,GH] GRU out: gradients of the recurrent-side projections
};

static void backward_gates(const BwdStep& s, i64 j0, i64 j1) {
  const i64 H = s.H;
  const vf one = vbc(1.0f), zero = vbc(0.0f);
  for (i64 b = 0; b < s.B; b++) {
    const i64 r = b * H;       // [B,H] row offset
    const i64 rg = b * s.GH;   // [B,GH] row offset
    for (i64 j = j0; j < j1; j += VL) {
      i64 n = imin(VL, j1 - j);
      vf dhv = ldn(s.dh + r + j, n) + ldn(s.dyt + r + j, n);  // total gradient of h_t
      float* gx = s.dGx + rg;
      if (s.mode == MODE_LSTM) {
        const float* g = s.gates + rg;
        vf i = ldn(g + j, n), f = ldn(g + H + j, n), gg = ldn(g + 2 * H + j, n), o = ldn(g + 3 * H + j, n);
        vf tc = vtanh(ldn(s.extra + r + j, n));
        vf dcv = ldn(s.dc + r + j, n) + dhv * o * (one - tc * tc);  // c_t feeds h_t and c_{t+1}
        stn(gx + j, dcv * gg * i * (one - i), n);
        stn(gx + H + j, dcv * ldn(s.cprev + r + j, n) * f * (one - f), n);
        stn(gx + 2 * H + j, dcv * i * (one - gg * gg), n);
        stn(gx + 3 * H + j, dhv * tc * o * (one - o), n);
        stn(s.dc + r + j, dcv * f, n);
      } else if (s.mode == MODE_GRU) {
        const float* g = s.gates + rg;
        float* gh = s.dGh + rg;
        vf rr = ldn(g + j, n), z = ldn(g + H + j, n), nn = ldn(g + 2 * H + j, n);
        vf dn = dhv * (one - z) * (one - nn * nn);
        vf dz = dhv * (ldn(s.hprev + r + j, n) - nn) * z * (one - z);
        vf dr = dn * ldn(s.extra + r + j, n) * rr * (one - rr);
        stn(gx + j, dr, n);
        stn(gx + H + j, dz, n);
        stn(gx + 2 * H + j, dn, n);
        stn(gh + j, dr, n);
        stn(gh + H + j, dz, n);
        stn(gh + 2 * H + j, dn * rr, n);
        stn(s.dh + r + j, dhv * z, n);  // direct part of dh_{t-1}; the next region adds dGh_t · W_hh
      } else {
        vf yv = ldn(s.yt + r + j, n);
        vf dact = s.mode == MODE_RNN_TANH      ? one - yv * yv
                  : s.mode == MODE_RNN_SIGMOID ? yv * (one - yv)
                                               : (yv > zero ? one : zero);
        stn(gx + j, dhv * dact, n);
      }
    }
  }
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
  const float* gates = ws;                           // [T,B,GH] post-activations
  const float* extra = ws ? ws + TB * GH : nullptr;  // [T,B,H] cells (LSTM) / hn (GRU)
  // Few rows: the float32 step gemm reads W_hh in place as fast as packed panels, so skip the
  // packing. bf16 gemms never read B in place (it must be converted), so they pack once.
  const bool bf16 = d.bf16, prepack = B > (bf16 ? SEQ_PREPACK_M : GEMM_DIRECT_M);

  const i64 pw = packed_b_floats(GH, H, bf16);
  float* Wp = prepack ? static_cast<float*>(scratch(SCRATCH_REC_W, sizeof(float) * pw)) : nullptr;
  float* dGx = static_cast<float*>(scratch(SCRATCH_REC_G, sizeof(float) * TB * GH));  // [T·B, GH]
  float* dGh = gru ? static_cast<float*>(scratch(SCRATCH_REC_G2, sizeof(float) * TB * GH)) : dGx;
  float* dh = static_cast<float*>(scratch(SCRATCH_REC_S, sizeof(float) * 2 * BH));  // [B,H] running dh_t
  if ((prepack && !Wp) || !dGx || !dGh || !dh) return false;
  float* dc = dh + BH;  // [B,H] running dc_t (LSTM)
  if (dhT) __builtin_memcpy(dh, dhT, sizeof(float) * BH);
  else __builtin_memset(dh, 0, sizeof(float) * BH);
  if (lstm) {
    if (dcT) __builtin_memcpy(dc, dcT, sizeof(float) * BH);
    else __builtin_memset(dc, 0, sizeof(float) * BH);
  }

  // op(B) = W_hh [GH, H] as it is: dh_{t-1} = dGh_t · W_hh.
  if (prepack) pack_gates(false, 1, GH, H, w.w_hh, H, 0, Wp, 0, nth, bf16);

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
        const float* A = dGh + (t + 1) * B * GH;
        const float beta = gru ? 1.0f : 0.0f;
        bool r = prepack ? gemm_packed_cols(false, B, GH, 1.0f, A, GH, Wp, H, j0, j1, beta, dh, H, bf16)
                         : gemm_cols(false, false, B, j0, j1, GH, 1.0f, A, GH, w.w_hh, H, beta, dh, H, bf16);
        if (!r) ok[tid] = false;
      }
      if (t < 0) return;
      BwdStep s;
      s.mode = mode;
      s.B = B;
      s.H = H;
      s.GH = GH;
      s.gates = gates ? gates + t * B * GH : nullptr;
      s.extra = extra ? extra + t * BH : nullptr;
      s.cprev = !lstm ? nullptr : t == 0 ? c0 : extra + (t - 1) * BH;
      s.hprev = t == 0 ? h0 : y + (t - 1) * BH;
      s.yt = y + t * BH;
      s.dyt = dy + t * BH;
      s.dh = dh;
      s.dc = dc;
      s.dGx = dGx + t * B * GH;
      s.dGh = dGh + t * B * GH;
      backward_gates(s, j0, j1);
    });
  }
  for (int q = 0; q < 64; q++)
    if (!ok[q]) return false;
  if (dh0) __builtin_memcpy(dh0, dh, sizeof(float) * BH);
  if (lstm && dc0) __builtin_memcpy(dc0, dc, sizeof(float) * BH);

  // Parameter gradients over all T·B rows (accumulated), then dx.
  if (!gemm_ld(true, false, GH, I, TB, 1.0f, dGx, GH, x, I, 1.0f, grads.w_ih, I, nth, bf16)) return false;
  // dW_hh += dGhᵀ · [h0; y_0..y_{T−2}] as one gemm over all T·B rows (step t saw h_{t−1}).
  float* hprev = static_cast<float*>(scratch(SCRATCH_REC_H, sizeof(float) * TB * H));  // [T·B, H]
  if (!hprev) return false;
  __builtin_memcpy(hprev, h0, sizeof(float) * BH);
  if (T > 1) __builtin_memcpy(hprev + BH, y, sizeof(float) * (T - 1) * BH);
  if (!gemm_ld(true, false, GH, H, TB, 1.0f, dGh, GH, hprev, H, 1.0f, grads.w_hh, H, nth, bf16)) return false;
  if (grads.b_ih && !k_sum_rows(dGx, TB, GH, 1.0f, grads.b_ih)) return false;
  if (grads.b_hh && !k_sum_rows(dGh, TB, GH, 1.0f, grads.b_hh)) return false;
  if (dx && !gemm_ld(false, false, TB, I, GH, 1.0f, dGx, GH, w.w_ih, I, 0.0f, dx, I, nth, bf16)) return false;
  return true;
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
