/**
 * Saving and loading a whole language model: weights (PyTorch state-dict names), the model
 * configuration and the tokenizer, in one checkpoint directory (see checkpoint.ts).
 */
import { RnnlmError } from '../errors.js';
import { RNNLM, type RNNLMConfig } from '../models/rnnlm.js';
import type { DType } from '../tensor/tensor.js';
import { type Tokenizer, tokenizerFromJSON } from '../tokenizers/index.js';
import { type TrainingState, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

export interface LoadedModel {
  model: RNNLM;
  tokenizer: Tokenizer;
  trainingState: TrainingState | null;
}

const CELLS = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu', 'rnn_sigmoid'];

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
  const bad = (why: string): never => {
    throw new RnnlmError('corrupt_checkpoint', `${dir}/config.json: ${why}`);
  };
  if (raw.architecture !== 'rnnlm') bad(`unknown architecture ${JSON.stringify(raw.architecture)} (expected "rnnlm")`);
  const int = (k: string): number => {
    const v = raw[k];
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : bad(`${k} must be a positive integer`);
  };
  const cell = raw.cell;
  if (typeof cell !== 'string' || !CELLS.includes(cell)) bad(`cell must be one of ${CELLS.join(', ')}`);
  // Optional fields: absent means the default, present must be valid (a bad value is a damaged
  // config.json, not an invalid argument from the caller).
  const dropout = raw.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) bad('dropout must be a number in [0, 1)');
  const tieWeights = raw.tieWeights ?? false;
  if (typeof tieWeights !== 'boolean') bad('tieWeights must be true or false');
  const seed = raw.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) bad('seed must be a number');
  const cfg: RNNLMConfig = {
    vocabSize: int('vocabSize'),
    embedSize: int('embedSize'),
    hiddenSize: int('hiddenSize'),
    numLayers: int('numLayers'),
    cell: cell as RNNLMConfig['cell'],
    dropout: dropout as number,
    tieWeights: tieWeights as boolean,
    seed: seed as number,
  };
  // A damaged or hostile config must not make us allocate without bound before the weights are read.
  const { vocabSize: V, embedSize: E, hiddenSize: H, numLayers: L } = cfg;
  const params = V * E + H * V + L * 4 * H * (Math.max(E, H) + H + 2);
  if (L > 64 || params > 2 ** 31) bad(`the model it describes is implausibly large (${L} layers, ~${params.toExponential(1)} parameters)`);
  if (cfg.tieWeights && cfg.embedSize !== cfg.hiddenSize) bad(`tieWeights needs embedSize == hiddenSize (got ${cfg.embedSize} and ${cfg.hiddenSize})`);
  return cfg;
}
