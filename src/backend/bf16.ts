/**
 * bfloat16 rounding, as the 'bf16' precision of kernels.ts defines it: a float32 with its low 16
 * bits rounded off (round to nearest, ties to even; NaN stays a quiet NaN, ±Inf stays ±Inf).
 * The js backend calls it to emulate what the native kernels do with `vcvtne2ps2bf16`, so both
 * backends compute the same products. Values stay in ordinary float arrays (bf16 values are
 * exactly representable in float32 and float64).
 */
import type { F } from './kernels.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** x rounded to the nearest bfloat16 (via float32: float64 inputs are first rounded to float32). */
export function roundBf16(x: number): number {
  f32[0] = x;
  const u = u32[0]!;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x007fffff) !== 0) {
    u32[0] = (u | 0x00400000) & 0xffff0000; // NaN: keep it a (quiet) NaN
  } else {
    u32[0] = (u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000; // ties to even; overflow rounds to ±Inf
  }
  return f32[0];
}

/** dst[i] = roundBf16(src[i]) for the first n elements (dst may be src). */
export function roundArrayBf16(src: F, dst: F, n: number = src.length): void {
  for (let i = 0; i < n; i++) dst[i] = roundBf16(src[i]!);
}
