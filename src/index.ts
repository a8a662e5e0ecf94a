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
export { RNNLM, type RNNLMConfig, detachState } from './models/rnnlm.js';
export * from './optim/index.js';
export * from './tokenizers/index.js';
export * from './data/index.js';
export { sampleToken, greedy } from './generate/sample.js';
export { generate, generateTokens, type GenerateOptions, type GeneratedToken } from './generate/generate.js';
export { trainLanguageModel, defaultTrainConfig, type TrainConfig, type TrainHooks, type TrainResult, type StepInfo, type EpochInfo } from './train/loop.js';
export { evaluate, type EvalResult, type EvalOptions } from './train/evaluate.js';
export { saveCheckpoint, loadCheckpoint, isCheckpointDir, encodeSafetensors, decodeSafetensors } from './io/index.js';
export { saveLanguageModel, loadLanguageModel, type LoadedModel } from './io/lm.js';
export { type Platform, setPlatform, platform, readTextFile, decodeUtf8 } from './platform/platform.js';
