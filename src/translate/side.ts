/**
 * One side (source or target) of a translation corpus: a tokenizer plus the text rules around
 * it, and an end-of-sentence id. Word and BPE sides pre-tokenize (punctuation split off, see
 * text.ts) and may lowercase; decoding detokenizes back to ordinary text (with the first letter
 * capitalized when the side lowercases). A char side (e.g. Chinese) uses the text as it is.
 * The char tokenizer has no end-of-sentence token, so the side adds one id past its vocabulary.
 * Tensor-free, like the tokenizers.
 */
import { RnnlmError } from '../errors.js';
import { BpeTokenizer } from '../tokenizers/bpe.js';
import { CharTokenizer } from '../tokenizers/char.js';
import { type Tokenizer, tokenizerFromJSON } from '../tokenizers/index.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { detokenize, pretokenize } from './text.js';

export type SideTokenizerKind = 'word' | 'char' | 'bpe';
export const SIDE_TOKENIZERS: readonly SideTokenizerKind[] = ['word', 'char', 'bpe'];

export interface SideOptions {
  kind: SideTokenizerKind;
  /** word/bpe: lowercase the text (default true for word, false for bpe). */
  lowercase?: boolean;
  /** word: keep words seen at least this often (default 1). */
  minCount?: number;
  /** word: at most this many tokens. */
  maxVocab?: number;
  /** bpe: merge operations to learn (default 8000). */
  bpeMerges?: number;
}

export interface SideJSON {
  kind: SideTokenizerKind;
  lowercase: boolean;
  tokenizer: unknown;
}

export class TranslationSide {
  readonly kind: SideTokenizerKind;
  readonly lowercase: boolean;
  readonly tokenizer: Tokenizer;
  /** End of sentence (and, on the target side, the start symbol). */
  readonly eosId: number;
  readonly vocabSize: number;

  constructor(kind: SideTokenizerKind, tokenizer: Tokenizer, lowercase: boolean) {
    if (!SIDE_TOKENIZERS.includes(kind)) throw new RnnlmError('invalid_argument', `unknown tokenizer "${String(kind)}"; use ${SIDE_TOKENIZERS.join(', ')}`);
    if (tokenizer.kind !== kind) throw new RnnlmError('invalid_argument', `a ${kind} side needs a ${kind} tokenizer, got ${tokenizer.kind}`);
    this.kind = kind;
    this.tokenizer = tokenizer;
    this.lowercase = lowercase;
    this.eosId = tokenizer.eosId ?? tokenizer.vocabSize;
    this.vocabSize = tokenizer.eosId === null ? tokenizer.vocabSize + 1 : tokenizer.vocabSize;
  }

  /** Builds the vocabulary from the training lines of this side. */
  static fromLines(lines: readonly string[], o: SideOptions): TranslationSide {
    const kind = o.kind;
    if (kind === 'char') return new TranslationSide('char', CharTokenizer.fromText(lines.join('')), false);
    const lowercase = o.lowercase ?? kind === 'word';
    const text = lines.map((l) => prepare(l, lowercase)).join('\n');
    if (kind === 'word') {
      const tok = WordTokenizer.fromText(text, { minCount: o.minCount ?? 1, ...(o.maxVocab ? { maxSize: o.maxVocab } : {}) });
      return new TranslationSide('word', tok, lowercase);
    }
    if (kind === 'bpe') return new TranslationSide('bpe', BpeTokenizer.train(text, { merges: o.bpeMerges ?? 8000 }), lowercase);
    throw new RnnlmError('invalid_argument', `unknown tokenizer "${String(kind)}"; use ${SIDE_TOKENIZERS.join(', ')}`);
  }

  static fromJSON(json: unknown): TranslationSide {
    const j = json as Partial<SideJSON> | null;
    if (!j || typeof j !== 'object' || !SIDE_TOKENIZERS.includes(j.kind as SideTokenizerKind) || typeof j.lowercase !== 'boolean') {
      throw new RnnlmError('corrupt_checkpoint', 'bad translation tokenizer: expected { kind, lowercase, tokenizer }; the file is damaged or was not written by rnnlm translate');
    }
    return new TranslationSide(j.kind!, tokenizerFromJSON(j.tokenizer), j.lowercase);
  }

  toJSON(): SideJSON {
    return { kind: this.kind, lowercase: this.lowercase, tokenizer: this.tokenizer.toJSON() };
  }

  /** Ids of one line, without the end-of-sentence id. */
  encode(line: string): Int32Array {
    const t = this.tokenizer;
    if (t instanceof CharTokenizer) return t.encode(line);
    const text = prepare(line, this.lowercase);
    if (t instanceof WordTokenizer) return t.encodeLine(text, { addEos: false });
    return t.encode(text, { addEos: false });
  }

  /** Text of ids (stops at the first end-of-sentence id). */
  decode(ids: ArrayLike<number>): string {
    const kept: number[] = [];
    for (let i = 0; i < ids.length && ids[i] !== this.eosId; i++) kept.push(ids[i]!);
    if (this.kind === 'char') return this.tokenizer.decode(kept);
    const words = this.kind === 'word' ? kept.map((id) => this.tokenizer.tokenText(id)) : this.tokenizer.decode(kept).split(' ').filter((w) => w !== '');
    return detokenize(words, { capitalize: this.lowercase });
  }
}

/** Pre-tokenized (and optionally lowercased) text of one line. */
function prepare(line: string, lowercase: boolean): string {
  return pretokenize(lowercase ? line.toLowerCase() : line).join(' ');
}
