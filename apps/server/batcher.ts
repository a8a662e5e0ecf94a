/**
 * The server's one generation loop: every running completion is a sequence of a shared
 * BatchGenerator (src/generate/batch.ts), so concurrent generations cost one batched model
 * step per token instead of one step each. The loop runs while any sequence is active, hands
 * each step's tokens to their requests, and yields to the event loop between steps so I/O,
 * health checks and scorings keep moving. A request whose reader falls behind is paused (its
 * row skips steps, its state waits) instead of buffering without bound.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { BatchGenerator, type BatchToken, type RNNLM, type Sequence, type SequenceOptions, type Tokenizer, pinArrays } from '../../src/node.js';

/** Receives a sequence's tokens, or the error that ended the whole step. */
export interface SequenceSink {
  token(t: BatchToken): void;
  fail(e: unknown): void;
}

export class Batcher {
  private readonly engine: BatchGenerator;
  private readonly sinks = new Map<Sequence, SequenceSink>();
  private running = false;
  /** Resolves the loop's wait when every sequence in the batch is paused. */
  private waker: (() => void) | null = null;
  /** Tokens made by each step (= rows stepped; for the batch-size metric). */
  onStep: ((rows: number) => void) | null = null;

  constructor(
    private readonly model: RNNLM,
    tokenizer: Tokenizer,
    rowGroup: number,
  ) {
    this.engine = new BatchGenerator(model, tokenizer, { rowGroup });
  }

  /** Sequences in the batch now. */
  get size(): number {
    return this.engine.size;
  }

  /** Adds a sequence; its tokens go to `sink` from the next step on. */
  join(opts: SequenceOptions, sink: SequenceSink): Sequence {
    const seq = this.engine.add(opts);
    if (!seq.done) {
      this.sinks.set(seq, sink);
      if (!this.running) void this.loop();
      else this.wake();
    }
    return seq;
  }

  /** Takes a sequence out of the batch now (idempotent). */
  leave(seq: Sequence): void {
    this.engine.cancel(seq);
    this.sinks.delete(seq);
    this.wake();
  }

  /** Un-pauses a sequence (its reader caught up). */
  resume(seq: Sequence): void {
    seq.paused = false;
    this.wake();
  }

  private wake(): void {
    const w = this.waker;
    this.waker = null;
    w?.();
  }

  private async loop(): Promise<void> {
    this.running = true;
    // The served weights never change: pin them while the loop runs (bf16 models: converted once).
    const unpin = pinArrays(
      this.model.parameters().map((p) => p.data),
      this.model.config.precision,
    );
    try {
      while (this.engine.size > 0) {
        let tokens: BatchToken[];
        try {
          tokens = this.engine.step();
        } catch (e) {
          // A failed step (e.g. non-finite logits) fails every sequence in it.
          for (const [seq, sink] of [...this.sinks]) {
            this.leave(seq);
            sink.fail(e);
          }
          continue;
        }
        if (tokens.length === 0 && this.engine.allPaused) {
          // Every sequence is paused: sleep until a reader catches up or the batch changes.
          await new Promise<void>((resolve) => (this.waker = resolve));
          continue;
        }
        // (No tokens but not all paused: the rows were reading their prompts.)
        if (tokens.length > 0) this.onStep?.(tokens.length);
        for (const t of tokens) {
          const sink = this.sinks.get(t.seq);
          if (t.seq.done) this.sinks.delete(t.seq);
          sink?.token(t);
        }
        await nextTurn(); // I/O and other requests between steps
      }
    } finally {
      unpin();
      this.running = false;
    }
  }
}
