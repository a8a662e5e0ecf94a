/**
 * Named training recipes from the literature, so a known result can be reproduced with one
 * option (`rnnlm train --preset NAME`). Each preset is a complete model + training configuration
 * plus the data it was published on; data paths are relative to a shared data folder that the
 * front-end resolves (the CLI: ../shared/data next to the package, or $RNNLM_DATA_DIR).
 * Every field can still be overridden (the CLI: any explicit option wins over the preset).
 */
import { RnnlmError } from '../errors.js';
import type { RNNLMConfig } from '../models/rnnlm.js';
import type { TrainConfig } from './loop.js';

export interface PresetData {
  /** Paths relative to the shared data folder. */
  train: string;
  valid?: string;
  test?: string;
  tokenizer: 'char' | 'word';
  /** Held-out fraction of train when there is no valid file. */
  validFraction?: number;
}

export interface TrainPreset {
  name: string;
  summary: string;
  /** Paper / code the settings come from, and any deliberate deviation. */
  source: string;
  /** What a full run should reach, as published. */
  expected: string;
  data: PresetData;
  model: Omit<RNNLMConfig, 'vocabSize' | 'dtype'>;
  train: TrainConfig;
}

const PTB: PresetData = { train: 'ptb/ptb.train.txt', valid: 'ptb/ptb.valid.txt', test: 'ptb/ptb.test.txt', tokenizer: 'word' };
const WT2: PresetData = { train: 'wikitext-2/train.txt', valid: 'wikitext-2/valid.txt', test: 'wikitext-2/test.txt', tokenizer: 'word' };

/** pytorch/examples word_language_model, medium tied LSTM: `--emsize 650 --nhid 650 --dropout 0.5 --epochs 40 --tied`. */
const medium = (data: PresetData): Pick<TrainPreset, 'model' | 'train' | 'data'> => ({
  data,
  model: { embedSize: 650, hiddenSize: 650, numLayers: 2, cell: 'lstm', dropout: 0.5, tieWeights: true, init: 0.1, seed: 1111 },
  train: {
    batchSize: 20,
    bptt: 35,
    epochs: 40,
    optimizer: 'sgd',
    lr: 20,
    clip: 0.25,
    // The example divides lr by 4 whenever validation loss does not improve.
    plateauFactor: 0.25,
    plateauPatience: 0,
    evalBatchSize: 10,
    checkpointEvery: 1000,
  },
});

/** Merity et al. 2017 (AWD-LSTM), 3-layer LSTM 1150/1150/400, tied, NT-ASGD. */
const awd = (
  data: PresetData,
  o: { dropoutInput: number; dropoutHidden: number; batchSize: number; epochs: number; seed: number },
): Pick<TrainPreset, 'model' | 'train' | 'data'> => ({
  data,
  model: {
    embedSize: 400,
    hiddenSize: 400,
    hiddenSizes: [1150, 1150, 400],
    numLayers: 3,
    cell: 'lstm',
    tieWeights: true,
    init: 0.1,
    seed: o.seed,
    dropoutOutput: 0.4,
    dropoutHidden: o.dropoutHidden,
    dropoutInput: o.dropoutInput,
    dropoutEmbedding: 0.1,
    weightDrop: 0.5,
  },
  train: {
    batchSize: o.batchSize,
    bptt: 70,
    variableBptt: true,
    epochs: o.epochs,
    optimizer: 'ntasgd',
    nonmono: 5,
    lr: 30,
    clip: 0.25,
    optimizerOptions: { weightDecay: 1.2e-6 },
    ar: 2,
    tar: 1,
    plateauFactor: 1,
    plateauPatience: 0,
    evalBatchSize: 10,
    checkpointEvery: 1000,
  },
});

