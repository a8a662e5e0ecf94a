/**
 * The one error type of rnnlm. Every failure a user can cause carries a stable `code`
 * (snake_case, safe to match on) and a message that says what to do about it.
 */

export type ErrorCode =
  | 'invalid_argument' // an option or argument is out of range or of the wrong kind
  | 'shape_mismatch' // tensor shapes do not agree
  | 'dtype_mismatch' // float32 and float64 mixed, or a dtype a backend cannot run
  | 'empty_corpus' // a text file or split has no tokens
  | 'file_not_found' // a path that must exist does not
  | 'io_error' // reading or writing a file failed for another reason
  | 'invalid_utf8' // input text is not valid UTF-8
  | 'corrupt_checkpoint' // a checkpoint file is truncated, malformed or of an unknown version
  | 'checkpoint_mismatch' // a well-formed checkpoint does not fit the model (names, shapes)
  | 'non_finite' // a loss or gradient became NaN or infinite
  | 'unknown_token' // a token is not in the vocabulary and there is no <unk>
  | 'vocab_mismatch' // two models (an RNN and an n-gram) to be mixed predict different vocabularies
  | 'backend_unavailable' // a requested backend cannot be loaded here
  | 'unsupported'; // a valid request this build does not implement

export class RnnlmError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'RnnlmError';
    this.code = code;
    this.details = details;
  }
}

/** Throws `invalid_argument` with `message` unless `cond` holds. */
export function check(cond: unknown, message: string, code: ErrorCode = 'invalid_argument'): asserts cond {
  if (!cond) throw new RnnlmError(code, message);
}

export function isRnnlmError(e: unknown, code?: ErrorCode): e is RnnlmError {
  return e instanceof RnnlmError && (code === undefined || e.code === code);
}
