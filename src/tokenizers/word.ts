/**
 * Word tokenizer as in the PTB / WikiText LM literature and PyTorch's word_language_model
 * example: each line is split on whitespace and `<eos>` is appended to EVERY line, empty
 * lines included. Lines end at '\n', '\r\n' or '\r' (Python's universal newlines); a final
 * line break does not start an extra empty line. Whitespace is Python's `str.split()` set.
 *
 * Vocabulary (from the training text only): ids in order of first appearance, which matches
 * PyTorch's Dictionary exactly when there is no cut-off. With a cut-off (minCount > 1 or
 * maxSize), words below minCount are dropped, then the maxSize most frequent remain (ties by
 * first appearance); the kept words are numbered by first appearance in the encoded training
 * stream (dropped words count as `<unk>`). `<eos>` and `<unk>` are always present; when the
 * text never produces one, it is appended at the end. A literal `<unk>` in the text (as in
 * PTB) is the same token.
 */
import { RnnlmError } from '../errors.js';
import { Vocab } from './vocab.js';
import { checkId, encodeLines, checkTokenizerJSON, corruptTokenizer, TOKENIZER_JSON_VERSION, type Tokenizer, type TokenizerJSON } from './tokenizer.js';

export const EOS = '<eos>';
export const UNK = '<unk>';

export interface WordTokenizerOptions {
  /** Keep words seen at least this many times in the training text (default 1 = keep all). */
  minCount?: number;
  /** At most this many tokens in the vocabulary, `<eos>` and `<unk>` included. */
  maxSize?: number;
  /** Lower-case every word, in training and at encode time (default false). */
  lowercase?: boolean;
}

export interface WordEncodeOptions {
  /**
   * Default true: every line gets `<eos>`, also an unterminated last line (corpus files).
   * false: `<eos>` only where the text has a line break, so a prompt "the cat" encodes
   * without a trailing `<eos>`.
   */
  addEos?: boolean;
}

export interface WordTokenizerJSON extends TokenizerJSON {
  kind: 'word';
  lowercase: boolean;
  minCount: number;
  maxSize: number | null;
  counts?: number[];
}

/** Python `str.split()` whitespace. */
const WS_CLASS = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const WS = new RegExp(`${WS_CLASS}+`);
const HAS_WS = new RegExp(WS_CLASS);
const LINE_BREAK = /\r\n|\r|\n/;

/** Lines of `text`: a final line break ends the last line instead of starting an empty one. */
export function splitLines(text: string): { lines: string[]; terminated: boolean } {
  if (text.length === 0) return { lines: [], terminated: true };
  const lines = text.split(LINE_BREAK);
  const last = text.charCodeAt(text.length - 1);
  const terminated = last === 10 || last === 13;
  if (terminated) lines.pop();
  return { lines, terminated };
}

