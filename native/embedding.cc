// Embedding lookup and its gradient for the native backend.
//
// Dimension legend: V vocabulary, E embedding size, N looked-up ids (usually T·B).
// weight [V, E], ids [N], out / dOut [N, E]. Ids were range-checked by the binding.
//
// Backward accumulates rows into dWeight; repeated ids must add up, so threads split the
// embedding columns (each thread owns columns [e0, e1) of every row) instead of the ids.
#include "common.h"
#include "kernels.h"

namespace rnnlm {
namespace RNNLM_ISA {

void k_embedding_forward(const float* weight, const int32_t* ids, int64_t N, int64_t E, float* out) {
  int nth = threads_for(N * E);
  parallel(nth, [&](int tid, int nt) {
    i64 b, e;
    split_range(N, tid, nt, 1, &b, &e);
    for (i64 n = b; n < e; n++) __builtin_memcpy(out + n * E, weight + (i64)ids[n] * E, sizeof(float) * E);  // out[n,:]
  });
}

void k_embedding_backward(const float* dOut, const int32_t* ids, int64_t N, int64_t E, float* dWeight) {
  int nth = threads_for(N * E);
  if (E < 64 * nth) nth = 1;
  parallel(nth, [&](int tid, int nt) {
    i64 c0, c1;
    split_range(E, tid, nt, 16, &c0, &c1);
    for (i64 n = 0; n < N; n++) {
      float* dst = dWeight + (i64)ids[n] * E;  // dWeight[ids[n], :]
      const float* src = dOut + n * E;         // dOut[n, :]
      for (i64 c = c0; c < c1; c++) dst[c] += src[c];
    }
  });
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
