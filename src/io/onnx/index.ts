/** Interoperability: ONNX export (language and translation models, ONNX's own recurrent operators) and PyTorch state-dict import. */
export { exportLanguageModelOnnx, languageModelGraph, lmStateNames, type OnnxExportOptions } from './lm.js';
export { exportTranslationOnnx, translationGraphs } from './seq2seq.js';
export { exportCheckpointToOnnx, checkpointArchitecture, onnxStem, type OnnxExportResult } from './export.js';
export { encodeModel, decodeModel, IR_VERSION, OPSET } from './proto.js';
