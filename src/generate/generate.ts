/**
 * Text generation from a language model, carrying the recurrent state: the prompt is read
 * once (one forward over T = prompt length), then each new token costs one step (T = 1),
 * never a re-run of the prefix. It is the batched engine (batch.ts) with one sequence, so a
 * generation here and the same request in a server's batch give the same tokens.
 * Legend: T time, V vocabulary; B = 1 throughout.
 */
import { pinArrays } from '../backend/backend.js';
import type { RNNLM } from '../models/rnnlm.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { BatchGenerator, type SequenceOptions } from './batch.js';

export { startId } from './batch.js';

/** What to generate and how to sample it (the engine's options for one sequence). */
export type GenerateOptions = Pick<SequenceOptions, 'prompt' | 'maxTokens' | 'temperature' | 'topK' | 'topP' | 'seed' | 'stopAtEos'>;

export interface GeneratedToken {
  id: number;
  text: string;
  /** log p(token | context) in nats. */
  logProb: number;
  /** The whole distribution the token was drawn from: log p(· | context) in nats [V]. */
  logProbs: Float64Array;
}

/**
 * Yields one token at a time (for streaming). The weights are pinned on the backend until the
 * generator finishes or is closed (wasm with a plain memory then copies them once, not per step),
 * so they must not be changed meanwhile.
 */
export function* generateTokens(model: RNNLM, tokenizer: Tokenizer, opts: GenerateOptions = {}): Generator<GeneratedToken> {
  const engine = new BatchGenerator(model, tokenizer);
  const seqOpts: SequenceOptions = { ...opts, distribution: true };
  const seq = engine.add(seqOpts);
  const unpin = pinArrays(
    model.parameters().map((p) => p.data),
    model.config.precision,
  );
  try {
    while (!seq.done) {
      for (const t of engine.step()) {
        const logProbs = t.logProbs!;
        yield { id: t.id, text: tokenizer.tokenText(t.id), logProb: logProbs[t.id]!, logProbs };
      }
    }
  } finally {
    engine.cancel(seq);
    unpin();
  }
}

/** Generates and returns the continuation text (without the prompt). */
export function generate(model: RNNLM, tokenizer: Tokenizer, opts: GenerateOptions = {}): string {
  const ids: number[] = [];
  for (const t of generateTokens(model, tokenizer, opts)) ids.push(t.id);
  return tokenizer.decode(ids);
}
