/**
 * The vocabulary of an n-gram model: ARPA word strings and their ids, with the sentence marks
 * `<s>` (context only, never predicted), `</s>` and the unknown word `<unk>` as SRILM and KenLM
 * spell them.
 *
 * Models built from an rnnlm tokenizer keep the tokenizer's ids: n-gram id i is tokenizer id i
 * for every tokenizer token, the token that ends a sentence (`<eos>` of word/BPE models, '\n' of
 * character models) is written `</s>`, and `<s>` is appended after them. Tokens an ARPA file
 * cannot hold as they are (whitespace characters, empty strings) are written `<U+XXXX>`.
 */
import { RnnlmError } from '../errors.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export const BOS = '<s>';
export const EOS = '</s>';
export const UNK = '<unk>';

const HAS_SPACE = /\s/u;

/** An ARPA-safe spelling of a token: code points that are whitespace become `<U+XXXX>`. */
export function arpaWord(token: string): string {
  if (token === '') return '<U+>';
  if (!HAS_SPACE.test(token)) return token;
  let out = '';
  for (const ch of token) out += HAS_SPACE.test(ch) ? `<U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>` : ch;
  return out;
}

/** The id of the token that ends a sentence: `<eos>` (word, BPE), '\n' (char), or null. */
export function sentenceEndId(tokenizer: Tokenizer): number | null {
  if (tokenizer.eosId !== null) return tokenizer.eosId;
  return tokenizer.vocab.idOf('\n') ?? null;
}

export class NgramVocab {
  readonly words: readonly string[];
  readonly bos: number;
  readonly eos: number;
  /** Id of `<unk>`, or −1 when the model has none (then unknown words are skipped as OOVs, as SRILM does). */
  readonly unk: number;
  private readonly index: Map<string, number>;

  /** `words` must hold `<s>` and `</s>`, each word once. */
  constructor(words: readonly string[]) {
    this.words = words;
    this.index = new Map();
    words.forEach((w, i) => {
      if (this.index.has(w)) throw new RnnlmError('invalid_argument', `the n-gram vocabulary lists ${JSON.stringify(w)} twice`);
      this.index.set(w, i);
    });
    const bos = this.index.get(BOS);
    const eos = this.index.get(EOS);
    if (bos === undefined || eos === undefined) throw new RnnlmError('invalid_argument', `an n-gram vocabulary needs both ${BOS} and ${EOS}`);
    this.bos = bos;
    this.eos = eos;
    this.unk = this.index.get(UNK) ?? -1;
  }

  get size(): number {
    return this.words.length;
  }

  /** The id of an ARPA word, or undefined. */
  idOf(word: string): number | undefined {
    return this.index.get(word);
  }

  /**
   * The vocabulary of a tokenizer (ids kept, see the header): its tokens in ARPA spelling with
   * the sentence end as `</s>`, then `<s>` (and `</s>` when the tokenizer has no sentence end).
   */
  static fromTokenizer(tokenizer: Tokenizer): NgramVocab {
    const end = sentenceEndId(tokenizer);
    const words = tokenizer.vocab.tokens().map((t, i) => (i === end ? EOS : i === tokenizer.unkId ? UNK : arpaWord(t)));
    if (end === null) words.push(EOS);
    words.push(BOS);
    try {
      return new NgramVocab(words);
    } catch (e) {
      if (e instanceof RnnlmError) throw new RnnlmError('invalid_argument', `this tokenizer cannot be an n-gram vocabulary: ${e.message}`);
      throw e;
    }
  }
}
