/**
 * Labelled sentences for classification: reading them (a TSV `text<TAB>label` with an optional
 * header, or one text per line with a separate file of labels, or unlabelled lines to predict),
 * the label set (any strings), encoding with a tokenizer, and length-sorted padded batches.
 * Every problem with the input names its file and line: empty lines, missing labels, a TSV line
 * with the wrong number of columns, a label the model does not know.
 * Legend: T time (longest sentence of a batch), B batch.
 */
import { padBatch, shuffleInPlace } from '../data/batchify.js';
import { RnnlmError } from '../errors.js';
import { readTextFile } from '../platform/platform.js';
import type { Rng } from '../tensor/random.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { splitLines } from '../tokenizers/word.js';

export interface Example {
  text: string;
  /** The label as written (null for unlabelled text to predict). */
  label: string | null;
  /** 1-based line of the text in its file (for error messages and outputs). */
  line: number;
}

/** TSV header handling: auto skips a first line whose label column reads like a header. */
export const HEADER_MODES = ['auto', 'yes', 'no'] as const;
export type HeaderMode = (typeof HEADER_MODES)[number];

/** Column names that mark the first TSV line as a header in 'auto' mode (compared lower-case). */
const LABEL_HEADERS = new Set(['label', 'labels', 'class', 'category', 'target', 'sentiment', 'y']);

function bad(what: string, line: number, why: string): RnnlmError {
  return new RnnlmError('invalid_argument', `${what}, line ${line}: ${why}`, { line });
}

/**
 * `text<TAB>label` lines. header 'auto' skips a first line whose label column is a column name
 * (label, class, category, target, sentiment, y); 'yes' always skips the first line.
 */
export function parseLabeledTsv(content: string, opts: { what?: string; header?: HeaderMode } = {}): Example[] {
  const what = opts.what ?? 'the TSV';
  const { lines } = splitLines(content);
  const out: Example[] = [];
  lines.forEach((raw, i) => {
    const n = i + 1;
    const cols = raw.split('\t');
    if (i === 0) {
      const header = opts.header ?? 'auto';
      if (header === 'yes' || (header === 'auto' && cols.length === 2 && LABEL_HEADERS.has(cols[1]!.trim().toLowerCase()))) return;
    }
    if (raw.trim() === '') throw bad(what, n, 'the line is empty; every line needs text<TAB>label (remove blank lines)');
    if (cols.length !== 2) {
      throw bad(
        what,
        n,
        `expected 2 TAB-separated columns (text<TAB>label), got ${cols.length}${cols.length === 1 ? ' (the label is missing)' : ' (a TAB inside the text?)'}`,
      );
    }
    const text = cols[0]!.trim();
    const label = cols[1]!.trim();
    if (text === '') throw bad(what, n, 'the text column is empty');
    if (label === '') throw bad(what, n, 'the label is missing (empty second column)');
    out.push({ text, label, line: n });
  });
  if (out.length === 0) throw new RnnlmError('empty_corpus', `${what} has no examples`);
  return out;
}

/** One text per line, and (when given) the labels, one per line, aligned with the texts. */
export function parseTextAndLabels(texts: string, labels: string | null, opts: { what?: string; labelsWhat?: string } = {}): Example[] {
  const what = opts.what ?? 'the text file';
  const lw = opts.labelsWhat ?? 'the labels file';
  const t = splitLines(texts).lines;
  const l = labels === null ? null : splitLines(labels).lines;
  if (l && l.length !== t.length) {
    throw new RnnlmError(
      'invalid_argument',
      `${what} has ${t.length} lines but ${lw} has ${l.length}; they must align line by line (line ${Math.min(t.length, l.length) + 1} has no partner)`,
    );
  }
  const out = t.map((raw, i): Example => {
    const text = raw.trim();
    if (text === '') throw bad(what, i + 1, 'the line is empty; every line needs a text');
    let label: string | null = null;
    if (l) {
      label = l[i]!.trim();
      if (label === '') throw bad(lw, i + 1, 'the label is missing (empty line)');
      if (label.includes('\t')) throw bad(lw, i + 1, 'a label may not contain a TAB');
    }
    return { text, label, line: i + 1 };
  });
  if (out.length === 0) throw new RnnlmError('empty_corpus', `${what} has no lines`);
  return out;
}

