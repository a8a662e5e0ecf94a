/**
 * rnnlm public API (platform-neutral, no side effects). Node users import "rnnlm" (src/node.ts),
 * which also registers the Node platform and the fastest backend.
 */
export { RnnlmError, isRnnlmError, type ErrorCode } from './errors.js';
export { Tensor, type DType, type FloatArray } from './tensor/tensor.js';
export { Rng } from './tensor/random.js';
export { type Backend, type BackendName, getBackend, setBackend, registerBackend, availableBackends } from './backend/backend.js';
export type { Kernels, RecurrentMode } from './backend/kernels.js';
export { selectBackend, describeBackend, type BackendPreference, type BackendCandidate } from './backend/select.js';
export { jsBackend } from './backend/js/index.js';
export { backward, noGrad, gradcheck } from './autograd/index.js';
export * as ops from './ops/index.js';
export { Module } from './nn/module.js';
export { Linear } from './nn/linear.js';
export { Embedding } from './nn/embedding.js';
export { RNN, type RNNOptions, type RNNState } from './nn/rnn.js';
export { RNNLM, type RNNLMConfig, type RNNLMOutput, detachState, activationPenalty, parseRNNLMConfig } from './models/rnnlm.js';
export * from './optim/index.js';
export * from './tokenizers/index.js';
export * from './data/index.js';
export { sampleToken, greedy, topCandidates, type TokenCandidate } from './generate/sample.js';
export { generate, generateTokens, startId, type GenerateOptions, type GeneratedToken } from './generate/generate.js';
export { beamSearch, lengthPenalty, type BeamSearchOptions, type BeamHypothesis } from './generate/beam.js';
export { scoreSentences, summarizeScores, sentenceIds, tokenLogProbs, drain, type ScoreOptions, type SentenceScore, type CorpusScore } from './generate/score.js';
export { parseNBest, rescoreNBest, formatRescored, type NBestEntry, type RescoreOptions, type RescoredEntry } from './generate/nbest.js';
export { parseEmbeddings, readEmbeddings, applyPretrainedEmbeddings, loadPretrainedEmbeddings, type EmbeddingTable, type PretrainedOptions, type PretrainedResult } from './io/embeddings.js';
export {
  trainLanguageModel,
  defaultTrainConfig,
  sampleBpttLength,
  type TrainConfig,
  type TrainHooks,
  type TrainOptions,
  type TrainResult,
  type TrainOptimizerName,
  type LrDecayAfter,
  type StepInfo,
  type EpochInfo,
  type CheckpointInfo,
} from './train/loop.js';
export { loadResumableCheckpoint, type ResumableCheckpoint, type TrainingState } from './train/resume.js';
export { PRESETS, getPreset, presetNames, type TrainPreset, type PresetData } from './train/presets.js';
export { NTASGD, type NTASGDState } from './optim/asgd.js';
export { lockedDropout, embeddingDropout, maskedEmbedding } from './ops/dropout.js';
export { meanSquare, timeDiff } from './ops/regularization.js';
export { evaluate, type EvalResult, type EvalOptions } from './train/evaluate.js';
export { renderTrainingCurves, parseTrainLog, type PlotOptions, type TrainLogRecord } from './train/plot.js';
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
export { saveCheckpoint, loadCheckpoint, isCheckpointDir, encodeSafetensors, decodeSafetensors } from './io/index.js';
export { saveLanguageModel, loadLanguageModel, type LoadedModel } from './io/lm.js';
export { type Platform, setPlatform, platform, readTextFile, decodeUtf8 } from './platform/platform.js';
