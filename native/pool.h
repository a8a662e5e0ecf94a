// A small persistent thread pool and per-thread scratch memory (pool.cc, built once, no SIMD).
//
// The pool keeps nthreads − 1 workers alive; a parallel region runs fn on the caller (tid 0) and
// the workers, then returns when all are done. Workers spin briefly after a region before they
// sleep, so the back-to-back regions of a recurrent layer (one per time step) start in microseconds.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rnnlm {

typedef void (*PoolFn)(void* ctx, int tid, int nth);

// Threads a parallel region may use (1 = no workers).
int pool_threads();
// Sets the thread count (clamped to [1, 64]); returns the count in effect.
int pool_set_threads(int n);
// Runs fn(ctx, tid, nth) for tid in [0, nth). Nested or concurrent calls run single-threaded
// (fn(ctx, 0, 1)), so kernels must partition by (tid, nth) and never assume nth.
void pool_run(int nth, PoolFn fn, void* ctx);
// Benchmark accounting: while on, the CPU time each thread spends inside parallel regions (its
// own clock, so time descheduled by other processes does not count) is summed per thread id.
void pool_accounting(bool on);
// Copies and resets the sums for thread ids [0, n); returns how many were written.
int pool_take_busy_ns(int64_t* out, int n);
// 64-byte aligned per-thread buffer `slot` of at least `bytes` (grow-only; contents not kept
// across growth). Returns nullptr if memory is exhausted.
void* scratch(int slot, size_t bytes);

enum ScratchSlot { SCRATCH_PACK_A = 0, SCRATCH_PACK_B, SCRATCH_PANEL, SCRATCH_REC_W, SCRATCH_REC_G, SCRATCH_REC_G2, SCRATCH_REC_S, SCRATCH_REC_H, SCRATCH_MISC, SCRATCH_SLOTS };

}  // namespace rnnlm
