/**
 * A counting semaphore for model work with a bounded FIFO queue: a request over the limit
 * waits for a slot (generations share one batched step, so a short wait beats a refusal);
 * when the queue is full too, the caller answers 429. A waiter leaves the queue when its
 * request is aborted (client gone, deadline, shutdown) and never takes a slot afterwards.
 */
export type Release = () => void;

interface Waiter {
  grant: (r: Release) => void;
}

export class Semaphore {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly limit: number,
    readonly maxQueue = 0,
  ) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
    if (!(Number.isInteger(maxQueue) && maxQueue >= 0)) throw new RangeError(`semaphore queue must be an integer ≥ 0, got ${maxQueue}`);
  }

  get inUse(): number {
    return this.used;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** A release function (idempotent), or null when every slot is taken. */
  tryAcquire(): Release | null {
    if (this.used >= this.limit) return null;
    this.used++;
    return this.releaser();
  }

  /**
   * A slot now, or after waiting in the queue. Resolves null when the queue is full (nothing
   * waits); rejects with the signal's reason when it aborts while waiting.
   */
  acquire(signal: AbortSignal): Promise<Release | null> {
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    if (this.waiters.length >= this.maxQueue) return Promise.resolve(null);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Release>((resolve, reject) => {
      const w: Waiter = {
        grant: (r) => {
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Hand the slot straight to the first waiter, so a newcomer cannot overtake the queue.
      const next = this.waiters.shift();
      if (next) next.grant(this.releaser());
      else this.used--;
    };
  }
}
