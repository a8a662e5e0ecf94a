/**
 * A non-blocking counting semaphore for model work. Requests over the limit are refused at
 * once (the caller answers 429) instead of queueing: a queue of CPU-bound generations would
 * only add latency and hold sockets open.
 */
export class Semaphore {
  private used = 0;

  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  }

  get inUse(): number {
    return this.used;
  }

  /** A release function (idempotent), or null when every slot is taken. */
  tryAcquire(): (() => void) | null {
    if (this.used >= this.limit) return null;
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
    };
  }
}
