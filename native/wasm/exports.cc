// C ABI of the WebAssembly build: the kernel table of the portable ("generic", VL = 4 floats,
// SIMD128) build of the shared kernel sources, exported function by function for
// src/backend/wasm/, which checks every argument first (as napi/binding.cc does for the addon)
// and passes pointers into this module's linear memory. Sizes are int32 (wasm32 memory holds at
// most 2^30 floats), booleans int32, results 1 = done, 0 = out of scratch memory.
//
// Dimension legend: as in kernels.h (M/N/K gemm, n flat length, R/C rows/columns, N rows, V vocab,
// E embedding, T time, B batch, I input, H hidden).
#include <stdlib.h>

#include "../kernels.h"

#define EXPORT(name) extern "C" __attribute__((export_name(#name)))

using rnnlm::KernelTable;
typedef int32_t i32;

static const KernelTable* K() { return rnnlm::generic::kernel_table(); }

// 64-byte aligned memory for the caller's operands (the size rounded up to 64 bytes). The
// threaded builds define these in pool_threads.cc, under the lock that serialises malloc.
#ifndef RNNLM_WASM_THREADS
EXPORT(rnnlm_alloc) void* rnnlm_alloc(i32 bytes) { return aligned_alloc(64, ((size_t)bytes + 63) & ~(size_t)63); }
EXPORT(rnnlm_free) void rnnlm_free(void* p) { free(p); }
#endif
EXPORT(rnnlm_gemm_mr) i32 rnnlm_gemm_mr() { return K()->gemm_mr; }
EXPORT(rnnlm_gemm_nr) i32 rnnlm_gemm_nr() { return K()->gemm_nr; }
EXPORT(rnnlm_fma_peak) double rnnlm_fma_peak(double ms) { return K()->fma_peak_gflops(ms); }

EXPORT(rnnlm_gemm)
i32 rnnlm_gemm(i32 ta, i32 tb, i32 M, i32 N, i32 Kd, float alpha, const float* A, const float* B, float beta, float* C,
               i32 bf16) {
  return K()->gemm(ta, tb, M, N, Kd, alpha, A, B, beta, C, bf16);
}

EXPORT(rnnlm_add) void rnnlm_add(const float* a, const float* b, float* out, i32 n) { K()->add(a, b, out, n); }
EXPORT(rnnlm_mul) void rnnlm_mul(const float* a, const float* b, float* out, i32 n) { K()->mul(a, b, out, n); }
EXPORT(rnnlm_axpy) void rnnlm_axpy(float alpha, const float* x, float* y, i32 n) { K()->axpy(alpha, x, y, n); }
EXPORT(rnnlm_scale) void rnnlm_scale(const float* x, float alpha, float* out, i32 n) { K()->scale(x, alpha, out, n); }
EXPORT(rnnlm_unary) void rnnlm_unary(i32 op, const float* x, float* out, i32 n) { K()->unary(op, x, out, n); }
EXPORT(rnnlm_unary_backward)
void rnnlm_unary_backward(i32 op, const float* x, const float* y, const float* dy, float* dx, i32 n) {
  K()->unary_backward(op, x, y, dy, dx, n);
}
EXPORT(rnnlm_add_row_vector) void rnnlm_add_row_vector(float* x, const float* v, i32 R, i32 C) {
  K()->add_row_vector(x, v, R, C);
}
EXPORT(rnnlm_sum_rows) i32 rnnlm_sum_rows(const float* x, i32 R, i32 C, float beta, float* out) {
  return K()->sum_rows(x, R, C, beta, out);
}
EXPORT(rnnlm_sum) double rnnlm_sum(const float* x, i32 n) { return K()->sum(x, n); }
EXPORT(rnnlm_sum_squares) double rnnlm_sum_squares(const float* x, i32 n) { return K()->sum_squares(x, n); }

EXPORT(rnnlm_embedding_forward)
void rnnlm_embedding_forward(const float* weight, const int32_t* ids, i32 N, i32 E, float* out) {
  K()->embedding_forward(weight, ids, N, E, out);
}
EXPORT(rnnlm_embedding_backward)
void rnnlm_embedding_backward(const float* dOut, const int32_t* ids, i32 N, i32 E, float* dWeight) {
  K()->embedding_backward(dOut, ids, N, E, dWeight);
}

