/**
 * The run spec of classifier training, in the same three sections as a language-model run
 * (train/spec.ts): data (labelled splits and the tokenizer built from the training texts), model
 * (an RNNClassifierConfig before the data gives the vocabulary and classes, and the pretrained
 * weights it starts from) and train (ClassifierTrainConfig; the frozen tensors follow from
 * model.freeze once the model exists).
 */
import type { RNNClassifierConfig } from '../models/classifier.js';
import type { TokenizerKind } from '../tokenizers/tokenizer.js';
import type { HeaderMode } from './data.js';
import type { ClassifierTrainConfig } from './train.js';

/** Pretrained weights kept fixed: none, the embedding, or the embedding and recurrent layers. */
export const FREEZE_MODES = ['none', 'embedding', 'encoder'] as const;
export type FreezeMode = (typeof FREEZE_MODES)[number];

export interface ClassifyDataSpec {
  /** Labelled splits: a TSV (text<TAB>label), or texts with a labels file beside each. */
  train: string;
  trainLabels?: string;
  valid?: string;
  validLabels?: string;
  test?: string;
  testLabels?: string;
  header: HeaderMode;
  /** The tokenizer built from the training texts (an --init-from language model brings its own). */
  tokenizer: TokenizerKind;
  lowercase: boolean;
  minCount: number;
  maxVocab?: number;
  bpeMerges: number;
}

export interface ClassifyModelSpec extends Omit<RNNClassifierConfig, 'vocabSize' | 'numClasses' | 'dtype'> {
  /** A language-model checkpoint whose embedding and recurrent layers (and tokenizer) start the model. */
  initFrom?: string;
  /** GloVe / word2vec text vectors for the embedding. */
  pretrainedEmbeddings?: string;
  freeze: FreezeMode;
}

export interface ClassifyRunSpec {
  data: ClassifyDataSpec;
  model: ClassifyModelSpec;
  train: Omit<ClassifierTrainConfig, 'frozen'>;
}

/** The run `rnnlm classify train` makes when nothing else is said. */
export function defaultClassifySpec(): ClassifyRunSpec {
  return {
    data: { train: '', header: 'auto', tokenizer: 'word', lowercase: false, minCount: 1, bpeMerges: 1000 },
    model: {
      embedSize: 128,
      hiddenSize: 256,
      numLayers: 1,
      cell: 'lstm',
      bidirectional: false,
      pooling: 'max',
      dropout: 0.5,
      dropoutInput: 0.3,
      seed: 1,
      freeze: 'none',
    },
    train: {
      batchSize: 64,
      epochs: 5,
      optimizer: 'adam',
      lr: 0.001,
      optimizerOptions: {},
      clip: 5,
      plateauFactor: 0.5,
      plateauPatience: 0,
      evalBatchSize: 128,
      seed: 1,
    },
  };
}
