// The thread pool of the shared-memory WebAssembly builds (build-wasm.mjs; the plain builds use
// pool_single.cc): pool.h over Web Workers / worker_threads that each run an instance of this
// same module on the same shared memory (src/backend/wasm/threads.ts starts them).
//
// Everything here lives in linear memory, so every instance sees it; what is per instance is
// the wasm globals, among them __stack_pointer: the JS side gives each worker its own stack
// (allocated by the caller's instance) before it calls rnnlm_worker, which never returns.
//
// A region is published as (fn, ctx, nth) plus a ticket word: generation << 8 | next share id.
// Shares are claimed by compare-and-swap on the ticket, by the workers (woken with
// memory.atomic.notify) and by the caller itself once its own share 0 is done, so a region never
// waits for a worker that has not started or not woken up: the caller runs what nobody claimed.
// The caller then spins until the shares others claimed are done (a page's main thread may not
// block in memory.atomic.wait; those shares are running, so the spin is short). Which thread
// runs a share does not change its result: kernels partition by (tid, nth) only.
//
// Scratch is per thread (pool.h), found by which registered stack the caller's frame is in. The
// module's malloc (wasi-libc, built without threads) is serialised by a spin lock here: every
// malloc and free of the module goes through rnnlm_alloc/rnnlm_free or scratch().
#include <stdint.h>
#include <stdlib.h>

#include "../pool.h"

#define EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace rnnlm {
namespace {

constexpr int kMaxThreads = 64;
constexpr int kSpins = 1 << 16;  // a worker polls ~100 µs after a region before it sleeps

struct Region {
  int32_t ticket;  // generation << 8 | next share id to claim
  int32_t done;    // shares other than 0 finished
  int32_t nth;
  PoolFn fn;
  void* ctx;
};
Region g_region;
int32_t g_busy;             // a region is running (nested or concurrent calls run single-threaded)
int32_t g_configured = 1;   // threads a region may use (set_threads)
int32_t g_online;           // workers inside rnnlm_worker
uintptr_t g_stack_lo[kMaxThreads], g_stack_hi[kMaxThreads];  // worker i's stack (0: the caller's, not listed)
int32_t g_malloc_lock;

template <class T>
inline T ld(const T* p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
template <class T>
inline void st(T* p, T v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

struct MallocLock {
  MallocLock() {
    while (__atomic_exchange_n(&g_malloc_lock, 1, __ATOMIC_ACQUIRE) != 0) {
    }
  }
  ~MallocLock() { __atomic_store_n(&g_malloc_lock, 0, __ATOMIC_RELEASE); }
};

// Thread id of the running code: the worker whose stack holds this frame, else 0 (the caller).
int self() {
  volatile char probe = 0;
  uintptr_t sp = (uintptr_t)&probe;
  for (int i = 1; i < kMaxThreads; i++)
    if (sp >= g_stack_lo[i] && sp < g_stack_hi[i]) return i;
  return 0;
}

// Claims and runs shares of the region whose ticket was `w`, until none is left or it ended.
void run_claimed(int32_t w) {
  const int32_t gen = w >> 8;
  for (;;) {
    if ((w >> 8) != gen) return;
    const int32_t nth = ld(&g_region.nth);
    PoolFn fn = ld(&g_region.fn);
    void* ctx = ld(&g_region.ctx);
    const int tid = w & 255;
    if (tid >= nth) return;
    // Succeeds only while the region is still the one read above (its generation is in the word).
    if (!__atomic_compare_exchange_n(&g_region.ticket, &w, w + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) continue;
    fn(ctx, tid, nth);
    __atomic_fetch_add(&g_region.done, 1, __ATOMIC_SEQ_CST);
    w = ld(&g_region.ticket);
  }
}

}  // namespace

int pool_threads() {
  int n = ld(&g_configured), online = ld(&g_online) + 1;
  return n < online ? n : online;
}

int pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  st(&g_configured, (int32_t)n);
  return n;
}

void pool_run(int nth, PoolFn fn, void* ctx) {
  const int cap = pool_threads();
  if (nth > cap) nth = cap;
  int32_t idle = 0;
  if (nth <= 1 || !__atomic_compare_exchange_n(&g_busy, &idle, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    fn(ctx, 0, 1);
    return;
  }
  st(&g_region.fn, fn);
  st(&g_region.ctx, ctx);
  st(&g_region.nth, (int32_t)nth);
  st(&g_region.done, 0);
  const int32_t w = (((ld(&g_region.ticket) >> 8) + 1) << 8) | 1;  // share 0 is the caller's
  st(&g_region.ticket, w);
  __builtin_wasm_memory_atomic_notify(&g_region.ticket, (unsigned)(nth - 1));
  fn(ctx, 0, nth);
  run_claimed(ld(&g_region.ticket));
  while (ld(&g_region.done) != nth - 1) {
  }
  st(&g_busy, 0);
}

void pool_accounting(bool) {}
int pool_take_busy_ns(int64_t* out, int n) {
  for (int i = 0; i < n; i++) out[i] = 0;
  return n;
}

namespace {
void* g_scratch[kMaxThreads][SCRATCH_SLOTS];
size_t g_cap[kMaxThreads][SCRATCH_SLOTS];
}  // namespace

void* scratch(int slot, size_t bytes) {
  const int t = self();
  if (bytes == 0) bytes = 64;
  if (g_cap[t][slot] >= bytes) return g_scratch[t][slot];
  MallocLock lock;
  free(g_scratch[t][slot]);
  g_scratch[t][slot] = nullptr;
  g_cap[t][slot] = 0;
  size_t rounded = (bytes + 4095) & ~size_t(4095);
  void* q = aligned_alloc(64, rounded);
  if (!q) return nullptr;
  g_scratch[t][slot] = q;
  g_cap[t][slot] = rounded;
  return q;
}

}  // namespace rnnlm

using namespace rnnlm;

// 64-byte aligned memory for the caller's operands (as exports.cc's in the plain builds, locked).
EXPORT(rnnlm_alloc) void* rnnlm_alloc(int32_t bytes) {
  MallocLock lock;
  return aligned_alloc(64, ((size_t)bytes + 63) & ~(size_t)63);
}
EXPORT(rnnlm_free) void rnnlm_free(void* p) {
  MallocLock lock;
  free(p);
}

EXPORT(rnnlm_threads) int32_t rnnlm_threads() { return pool_threads(); }
EXPORT(rnnlm_set_threads) int32_t rnnlm_set_threads(int32_t n) { return pool_set_threads(n); }

// A worker's life: `id` in [1, 64), its stack [lo, hi) (already in __stack_pointer). Waits for
// regions and runs the shares it claims; never returns (the JS side terminates the worker).
EXPORT(rnnlm_worker) void rnnlm_worker(int32_t id, int32_t lo, int32_t hi) {
  if (id < 1 || id >= kMaxThreads) return;
  st(&g_stack_lo[id], (uintptr_t)lo);
  st(&g_stack_hi[id], (uintptr_t)hi);
  __atomic_fetch_add(&g_online, 1, __ATOMIC_SEQ_CST);
  int32_t seen = ld(&g_region.ticket) >> 8;
  for (;;) {
    int32_t w = ld(&g_region.ticket);
    for (int i = 0; (w >> 8) == seen && i < kSpins; i++) w = ld(&g_region.ticket);
    if ((w >> 8) == seen) {
      __builtin_wasm_memory_atomic_wait32(&g_region.ticket, w, -1);
      continue;
    }
    seen = w >> 8;
    run_claimed(w);
  }
}
