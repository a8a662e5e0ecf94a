/**
 * The run spec of a chat (response) model, in the three sections of every run spec: data
 * (dialogue files and how context → response pairs are cut from them), model (the translation
 * engine's encoder–decoder, translate/spec.ts) and train (the translation loop's config).
 */
import { type TranslationModelSpec, defaultTranslationSpec } from '../translate/spec.js';
import type { TranslationTrainConfig } from '../translate/train.js';

export interface ChatDataSpec {
  /** DailyDialog-format dialogues: one per line, utterances ended by __eou__. */
  train: string;
  valid?: string;
  /** Utterances of context before each response, and the most recent context tokens kept. */
  contextTurns: number;
  maxContext: number;
  /** Training responses longer than this many tokens are skipped. */
  maxResponse: number;
  /** The shared vocabulary: words seen fewer times become <unk>; at most maxVocab types. */
  minCount: number;
  maxVocab?: number;
}

export interface ChatRunSpec {
  data: ChatDataSpec;
  model: TranslationModelSpec;
  train: TranslationTrainConfig;
}

/** The run `rnnlm chat train` makes when nothing else is said: a bidirectional LSTM encoder–decoder with general attention, trained as translation is. */
export function defaultChatSpec(): ChatRunSpec {
  return {
    data: { train: '', contextTurns: 3, maxContext: 80, maxResponse: 40, minCount: 2 },
    model: { embedSize: 256, hiddenSize: 256, numLayers: 1, cell: 'lstm', attention: 'general', bidirectional: true, dropout: 0.3, init: 0.1, seed: 1 },
    train: defaultTranslationSpec().train, // teacher-forced, as translation trains
  };
}