EXPORT(rnnlm_xent_forward)
void rnnlm_xent_forward(const float* logits, const int32_t* targets, i32 N, i32 V, i32 ignore, float* lse,
                        float* losses) {
  K()->xent_forward(logits, targets, N, V, ignore, lse, losses);
}
// scales: null (0) when one scale applies to all rows.
EXPORT(rnnlm_xent_backward)
void rnnlm_xent_backward(const float* logits, const float* lse, const int32_t* targets, i32 N, i32 V, i32 ignore,
                         float scale, const float* scales, float* dLogits) {
  K()->xent_backward(logits, lse, targets, N, V, ignore, scale, scales, dLogits);
}
EXPORT(rnnlm_log_softmax) void rnnlm_log_softmax(const float* logits, i32 N, i32 V, float* out) {
  K()->log_softmax(logits, N, V, out);
}

static rnnlm::RecDesc desc(i32 mode, i32 T, i32 B, i32 I, i32 H, i32 bf16) {
  rnnlm::RecDesc d;
  d.mode = mode;
  d.T = T;
  d.B = B;
  d.I = I;
  d.H = H;
  d.bf16 = bf16 != 0;
  return d;
}

// Floats of the workspace (as a double: T·B·5·H may pass 2^31 before any array does).
EXPORT(rnnlm_rec_workspace_size) double rnnlm_rec_workspace_size(i32 mode, i32 T, i32 B, i32 I, i32 H) {
  return (double)K()->rec_workspace_size(desc(mode, T, B, I, H, 0));
}

// Weights (and gradients) as pointer quadruples; biases, c0/cT, workspace, dhT/dcT, dx/dh0/dc0 may be 0.
EXPORT(rnnlm_rec_forward)
i32 rnnlm_rec_forward(i32 mode, i32 T, i32 B, i32 I, i32 H, i32 bf16, float* wih, float* whh, float* bih, float* bhh,
                      const float* x, const float* h0, const float* c0, float* y, float* hT, float* cT, float* ws) {
  return K()->rec_forward(desc(mode, T, B, I, H, bf16), rnnlm::RecWeights{wih, whh, bih, bhh}, x, h0, c0, y, hT, cT, ws);
}

EXPORT(rnnlm_rec_backward)
i32 rnnlm_rec_backward(i32 mode, i32 T, i32 B, i32 I, i32 H, i32 bf16, float* wih, float* whh, float* bih, float* bhh,
                       const float* x, const float* h0, const float* c0, const float* y, const float* ws, float* dy,
                       const float* dhT, const float* dcT, float* dx, float* dh0, float* dc0, float* gih, float* ghh,
                       float* gbih, float* gbhh) {
  return K()->rec_backward(desc(mode, T, B, I, H, bf16), rnnlm::RecWeights{wih, whh, bih, bhh}, x, h0, c0, y, ws, dy,
                           dhT, dcT, dx, dh0, dc0, rnnlm::RecWeights{gih, ghh, gbih, gbhh});
}

EXPORT(rnnlm_sgd_step)
void rnnlm_sgd_step(float* param, const float* grad, float* buf, i32 n, float lr, float momentum, float dampening,
                    float weight_decay, i32 nesterov, i32 first_step) {
  rnnlm::SgdParams o{lr, momentum, dampening, weight_decay, nesterov != 0, first_step != 0};
  K()->sgd_step(param, grad, buf, n, o);
}

// step_size, sqrt_bc2 and decay as napi/binding.cc computes them (in double, by the caller).
EXPORT(rnnlm_adam_step)
void rnnlm_adam_step(float* param, const float* grad, float* m, float* v, i32 n, float lr, float beta1, float beta2,
                     float eps, float weight_decay, float step_size, float sqrt_bc2, float decay, i32 decoupled) {
  rnnlm::AdamParams o;
  o.lr = lr;
  o.beta1 = beta1;
  o.beta2 = beta2;
  o.eps = eps;
  o.weight_decay = weight_decay;
  o.step_size = step_size;
  o.sqrt_bc2 = sqrt_bc2;
  o.decay = decay;
  o.decoupled = decoupled != 0;
  K()->adam_step(param, grad, m, v, n, o);
}