/** Whitespace-separated words of one line (no empty strings). */
export function splitWords(line: string): string[] {
  const parts = line.split(WS);
  // Leading/trailing whitespace leaves empty strings only at the ends.
  if (parts.length > 0 && parts[0] === '') parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  readonly vocab: Vocab;
  readonly eosId: number;
  readonly unkId: number;
  readonly lowercase: boolean;
  readonly minCount: number;
  readonly maxSize: number | null;

  /**
   * `tokens` must contain `<eos>` and `<unk>`; ids are the indices. Most callers want
   * `WordTokenizer.fromText` instead.
   */
  constructor(tokens: readonly string[], options: { lowercase?: boolean; minCount?: number; maxSize?: number | null; counts?: ArrayLike<number> } = {}) {
    this.vocab = new Vocab(tokens, {
      specials: { eos: EOS, unk: UNK },
      ...(options.counts !== undefined ? { counts: options.counts } : {}),
    });
    this.eosId = this.vocab.idOf(EOS)!;
    this.unkId = this.vocab.idOf(UNK)!;
    for (let id = 0; id < tokens.length; id++) {
      const t = tokens[id]!;
      if (t.length === 0 || HAS_WS.test(t)) {
        throw new RnnlmError('invalid_argument', `word token ${id} is ${JSON.stringify(t)}; word tokens must be non-empty and contain no whitespace`);
      }
    }
    this.lowercase = options.lowercase ?? false;
    this.minCount = options.minCount ?? 1;
    this.maxSize = options.maxSize ?? null;
  }

  /** Builds the vocabulary from the training text (see the header for the rules). */
  static fromText(trainText: string, options: WordTokenizerOptions = {}): WordTokenizer {
    if (typeof trainText !== 'string') throw new RnnlmError('invalid_argument', 'WordTokenizer.fromText needs a string');
    const minCount = options.minCount ?? 1;
    const maxSize = options.maxSize;
    const lowercase = options.lowercase ?? false;
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new RnnlmError('invalid_argument', `minCount is ${minCount}; give an integer >= 1`);
    }
    if (maxSize !== undefined && (!Number.isInteger(maxSize) || maxSize < 2)) {
      throw new RnnlmError('invalid_argument', `maxSize is ${maxSize}; give an integer >= 2 (it includes <eos> and <unk>)`);
    }

    // Pass 1: count every type; `order` is first appearance.
    const count = new Map<string, number>();
    const order: string[] = [];
    const see = (w: string): void => {
      const c = count.get(w);
      if (c === undefined) {
        count.set(w, 1);
        order.push(w);
      } else count.set(w, c + 1);
    };
    for (const line of splitLines(trainText).lines) {
      for (const raw of splitWords(line)) see(lowercase ? raw.toLowerCase() : raw);
      see(EOS);
    }

    // Which types survive the cut-off.
    let keep: Set<string>;
    if (minCount === 1 && maxSize === undefined) {
      keep = new Set(order);
    } else {
      const rank = new Map(order.map((w, i) => [w, i] as const));
      let cands = order.filter((w) => w !== EOS && w !== UNK && count.get(w)! >= minCount);
      if (maxSize !== undefined) {
        const slots = maxSize - 2;
        if (cands.length > slots) {
          cands.sort((a, b) => count.get(b)! - count.get(a)! || rank.get(a)! - rank.get(b)!);
          cands = cands.slice(0, slots);
        }
      }
      keep = new Set(cands);
      keep.add(EOS);
      keep.add(UNK);
    }

    // Number kept types by first appearance in the encoded stream; dropped words are <unk>.
    const tokens: string[] = [];
    const freq = new Map<string, number>();
    for (const w of order) {
      const t = keep.has(w) ? w : UNK;
      const f = freq.get(t);
      if (f === undefined) {
        tokens.push(t);
        freq.set(t, count.get(w)!);
      } else freq.set(t, f + count.get(w)!);
    }
    for (const special of [EOS, UNK]) {
      if (!freq.has(special)) {
        tokens.push(special);
        freq.set(special, 0);
      }
    }
    return new WordTokenizer(tokens, {
      lowercase,
      minCount,
      maxSize: maxSize ?? null,
      counts: tokens.map((t) => freq.get(t)!),
    });
  }

  static fromJSON(json: unknown): WordTokenizer {
    const { obj, tokens } = checkTokenizerJSON(json, 'word');
    const lowercase = obj.lowercase ?? false;
    const minCount = obj.minCount ?? 1;
    const maxSize = obj.maxSize ?? null;
    if (typeof lowercase !== 'boolean') throw corruptTokenizer('word tokenizer "lowercase" is not a boolean');
    if (typeof minCount !== 'number' || !Number.isInteger(minCount) || minCount < 1) {
      throw corruptTokenizer('word tokenizer "minCount" is not an integer >= 1');
    }
    if (maxSize !== null && (typeof maxSize !== 'number' || !Number.isInteger(maxSize) || maxSize < 2)) {
      throw corruptTokenizer('word tokenizer "maxSize" is not null or an integer >= 2');
    }
    for (const special of [EOS, UNK]) {
      if (!tokens.includes(special)) throw corruptTokenizer(`word tokenizer has no ${special} token`);
    }
    const counts = obj.counts as number[] | undefined;
    try {
      return new WordTokenizer(tokens, { lowercase, minCount, maxSize, ...(counts !== undefined ? { counts } : {}) });
    } catch (e) {
      if (e instanceof RnnlmError) throw corruptTokenizer(e.message);
      throw e;
    }
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** Id of one word (after lower-casing when on); `<unk>` when unknown. */
  wordId(word: string): number {
    return this.vocab.idOf(this.lowercase ? word.toLowerCase() : word) ?? this.unkId;
  }

  /** Encodes one line; line breaks inside count as whitespace. Appends `<eos>` unless addEos is false. */
  encodeLine(line: string, options: WordEncodeOptions = {}): Int32Array {
    if (typeof line !== 'string') throw new RnnlmError('invalid_argument', 'encodeLine needs a string');
    const words = splitWords(line);
    const addEos = options.addEos ?? true;
    const out = new Int32Array(words.length + (addEos ? 1 : 0));
    for (let i = 0; i < words.length; i++) out[i] = this.wordId(words[i]!);
    if (addEos) out[words.length] = this.eosId;
    return out;
  }

  /** Encodes a text of lines: each line's words, then `<eos>` (see WordEncodeOptions.addEos). */
  encode(text: string, options: WordEncodeOptions = {}): Int32Array {
    if (typeof text !== 'string') throw new RnnlmError('invalid_argument', 'encode needs a string');
    const addEos = options.addEos ?? true;
    const { lines, terminated } = splitLines(text);
    return encodeLines(
      lines,
      terminated,
      addEos,
      this.eosId,
      (line, push) => {
        for (const w of splitWords(line)) push(this.wordId(w));
      },
      (text.length >> 2) + lines.length,
    );
  }

  /** Words joined by single spaces; `<eos>` becomes '\n'. */
  decode(ids: ArrayLike<number>): string {
    const size = this.vocab.size;
    const parts: string[] = [];
    let lineStart = true;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      checkId(id, size);
      if (id === this.eosId) {
        parts.push('\n');
        lineStart = true;
      } else {
        if (!lineStart) parts.push(' ');
        parts.push(this.vocab.tokenOf(id));
        lineStart = false;
      }
    }
    return parts.join('');
  }

  /** The word itself; `<eos>` shows as '\n'. */
  tokenText(id: number): string {
    checkId(id, this.vocab.size);
    return id === this.eosId ? '\n' : this.vocab.tokenOf(id);
  }

  toJSON(): WordTokenizerJSON {
    const out: WordTokenizerJSON = {
      kind: 'word',
      version: TOKENIZER_JSON_VERSION,
      lowercase: this.lowercase,
      minCount: this.minCount,
      maxSize: this.maxSize,
      tokens: this.vocab.tokens(),
    };
    if (this.vocab.counts !== null) out.counts = Array.from(this.vocab.counts);
    return out;
  }
}
