/**
 * The run spec of language-model training: everything that decides what a run computes, in three
 * sections, exactly the shape of a preset (presets.ts):
 *
 *   data   which text, which tokenizer
 *   model  the RNNLMConfig (its vocabulary size comes from the data)
 *   train  the TrainConfig of trainLanguageModel
 *
 * Front-ends fill it (the CLI from its flag table, apps/cli/flags.ts; a program by hand), training
 * reads it, and a resumable checkpoint stores it (resume.ts), so a resumed run is rebuilt from it
 * and checked against it with one rule (resumeConflicts). Where and how a run writes (output
 * folder, backend, progress bar) is not part of it.
 */
import type { RNNLMConfig } from '../models/rnnlm.js';
import type { TokenizerKind } from '../tokenizers/tokenizer.js';
import type { TrainPreset } from './presets.js';
import { type TrainConfig, defaultTrainConfig } from './loop.js';

export type LmTokenizerKind = TokenizerKind;

export interface LmDataSpec {
  /** Text files (paths as the front-end resolves them). */
  train: string;
  valid?: string;
  test?: string;
  tokenizer: LmTokenizerKind;
  /** Held-out fraction of train when there is no valid file. */
  validFraction: number;
  /** word tokenizer: drop words seen fewer times; keep at most maxVocab types. */
  minCount: number;
  maxVocab?: number;
  /** bpe tokenizer: merge operations to learn. */
  bpeMerges?: number;
  /** GloVe / word2vec text vectors to initialise the embeddings with (optionally frozen). */
  pretrainedEmbeddings?: string;
  freezeEmbeddings?: boolean;
}

/** An RNNLMConfig before the data gives its vocabulary size. */
export type LmModelSpec = Omit<RNNLMConfig, 'vocabSize' | 'dtype'>;

export interface LmRunSpec {
  data: LmDataSpec;
  model: LmModelSpec;
  train: TrainConfig;
}

/** The run `rnnlm train --train FILE` makes when nothing else is said. */
export function defaultLmSpec(train = ''): LmRunSpec {
  return {
    data: { train, tokenizer: 'word', validFraction: 0.1, minCount: 1, bpeMerges: 1000 },
    model: {
      embedSize: 200,
      hiddenSize: 200,
      numLayers: 2,
      cell: 'lstm',
      dropout: 0,
      tieWeights: false,
      seed: 1,
      dropoutInput: 0,
      dropoutHidden: 0,
      dropoutOutput: 0,
      dropoutEmbedding: 0,
      weightDrop: 0,
    },
    train: { ...defaultTrainConfig, optimizerOptions: {} },
  };
}

/**
 * A preset as a run spec: the defaults under the preset's values, its data files joined to
 * `dataDir` (where the front-end keeps the shared corpora).
 */
export function presetSpec(p: TrainPreset, joinPath: (dir: string, rel: string) => string, dataDir: string): LmRunSpec {
  const base = defaultLmSpec();
  const data: LmDataSpec = { ...base.data, tokenizer: p.data.tokenizer, train: joinPath(dataDir, p.data.train) };
  if (p.data.valid !== undefined) data.valid = joinPath(dataDir, p.data.valid);
  if (p.data.test !== undefined) data.test = joinPath(dataDir, p.data.test);
  if (p.data.validFraction !== undefined) data.validFraction = p.data.validFraction;
  return {
    data,
    model: structuredClone({ ...base.model, ...p.model }),
    train: structuredClone({ ...base.train, ...p.train }),
  };
}
