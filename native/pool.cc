// Persistent thread pool and per-thread scratch for the native backend (see pool.h).
//
// One region at a time: the caller publishes (fn, ctx, nth) and bumps a generation counter; each
// worker waits for a new generation (spinning ~50 µs, then sleeping on a condition variable), runs
// its share if its id < nth, and counts itself done. Workers are created with pthreads and never
// throw; if one cannot be created the pool simply has fewer threads.
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#elif defined(__aarch64__)
static inline void cpu_relax() { __asm__ __volatile__("yield"); }
#else
static inline void cpu_relax() {}
#endif

namespace rnnlm {
namespace {

constexpr int kMaxThreads = 64;
constexpr int64_t kSpinNs = 50000;  // a worker spins ~50 µs after a region before it sleeps

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct Pool {
  std::mutex mu;  // guards sleeping workers and (re)configuration
  std::condition_variable cv;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> remaining{0};
  std::atomic<bool> busy{false};  // a region is running (nested/concurrent calls go single-threaded)
  std::atomic<bool> stop{false};
  PoolFn fn = nullptr;
  void* ctx = nullptr;
  int nth = 1;
  int nworkers = 0;  // live workers, ids 1..nworkers
  pthread_t threads[kMaxThreads];
  std::atomic<bool> accounting{false};
  std::atomic<int64_t> busy_ns[kMaxThreads] = {};  // CPU time spent in fn per thread id (accounting on)
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static destruction
  return *p;
}

int64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Runs fn(ctx, tid, nth), adding its CPU time to busy_ns[tid] when accounting is on.
inline void run_share(Pool& P, PoolFn fn, void* ctx, int tid, int nth) {
  if (!P.accounting.load(std::memory_order_relaxed)) {
    fn(ctx, tid, nth);
    return;
  }
  int64_t t0 = thread_cpu_ns();
  fn(ctx, tid, nth);
  P.busy_ns[tid].fetch_add(thread_cpu_ns() - t0, std::memory_order_relaxed);
}

struct WorkerArg {
  int id;
  uint64_t generation;  // last region published before this worker existed (not for it to run)
};

void* worker_main(void* arg) {
  int id = static_cast<WorkerArg*>(arg)->id;
  uint64_t seen = static_cast<WorkerArg*>(arg)->generation;
  delete static_cast<WorkerArg*>(arg);
  Pool& P = pool();
  for (;;) {
    uint64_t g;
    int spins = 0;
    int64_t spin_until = now_ns() + kSpinNs;
    while ((g = P.generation.load(std::memory_order_acquire)) == seen && !P.stop.load(std::memory_order_relaxed)) {
      if ((++spins & 63) != 0 || now_ns() < spin_until) {
        cpu_relax();
      } else {
        std::unique_lock<std::mutex> lk(P.mu);
        P.cv.wait(lk, [&] { return P.generation.load(std::memory_order_acquire) != seen || P.stop.load(); });
      }
    }
    if (P.stop.load()) return nullptr;
    seen = g;
    if (id < P.nth) {
      run_share(P, P.fn, P.ctx, id, P.nth);
      P.remaining.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

int default_threads() {
  const char* env = std::getenv("RNNLM_THREADS");
  if (env && *env) {
    int n = std::atoi(env);
    if (n >= 1) return n < kMaxThreads ? n : kMaxThreads;
  }
#ifdef __linux__
  cpu_set_t set;  // the CPUs this process may run on (taskset, containers), not all of the machine's
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n >= 1) return n < kMaxThreads ? n : kMaxThreads;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n < 1 ? 1 : n < (unsigned)kMaxThreads ? (int)n : kMaxThreads;
}

std::once_flag init_once;
int configured = 1;  // threads regions use (≤ nworkers + 1)

void ensure_workers(int want) {
  Pool& P = pool();
  while (P.nworkers < want - 1) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    // Called with P.mu held and no region running, so no generation is published meanwhile.
    auto* arg = new WorkerArg{P.nworkers + 1, P.generation.load()};
    int rc = pthread_create(&P.threads[P.nworkers], &attr, worker_main, arg);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      delete arg;
      break;
    }
    pthread_detach(P.threads[P.nworkers]);
    P.nworkers++;
  }
}

void init() {
  std::call_once(init_once, [] {
    std::lock_guard<std::mutex> lk(pool().mu);
    ensure_workers(default_threads());
    configured = pool().nworkers + 1;
  });
}

}  // namespace

int pool_threads() {
  init();
  return configured;
}

int pool_set_threads(int n) {
  init();
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  Pool& P = pool();
  bool expected = false;
  // Only reconfigure between regions.
  while (!P.busy.compare_exchange_weak(expected, true, std::memory_order_acquire)) {
    expected = false;
    sched_yield();
  }
  {
    std::lock_guard<std::mutex> lk(P.mu);
    ensure_workers(n);
    configured = n < P.nworkers + 1 ? n : P.nworkers + 1;
  }
  P.busy.store(false, std::memory_order_release);
  return configured;
}

void pool_run(int nth, PoolFn fn, void* ctx) {
  init();
  Pool& P = pool();
  if (nth > configured) nth = configured;
  bool expected = false;
  if (nth <= 1 || !P.busy.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
    run_share(P, fn, ctx, 0, 1);
    return;
  }
  P.fn = fn;
  P.ctx = ctx;
  P.nth = nth;
  P.remaining.store(nth - 1, std::memory_order_relaxed);
  {
    // Publishing under the mutex pairs with the sleeping workers' predicate check.
    std::lock_guard<std::mutex> lk(P.mu);
    P.generation.fetch_add(1, std::memory_order_acq_rel);
  }
  P.cv.notify_all();
  run_share(P, fn, ctx, 0, nth);
  // The caller's share is usually the last to finish; if not, spin briefly, then yield the core.
  int spins = 0;
  int64_t spin_until = 0;
  while (P.remaining.load(std::memory_order_acquire) != 0) {
    if ((++spins & 63) != 0) {
      cpu_relax();
    } else {
      int64_t t = now_ns();
      if (spin_until == 0) spin_until = t + kSpinNs;
      if (t >= spin_until) sched_yield();
    }
  }
  P.busy.store(false, std::memory_order_release);
}

void pool_accounting(bool on) { pool().accounting.store(on, std::memory_order_relaxed); }

int pool_take_busy_ns(int64_t* out, int n) {
  Pool& P = pool();
  int k = n < kMaxThreads ? n : kMaxThreads;
  for (int i = 0; i < k; i++) out[i] = P.busy_ns[i].exchange(0, std::memory_order_relaxed);
  return k;
}

namespace {
struct Scratch {
  void* p[SCRATCH_SLOTS] = {};
  size_t cap[SCRATCH_SLOTS] = {};
  ~Scratch() {
    for (void* q : p) std::free(q);
  }
};
thread_local Scratch tls_scratch;
}  // namespace

void* scratch(int slot, size_t bytes) {
  Scratch& s = tls_scratch;
  if (bytes == 0) bytes = 64;
  if (s.cap[slot] >= bytes) return s.p[slot];
  std::free(s.p[slot]);
  s.p[slot] = nullptr;
  s.cap[slot] = 0;
  size_t rounded = (bytes + 4095) & ~size_t(4095);
  void* q = std::aligned_alloc(64, rounded);
  if (!q) return nullptr;
  s.p[slot] = q;
  s.cap[slot] = rounded;
  return q;
}

}  // namespace rnnlm
