/** Sentence classification: data, the RNN classifier, training, metrics, LM initialisation, checkpoints. */
export { RNNClassifier, POOLINGS, type Pooling, type RNNClassifierConfig, type ClassifierOutput } from '../models/classifier.js';
export {
  LabelSet,
  parseLabeledTsv,
  parseTextAndLabels,
  readExamples,
  encodeSentence,
  encodeExamples,
  makeBatch as makeClassifyBatch,
  makeBatches as makeClassifyBatches,
  type Example,
  HEADER_MODES,
  type HeaderMode,
  type EncodedExample,
  type ClassifyBatch,
} from './data.js';
export { classificationReport, formatReport, type ClassificationReport, type ClassMetrics } from './metrics.js';
export {
  trainClassifier,
  evaluateClassifier,
  predict as predictClasses,
  type ClassifierTrainConfig,
  type ClassifierEpochInfo,
  type ClassifierTrainHooks,
  type ClassifierTrainResult,
  type Predictions,
} from './train.js';
export { initFromLanguageModel, type LmInitResult } from './pretrain.js';
export { saveClassifier, loadClassifier, CLASSIFIER_ARCHITECTURE, type LoadedClassifier } from './io.js';
export {
  defaultClassifySpec,
  FREEZE_MODES,
  type FreezeMode,
  type ClassifyRunSpec,
  type ClassifyDataSpec,
  type ClassifyModelSpec,
} from './spec.js';
