/**
 * Saving and loading a classifier: one checkpoint directory (io/checkpoint.ts: safetensors under
 * the classifier's PyTorch-style names, config.json written last, so a crashed save never leaves
 * a half checkpoint), config.json's model = { architecture: 'classifier', ...RNNClassifierConfig,
 * labels: [names by class id], extra }, tokenizer.json = the tokenizer's JSON.
 */
import { RECURRENT_MODES, type RecurrentMode } from '../backend/kernels.js';
import { RnnlmError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { POOLINGS, type Pooling, RNNClassifier, type RNNClassifierConfig } from '../models/classifier.js';
import type { DType } from '../tensor/tensor.js';
import { type Tokenizer, tokenizerFromJSON } from '../tokenizers/index.js';
import { LabelSet } from './data.js';

export const CLASSIFIER_ARCHITECTURE = 'classifier';

export interface LoadedClassifier {
  model: RNNClassifier;
  tokenizer: Tokenizer;
  labels: LabelSet;
  /** Anything saved alongside (training summary, data files). */
  extra: Record<string, unknown>;
}

export function saveClassifier(dir: string, model: RNNClassifier, tokenizer: Tokenizer, labels: LabelSet, extra: Record<string, unknown> = {}): void {
  if (labels.size !== model.config.numClasses) {
    throw new RnnlmError('invalid_argument', `${labels.size} label names for a model with ${model.config.numClasses} classes`);
  }
  const { dtype: _dtype, ...config } = model.config;
  saveCheckpoint(dir, {
    stateDict: model.stateDict(),
    config: { architecture: CLASSIFIER_ARCHITECTURE, ...config, labels: [...labels.names], extra },
    tokenizer: tokenizer.toJSON(),
  });
}

export function loadClassifier(dir: string, opts: { dtype?: DType } = {}): LoadedClassifier {
  const ck = loadCheckpoint(dir, opts);
  const raw = ck.config;
  const bad = (why: string): never => {
    throw new RnnlmError('corrupt_checkpoint', `${dir}/config.json: ${why}`);
  };
  if (raw.architecture !== CLASSIFIER_ARCHITECTURE) {
    bad(
      `architecture is ${JSON.stringify(raw.architecture)}, not "${CLASSIFIER_ARCHITECTURE}"${raw.architecture === 'rnnlm' ? ' (a language model: use rnnlm eval/generate, or classify train --init-from)' : ''}`,
    );
  }
  const int = (k: string): number => {
    const v = raw[k];
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : bad(`${k} must be a positive integer`);
  };
  const prob = (k: string): number => {
    const v = raw[k] ?? 0;
    return typeof v === 'number' && v >= 0 && v < 1 ? v : bad(`${k} must be a number in [0, 1)`);
  };
  if (typeof raw.cell !== 'string' || !(RECURRENT_MODES as readonly string[]).includes(raw.cell)) bad(`cell must be one of ${RECURRENT_MODES.join(', ')}`);
  if (typeof raw.pooling !== 'string' || !(POOLINGS as readonly string[]).includes(raw.pooling)) bad(`pooling must be one of ${POOLINGS.join(', ')}`);
  const names = raw.labels;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) bad('labels must be a list of strings');
  const cfg: RNNClassifierConfig = {
    vocabSize: int('vocabSize'),
    numClasses: int('numClasses'),
    embedSize: int('embedSize'),
    hiddenSize: int('hiddenSize'),
    numLayers: int('numLayers'),
    attentionSize: int('attentionSize'),
    cell: raw.cell as RecurrentMode,
    bidirectional: raw.bidirectional === true,
    pooling: raw.pooling as Pooling,
    dropout: prob('dropout'),
    dropoutInput: prob('dropoutInput'),
    seed: typeof raw.seed === 'number' ? raw.seed : 1,
    dtype: opts.dtype ?? 'float32',
  };
  const params = cfg.vocabSize * cfg.embedSize + cfg.numLayers * 8 * cfg.hiddenSize * (cfg.embedSize + 3 * cfg.hiddenSize);
  if (cfg.numLayers > 64 || params > 2 ** 31)
    bad(`the model it describes is implausibly large (${cfg.numLayers} layers, ~${params.toExponential(1)} parameters)`);
  const labels = new LabelSet(names as string[]);
  if (labels.size !== cfg.numClasses) bad(`${labels.size} labels for ${cfg.numClasses} classes`);
  const tokenizer = tokenizerFromJSON(ck.tokenizer);
  if (tokenizer.vocabSize !== cfg.vocabSize) {
    throw new RnnlmError(
      'checkpoint_mismatch',
      `${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model expects ${cfg.vocabSize}; the checkpoint files come from different runs`,
    );
  }
  const model = new RNNClassifier(cfg);
  model.loadStateDict(ck.stateDict);
  model.eval();
  const extra = raw.extra && typeof raw.extra === 'object' ? (raw.extra as Record<string, unknown>) : {};
  return { model, tokenizer, labels, extra };
}
