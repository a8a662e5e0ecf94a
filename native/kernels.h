// The kernel table: what every instruction-set build of the kernel sources exports to the
// N-API binding. Arguments are already validated by napi/binding.cc (sizes non-negative, arrays
// long enough, ids in range); kernels trust them. All arrays are float32, row-major.
//
// Dimension legend: M/N/K gemm sizes, n flat length, R rows, C columns, N rows (T·B), V vocab,
// E embedding, T time, B batch, I input, H hidden, G gate blocks.
#pragma once

#include <cstdint>

namespace rnnlm {

enum UnaryOpCode { OP_TANH = 0, OP_SIGMOID, OP_RELU, OP_EXP, OP_LOG, OP_NEG };
enum RecModeCode { MODE_LSTM = 0, MODE_GRU, MODE_RNN_TANH, MODE_RNN_RELU, MODE_RNN_SIGMOID };

static inline int gates_of(int mode) { return mode == MODE_LSTM ? 4 : mode == MODE_GRU ? 3 : 1; }

struct RecDesc {
  int mode;
  int64_t T, B, I, H;
  bool bf16;  // precision of the layer's gemms: bf16 operands, float32 sums
};

// Weights or their gradients, PyTorch layout; biases null when bias=False.
struct RecWeights {
  float* w_ih;  // [G·H, I]
  float* w_hh;  // [G·H, H]
  float* b_ih;  // [G·H] or null
  float* b_hh;  // [G·H] or null
};

// One inference step (T = 1) of a stacked recurrent LM (kernels.ts lmStep): L layers of sizes
// H[0..L), layer 0's input E, decoder rows V. State blocks: layer l's [B,H_l] at B·Σ_{k<l} H_k.
struct LmStepDesc {
  int mode;
  int64_t B, E, V, L;
  const int64_t* H;  // [L]
  bool bf16;
};

struct SgdParams {
  float lr, momentum, dampening, weight_decay;
  bool nesterov, first_step;
};

struct AdamParams {
  float lr, beta1, beta2, eps, weight_decay;
  float step_size;  // lr / (1 − β1^t), computed in double by the binding
  float sqrt_bc2;   // √(1 − β2^t)
  float decay;      // 1 − lr·wd for AdamW (decoupled), else 1
  bool decoupled;
};

// Kernels that need scratch memory return false when it cannot be allocated.
struct KernelTable {
  const char* isa;  // "avx512", "avx2", "generic"
  int gemm_mr, gemm_nr;

  // bf16: operands rounded to bfloat16, products summed in float32 (kernels.ts 'bf16' precision).
  bool (*gemm)(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
               const float* B, float beta, float* C, bool bf16);
  // How bf16 gemms run: 0 emulated (float32 FMA on rounded operands), 1 vdpbf16ps, 2 AMX tiles.
  // set_bf16_mode(m) picks m, or the best below it this CPU has; -1 only asks. Returns the mode.
  int (*set_bf16_mode)(int mode);
  // Weights converted once for bf16 generation (matmul.h pin_bf16 / unpin_bf16).
  int (*pin_bf16)(const float* src, int64_t n);
  void (*unpin_bf16)(const float* src);
  // Weights pinned for float32 generation, read packed by the dot path (matmul.h pin_f32 / unpin_f32).
  int (*pin_f32)(const float* src, int64_t n);
  void (*unpin_f32)(const float* src);

  void (*add)(const float* a, const float* b, float* out, int64_t n);
  void (*mul)(const float* a, const float* b, float* out, int64_t n);
  void (*axpy)(float alpha, const float* x, float* y, int64_t n);
  void (*scale)(const float* x, float alpha, float* out, int64_t n);
  void (*unary)(int op, const float* x, float* out, int64_t n);
  void (*unary_backward)(int op, const float* x, const float* y, const float* dy, float* dx, int64_t n);
  void (*add_row_vector)(float* x, const float* v, int64_t R, int64_t C);
  bool (*sum_rows)(const float* x, int64_t R, int64_t C, float beta, float* out);
  double (*sum)(const float* x, int64_t n);
  double (*sum_squares)(const float* x, int64_t n);

  void (*embedding_forward)(const float* weight, const int32_t* ids, int64_t N, int64_t E, float* out);
  void (*embedding_backward)(const float* dOut, const int32_t* ids, int64_t N, int64_t E, float* dWeight);

  void (*xent_forward)(const float* logits, const int32_t* targets, int64_t N, int64_t V, int32_t ignore, float* lse,
                       float* losses);
  // scales is null when one scale applies to all rows.
  void (*xent_backward)(const float* logits, const float* lse, const int32_t* targets, int64_t N, int64_t V,
                        int32_t ignore, float scale, const float* scales, float* dLogits);
  void (*log_softmax)(const float* logits, int64_t N, int64_t V, float* out);

  int64_t (*rec_workspace_size)(const RecDesc& d);
  bool (*rec_forward)(const RecDesc& d, const RecWeights& w, const float* x, const float* h0, const float* c0, float* y,
                      float* hT, float* cT, float* workspace);
  bool (*rec_backward)(const RecDesc& d, const RecWeights& w, const float* x, const float* h0, const float* c0,
                       const float* y, const float* workspace, float* dy, const float* dhT, const float* dcT, float* dx,
                       float* dh0, float* dc0, const RecWeights& grads);

  // lmStep: embedding rows of ids → every layer (h, c updated in place) → logits [B,V]. B ≤ GEMM_DOT_M.
  bool (*lm_step)(const LmStepDesc& d, const float* emb, const int32_t* ids, const RecWeights* layers, float* h,
                  float* c, const float* dec_w, const float* dec_b, float* logits);

  void (*sgd_step)(float* param, const float* grad, float* buf, int64_t n, const SgdParams& o);
  void (*adam_step)(float* param, const float* grad, float* m, float* v, int64_t n, const AdamParams& o);

  // Single-core FMA throughput of this ISA in GFLOP/s, measured over ~`ms` milliseconds.
  double (*fma_peak_gflops)(double ms);
};

namespace generic {
const KernelTable* kernel_table();
}
namespace avx2 {
const KernelTable* kernel_table();
}
namespace avx512 {
const KernelTable* kernel_table();
}

}  // namespace rnnlm
