/**
 * OpenAI-style error bodies: every failure answers `{ error: { message, type, param, code } }`
 * with the right HTTP status, whether it comes from JSON-schema validation, fastify's body
 * parsing (malformed JSON, too large, wrong content type), our own checks or the engine.
 */
import type { FastifyError } from 'fastify';
import { RnnlmError } from '../../src/node.js';

export type ErrorType = 'invalid_request_error' | 'rate_limit_error' | 'server_error' | 'timeout_error';

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}

/** An error a handler throws on purpose; the error handler sends it as is. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: ErrorType = statusCode >= 500 ? 'server_error' : 'invalid_request_error',
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

interface AjvError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** '/texts/2' → 'texts[2]'; '' → null (the body itself). */
function paramOf(instancePath: string): string | null {
  if (instancePath === '') return null;
  return instancePath
    .slice(1)
    .split('/')
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

/** Hints for fields whose schema alone makes a poor message. */
const HINTS: Record<string, string> = {
  stop: 'must be a non-empty string or an array of at most 4 non-empty strings (64 characters each)',
  stream_options: "must be null or an object whose only field is 'include_usage' (a boolean)",
  n: 'must be 1: this server returns one completion per request',
  logprobs: 'must be null or an integer from 0 (the sampled token only) to the server limit (--max-logprobs) of top alternatives per token',
  best_of: 'must be 1',
  presence_penalty: 'penalties are not supported: leave it out or set it to 0',
  frequency_penalty: 'penalties are not supported: leave it out or set it to 0',
  logit_bias: 'logit_bias is not supported: leave it out or send {}',
  suffix: 'suffix is not supported: leave it out or set it to null',
};

/** The first schema error as an OpenAI-style 400. */
export function fromValidation(errors: readonly AjvError[]): ApiError {
  // With anyOf, ajv lists each branch's failure before the anyOf itself; the anyOf is the useful one.
  const e = errors.find((x) => x.keyword === 'anyOf') ?? errors[0];
  if (!e) return new ApiError(400, 'the request body is invalid', null, 'invalid_value');
  const param = paramOf(e.instancePath);
  switch (e.keyword) {
    case 'required': {
      const missing = String(e.params.missingProperty);
      return new ApiError(400, `Missing required parameter: '${missing}'.`, missing, 'missing_required_parameter');
    }
    case 'additionalProperties': {
      const extra = String(e.params.additionalProperty);
      const where = param ? ` in '${param}'` : '';
      return new ApiError(400, `Unrecognized request argument supplied${where}: '${extra}'.`, param ? `${param}.${extra}` : extra, 'unknown_parameter');
    }
  }
  if (param === null) return new ApiError(400, 'The request body must be a JSON object.', null, 'invalid_type');
  const top = param.split(/[.[]/)[0]!;
  if (HINTS[top]) return new ApiError(400, `Invalid value for '${param}': ${HINTS[top]}.`, param, 'invalid_value');
  const code = e.keyword === 'type' ? 'invalid_type' : 'invalid_value';
  return new ApiError(400, `Invalid value for '${param}': ${e.message ?? 'invalid'}.`, param, code);
}

/** Fastify's own request errors (body parsing and size) → status and code. */
const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'The request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'The request body is empty; send a JSON object'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'The request body is larger than this server accepts'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', "Unsupported Content-Type; send the body as 'application/json'"],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length', 'The Content-Length header does not match the body'],
};

/**
 * Any thrown value → the ApiError to send. Unknown failures become a 500 whose message hides
 * internals (they are logged instead).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof RnnlmError) {
    if (err.code === 'invalid_argument' || err.code === 'unknown_token') return new ApiError(400, err.message, null, err.code);
    return new ApiError(500, err.message, null, err.code);
  }
  const fe = err as Partial<FastifyError> & { validation?: AjvError[] };
  if (fe && Array.isArray(fe.validation)) return fromValidation(fe.validation);
  const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known) {
    const [status, code, message] = known;
    const detail = status === 413 ? '' : ` (${fe.message})`;
    return new ApiError(status, `${message}${detail}.`, null, code);
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) return new ApiError(status, fe.message ?? 'bad request', null, fe.code ?? null);
  return new ApiError(500, 'The server had an internal error while processing the request.', null, 'internal_error');
}
