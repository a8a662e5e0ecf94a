/**
 * Text generation from a language model, carrying the recurrent state: the prompt is read
 * once (one forward over T = prompt length), then each new token costs one step (T = 1),
 * never a re-run of the prefix. Legend: T time, V vocabulary; B = 1 throughout.
 */
import { noGrad } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { RNNLM, RNNState } from '../models/rnnlm.js';
import { Rng } from '../tensor/random.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { greedy, logSoftmaxRow, sampleToken } from './sample.js';

export interface GenerateOptions {
  prompt?: string;
  maxTokens?: number;
  /** 0 = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** Stop when the model emits <eos> (word models). Default true. */
  stopAtEos?: boolean;
}

export interface GeneratedToken {
  id: number;
  text: string;
  /** log p(token | context) in nats. */
  logProb: number;
  /** The whole distribution the token was drawn from: log p(· | context) in nats [V]. */
  logProbs: Float64Array;
}

/** The id generation starts from when the prompt is empty: <eos> (word models: a sentence start) or a line break (char models). */
export function startId(tokenizer: Tokenizer): number {
  return tokenizer.eosId ?? tokenizer.vocab.idOf('\n') ?? 0;
}

/** Yields one token at a time (for streaming). */
export function* generateTokens(model: RNNLM, tokenizer: Tokenizer, opts: GenerateOptions = {}): Generator<GeneratedToken> {
  const maxTokens = opts.maxTokens ?? 200;
  if (!(Number.isInteger(maxTokens) && maxTokens >= 0)) throw new RnnlmError('invalid_argument', `maxTokens must be an integer ≥ 0, got ${maxTokens}`);
  const temperature = opts.temperature ?? 1;
  const rng = new Rng(opts.seed ?? Date.now());
  const stopAtEos = opts.stopAtEos ?? true;
  const V = model.config.vocabSize;

  let ids: Int32Array = opts.prompt ? tokenizer.encode(opts.prompt, { addEos: false }) : new Int32Array(0);
  if (ids.length === 0) ids = Int32Array.from([startId(tokenizer)]);
  let state: RNNState | null = null;
  let row = new Float32Array(0) as Float32Array | Float64Array;
  // Each step runs in eval mode (no dropout) and restores the caller's mode, since the
  // generator may be suspended between tokens while the model is used elsewhere.
  const step = (input: Int32Array): void => {
    const wasTraining = model.training;
    model.eval();
    try {
      noGrad(() => {
        const out = model.forward(input, input.length, 1, state);
        state = out.state;
        row = out.logits.data.slice((input.length - 1) * V, input.length * V); // last position's logits [V]
      });
    } finally {
      model.train(wasTraining);
    }
  };
  if (maxTokens === 0) return;
  step(ids);
  for (let n = 0; n < maxTokens; n++) {
    const id = temperature === 0 ? greedy(row) : sampleToken(row, { temperature, topK: opts.topK ?? 0, topP: opts.topP ?? 1, rng });
    const logProbs = logSoftmaxRow(row, new Float64Array(V));
    yield { id, text: tokenizer.tokenText(id), logProb: logProbs[id]!, logProbs };
    if (stopAtEos && tokenizer.eosId !== null && id === tokenizer.eosId) return;
    // The last token's successor is never needed: no forward step for it.
    if (n + 1 < maxTokens) step(Int32Array.from([id]));
  }
}

/** Generates and returns the continuation text (without the prompt). */
export function generate(model: RNNLM, tokenizer: Tokenizer, opts: GenerateOptions = {}): string {
  const ids: number[] = [];
  for (const t of generateTokens(model, tokenizer, opts)) ids.push(t.id);
  return tokenizer.decode(ids);
}

