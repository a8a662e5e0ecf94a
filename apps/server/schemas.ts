/**
 * JSON schemas of the request bodies, built from the limits so a bound is checked once, by
 * fastify, before a handler runs. Unknown fields are rejected (a typo must not be silently
 * ignored); OpenAI fields this server does not implement are accepted only at their neutral
 * value, so existing clients that always send them keep working.
 */
import type { ServerLimits } from './limits.js';

export interface CompletionBody {
  prompt: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  seed?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  n?: number;
  stop?: string | string[] | null;
  model?: string;
  user?: string;
  /** Top alternatives per generated token (0 = only the sampled token's log-probability). */
  logprobs?: number | null;
  /** Return the prompt before the completion (and its log-probabilities with logprobs). */
  echo?: boolean;
}

export interface ScoreBody {
  text?: string;
  texts?: string[];
  model?: string;
}

const MAX_STOP_CHARS = 64;
const UINT32_MAX = 4294967295;

export function completionSchema(l: ServerLimits) {
  const stopString = { type: 'string', minLength: 1, maxLength: MAX_STOP_CHARS };
  return {
    type: 'object',
    additionalProperties: false,
    required: ['prompt'],
    properties: {
      prompt: { type: 'string', maxLength: l.maxPromptChars },
      max_tokens: { type: 'integer', minimum: 0, maximum: l.maxTokens }, // 0 only with echo (checked by the handler)
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      top_p: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
      top_k: { type: 'integer', minimum: 0, maximum: 1_000_000 },
      seed: { type: 'integer', minimum: 0, maximum: UINT32_MAX },
      stream: { type: 'boolean' },
      stream_options: {
        anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, properties: { include_usage: { type: 'boolean' } } }],
      },
      n: { type: 'integer', const: 1 },
      stop: { anyOf: [{ type: 'null' }, stopString, { type: 'array', maxItems: 4, items: stopString }] },
      model: { type: 'string', maxLength: 256 },
      user: { type: 'string', maxLength: 256 },
      echo: { type: 'boolean' },
      logprobs: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 0, maximum: l.maxLogprobs }] },
      // Accepted only at their neutral values (see the header).
      best_of: { const: 1 },
      presence_penalty: { const: 0 },
      frequency_penalty: { const: 0 },
      logit_bias: { type: 'object', maxProperties: 0 },
      suffix: { type: 'null' },
    },
  } as const;
}

export function scoreSchema(l: ServerLimits) {
  const text = { type: 'string', minLength: 1, maxLength: l.maxPromptChars };
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      text,
      texts: { type: 'array', minItems: 1, maxItems: l.maxScoreTexts, items: text },
      model: { type: 'string', maxLength: 256 },
    },
  } as const;
}
