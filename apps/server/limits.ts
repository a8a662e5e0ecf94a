/** The server's resource limits (each one a CLI flag of `rnnlm serve`) and their defaults. */

export interface ServerLimits {
  /** Largest request body in bytes (larger → 413). */
  bodyLimit: number;
  /** Longest prompt / scored text in characters (code points). */
  maxPromptChars: number;
  /** Longest prompt / scored text in tokens, checked after tokenizing. */
  maxPromptTokens: number;
  /** Ceiling on max_tokens. */
  maxTokens: number;
  /** Generations and scorings running at once; more → 429 with Retry-After. */
  maxConcurrent: number;
  /** Wall-clock limit of one request's model work, in ms (and of receiving the request). */
  timeoutMs: number;
  /** Most texts in one /v1/score request. */
  maxScoreTexts: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  bodyLimit: 1 << 20,
  maxPromptChars: 20_000,
  maxPromptTokens: 4096,
  maxTokens: 1024,
  maxConcurrent: 4,
  timeoutMs: 60_000,
  maxScoreTexts: 16,
};

/** Defaults filled in; every value must be a positive integer. */
export function resolveLimits(over: Partial<ServerLimits> = {}): ServerLimits {
  const limits = { ...DEFAULT_LIMITS, ...over };
  for (const [k, v] of Object.entries(limits)) {
    if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`server limit ${k} must be a positive integer, got ${v}`);
  }
  return limits;
}

/** OpenAI's default for max_tokens on /v1/completions. */
export const DEFAULT_MAX_TOKENS = 16;
