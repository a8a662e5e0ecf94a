/**
 * The run spec of translation training, in the same three sections as a language-model run
 * (train/spec.ts): data (parallel files or a pairs file, tokenizers of the two sides), model (a
 * Seq2SeqConfig before the data gives the vocabulary sizes) and train (TranslationTrainConfig).
 */
import type { Seq2SeqConfig } from '../models/seq2seq.js';
import type { SideTokenizerKind } from './side.js';
import type { TranslationTrainConfig } from './train.js';

export interface TranslationDataSpec {
  /** Aligned source/target files, one sentence per line ... */
  srcTrain?: string;
  tgtTrain?: string;
  srcValid?: string;
  tgtValid?: string;
  srcTest?: string;
  tgtTest?: string;
  /** ... or one TAB-separated pairs file, split 90/5/5 with splitSeed. */
  pairs?: string;
  /** "source,target" columns of the pairs file. */
  pairsColumns: string;
  splitSeed: number;
  srcTokenizer: SideTokenizerKind;
  tgtTokenizer: SideTokenizerKind;
  /** Word sides: lowercase (output capitalised at the start). */
  lowercase: boolean;
  minCount: number;
  maxVocab?: number;
  bpeMerges: number;
  /** Training pairs with more tokens on a side are skipped. */
  maxLen: number;
}

export type TranslationModelSpec = Omit<Seq2SeqConfig, 'srcVocabSize' | 'tgtVocabSize' | 'dtype'>;

export interface TranslationRunSpec {
  data: TranslationDataSpec;
  model: TranslationModelSpec;
  train: TranslationTrainConfig;
}

/** The run `rnnlm translate train` makes when nothing else is said (Luong et al. 2015 style, small). */
export function defaultTranslationSpec(): TranslationRunSpec {
  return {
    data: { pairsColumns: '0,1', splitSeed: 1, srcTokenizer: 'word', tgtTokenizer: 'word', lowercase: true, minCount: 1, bpeMerges: 8000, maxLen: 50 },
    model: { embedSize: 256, hiddenSize: 256, numLayers: 1, cell: 'lstm', attention: 'general', bidirectional: false, dropout: 0.2, init: 0.1, seed: 1 },
    train: {
      batchSize: 64,
      epochs: 10,
      optimizer: 'adam',
      lr: 0.001,
      clip: 5,
      teacherForcingRatio: 1,
      plateauFactor: 0.5,
      plateauPatience: 0,
      evalBatchSize: 64,
      seed: 1,
    },
  };
}