export const PRESETS: Readonly<Record<string, TrainPreset>> = {
  'ptb-small': {
    name: 'ptb-small',
    summary: 'Zaremba et al. small: 2×200 LSTM, no dropout, SGD (lr 1 per summed window = 20 per token-mean) halved per epoch after epoch 4, 13 epochs',
    source:
      'Zaremba, Sutskever & Vinyals 2014, "Recurrent Neural Network Regularization", small config (TensorFlow ptb_word_lm SmallConfig): ' +
      'init U(±0.1), lr 1, max_grad_norm 5, 2 layers, num_steps 20, hidden 200, max_epoch 4, max_max_epoch 13, keep_prob 1, lr_decay 0.5, batch 20. ' +
      'Units: ptb_word_lm minimises the loss SUMMED over the 20 steps of a window (averaged over the batch); rnnlm averages over all ' +
      'T·B tokens, so its gradient is 20× smaller, and lr 1 / clip 5 there are lr 20 / clip 0.25 here (the same updates; they are also ' +
      "PyTorch word_language_model's defaults). Deviation: U(±0.1) covers embedding and decoder; the LSTM keeps PyTorch init U(±1/√200) ≈ U(±0.07).",
    expected: 'validation perplexity ≈ 120, test ≈ 115',
    data: PTB,
    model: { embedSize: 200, hiddenSize: 200, numLayers: 2, cell: 'lstm', dropout: 0, tieWeights: false, init: 0.1, seed: 1 },
    train: {
      batchSize: 20,
      bptt: 20,
      epochs: 13,
      optimizer: 'sgd',
      lr: 20,
      clip: 0.25,
      plateauFactor: 1,
      plateauPatience: 0,
      evalBatchSize: 20,
      lrDecay: { kind: 'after', startEpoch: 4, factor: 0.5 },
      checkpointEvery: 2000,
    },
  },
  'ptb-medium': {
    name: 'ptb-medium',
    summary: 'PyTorch word_language_model medium: 2×650 tied LSTM, dropout 0.5, SGD lr 20 /4 on plateau, 40 epochs',
    source:
      'pytorch/examples word_language_model (main.py defaults lr 20, clip 0.25, bptt 35, batch 20, eval batch 10, initrange 0.1, lr /4 when validation ' +
      'does not improve) with --emsize 650 --nhid 650 --dropout 0.5 --epochs 40 --tied; tying after Press & Wolf 2017 / Inan et al. 2017.',
    expected: 'test perplexity ≈ 76 (the example README, written when it trained on PTB: 75.96 tied, 80.97 untied; Zaremba medium untied: 82.7)',
    ...medium(PTB),
  },
  'wt2-medium': {
    name: 'wt2-medium',
    summary: 'the same medium tied LSTM on WikiText-2',
    source: "pytorch/examples word_language_model medium setting (as ptb-medium) on WikiText-2, the example's current default corpus.",
    expected: 'test perplexity ≈ 87–95 (Inan et al. 2017, medium tied LSTM on WikiText-2: 91.5 valid / 87.0 test)',
    ...medium(WT2),
  },
  'shakespeare-char': {
    name: 'shakespeare-char',
    summary: 'char-rnn style 2×512 LSTM on Tiny Shakespeare, 90/10 split, Adam 2e-3, dropout 0.25, bptt 100',
    source:
      'Karpathy char-rnn (2×512 LSTM, seq 50–100, lr 2e-3, clip 5, dropout for the 512 size) on its tinyshakespeare input.txt. Adam instead of RMSprop; ' +
      'dropout 0.25 (standard, on embeddings, between layers and before the decoder) because 2×512 (3.3M parameters) overfits 1M characters ' +
      'within a few epochs without it; lr halved when validation stops improving; 30 epochs of ≈ 150 updates.',
    expected: 'validation ≈ 1.40–1.45 nats/char (≤ 1.5), reached in 10–20 epochs',
    data: { train: 'tinyshakespeare/input.txt', tokenizer: 'char', validFraction: 0.1 },
    model: { embedSize: 128, hiddenSize: 512, numLayers: 2, cell: 'lstm', dropout: 0.25, tieWeights: false, seed: 1 },
    train: {
      batchSize: 64,
      bptt: 100,
      epochs: 30,
      optimizer: 'adam',
      lr: 2e-3,
      clip: 5,
      plateauFactor: 0.5,
      plateauPatience: 0,
      evalBatchSize: 16,
      checkpointEvery: 500,
    },
  },
  'ptb-awd': {
    name: 'ptb-awd',
    summary: 'AWD-LSTM on PTB: 3-layer 1150/1150/400 tied LSTM, locked/embedding/weight dropout, NT-ASGD lr 30, variable BPTT 70, 500 epochs',
    source:
      'Merity, Keskar & Socher 2017, "Regularizing and Optimizing LSTM Language Models" (salesforce/awd-lstm-lm). Its README command for PTB: ' +
      '--batch_size 20 --dropouti 0.4 --dropouth 0.25 --seed 141 --epoch 500, with main.py defaults dropout 0.4, dropoute 0.1, wdrop 0.5, lr 30, clip 0.25, ' +
      'bptt 70, alpha 2, beta 1, wdecay 1.2e-6, nonmono 5, emsize 400, nhid 1150. Deviation: batch 80 (main.py default, 4× fewer updates per epoch) ' +
      "instead of the README's 20; pass --batch-size 20 for the published setting. No fine-tuning stage.",
    expected: 'validation perplexity ≈ 60–61, test ≈ 58–59 before fine-tuning (paper: 60.0 / 57.3 after fine-tuning)',
    ...awd(PTB, { dropoutInput: 0.4, dropoutHidden: 0.25, batchSize: 80, epochs: 500, seed: 141 }),
  },
  'wt2-awd': {
    name: 'wt2-awd',
    summary: 'AWD-LSTM on WikiText-2: as ptb-awd with input dropout 0.65, 750 epochs',
    source:
      'Merity et al. 2017; awd-lstm-lm README command for WT2: --epochs 750 --dropouth 0.2 --seed 1882 with main.py defaults (batch 80, dropouti 0.65, ' +
      'dropout 0.4, dropoute 0.1, wdrop 0.5, lr 30, bptt 70, alpha 2, beta 1, wdecay 1.2e-6). No fine-tuning stage.',
    expected: 'validation perplexity ≈ 69, test ≈ 66 before fine-tuning (paper: 68.6 / 65.8 after fine-tuning)',
    ...awd(WT2, { dropoutInput: 0.65, dropoutHidden: 0.2, batchSize: 80, epochs: 750, seed: 1882 }),
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** The preset called `name`; an unknown name is an error that lists the known ones. */
export function getPreset(name: string): TrainPreset {
  const p = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  if (!p) throw new RnnlmError('invalid_argument', `unknown preset "${name}"; choose one of ${presetNames().join(', ')} (rnnlm train --list-presets)`);
  return p;
}
