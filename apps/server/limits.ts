/** The server's resource limits (each one a CLI flag of `rnnlm serve`) and their defaults. */
import { EXACT_ROW_GROUP } from '../../src/node.js';

export interface ServerLimits {
  /** Largest request body in bytes (larger → 413). */
  bodyLimit: number;
  /** Longest prompt / scored text in characters (code points). */
  maxPromptChars: number;
  /** Longest prompt / scored text in tokens, checked after tokenizing. */
  maxPromptTokens: number;
  /** Ceiling on max_tokens. */
  maxTokens: number;
  /** Generations (rows of the shared batch) and scorings running at once; more wait in the queue. */
  maxConcurrent: number;
  /** Requests waiting for a slot; more → 429 with Retry-After. */
  maxQueue: number;
  /** Wall-clock limit of one request's model work, in ms (and of receiving the request). */
  timeoutMs: number;
  /** Most texts in one /v1/score request. */
  maxScoreTexts: number;
  /** Rows per batched forward: up to EXACT_ROW_GROUP (16) exact (each request's tokens bit for bit as if alone); more = last-bit differences. */
  batchRowGroup: number;
  /** Most top alternatives per token (`logprobs`). */
  maxLogprobs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  bodyLimit: 1 << 20,
  maxPromptChars: 20_000,
  maxPromptTokens: 4096,
  maxTokens: 1024,
  maxConcurrent: 16,
  maxQueue: 64,
  timeoutMs: 60_000,
  maxScoreTexts: 16,
  batchRowGroup: EXACT_ROW_GROUP,
  maxLogprobs: 20,
};

/** Defaults filled in; every value must be a positive integer (maxQueue may be 0: no queue). */
export function resolveLimits(over: Partial<ServerLimits> = {}): ServerLimits {
  const limits = { ...DEFAULT_LIMITS, ...over };
  for (const [k, v] of Object.entries(limits)) {
    const min = k === 'maxQueue' ? 0 : 1;
    if (!(Number.isInteger(v) && v >= min)) throw new RangeError(`server limit ${k} must be an integer ≥ ${min}, got ${v}`);
  }
  return limits;
}

/** OpenAI's default for max_tokens on /v1/completions. */
export const DEFAULT_MAX_TOKENS = 16;
