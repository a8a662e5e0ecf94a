/**
 * Pretrained word vectors in text form, read through the platform seam:
 * - GloVe: one vector per line, `word v1 v2 … vD` (D from the first line);
 * - word2vec text (`-binary 0`): a first line `count dim`, then the same lines.
 * A first line of exactly two non-negative integers is taken as the word2vec header. Fields are
 * separated by spaces or tabs; a trailing space and '\r' are ignored. Every line must carry
 * exactly D values (errors name the line); the first vector of a repeated word wins.
 *
 * loadPretrainedEmbeddings copies the vectors of vocabulary tokens into encoder.weight [V,E]
 * (tokens not in the file keep the model's initialisation) and can freeze it. A token is looked
 * up as itself, then (BPE word-final tokens) without `</w>`, then lower-cased.
 * Freezing sets encoder.weight.requiresGrad = false: the embedding op then records no gradient,
 * so the optimizer (which skips parameters without a gradient) and gradient clipping leave it
 * alone. With tied weights the decoder IS encoder.weight, so it is frozen too (a warning says so).
 *
 * Legend: V vocabulary, E embedding size, N vectors in the file, D their dimension.
 */
import { RnnlmError } from '../errors.js';
import { readTextFile } from '../platform/platform.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export interface EmbeddingTable {
  format: 'glove' | 'word2vec';
  dim: number;
  words: string[];
  /** [N, D] row-major, row i = words[i]. */
  vectors: Float32Array;
  /** Vector lines in the file (kept or not). */
  total: number;
}

export interface ParseEmbeddingsOptions {
  /** Names the input in error messages (default 'the embeddings file'). */
  what?: string;
  /** Keep only words for which this is true (saves memory on large files); every line is still checked. */
  keep?: (word: string) => boolean;
}

const SEP = /[ \t]+/;

/** Parses GloVe or word2vec text (see the header). */
export function parseEmbeddings(text: string, opts: ParseEmbeddingsOptions = {}): EmbeddingTable {
  const what = opts.what ?? 'the embeddings file';
  const keep = opts.keep ?? (() => true);
  const bad = (line: number, why: string): RnnlmError =>
    new RnnlmError('invalid_argument', `${what}, line ${line}: ${why}; expected GloVe ("word v1 … vD") or word2vec text format ("count dim" first)`, { line });
  const lines = text.split('\n');
  let format: EmbeddingTable['format'] = 'glove';
  let dim = -1;
  let declared = -1;
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === '') first++;
  if (first < lines.length) {
    const head = lines[first]!.trim().split(SEP);
    if (head.length === 2 && /^\d+$/.test(head[0]!) && /^\d+$/.test(head[1]!)) {
      format = 'word2vec';
      declared = Number(head[0]);
      dim = Number(head[1]);
      if (dim < 1) throw bad(first + 1, `the word2vec header declares dimension ${dim}`);
      first++;
    }
  }
  const words: string[] = [];
  const seen = new Set<string>();
  let data = new Float32Array(1024);
  let total = 0;
  for (let i = first; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    line = line.trimEnd();
    if (line === '') continue;
    const fields = line.split(SEP);
    const word = fields[0]!;
    if (word === '') throw bad(i + 1, 'the line starts with whitespace, so it names no word');
    const n = fields.length - 1;
    if (dim < 0) {
      if (n < 1) throw bad(i + 1, `word ${JSON.stringify(word)} has no values`);
      dim = n;
    }
    if (n !== dim) {
      const from = format === 'word2vec' ? 'the header' : `line ${first + 1}`;
      throw bad(i + 1, `word ${JSON.stringify(word)} has ${n} values but ${from} gives dimension ${dim}`);
    }
    total++;
    if (seen.has(word) || !keep(word)) continue;
    seen.add(word);
    const row = words.length;
    if ((row + 1) * dim > data.length) {
      const grown = new Float32Array(Math.max(2 * data.length, (row + 1) * dim));
      grown.set(data);
      data = grown;
    }
    for (let d = 0; d < dim; d++) {
      const v = Number(fields[d + 1]);
      if (!Number.isFinite(v)) throw bad(i + 1, `value ${d + 1} of word ${JSON.stringify(word)} is ${JSON.stringify(fields[d + 1])}, not a finite number`);
      data[row * dim + d] = v;
    }
    words.push(word);
  }
  if (format === 'word2vec' && total !== declared) {
    throw new RnnlmError(
      'invalid_argument',
      `${what}: the word2vec header declares ${declared} vectors but the file has ${total}; the file is truncated or the header is wrong`,
    );
  }
  if (total === 0) throw new RnnlmError('empty_corpus', `${what} holds no vectors`);
  return { format, dim, words, vectors: data.slice(0, words.length * dim), total };
}

