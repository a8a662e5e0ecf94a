/**
 * Dialogue data for the response model: DailyDialog-format files (one dialogue per line, every
 * utterance ended by ` __eou__`), context → response pairs from every turn of every dialogue,
 * and the shared word vocabulary of both sides.
 *
 * A pair's source is the last k utterances before the response, each encoded on its own and
 * joined by the separator token `__eou__` (a vocabulary entry that pre-tokenization can never
 * produce from text), then <eos>; long contexts keep their most recent tokens. The target is
 * the response. Source and target share one TranslationSide, so the translation engine
 * (Seq2Seq, trainTranslation, translateIds, checkpoints) runs unchanged.
 * Legend: k context utterances.
 */
import { RnnlmError } from '../errors.js';
import { WordTokenizer, splitLines } from '../tokenizers/word.js';
import type { EncodedPair } from '../translate/data.js';
import { TranslationSide, learnTruecase } from '../translate/side.js';

/** End-of-utterance marker in the files, and the separator token between context utterances. */
export const SEPARATOR = '__eou__';

export interface Dialogue {
  /** Utterances in order (speakers alternate). */
  turns: string[];
  /** 1-based line number in its file. */
  line: number;
}

/**
 * Dialogues of a DailyDialog-format text. Every line must hold at least one utterance and end
 * with `__eou__`; an empty line, an empty utterance or text after the last `__eou__` is an
 * error naming the line.
 */
export function parseDialogues(text: string, what = 'dialogues'): Dialogue[] {
  const out: Dialogue[] = [];
  splitLines(text).lines.forEach((raw, i) => {
    const line = i + 1;
    const s = raw.trim();
    if (s === '')
      throw new RnnlmError('invalid_argument', `${what} line ${line} is empty; every line must be one dialogue: utterances each ended by " ${SEPARATOR}"`);
    const parts = s.split(SEPARATOR);
    const tail = parts.pop()!.trim();
    if (parts.length === 0)
      throw new RnnlmError('invalid_argument', `${what} line ${line} has no "${SEPARATOR}"; end every utterance with " ${SEPARATOR}" (DailyDialog format)`);
    if (tail !== '')
      throw new RnnlmError(
        'invalid_argument',
        `${what} line ${line} has text after its last "${SEPARATOR}" ("${tail.slice(0, 40)}"); end every utterance with " ${SEPARATOR}"`,
      );
    const turns = parts.map((u) => u.trim());
    const empty = turns.indexOf('');
    if (empty >= 0) throw new RnnlmError('invalid_argument', `${what} line ${line}: utterance ${empty + 1} is empty (two "${SEPARATOR}" in a row)`);
    out.push({ turns, line });
  });
  if (out.length === 0) throw new RnnlmError('empty_corpus', `${what} has no dialogues`);
  return out;
}

/** Dialogues of `dialogues` whose text does not occur in `seen` (e.g. test dialogues also in train). */
export function withoutOverlap(dialogues: readonly Dialogue[], seen: readonly Dialogue[]): Dialogue[] {
  const key = (d: Dialogue): string => d.turns.join('\u0000');
  const known = new Set(seen.map(key));
  return dialogues.filter((d) => !known.has(key(d)));
}

export interface DialoguePair {
  /** The last k utterances before the response, oldest first. */
  context: string[];
  response: string;
  /** Line of the dialogue and 0-based turn index of the response. */
  line: number;
  turn: number;
}

/** One pair per turn after the first of every dialogue, with up to k utterances of context. */
export function dialoguePairs(dialogues: readonly Dialogue[], k: number): DialoguePair[] {
  if (!(Number.isInteger(k) && k >= 1)) throw new RnnlmError('invalid_argument', `context turns must be an integer ≥ 1, got ${k}`);
  const out: DialoguePair[] = [];
  for (const d of dialogues) {
    for (let t = 1; t < d.turns.length; t++) out.push({ context: d.turns.slice(Math.max(0, t - k), t), response: d.turns[t]!, line: d.line, turn: t });
  }
  return out;
}

export interface DialogueSideOptions {
  /** Keep words seen at least this often (default 2). */
  minCount?: number;
  maxVocab?: number;
}

/** The shared lowercasing word vocabulary of contexts and responses, plus the separator token. */
export function buildDialogueSide(utterances: readonly string[], o: DialogueSideOptions = {}): TranslationSide {
  const base = TranslationSide.fromLines(utterances, {
    kind: 'word',
    lowercase: true,
    minCount: o.minCount ?? 2,
    ...(o.maxVocab ? { maxVocab: o.maxVocab } : {}),
  });
  const t = base.tokenizer as WordTokenizer;
  const tokens = Array.from({ length: t.vocabSize }, (_, id) => t.vocab.tokenOf(id));
  const tok = new WordTokenizer([...tokens, SEPARATOR], { lowercase: false });
  return new TranslationSide('word', tok, true, learnTruecase(utterances));
}

/** Id of the separator token in a dialogue side. */
export function separatorId(side: TranslationSide): number {
  const id = side.tokenizer instanceof WordTokenizer ? side.tokenizer.vocab.idOf(SEPARATOR) : undefined;
  if (id === undefined)
    throw new RnnlmError('corrupt_checkpoint', `the vocabulary has no "${SEPARATOR}" token: this is not a dialogue model (train one with rnnlm chat train)`);
  return id;
}

/**
 * Source ids of a context: the utterances joined by the separator, the most recent
 * `maxTokens` of them (0 = all), then <eos>.
 */
export function encodeContext(side: TranslationSide, context: readonly string[], maxTokens = 0): Int32Array {
  const sep = separatorId(side);
  const ids: number[] = [];
  context.forEach((u, i) => {
    if (i > 0) ids.push(sep);
    for (const id of side.encode(u)) ids.push(id);
  });
  const kept = maxTokens > 0 && ids.length > maxTokens ? ids.slice(ids.length - maxTokens) : ids;
  return Int32Array.from([...kept, side.eosId]);
}

/**
 * Encoded pairs for training or evaluation. `maxResponse` (training) drops pairs whose
 * response is empty or longer than that; without it every pair is kept.
 */
export function encodeDialoguePairs(
  pairs: readonly DialoguePair[],
  side: TranslationSide,
  o: { maxContext?: number; maxResponse?: number } = {},
): EncodedPair[] {
  const out: EncodedPair[] = [];
  pairs.forEach((p, i) => {
    const tgt = side.encode(p.response);
    if (o.maxResponse !== undefined && (tgt.length === 0 || tgt.length > o.maxResponse)) return;
    out.push({ src: encodeContext(side, p.context, o.maxContext ?? 0), tgt, index: i });
  });
  return out;
}
