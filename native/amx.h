// Intel AMX for the bf16 gemm (included by matmul.cc in the AVX-512 build on Linux x86-64):
// whether the CPU and OS let this process use the tiles, and the 32×32 block kernel.
//
// Dimension legend: one call computes C[0:mr, 0:nr] (mr, nr ≤ 32) from A [32][kp] bf16 (two
// 16-row tiles per 32 k, rows contiguous along k) and B [kp/2][NR] words, each word a pair of bf16
// along k (the layout matmul.cc already packs for vdpbf16ps, which is the "VNNI" layout AMX wants:
// one 16×16-word tile per 32 k and 16 columns). kp is a multiple of 32 (zero-padded).
//
// Tiles: tmm0–3 the four 16×16 float32 accumulators of the 32×32 block, tmm4–5 the two A tiles,
// tmm6–7 the two B tiles. Every tile is 16 rows × 64 bytes, so one configuration (loaded once per
// thread) serves every call. tdpbf16ps sums each pair product in float32, as vdpbf16ps does.
#pragma once

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace rnnlm {
namespace RNNLM_ISA {

// CPUID leaf 7 (amx-bf16: EDX bit 22, amx-tile: bit 24), XCR0 tile state (bits 17, 18) and
// Linux's per-process permission (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA), which a
// process must ask for before its first tile instruction or the kernel kills it with SIGILL.
static inline bool amx_usable() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  if (!(d & (1u << 22)) || !(d & (1u << 24))) return false;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE: xgetbv allowed
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & (3u << 17)) != (3u << 17)) return false;
  constexpr long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
  return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

// Palette 1; tiles 0–7 all 16 rows × 64 bytes. Static data: _tile_loadconfig's asm operand names
// only the first 8 bytes, so a config built on the stack could lose the stores to the rest.
struct alignas(64) TileConfig {
  uint8_t palette, start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};
static const TileConfig kTileConfig = {1, 0, {}, {64, 64, 64, 64, 64, 64, 64, 64}, {16, 16, 16, 16, 16, 16, 16, 16}};

// Loads the tile configuration on this thread once (tile state is per thread).
__attribute__((target("amx-tile"))) static inline void amx_configure() {
  static thread_local bool done = false;
  if (done) return;
  _tile_loadconfig(&kTileConfig);
  done = true;
}

// One 32×32 block (16×32 unless Two) of float32 sums of A · B over kp, starting from zero or from
// `init`, ending in `out`; init/out: row stride ld floats (the acc buffer, or C itself).
// a0/a1: [16][kp] bf16; b: [kp/2][nrw] words (nrw words between k-pair rows, ≥ 32).
template <bool Two>
__attribute__((target("amx-tile,amx-bf16"))) static inline void amx_block(i64 kp, const uint16_t* a0,
                                                                         const uint16_t* a1, const uint32_t* b,
                                                                         i64 nrw, const float* init, float* out,
                                                                         i64 ld) {
  const i64 sc = ld * 4;  // bytes between C rows
  if (init) {
    _tile_loadd(0, init, sc);
    _tile_loadd(1, init + 16, sc);
    if (Two) {
      _tile_loadd(2, init + 16 * ld, sc);
      _tile_loadd(3, init + 16 * ld + 16, sc);
    }
  } else {
    _tile_zero(0);
    _tile_zero(1);
    if (Two) {
      _tile_zero(2);
      _tile_zero(3);
    }
  }
  const i64 sa = kp * 2, sb = nrw * 4;  // bytes between tile rows
  for (i64 k = 0; k < kp; k += 32) {
    const uint32_t* bk = b + (k / 2) * nrw;
    _tile_loadd(6, bk, sb);
    _tile_loadd(7, bk + 16, sb);
    _tile_loadd(4, a0 + k, sa);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    if (Two) {
      _tile_loadd(5, a1 + k, sa);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
  }
  _tile_stored(0, out, sc);
  _tile_stored(1, out + 16, sc);
  if (Two) {
    _tile_stored(2, out + 16 * ld, sc);
    _tile_stored(3, out + 16 * ld + 16, sc);
  }
}

}  // namespace RNNLM_ISA
}  // namespace rnnlm