/** Reads a GloVe / word2vec text file (strict UTF-8) through the platform seam. */
export function readEmbeddings(path: string, opts: Omit<ParseEmbeddingsOptions, 'what'> = {}): EmbeddingTable {
  return parseEmbeddings(readTextFile(path), { ...opts, what: path });
}

/** A model with an embedding table `encoder.weight` [V,E]: the language model, the classifier. */
export interface EmbeddingOwner {
  readonly config: { readonly vocabSize: number; readonly embedSize: number; readonly tieWeights?: boolean };
  readonly encoder: { readonly weight: Tensor };
}

export interface PretrainedOptions {
  /** Keep encoder.weight fixed during training (default false). */
  freeze?: boolean;
}

export interface PretrainedResult {
  /** Vocabulary tokens that got a pretrained vector. */
  found: number;
  /** Vocabulary tokens that kept the model's initialisation. */
  missing: number;
  dim: number;
  /** Up to 20 of the missing tokens, by id. */
  missingTokens: string[];
  frozen: boolean;
  /** Things the caller should tell the user (e.g. tied weights frozen too). */
  warnings: string[];
}

/** Lookup keys of a token, in order (see the header). */
function keysOf(token: string): string[] {
  const keys = [token];
  if (token.endsWith('</w>') && token.length > 4) keys.push(token.slice(0, -4));
  for (const k of [...keys]) {
    const lower = k.toLowerCase();
    if (!keys.includes(lower)) keys.push(lower);
  }
  return keys;
}

/** Copies vectors of `table` into model.encoder.weight for the tokenizer's vocabulary. */
export function applyPretrainedEmbeddings(
  model: EmbeddingOwner,
  tokenizer: Tokenizer,
  table: EmbeddingTable,
  opts: PretrainedOptions = {},
  what = 'the embeddings file',
): PretrainedResult {
  const E = model.config.embedSize;
  const V = model.config.vocabSize;
  if (tokenizer.vocabSize !== V) {
    throw new RnnlmError('checkpoint_mismatch', `the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${V}`);
  }
  if (table.dim !== E) {
    throw new RnnlmError(
      'invalid_argument',
      `${what} holds ${table.dim}-dimensional vectors but the model's embedding size is ${E}; use an embedding size of ${table.dim} (--emb ${table.dim})`,
    );
  }
  const rowOf = new Map<string, number>();
  table.words.forEach((w, i) => rowOf.set(w, i));
  const weight = model.encoder.weight; // [V,E]
  let found = 0;
  const missingTokens: string[] = [];
  for (let id = 0; id < V; id++) {
    const token = tokenizer.vocab.tokenOf(id);
    const row = keysOf(token)
      .map((k) => rowOf.get(k))
      .find((r) => r !== undefined);
    if (row === undefined) {
      if (missingTokens.length < 20) missingTokens.push(token);
      continue;
    }
    weight.data.set(table.vectors.subarray(row * E, (row + 1) * E), id * E); // row id of [V,E]
    found++;
  }
  if (found === 0) {
    throw new RnnlmError(
      'invalid_argument',
      `none of the ${V} vocabulary tokens has a vector in ${what} (${table.total} vectors); check that the file matches the tokenizer (e.g. word vectors for a word model)`,
    );
  }
  const warnings: string[] = [];
  const freeze = opts.freeze ?? false;
  if (freeze) {
    weight.requiresGrad = false;
    weight.grad = null;
    if (model.config.tieWeights) {
      warnings.push('the model ties encoder and decoder weights, so freezing the embeddings also freezes the decoder (output) weights');
    }
  }
  return { found, missing: V - found, dim: table.dim, missingTokens, frozen: freeze, warnings };
}

/**
 * Reads `path` (GloVe or word2vec text) and copies the vectors of the tokenizer's vocabulary into
 * model.encoder.weight; see applyPretrainedEmbeddings.
 */
export function loadPretrainedEmbeddings(model: EmbeddingOwner, tokenizer: Tokenizer, path: string, opts: PretrainedOptions = {}): PretrainedResult {
  const wanted = new Set<string>();
  for (const t of tokenizer.vocab.tokens()) for (const k of keysOf(t)) wanted.add(k);
  const table = readEmbeddings(path, { keep: (w) => wanted.has(w) });
  return applyPretrainedEmbeddings(model, tokenizer, table, opts, path);
}
