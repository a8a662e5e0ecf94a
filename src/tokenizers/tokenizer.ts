/**
 * The tokenizer contract. Tokenizers are tensor-free (they import no tensor or backend code),
 * so a server or a browser page can tokenize text without loading a backend.
 */
import { RnnlmError } from '../errors.js';
import type { Vocab } from './vocab.js';

/** Every tokenizer kind, in the order option lists show them: the one list of their names. */
export const TOKENIZER_KINDS = ['word', 'char', 'bpe'] as const;
export type TokenizerKind = (typeof TOKENIZER_KINDS)[number];

/** Serialized form: `{ kind, version: 1, ...options, tokens }`. Ids are the indices into `tokens`. */
export interface TokenizerJSON {
  kind: TokenizerKind;
  version: 1;
  tokens: string[];
  [option: string]: unknown;
}

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly vocab: Vocab;
  readonly vocabSize: number;
  /** word: id of `<eos>`; char: null (a '\n' is an ordinary character, not an end of sequence). */
  readonly eosId: number | null;
  readonly unkId: number | null;
  /**
   * Encode a whole text (a corpus split or a prompt). `addEos: false` (word models) adds no
   * <eos> after the last line, so a prompt can be continued on the same line.
   */
  encode(text: string, options?: { addEos?: boolean }): Int32Array;
  decode(ids: ArrayLike<number>): string;
  /** Display form of one token (for streaming / surprisal colouring). */
  tokenText(id: number): string;
  toJSON(): TokenizerJSON;
}

export const TOKENIZER_JSON_VERSION = 1;

/** Throws invalid_argument unless `id` is a valid id of a vocabulary of `size` tokens. */
export function checkId(id: number, size: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= size) {
    throw new RnnlmError('invalid_argument', `token id ${id} is out of range for a vocabulary of ${size} tokens (valid: 0..${size - 1})`);
  }
}

/** `corrupt_checkpoint` error for a malformed saved tokenizer. */
export function corruptTokenizer(what: string): RnnlmError {
  return new RnnlmError('corrupt_checkpoint', `bad saved tokenizer: ${what}; the file is damaged or was not written by rnnlm`);
}

/** Common checks of a saved tokenizer's header; returns its token list. */
export function checkTokenizerJSON(json: unknown, kind: TokenizerKind): { obj: Record<string, unknown>; tokens: string[] } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw corruptTokenizer('not an object');
  const obj = json as Record<string, unknown>;
  if (obj.kind !== kind) throw corruptTokenizer(`kind is ${JSON.stringify(obj.kind)}, expected "${kind}"`);
  if (obj.version !== TOKENIZER_JSON_VERSION) {
    throw corruptTokenizer(`version ${JSON.stringify(obj.version)} is not supported (this build reads version ${TOKENIZER_JSON_VERSION})`);
  }
  const tokens = obj.tokens;
  if (!Array.isArray(tokens)) throw corruptTokenizer('"tokens" is not an array');
  for (let i = 0; i < tokens.length; i++) {
    if (typeof tokens[i] !== 'string') throw corruptTokenizer(`token ${i} is not a string`);
  }
  const counts = obj.counts;
  if (counts !== undefined) {
    if (!Array.isArray(counts) || counts.length !== tokens.length) {
      throw corruptTokenizer('"counts" is not an array with one entry per token');
    }
    for (const c of counts) {
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0) throw corruptTokenizer('"counts" holds a value that is not a non-negative integer');
    }
  }
  return { obj, tokens: tokens as string[] };
}

/**
 * Ids of a text read line by line (word and BPE tokenizers): each line's ids, then `eosId`
 * after every line, except after an unterminated last line when `addEos` is false (a prompt).
 */
export function encodeLines(
  lines: readonly string[],
  terminated: boolean,
  addEos: boolean,
  eosId: number,
  lineIds: (line: string, push: (id: number) => void) => void,
  sizeHint: number,
): Int32Array {
  let out = new Int32Array(Math.max(16, sizeHint));
  let n = 0;
  const push = (id: number): void => {
    if (n === out.length) {
      const grown = new Int32Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = id;
  };
  for (let i = 0; i < lines.length; i++) {
    lineIds(lines[i]!, push);
    if (addEos || terminated || i < lines.length - 1) push(eosId);
  }
  return out.slice(0, n);
}
