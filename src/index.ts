/**
 * rnnlm public API (platform-neutral, no side effects). Node users import "rnnlm" (src/node.ts),
 * which also registers the Node platform and the fastest backend.
 */
export { RnnlmError, isRnnlmError, type ErrorCode } from './errors.js';
export { Tensor, type DType, type FloatArray } from './tensor/tensor.js';
export { Rng } from './tensor/random.js';
export { BACKEND_NAMES, type Backend, type BackendName, getBackend, setBackend, registerBackend, availableBackends, pinArrays } from './backend/backend.js';
export { PRECISIONS, RECURRENT_MODES, type Kernels, type Precision, type RecurrentMode } from './backend/kernels.js';
export { BACKEND_PREFERENCES, selectBackend, describeBackend, describePrecision, type BackendPreference, type BackendCandidate } from './backend/select.js';
export { jsBackend } from './backend/js/index.js';
export { backward, noGrad, gradcheck } from './autograd/index.js';
export * as ops from './ops/index.js';
export { Module } from './nn/module.js';
export { Linear } from './nn/linear.js';
export { Embedding } from './nn/embedding.js';
export { RNN, type RNNOptions, type RNNState } from './nn/rnn.js';
export { RNNLM, type RNNLMConfig, type RNNLMOutput, detachState, activationPenalty, parseRNNLMConfig, checkRNNLMConfig } from './models/rnnlm.js';
export { MAX_LAYERS, MAX_PARAMETERS } from './models/limits.js';
export * from './optim/index.js';
export * from './tokenizers/index.js';
export * from './data/index.js';
export { sampleToken, greedy, topCandidates, type TokenCandidate } from './generate/sample.js';
export { generate, generateTokens, startId, type GenerateOptions, type GeneratedToken } from './generate/generate.js';
export {
  BatchGenerator,
  Sequence,
  EXACT_ROW_GROUP,
  type BatchGeneratorOptions,
  type BatchToken,
  type SequenceEnd,
  type SequenceOptions,
} from './generate/batch.js';
export { beamSearch, gnmtLengthPenalty, type BeamSearchOptions, type BeamHypothesis } from './generate/beam.js';
export {
  scoreSentences,
  summarizeScores,
  sentenceIds,
  tokenLogProbs,
  drain,
  type ScoreOptions,
  type SentenceScore,
  type CorpusScore,
} from './generate/score.js';
export { scoreSentenceTokens, type SentenceTokens } from './generate/score.js';
export {
  ngramMix,
  ngramStreamLogProbs,
  rnnStreamLogProbs,
  mixLogProb,
  mixedPerplexities,
  tuneNgramWeight,
  scoreSentencesMixed,
  type NgramMix,
  type MixedPerplexities,
} from './generate/interpolate.js';
export {
  NgramModel,
  NgramVocab,
  estimateKneserNey,
  modifiedKnDiscounts,
  formatArpa,
  arpaText,
  parseArpa,
  wordSentences,
  tokenizerSentences,
  summarizeNgramScores,
  arpaWord,
  type KneserNeyOptions,
  type KneserNeyStats,
  type NgramCorpusScore,
  type NgramSentenceScore,
  type SentenceStream,
  defaultNgramSpec,
  type NgramRunSpec,
  type NgramDataSpec,
} from './ngram/index.js';
export { wordErrorRate, alignWords, type WordAlignment, type ErrorCounts, type CorpusErrorRate } from './generate/wer.js';
export { parseNBest, rescoreNBest, formatRescored, type NBestEntry, type RescoreOptions, type RescoredEntry } from './generate/nbest.js';
export {
  parseEmbeddings,
  readEmbeddings,
  applyPretrainedEmbeddings,
  loadPretrainedEmbeddings,
  type EmbeddingTable,
  type PretrainedOptions,
  type PretrainedResult,
} from './io/embeddings.js';
export {
  trainLanguageModel,
  defaultTrainConfig,
  TRAIN_OPTIMIZER_NAMES,
  sampleBpttLength,
  type TrainConfig,
  type TrainHooks,
  type TrainOptions,
  type TrainResult,
  type TrainOptimizerName,
  type LrDecayAfter,
  type EpochInfo,
  type CheckpointInfo,
} from './train/loop.js';
export type { LoopConfig, StepInfo, TrainBudget } from './train/engine.js';
export {
  loadResumableCheckpoint,
  writeResumeCheckpoint,
  findResumeCheckpoint,
  recoverRunDir,
  runDirOf,
  savedRunSpec,
  resumeConflicts,
  RESUME_FREE,
  RESUME_SUBDIR,
  type ResumableCheckpoint,
  type TrainingState,
} from './train/resume.js';
export { defaultLmSpec, presetSpec, type LmRunSpec, type LmDataSpec, type LmModelSpec, type LmTokenizerKind } from './train/spec.js';
export { PRESETS, getPreset, presetNames, type TrainPreset, type PresetData } from './train/presets.js';
export { NTASGD, type NTASGDState } from './optim/asgd.js';
export { lockedDropout, embeddingDropout, maskedEmbedding } from './ops/dropout.js';
export { meanSquare, timeDiff } from './ops/regularization.js';
export { evaluate, type EvalResult, type EvalOptions } from './train/evaluate.js';
export { renderTrainingCurves, parseTrainLog, type PlotOptions, type TrainLogRecord } from './train/plot.js';
export { saveCheckpoint, loadCheckpoint, isCheckpointDir, recoverCheckpointDir, encodeSafetensors, decodeSafetensors } from './io/index.js';
export {
  gradientFlow,
  unrollWindow,
  makeProbes,
  zeroLayerStates,
  type GradientFlowOptions,
  type GradientFlowResult,
  type GradientFlowLayer,
  type FlowWindow,
  type LayerState,
  type UnrolledWindow,
} from './analyze/gradient-flow.js';
export { renderGradientFlow, gradientFlowSeries, type GradientFlowEntry, type GradientPlotOptions } from './analyze/gradient-plot.js';
export { renderHeatmap, type HeatmapData, type HeatmapOptions } from './analyze/heatmap.js';
export { saveLanguageModel, loadLanguageModel, type LoadedModel } from './io/lm.js';
export { languageModelFromTorch, torchLMConfig, type TorchImportOptions } from './io/torch-import.js';
export * from './classify/index.js';
export { type Platform, setPlatform, platform, readTextFile, decodeUtf8 } from './platform/platform.js';
