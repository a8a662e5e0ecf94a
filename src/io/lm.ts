/**
 * Saving and loading a whole language model: weights (PyTorch state-dict names), the model
 * configuration and the tokenizer, in one checkpoint directory (see checkpoint.ts).
 */
import { RnnlmError } from '../errors.js';
import { RNNLM, type RNNLMConfig, parseRNNLMConfig } from '../models/rnnlm.js';
import type { DType } from '../tensor/tensor.js';
import { type Tokenizer, tokenizerFromJSON } from '../tokenizers/index.js';
import { type TrainingState, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { checkFiniteTensors } from './finite.js';

export interface LoadedModel {
  model: RNNLM;
  tokenizer: Tokenizer;
  trainingState: TrainingState | null;
}

export function saveLanguageModel(dir: string, model: RNNLM, tokenizer: Tokenizer, trainingState?: TrainingState): void {
  const { dtype: _dtype, ...config } = model.config;
  saveCheckpoint(dir, {
    stateDict: model.stateDict(),
    config: { architecture: 'rnnlm', ...config },
    tokenizer: tokenizer.toJSON(),
    ...(trainingState ? { trainingState } : {}),
  });
}

export function loadLanguageModel(dir: string, opts: { dtype?: DType } = {}): LoadedModel {
  const ck = loadCheckpoint(dir, opts);
  checkFiniteTensors(ck.stateDict, `${dir}/model.safetensors`); // a diverged model is refused now, not after an evaluation pass
  const cfg = parseConfig(ck.config, dir);
  const tokenizer = tokenizerFromJSON(ck.tokenizer);
  if (tokenizer.vocabSize !== cfg.vocabSize) {
    throw new RnnlmError(
      'checkpoint_mismatch',
      `${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model expects ${cfg.vocabSize}; the checkpoint files come from different runs`,
    );
  }
  const model = new RNNLM({ ...cfg, dtype: opts.dtype ?? 'float32' });
  model.loadStateDict(ck.stateDict);
  model.eval();
  return { model, tokenizer, trainingState: ck.trainingState };
}

function parseConfig(raw: Record<string, unknown>, dir: string): RNNLMConfig {
  const where = `${dir}/config.json`;
  const bad = (why: string): never => {
    throw new RnnlmError('corrupt_checkpoint', `${where}: ${why}`);
  };
  if (raw.architecture !== 'rnnlm') bad(`unknown architecture ${JSON.stringify(raw.architecture)} (expected "rnnlm")`);
  const cfg = parseRNNLMConfig(raw, where);
  // A damaged or hostile config must not make us allocate without bound before the weights are read.
  const { vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L } = cfg;
  const widest = Math.max(H, ...(cfg.hiddenSizes ?? []));
  const params = V * E + widest * V + L * 4 * widest * (Math.max(E, widest) + widest + 2);
  if (L > 64 || params > 2 ** 31) bad(`the model it describes is implausibly large (${L} layers, ~${params.toExponential(1)} parameters)`);
  if (cfg.tieWeights && cfg.embedSize !== (cfg.hiddenSizes?.at(-1) ?? cfg.hiddenSize)) bad('tieWeights needs the last layer size to equal embedSize');
  return cfg;
}
