/**
 * Responses of a dialogue model to conversations: the last k utterances of each conversation
 * become the source (see data.ts), and the translation engine decodes the response by beam
 * search (length normalisation, n-gram repetition blocking, a minimum length) or by sampling
 * (temperature, top-k, top-p). `respondSteps` yields the response token by token (sampling
 * draws them one decoder step at a time; beam search yields its finished best hypothesis),
 * for the terminal chat and server-sent events.
 */
import { RnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import type { WordTokenizer } from '../tokenizers/word.js';
import { sampleIds, sampleSteps, translateIds } from '../translate/decode.js';
import { encodeContext } from './data.js';
import type { LoadedChatModel } from './io.js';

export interface ChatSampling {
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export interface ChatDecodeOptions {
  /** Beam width (default 5; 1 = greedy). Ignored when sampling. */
  beam?: number;
  /** α of the beam's length normalisation log P / length^α (default 1). */
  lengthNormalization?: number;
  /** Never repeat an n-gram within a response (default 3; 0 = off). */
  noRepeatNgram?: number;
  /** No end of response before this many tokens (default 1). */
  minLen?: number;
  /** At most this many tokens (default 40). */
  maxLen?: number;
  /** Conversations decoded together (default 32). */
  batchSize?: number;
  /** Sample instead of beam search. */
  sample?: ChatSampling;
}

export interface ChatResponse {
  /** Detokenized, truecased text. */
  text: string;
  /** The vocabulary tokens of the response (lowercased, pre-tokenized; unknown words as <unk>). */
  tokens: string[];
  ids: Int32Array;
  /** log p(response) under the model (nats). */
  logProb: number;
}

function sourceOf(m: LoadedChatModel, turns: readonly string[]): Int32Array {
  if (turns.length === 0) throw new RnnlmError('invalid_argument', 'a conversation needs at least one utterance to respond to');
  return encodeContext(m.side, turns.slice(-m.contextTurns), m.maxContext);
}

/** What respond() uses for a ChatDecodeOptions field not given. */
export const CHAT_DECODE_DEFAULTS: Readonly<Required<Omit<ChatDecodeOptions, 'sample'>>> = {
  beam: 5,
  lengthNormalization: 1,
  noRepeatNgram: 3,
  minLen: 1,
  maxLen: 40,
  batchSize: 32,
};

function resolved(o: ChatDecodeOptions) {
  const d = CHAT_DECODE_DEFAULTS;
  return {
    noRepeatNgram: o.noRepeatNgram ?? d.noRepeatNgram,
    minLen: o.minLen ?? d.minLen,
    maxLen: o.maxLen ?? d.maxLen,
    batchSize: o.batchSize ?? d.batchSize,
  };
}

/** The response model's vocabulary text of ids. */
export function responseTokens(m: LoadedChatModel, ids: ArrayLike<number>): string[] {
  const tok = m.side.tokenizer as WordTokenizer;
  return Array.from(ids, (id) => tok.vocab.tokenOf(id));
}

/** One response per conversation (each a list of utterances, oldest first). */
export function respond(m: LoadedChatModel, conversations: readonly (readonly string[])[], o: ChatDecodeOptions = {}): ChatResponse[] {
  const sources = conversations.map((c) => sourceOf(m, c));
  const r = resolved(o);
  const eosId = m.side.eosId;
  const hyps = o.sample
    ? sampleIds(m.model, sources, { ...r, eosId, temperature: o.sample.temperature, topK: o.sample.topK, topP: o.sample.topP, rng: new Rng(o.sample.seed) })
    : translateIds(m.model, sources, {
        beam: o.beam ?? CHAT_DECODE_DEFAULTS.beam,
        lengthNormalization: o.lengthNormalization ?? CHAT_DECODE_DEFAULTS.lengthNormalization,
        maxLenA: 0,
        maxLenB: r.maxLen,
        noRepeatNgram: r.noRepeatNgram,
        minLen: r.minLen,
        batchSize: r.batchSize,
        eosId,
      });
  return hyps.map((h) => ({ text: m.side.decode(h.ids), tokens: responseTokens(m, h.ids), ids: h.ids, logProb: h.logProb }));
}

/**
 * The response to one conversation, token by token: yields each token's vocabulary id as it
 * is decided and returns the whole response. The caller may stop early.
 */
export function* respondSteps(m: LoadedChatModel, turns: readonly string[], o: ChatDecodeOptions = {}): Generator<number, ChatResponse, void> {
  if (!o.sample) {
    const [res] = respond(m, [turns], o);
    for (const id of res!.ids) yield id;
    return res!;
  }
  const r = resolved(o);
  const steps = sampleSteps(m.model, [sourceOf(m, turns)], {
    ...r,
    eosId: m.side.eosId,
    temperature: o.sample.temperature,
    topK: o.sample.topK,
    topP: o.sample.topP,
    rng: new Rng(o.sample.seed),
  });
  for (;;) {
    const s = steps.next();
    if (s.done) {
      const h = s.value[0]!;
      return { text: m.side.decode(h.ids), tokens: responseTokens(m, h.ids), ids: h.ids, logProb: h.logProb };
    }
    for (const t of s.value) yield t.id;
  }
}

/** Text of a response so far, and what it adds to the text of one token fewer (for streaming). */
export class ResponseText {
  private ids: number[] = [];
  private text = '';
  constructor(private readonly m: LoadedChatModel) {}
  /** The new text after appending `id` ('' while the detokenized text does not simply extend). */
  push(id: number): string {
    this.ids.push(id);
    const full = this.m.side.decode(this.ids);
    if (!full.startsWith(this.text)) return '';
    const delta = full.slice(this.text.length);
    this.text = full;
    return delta;
  }
}
