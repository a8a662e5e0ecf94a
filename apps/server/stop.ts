/**
 * Stop sequences over streamed text. Text that might be the start of a stop sequence is held
 * back until the next piece decides it, so a client never receives any part of a stop
 * sequence, streaming or not, and both modes return exactly the same text.
 */
export class StopFilter {
  private held = '';

  constructor(private readonly stops: readonly string[]) {}

  /**
   * Adds one piece of generated text. `emit` is the text now safe to send; `stopped` means a
   * stop sequence was completed (emit then holds the text before it, and generation ends).
   */
  push(piece: string): { emit: string; stopped: boolean } {
    const buf = this.held + piece;
    if (this.stops.length === 0) return { emit: buf, stopped: false };
    let first = -1;
    for (const s of this.stops) {
      const i = buf.indexOf(s);
      if (i >= 0 && (first < 0 || i < first)) first = i;
    }
    if (first >= 0) {
      this.held = '';
      return { emit: buf.slice(0, first), stopped: true };
    }
    // Hold the longest tail of buf that is a proper prefix of some stop sequence.
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, buf.length); k > hold; k--) {
        if (buf.endsWith(s.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    this.held = buf.slice(buf.length - hold);
    return { emit: buf.slice(0, buf.length - hold), stopped: false };
  }

  /** The held-back text, once generation ends without a stop sequence. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }
}
