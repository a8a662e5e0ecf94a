/**
 * One side (source or target) of a translation corpus: a tokenizer plus the text rules around
 * it, and an end-of-sentence id. Word and BPE sides pre-tokenize (punctuation split off, see
 * text.ts) and may lowercase; decoding detokenizes back to ordinary text. A lowercasing word
 * side also learns a truecasing table from the training text (each word's most frequent
 * spelling away from the start of a sentence, e.g. German "mann" → "Mann"), applied when
 * decoding, and capitalizes the first letter. A char side (e.g. Chinese) uses the text as it is.
 * The char tokenizer has no end-of-sentence token, so the side adds one id past its vocabulary.
 * Tensor-free, like the tokenizers.
 */
import { RnnlmError } from '../errors.js';
import { BpeTokenizer } from '../tokenizers/bpe.js';
import { CharTokenizer } from '../tokenizers/char.js';
import { TOKENIZER_KINDS, type Tokenizer, type TokenizerKind, tokenizerFromJSON } from '../tokenizers/index.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { detokenize, pretokenize } from './text.js';

export type SideTokenizerKind = TokenizerKind;
export const SIDE_TOKENIZERS = TOKENIZER_KINDS;

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
  /** Lowercased word → its usual spelling (only words whose usual spelling is not all lowercase). */
  truecase?: Record<string, string>;
}

export class TranslationSide {
  readonly kind: SideTokenizerKind;
  readonly lowercase: boolean;
  readonly tokenizer: Tokenizer;
  /** End of sentence (and, on the target side, the start symbol). */
  readonly eosId: number;
  readonly vocabSize: number;
  /** Lowercased word → usual spelling, for decoding (empty unless a lowercasing word side). */
  readonly truecase: ReadonlyMap<string, string>;

  constructor(kind: SideTokenizerKind, tokenizer: Tokenizer, lowercase: boolean, truecase: ReadonlyMap<string, string> = new Map()) {
    if (!SIDE_TOKENIZERS.includes(kind)) throw new RnnlmError('invalid_argument', `unknown tokenizer "${String(kind)}"; use ${SIDE_TOKENIZERS.join(', ')}`);
    if (tokenizer.kind !== kind) throw new RnnlmError('invalid_argument', `a ${kind} side needs a ${kind} tokenizer, got ${tokenizer.kind}`);
    this.kind = kind;
    this.tokenizer = tokenizer;
    this.lowercase = lowercase;
    this.eosId = tokenizer.eosId ?? tokenizer.vocabSize;
    this.vocabSize = tokenizer.eosId === null ? tokenizer.vocabSize + 1 : tokenizer.vocabSize;
    this.truecase = truecase;
  }

  /** Builds the vocabulary from the training lines of this side. */
  static fromLines(lines: readonly string[], o: SideOptions): TranslationSide {
    const kind = o.kind;
    if (kind === 'char') return new TranslationSide('char', CharTokenizer.fromText(lines.join('')), false);
    const lowercase = o.lowercase ?? kind === 'word';
    const text = lines.map((l) => prepare(l, lowercase)).join('\n');
    if (kind === 'word') {
      const tok = WordTokenizer.fromText(text, { minCount: o.minCount ?? 1, ...(o.maxVocab ? { maxSize: o.maxVocab } : {}) });
      return new TranslationSide('word', tok, lowercase, lowercase ? learnTruecase(lines) : new Map());
    }
    if (kind === 'bpe') return new TranslationSide('bpe', BpeTokenizer.train(text, { merges: o.bpeMerges ?? 8000 }), lowercase);
    throw new RnnlmError('invalid_argument', `unknown tokenizer "${String(kind)}"; use ${SIDE_TOKENIZERS.join(', ')}`);
  }

