/**
 * Text corpora: read files through the platform seam (strict UTF-8), split a text into
 * train/valid pieces, and turn files into token-id streams with a tokenizer built from the
 * training split only (so valid/test words unseen in training become `<unk>`, as in the
 * PTB/WikiText literature).
 */
import { RnnlmError } from '../errors.js';
import { readTextFile } from '../platform/platform.js';
import { BpeTokenizer } from '../tokenizers/bpe.js';
import { CharTokenizer, type CharTokenizerOptions } from '../tokenizers/char.js';
import type { Tokenizer, TokenizerKind } from '../tokenizers/tokenizer.js';
import { WordTokenizer, type WordTokenizerOptions } from '../tokenizers/word.js';

/**
 * Whole file as text: `file_not_found` when missing, `invalid_utf8` when not UTF-8. A BOM is
 * dropped, and line breaks are read as Python's universal newlines do: '\r\n' and a bare '\r'
 * (old Mac files) become '\n', so every tokenizer (char, word, BPE) and every line reader sees
 * the same lines whatever the file's convention.
 */
export function readCorpusFile(path: string): string {
  return normalizeLineBreaks(readTextFile(path));
}

/** '\r\n' and bare '\r' → '\n'. */
export function normalizeLineBreaks(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

export interface SplitTextOptions {
  /** Move each cut forward to just after the next '\n' so no line is cut (default false). */
  atLineBreak?: boolean;
}

/**
 * Splits `text` into consecutive pieces by code points: fractions [0.9, 0.1] gives the first
 * floor(0.9·n) code points and the rest. Fractions must be >= 0 and sum to 1.
 */
export function splitText(text: string, fractions: readonly number[], options: SplitTextOptions = {}): string[] {
  if (typeof text !== 'string') throw new RnnlmError('invalid_argument', 'splitText needs a string');
  if (!Array.isArray(fractions) || fractions.length === 0) {
    throw new RnnlmError('invalid_argument', 'splitText needs a non-empty array of fractions, e.g. [0.9, 0.1]');
  }
  let sum = 0;
  for (const f of fractions) {
    if (typeof f !== 'number' || !Number.isFinite(f) || f < 0) {
      throw new RnnlmError('invalid_argument', `split fraction ${f} is not a number >= 0`);
    }
    sum += f;
  }
  if (Math.abs(sum - 1) > 1e-9) {
    throw new RnnlmError('invalid_argument', `split fractions sum to ${sum}; they must sum to 1 (e.g. [0.9, 0.1])`);
  }

  // Cut points in code points, then mapped to UTF-16 offsets so no surrogate pair is broken.
  let n = 0;
  for (let i = 0; i < text.length; n++) i += text.codePointAt(i)! > 0xffff ? 2 : 1;
  const cuts: number[] = [];
  let cum = 0;
  for (let k = 0; k < fractions.length - 1; k++) {
    cum += fractions[k]!;
    cuts.push(Math.min(n, Math.floor(cum * n + 1e-9)));
  }
  const offsets = codePointOffsets(text, n, cuts);

  const pieces: string[] = [];
  let start = 0;
  for (let off of offsets) {
    if (options.atLineBreak && off > 0 && off < text.length && text[off - 1] !== '\n') {
      const nl = text.indexOf('\n', off);
      off = nl < 0 ? text.length : nl + 1;
    }
    off = Math.max(off, start);
    pieces.push(text.slice(start, off));
    start = off;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/** UTF-16 offsets of the given (ascending) code point indices. */
function codePointOffsets(text: string, nCodePoints: number, cuts: readonly number[]): number[] {
  if (nCodePoints === text.length) return cuts.slice(); // no astral characters
  const out: number[] = [];
  let cp = 0;
  let i = 0;
  for (const c of cuts) {
    while (cp < c) {
      i += text.codePointAt(i)! > 0xffff ? 2 : 1;
      cp++;
    }
    out.push(i);
  }
  return out;
}

/** Encodes one split; `empty_corpus` when it gives no tokens. `what` names it in the message. */
export function encodeSplit(tokenizer: Tokenizer, text: string, what: string): Int32Array {
  const ids = tokenizer.encode(text);
  if (ids.length === 0) throw new RnnlmError('empty_corpus', `${what} has no tokens; give a non-empty file`, { what });
  return ids;
}

export type TokenizerKindOption = TokenizerKind;

export interface BuildTokenizerOptions extends WordTokenizerOptions, CharTokenizerOptions {
  tokenizer: TokenizerKindOption;
  /** bpe: merge operations to learn (default 1000). */
  bpeMerges?: number;
  /** bpe: stop merging below this pair frequency (default 2). */
  bpeMinFrequency?: number;
}

/** A tokenizer of the chosen kind built from `trainText`. */
export function buildTokenizer(trainText: string, options: BuildTokenizerOptions): Tokenizer {
  switch (options.tokenizer) {
    case 'char':
      return CharTokenizer.fromText(trainText, options.unk === undefined ? {} : { unk: options.unk });
    case 'word': {
      const o: WordTokenizerOptions = {};
      if (options.minCount !== undefined) o.minCount = options.minCount;
      if (options.maxSize !== undefined) o.maxSize = options.maxSize;
      if (options.lowercase !== undefined) o.lowercase = options.lowercase;
      return WordTokenizer.fromText(trainText, o);
    }
    case 'bpe':
      return BpeTokenizer.train(trainText, {
        ...(options.bpeMerges !== undefined ? { merges: options.bpeMerges } : {}),
        ...(options.bpeMinFrequency !== undefined ? { minFrequency: options.bpeMinFrequency } : {}),
      });
    default:
      throw new RnnlmError('invalid_argument', `unknown tokenizer ${JSON.stringify(options.tokenizer)}; use "char", "word" or "bpe"`);
  }
}

export interface TextDatasetFiles {
  train: string;
  valid?: string;
  test?: string;
}

export interface TextDatasetOptions extends BuildTokenizerOptions {
  /**
   * Used only when no valid file is given: the last fraction of train held out for
   * validation (default 0.1; 0 = no validation split). Word and BPE tokenizers cut at a line break.
   */
  validFraction?: number;
}

export interface TextDataset {
  tokenizer: Tokenizer;
  train: Int32Array;
  valid: Int32Array | null;
  test: Int32Array | null;
}

/** Reads the files, builds the tokenizer from the training text, and encodes every split. */
export function loadTextDataset(files: TextDatasetFiles, options: TextDatasetOptions): TextDataset {
  if (typeof files !== 'object' || files === null || typeof files.train !== 'string') {
    throw new RnnlmError('invalid_argument', 'loadTextDataset needs { train: path } (valid and test are optional)');
  }
  const validFraction = options.validFraction ?? 0.1;
  if (typeof validFraction !== 'number' || !(validFraction >= 0 && validFraction < 1)) {
    throw new RnnlmError('invalid_argument', `validFraction is ${validFraction}; give a number in [0, 1), e.g. 0.1`);
  }

  let trainText = readCorpusFile(files.train);
  let heldOut: string | null = null;
  if (files.valid === undefined && validFraction > 0) {
    [trainText, heldOut] = splitText(trainText, [1 - validFraction, validFraction], {
      atLineBreak: options.tokenizer !== 'char',
    }) as [string, string];
  }

  const tokenizer = buildTokenizer(trainText, options);
  const train = encodeSplit(tokenizer, trainText, `the training file ${files.train}`);
  let valid: Int32Array | null = null;
  if (files.valid !== undefined) {
    valid = encodeSplit(tokenizer, readCorpusFile(files.valid), `the validation file ${files.valid}`);
  } else if (heldOut !== null) {
    const pct = +(validFraction * 100).toFixed(4);
    valid = tokenizer.encode(heldOut);
    if (valid.length === 0) {
      throw new RnnlmError(
        'empty_corpus',
        `the validation split (last ${pct}% of ${files.train}) has no tokens; give a longer training file, a validation file, or validFraction 0`,
        { what: 'valid' },
      );
    }
  }
  const test = files.test === undefined ? null : encodeSplit(tokenizer, readCorpusFile(files.test), `the test file ${files.test}`);
  return { tokenizer, train, valid, test };
}
