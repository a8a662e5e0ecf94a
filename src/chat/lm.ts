/**
 * The language-model baseline of the response model: a plain RNNLM trained on the same
 * dialogues written as text in the response model's own vocabulary, and scored on each
 * response given its context.
 *
 * Text for the LM: one dialogue per line, each utterance as the dialogue side's tokens
 * (lowercased, pre-tokenized, words outside the vocabulary as <unk>) followed by `__eou__`,
 * so the LM and the response model see the same token types. A response is scored as
 * log p(response tokens, __eou__ | <eos>, context utterances each followed by __eou__): the
 * same number of predicted tokens as the response model's (response tokens + <eos>), so the
 * two perplexities compare like for like.
 * Legend: k context utterances.
 */
import { RnnlmError } from '../errors.js';
import { scoreContinuations } from '../generate/score.js';
import type { RNNLM } from '../models/rnnlm.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { WordTokenizer } from '../tokenizers/word.js';
import type { TranslationSide } from '../translate/side.js';
import { type Dialogue, type DialoguePair, SEPARATOR } from './data.js';

/** An utterance as space-separated tokens of the dialogue side (unknown words as <unk>). */
export function utteranceTokens(side: TranslationSide, utterance: string): string[] {
  const tok = side.tokenizer;
  if (!(tok instanceof WordTokenizer)) throw new RnnlmError('unsupported', 'the LM baseline needs a word-level dialogue side');
  return Array.from(side.encode(utterance), (id) => tok.vocab.tokenOf(id));
}

/** LM training text of dialogues (see the header), one line per dialogue. */
export function exportLmText(dialogues: readonly Dialogue[], side: TranslationSide): string {
  return `${dialogues.map((d) => d.turns.map((u) => [...utteranceTokens(side, u), SEPARATOR].join(' ')).join(' ')).join('\n')}\n`;
}

export interface ResponseScore {
  /** ln p(response, end | context), nats. */
  logProb: number;
  /** Predicted tokens (response tokens + the end token). */
  tokens: number;
}

/** Scores each pair's response under the LM given its context (the header's convention). */
export function lmResponseScores(model: RNNLM, tokenizer: Tokenizer, side: TranslationSide, pairs: readonly DialoguePair[]): ResponseScore[] {
  if (!(tokenizer instanceof WordTokenizer))
    throw new RnnlmError('unsupported', 'the LM baseline must be a word-level model trained on rnnlm chat lm-data text');
  const eou = tokenizer.vocab.idOf(SEPARATOR);
  if (eou === undefined || tokenizer.eosId === null)
    throw new RnnlmError('checkpoint_mismatch', `the LM's vocabulary has no "${SEPARATOR}": train it on the text of rnnlm chat lm-data`);
  const ids = (words: string[]): number[] => words.map((w) => tokenizer.vocab.idOf(w) ?? tokenizer.unkId);
  const seqs: Int32Array[] = [];
  const from: number[] = [];
  const tokens: number[] = [];
  for (const p of pairs) {
    const context = [tokenizer.eosId, ...p.context.flatMap((u) => [...ids(utteranceTokens(side, u)), eou])];
    const response = [...ids(utteranceTokens(side, p.response)), eou];
    seqs.push(Int32Array.from([...context, ...response]));
    from.push(context.length);
    tokens.push(response.length);
  }
  const sums = scoreContinuations(model, seqs, from, { batchSize: 64 });
  return tokens.map((n, i) => ({ logProb: sums[i]!, tokens: n }));
}
