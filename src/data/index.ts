/** Data pipeline (tensor-free): vocabulary, corpora, batching. */

export {
  readCorpusFile,
  normalizeLineBreaks,
  splitText,
  encodeSplit,
  buildTokenizer,
  loadTextDataset,
  type SplitTextOptions,
  type TokenizerKindOption,
  type BuildTokenizerOptions,
  type TextDatasetFiles,
  type TextDatasetOptions,
  type TextDataset,
} from './corpus.js';
export { batchify, getBatch, bpttWindows, numWindows, padBatch, shuffleInPlace, type Batched, type Batch, type PaddedBatch } from './batchify.js';
