/** Tokenizers (tensor-free) and `tokenizerFromJSON`, which rebuilds any saved kind. */
export { Vocab, type VocabJSON, type VocabOptions } from './vocab.js';
import { BpeTokenizer } from './bpe.js';
import { CharTokenizer } from './char.js';
import { corruptTokenizer, type Tokenizer } from './tokenizer.js';
import { WordTokenizer } from './word.js';

export { CharTokenizer, CHAR_UNK, CHAR_UNK_TEXT, type CharTokenizerOptions, type CharTokenizerJSON } from './char.js';
export {
  WordTokenizer,
  EOS,
  UNK,
  splitLines,
  splitWords,
  type WordTokenizerOptions,
  type WordEncodeOptions,
  type WordTokenizerJSON,
} from './word.js';
export { BpeTokenizer, EOW, type BpeTrainOptions, type BpeEncodeOptions, type BpeTokenizerJSON } from './bpe.js';
export { TOKENIZER_JSON_VERSION, TOKENIZER_KINDS, type Tokenizer, type TokenizerJSON, type TokenizerKind } from './tokenizer.js';

/**
 * Rebuilds a tokenizer from `toJSON()` output (an object, or its JSON text). Anything
 * malformed is `corrupt_checkpoint`.
 */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  let obj = json;
  if (typeof json === 'string') {
    try {
      obj = JSON.parse(json);
    } catch (e) {
      throw corruptTokenizer(`not valid JSON (${(e as Error).message})`);
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw corruptTokenizer('not an object');
  const kind = (obj as Record<string, unknown>).kind;
  switch (kind) {
    case 'char':
      return CharTokenizer.fromJSON(obj);
    case 'word':
      return WordTokenizer.fromJSON(obj);
    case 'bpe':
      return BpeTokenizer.fromJSON(obj);
    default:
      throw corruptTokenizer(`unknown kind ${JSON.stringify(kind)} (expected "char", "word" or "bpe")`);
  }
}