  static fromJSON(json: unknown): TranslationSide {
    const j = json as Partial<SideJSON> | null;
    if (!j || typeof j !== 'object' || !SIDE_TOKENIZERS.includes(j.kind as SideTokenizerKind) || typeof j.lowercase !== 'boolean') {
      throw new RnnlmError(
        'corrupt_checkpoint',
        'bad translation tokenizer: expected { kind, lowercase, tokenizer }; the file is damaged or was not written by rnnlm translate',
      );
    }
    const tc = j.truecase ?? {};
    if (typeof tc !== 'object' || tc === null || Object.values(tc).some((v) => typeof v !== 'string')) {
      throw new RnnlmError('corrupt_checkpoint', 'bad translation tokenizer: "truecase" must map words to strings');
    }
    return new TranslationSide(j.kind!, tokenizerFromJSON(j.tokenizer), j.lowercase, new Map(Object.entries(tc)));
  }

  toJSON(): SideJSON {
    const out: SideJSON = { kind: this.kind, lowercase: this.lowercase, tokenizer: this.tokenizer.toJSON() };
    if (this.truecase.size > 0) out.truecase = Object.fromEntries(this.truecase);
    return out;
  }

  /** Ids of one line, without the end-of-sentence id. */
  encode(line: string): Int32Array {
    const t = this.tokenizer;
    if (t instanceof CharTokenizer) return t.encode(line);
    const text = prepare(line, this.lowercase);
    if (t instanceof WordTokenizer) return t.encodeLine(text, { addEos: false });
    return t.encode(text, { addEos: false });
  }

  /**
   * Text of ids (stops at the first end-of-sentence id). `replaceUnk(i)` may give the text for
   * an unknown-word id at position i (word sides), e.g. the source word it attended to.
   */
  decode(ids: ArrayLike<number>, replaceUnk?: (i: number) => string | undefined): string {
    const kept: number[] = [];
    for (let i = 0; i < ids.length && ids[i] !== this.eosId; i++) kept.push(ids[i]!);
    if (this.kind === 'char') return this.tokenizer.decode(kept);
    if (this.kind === 'bpe')
      return detokenize(
        this.tokenizer
          .decode(kept)
          .split(' ')
          .filter((w) => w !== ''),
        { capitalize: this.lowercase },
      );
    const unk = this.tokenizer.unkId;
    const words = kept.map((id, i) => (id === unk && replaceUnk?.(i)) || (this.truecase.get(this.tokenizer.tokenText(id)) ?? this.tokenizer.tokenText(id)));
    return detokenize(words, { capitalize: this.lowercase });
  }

  /** The pre-tokenized words of a line in their original case, one per id of `encode` (word sides). */
  words(line: string): string[] {
    if (this.kind !== 'word') throw new RnnlmError('unsupported', `only word sides have one token per word (this side is ${this.kind})`);
    return pretokenize(line);
  }
}

/**
 * Truecasing table from raw training lines: for each lowercased token, its most frequent
 * spelling at positions other than the first of a sentence (where capitals say little); a
 * token seen only sentence-initially is left out (it decodes lowercase). Ties go to the
 * spelling seen first. Only entries that differ from the lowercase form are kept.
 */
export function learnTruecase(lines: readonly string[]): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const line of lines) {
    const toks = pretokenize(line);
    for (let i = 1; i < toks.length; i++) {
      const t = toks[i]!;
      const key = t.toLowerCase();
      let m = counts.get(key);
      if (!m) counts.set(key, (m = new Map()));
      m.set(t, (m.get(t) ?? 0) + 1);
    }
  }
  const out = new Map<string, string>();
  for (const [key, m] of counts) {
    let best = key;
    let bestCount = -1;
    for (const [form, c] of m) {
      if (c > bestCount) {
        best = form;
        bestCount = c;
      }
    }
    if (best !== key) out.set(key, best);
  }
  return out;
}

/** Pre-tokenized (and optionally lowercased) text of one line. */
function prepare(line: string, lowercase: boolean): string {
  return pretokenize(lowercase ? line.toLowerCase() : line).join(' ');
}
