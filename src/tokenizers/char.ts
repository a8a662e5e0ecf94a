/**
 * Character tokenizer over Unicode code points (never UTF-16 units): '😀' is one token,
 * precomposed 'é' (U+00E9) is one token, and 'e' + U+0301 (combining acute) is two.
 * No normalization is applied, so decode(encode(s)) === s for any text made of known characters.
 *
 * Vocabulary: distinct code points of the training text sorted by code point, then `<unk>`
 * appended last when `unk` is on. `<unk>` decodes to U+FFFD (the replacement character),
 * so decoded text never contains a made-up multi-character marker.
 */
import { RnnlmError } from '../errors.js';
import { Vocab } from './vocab.js';
import { checkId, checkTokenizerJSON, corruptTokenizer, TOKENIZER_JSON_VERSION, type Tokenizer, type TokenizerJSON } from './tokenizer.js';

export const CHAR_UNK = '<unk>';
/** What `<unk>` decodes to. */
export const CHAR_UNK_TEXT = '\uFFFD';

export interface CharTokenizerOptions {
  /** Add `<unk>` so unseen characters encode to it instead of throwing (default true). */
  unk?: boolean;
}

export interface CharTokenizerJSON extends TokenizerJSON {
  kind: 'char';
  unk: boolean;
  counts?: number[];
}

export class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  readonly vocab: Vocab;
  readonly eosId = null;
  readonly unkId: number | null;
  /** Code point -> id. */
  private readonly idByCode = new Map<number, number>();
  /** id -> decoded text (the character itself, U+FFFD for `<unk>`). */
  private readonly textById: string[];

  /**
   * `tokens`: one code point per entry, plus `<unk>` when `unk` is true. Ids are the indices.
   * Most callers want `CharTokenizer.fromText` instead.
   */
  constructor(tokens: readonly string[], options: { unk: boolean; counts?: ArrayLike<number> }) {
    const specials: Record<string, string> = options.unk ? { unk: CHAR_UNK } : {};
    this.vocab = new Vocab(tokens, { specials, ...(options.counts !== undefined ? { counts: options.counts } : {}) });
    this.unkId = options.unk ? (this.vocab.idOf(CHAR_UNK) ?? null) : null;
    if (options.unk && this.unkId === null) {
      throw new RnnlmError('invalid_argument', `a char tokenizer with unk needs the token ${CHAR_UNK} in its vocabulary`);
    }
    this.textById = new Array<string>(tokens.length);
    for (let id = 0; id < tokens.length; id++) {
      if (id === this.unkId) {
        this.textById[id] = CHAR_UNK_TEXT;
        continue;
      }
      const tok = tokens[id]!;
      const cp = tok.codePointAt(0);
      if (cp === undefined || String.fromCodePoint(cp).length !== tok.length) {
        throw new RnnlmError('invalid_argument', `char token ${id} is ${JSON.stringify(tok)}; each char token must be exactly one code point`);
      }
      this.idByCode.set(cp, id);
      this.textById[id] = tok;
    }
  }

  /** Builds the vocabulary from the distinct code points of `text` (the training split). */
  static fromText(text: string, options: CharTokenizerOptions = {}): CharTokenizer {
    if (typeof text !== 'string') throw new RnnlmError('invalid_argument', 'CharTokenizer.fromText needs a string');
    const unk = options.unk ?? true;
    const counts = new Map<number, number>();
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      counts.set(cp, (counts.get(cp) ?? 0) + 1);
    }
    const codes = [...counts.keys()].sort((a, b) => a - b);
    const tokens = codes.map((cp) => String.fromCodePoint(cp));
    const freq = codes.map((cp) => counts.get(cp)!);
    if (unk) {
      tokens.push(CHAR_UNK);
      freq.push(0);
    }
    return new CharTokenizer(tokens, { unk, counts: freq });
  }

  static fromJSON(json: unknown): CharTokenizer {
    const { obj, tokens } = checkTokenizerJSON(json, 'char');
    if (typeof obj.unk !== 'boolean') throw corruptTokenizer('char tokenizer "unk" is not a boolean');
    const counts = obj.counts as number[] | undefined;
    try {
      return new CharTokenizer(tokens, { unk: obj.unk, ...(counts !== undefined ? { counts } : {}) });
    } catch (e) {
      if (e instanceof RnnlmError) throw corruptTokenizer(e.message);
      throw e;
    }
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  encode(text: string): Int32Array {
    if (typeof text !== 'string') throw new RnnlmError('invalid_argument', 'encode needs a string');
    const out = new Int32Array(text.length); // code points <= UTF-16 units
    let n = 0;
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      let id = this.idByCode.get(cp);
      if (id === undefined) {
        if (this.unkId === null) throw unknownChar(cp, n);
        id = this.unkId;
      }
      out[n++] = id;
    }
    return n === out.length ? out : out.slice(0, n);
  }

  decode(ids: ArrayLike<number>): string {
    const parts = new Array<string>(ids.length);
    const size = this.textById.length;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      checkId(id, size);
      parts[i] = this.textById[id]!;
    }
    return parts.join('');
  }

  tokenText(id: number): string {
    checkId(id, this.textById.length);
    return this.textById[id]!;
  }

  toJSON(): CharTokenizerJSON {
    const out: CharTokenizerJSON = { kind: 'char', version: TOKENIZER_JSON_VERSION, unk: this.unkId !== null, tokens: this.vocab.tokens() };
    if (this.vocab.counts !== null) out.counts = Array.from(this.vocab.counts);
    return out;
  }
}

function unknownChar(cp: number, index: number): RnnlmError {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  return new RnnlmError(
    'unknown_token',
    `character ${JSON.stringify(String.fromCodePoint(cp))} (U+${hex}) at character ${index} is not in the vocabulary; ` +
      `build the tokenizer with { unk: true } so unseen characters map to ${CHAR_UNK}`,
    { codePoint: cp, index },
  );
}