/** Reads labelled examples from `file` (TSV), or `file` + `labelsFile` (one per line each). */
export function readExamples(file: string, opts: { labels?: string | null; header?: HeaderMode } = {}): Example[] {
  const text = readTextFile(file);
  if (opts.labels) return parseTextAndLabels(text, readTextFile(opts.labels), { what: file, labelsWhat: opts.labels });
  return parseLabeledTsv(text, { what: file, header: opts.header ?? 'auto' });
}

/** Label names ↔ class ids. Sorted (numbers by value), so the same label set always numbers the same way. */
export class LabelSet {
  readonly names: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  constructor(names: readonly string[]) {
    if (names.length < 2) {
      throw new RnnlmError(
        'invalid_argument',
        `a classifier needs at least 2 distinct labels, got ${names.length}${names.length ? ` (${JSON.stringify(names[0])})` : ''}`,
      );
    }
    if (new Set(names).size !== names.length) throw new RnnlmError('invalid_argument', 'label names must be distinct');
    this.names = [...names];
    this.ids = new Map(names.map((n, i) => [n, i]));
  }

  static fromExamples(examples: readonly Example[]): LabelSet {
    const seen = new Set<string>();
    for (const e of examples) if (e.label !== null) seen.add(e.label);
    return new LabelSet([...seen].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })));
  }

  get size(): number {
    return this.names.length;
  }

  name(id: number): string {
    const n = this.names[id];
    if (n === undefined) throw new RnnlmError('invalid_argument', `class id ${id} is out of range (0..${this.names.length - 1})`);
    return n;
  }

  /** Class id of `label`, or an error naming the line and the known labels. */
  id(label: string, where = 'the data', line?: number): number {
    const id = this.ids.get(label);
    if (id === undefined) {
      const at = line === undefined ? where : `${where}, line ${line}`;
      throw new RnnlmError(
        'invalid_argument',
        `${at}: unknown label ${JSON.stringify(label)}; the model knows ${this.names.map((n) => JSON.stringify(n)).join(', ')}`,
        { line },
      );
    }
    return id;
  }
}

export interface EncodedExample {
  ids: Int32Array;
  /** Class id (−1 when unlabelled). */
  label: number;
  /** Index into the example list it came from. */
  index: number;
}

/**
 * Token ids of one sentence: the tokenizer's ids of the line, then its end-of-sentence id
 * (word and BPE tokenizers; as a language model sees a line). Never empty.
 */
export function encodeSentence(tokenizer: Tokenizer, text: string): Int32Array {
  const ids = tokenizer.encode(text.replace(/[\r\n]+/g, ' '), { addEos: tokenizer.eosId !== null });
  if (ids.length === 0) throw new RnnlmError('invalid_argument', `the text ${JSON.stringify(text.slice(0, 40))} gives no tokens`);
  return ids;
}

/** Encodes examples; labels must be in `labels` (errors name `what` and the line). */
export function encodeExamples(examples: readonly Example[], tokenizer: Tokenizer, labels: LabelSet | null, what = 'the data'): EncodedExample[] {
  return examples.map((e, index) => ({
    ids: encodeSentence(tokenizer, e.text),
    label: labels && e.label !== null ? labels.id(e.label, what, e.line) : -1,
    index,
  }));
}

export interface ClassifyBatch {
  /** [T,B] time-major, padded (with id 0: padding is never read). */
  ids: Int32Array;
  lengths: Int32Array;
  T: number;
  B: number;
  /** [B] class ids (−1 when unlabelled). */
  labels: Int32Array;
  /** EncodedExample.index of each row. */
  indices: number[];
}

export function makeBatch(examples: readonly EncodedExample[]): ClassifyBatch {
  const p = padBatch(
    examples.map((e) => e.ids),
    0,
  );
  return { ids: p.ids, lengths: p.lengths, T: p.T, B: p.B, labels: Int32Array.from(examples.map((e) => e.label)), indices: examples.map((e) => e.index) };
}

/**
 * Batches of up to `batchSize` sentences of similar length. With `rng` (training) the examples
 * are shuffled before a stable sort by length and the batches are shuffled after, so batches
 * differ between epochs; without it the order is by length (evaluation).
 */
export function makeBatches(examples: readonly EncodedExample[], batchSize: number, rng?: Rng): ClassifyBatch[] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RnnlmError('invalid_argument', `batch size must be an integer ≥ 1, got ${batchSize}`);
  const order = examples.slice();
  if (rng) shuffleInPlace(order, rng);
  order.sort((a, b) => a.ids.length - b.ids.length);
  const batches: ClassifyBatch[] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(makeBatch(order.slice(i, i + batchSize)));
  if (rng) shuffleInPlace(batches, rng);
  return batches;
}
