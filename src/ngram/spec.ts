/**
 * The run spec of an n-gram model (`rnnlm ngram train`): data (the text and the tokenizer that
 * reads it) and model (the Kneser–Ney estimate's order and count pruning). Counting has no
 * training settings, so there is no train section.
 */
import type { TokenizerKind } from '../tokenizers/tokenizer.js';
import type { KneserNeyOptions } from './kn.js';

export interface NgramDataSpec {
  /** Training text, one sentence per line. */
  train: string;
  /** Text whose perplexity is reported after training. */
  valid?: string;
  /** word: SRILM's whitespace words; char and bpe are built from the training text ... */
  tokenizer: TokenizerKind;
  bpeMerges: number;
  /** ... unless a checkpoint's tokenizer is used (same vocabulary as that RNN, to mix the two). */
  tokenizerFrom?: string;
}

export interface NgramRunSpec {
  data: NgramDataSpec;
  model: KneserNeyOptions;
}

/** The run `rnnlm ngram train` makes when nothing else is said: a 5-gram of whitespace words, no pruning. */
export function defaultNgramSpec(): NgramRunSpec {
  return { data: { train: '', tokenizer: 'word', bpeMerges: 1000 }, model: { order: 5 } };
}
