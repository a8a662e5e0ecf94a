/** Translation: parallel data, Seq2Seq training, greedy/beam decoding, BLEU, checkpoints. */
export {
  corpusBleu,
  computeBleu,
  formatBleu,
  bleuTokenize,
  tokenize13a,
  tokenizeZh,
  tokenizeChar,
  BLEU_TOKENIZERS,
  type BleuTokenizer,
  type BleuOptions,
  type BleuScore,
  type SmoothMethod,
} from './bleu.js';
export { pretokenize, detokenize, HYPHEN_TOKEN } from './text.js';
export { TranslationSide, SIDE_TOKENIZERS, type SideTokenizerKind, type SideOptions, type SideJSON } from './side.js';
export {
  IGNORE,
  readLines,
  readParallel,
  parsePairs,
  splitParallel,
  encodeParallel,
  withEos,
  makeBatch,
  makeBatches,
  type ParallelText,
  type EncodedPair,
  type TranslationBatch,
} from './data.js';
export {
  trainTranslation,
  evaluateTranslationLoss,
  batchLoss,
  type TranslationTrainConfig,
  type TranslationStepInfo,
  type TranslationEpochInfo,
  type TranslationTrainHooks,
  type TranslationTrainResult,
} from './train.js';
export { translateIds, sampleIds, sampleSteps, forbid, type DecodeOptions, type SampleDecodeOptions, type Hypothesis } from './decode.js';
export { defaultTranslationSpec, type TranslationRunSpec, type TranslationDataSpec, type TranslationModelSpec } from './spec.js';
export { attentionWeights, attendSentence, sideTokenLabel, EOS_LABEL, type AttentionMap } from './attention-map.js';
export { saveTranslationModel, loadTranslationModel, type LoadedTranslationModel } from './io.js';
export {
  Seq2Seq,
  checkSeq2SeqConfig,
  parseSeq2SeqConfig,
  selectEncoded,
  selectState,
  type Seq2SeqConfig,
  type Encoded,
  type DecodeResult,
} from '../models/seq2seq.js';
export { LuongAttention, ATTENTION_KINDS, type AttentionKind } from '../models/attention.js';
