// The single-threaded stand-in for pool.cc in the WebAssembly build (build-wasm.mjs): wasm32
// without the threads proposal has no pthreads, so every parallel region runs on the caller
// (tid 0 of 1), which the kernels already handle (pool.h: they never assume nth). Scratch is the
// same grow-only, 64-byte aligned buffer per slot as pool.cc, for the one thread there is.
#include <stdlib.h>

#include "../pool.h"

namespace rnnlm {

int pool_threads() { return 1; }
int pool_set_threads(int) { return 1; }
void pool_run(int, PoolFn fn, void* ctx) { fn(ctx, 0, 1); }
void pool_accounting(bool) {}
int pool_take_busy_ns(int64_t* out, int n) {
  for (int i = 0; i < n; i++) out[i] = 0;
  return n;
}

namespace {
void* g_scratch[SCRATCH_SLOTS];
size_t g_cap[SCRATCH_SLOTS];
}  // namespace

void* scratch(int slot, size_t bytes) {
  if (bytes == 0) bytes = 64;
  if (g_cap[slot] >= bytes) return g_scratch[slot];
  free(g_scratch[slot]);
  g_scratch[slot] = nullptr;
  g_cap[slot] = 0;
  size_t rounded = (bytes + 4095) & ~size_t(4095);
  void* q = aligned_alloc(64, rounded);
  if (!q) return nullptr;
  g_scratch[slot] = q;
  g_cap[slot] = rounded;
  return q;
}

}  // namespace rnnlm
