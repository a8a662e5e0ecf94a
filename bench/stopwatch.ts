/**
 * Timing of a span of numbered steps for the bench scripts: wall clock and process CPU time (all
 * threads) between the end of step `start` and the end of step `start + n` (steps count from 1;
 * start 0 = from construction). On a loaded machine the CPU time is the steadier measure of the
 * work done (it does not count time spent descheduled).
 */

/** Process CPU time, user + system, all threads (seconds). */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export class Stopwatch {
  private t0: number | null;
  private t1: number | null = null;
  private c0 = 0;
  private c1 = 0;
  constructor(
    private readonly start: number,
    private readonly n: number,
    /** Called when the span did not complete (the data ran out first). */
    private readonly onShort: (msg: string) => never,
  ) {
    this.t0 = start === 0 ? performance.now() : null;
    if (start === 0) this.c0 = cpuSeconds();
  }
  /** Call after step k. */
  mark(k: number): void {
    if (k === this.start) {
      this.t0 = performance.now();
      this.c0 = cpuSeconds();
    }
    if (k === this.start + this.n) {
      this.t1 = performance.now();
      this.c1 = cpuSeconds();
    }
  }
  cpu(): number {
    return this.c1 - this.c0;
  }
  seconds(): number {
    if (this.t0 === null || this.t1 === null) this.onShort('the data ran out before the timed steps ended; use fewer steps');
    return (this.t1! - this.t0!) / 1000;
  }
}
