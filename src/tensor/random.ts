/**
 * One seeded PRNG (xoshiro128**) for everything random in rnnlm: init, dropout masks,
 * sampling, shuffling. The same seed gives the same numbers on every backend and platform,
 * and the state is four uint32 values, so it can be saved in a checkpoint and resumed.
 */

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s = new Uint32Array(4);
  /** A second normal from Box–Muller, kept so normals come in pairs. */
  private spare: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  seed(seed: number): void {
    const sm = splitmix32(Math.floor(seed) >>> 0);
    for (let i = 0; i < 4; i++) this.s[i] = sm();
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
    this.spare = null;
  }

  /** Next raw 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /**
   * out[i] = uniform() ≥ p ? value : 0 for every i, drawing exactly what n calls of uniform()
   * would (so masks match element by element), with the state in locals: dropout draws millions
   * of these per training step.
   */
  fillKeepMask(out: { length: number; [i: number]: number }, p: number, value: number): void {
    const st = this.s;
    let s0 = st[0]! | 0;
    let s1 = st[1]! | 0;
    let s2 = st[2]! | 0;
    let s3 = st[3]! | 0;
    // uniform() ≥ p ⟺ u32 ≥ p·2³² ⟺ u32 − 2³¹ ≥ p·2³² − 2³¹ (all exact in float64); the left side
    // is the int32 (u32 ^ 2³¹), so the loop never leaves int32 arithmetic.
    const threshold = p * 4294967296 - 2147483648;
    for (let i = 0; i < out.length; i++) {
      const r = Math.imul(s1, 5);
      const shifted = Math.imul((r << 7) | (r >>> 25), 9) ^ -2147483648; // u32 − 2³¹ as an int32
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = shifted >= threshold ? value : 0;
    }
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = s3;
  }

  /** Uniform in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Serializable state (for checkpoints). */
  getState(): number[] {
    return [...this.s, this.spare === null ? Number.NaN : this.spare];
  }

  setState(state: readonly number[]): void {
    for (let i = 0; i < 4; i++) this.s[i] = state[i]! >>> 0;
    const spare = state[4];
    this.spare = spare === undefined || Number.isNaN(spare) ? null : spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
