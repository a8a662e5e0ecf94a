/**
 * Saving and loading a whole language model: weights (PyTorch state-dict names), the model
 * configuration and the tokenizer, in one checkpoint directory (see checkpoint.ts).
 */
import type { Precision } from '../backend/kernels.js';
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

/**
 * opts.weightsAs 'BF16' stores the weights rounded to bfloat16 (half the bytes: models shipped for
 * inference, e.g. to a web page); they load as float32 holding those rounded values.
 */
export function saveLanguageModel(
  dir: string,
  model: RNNLM,
  tokenizer: Tokenizer,
  trainingState?: TrainingState,
  opts: { weightsAs?: 'F32' | 'BF16' } = {},
): void {
  const { dtype: _dtype, ...config } = model.config;
  saveCheckpoint(dir, {
    stateDict: model.stateDict(),
    config: { architecture: 'rnnlm', ...config },
    tokenizer: tokenizer.toJSON(),
    ...(trainingState ? { trainingState } : {}),
    ...(opts.weightsAs ? { weightsAs: opts.weightsAs } : {}),
  });
}

/**
 * opts.precision: run the model's matrix products in this precision instead of the one it was
 * trained with (config.json's `precision`, 'fp32' when absent), e.g. bf16 evaluation of an fp32 model.
 */
export function loadLanguageModel(dir: string, opts: { dtype?: DType; precision?: Precision } = {}): LoadedModel {
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
  const model = new RNNLM({ ...cfg, dtype: opts.dtype ?? 'float32', ...(opts.precision ? { precision: opts.precision } : {}) });
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
  // Checked (sizes included) before the model is built: a damaged or hostile config must not make us allocate without bound.
  return parseRNNLMConfig(raw, where);
}
