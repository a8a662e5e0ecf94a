/**
 * Attention weights of a translation, for drawing: source tokens against target tokens.
 * The decoder has no input feeding, so its states (and attention) at each step depend only on
 * the source and the target tokens before it: decoding the chosen output teacher-forced, all
 * steps at once, gives exactly the weights the search used when it produced each token.
 * Legend: S source steps (tokens + <eos>), T target steps (output tokens + <eos>).
 */
import { noGrad } from '../autograd/graph.js';
import { RnnlmError } from '../errors.js';
import type { Seq2Seq } from '../models/seq2seq.js';
import { withEos } from './data.js';
import { type DecodeOptions, translateIds } from './decode.js';
import type { TranslationSide } from './side.js';

export const EOS_LABEL = '</s>';

export interface AttentionMap {
  /** S labels: the source tokens, then </s>. */
  source: string[];
  /** T labels: the output tokens, then </s>. */
  target: string[];
  /** [T,S] row-major: row t is the attention while producing target[t] (each row sums to 1). */
  weights: Float64Array;
  /** The detokenized translation. */
  translation: string;
}

/**
 * src [S] (ending in the source <eos>), out [T−1] (the output without <eos>) → the attention
 * weights [T,S] of each output step and of the final <eos>.
 */
export function attentionWeights(model: Seq2Seq, src: Int32Array, out: Int32Array, eosId: number): Float64Array {
  if (src.length === 0) throw new RnnlmError('invalid_argument', 'attentionWeights: the source is empty; end it with the source <eos> id');
  const S = src.length;
  const T = out.length + 1;
  const input = new Int32Array(T); // [T] the start symbol (<eos>), then the output
  input[0] = eosId;
  input.set(out, 1);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const enc = model.encode(src, S, 1, Int32Array.from([S]));
      return Float64Array.from(model.decode(enc, input, T, enc.state).attention.data); // [1,T,S]
    });
  } finally {
    model.train(wasTraining);
  }
}

/** Display form of a token of a side (</s> for its end of sentence; visible spaces). */
export function sideTokenLabel(side: TranslationSide, id: number): string {
  if (id === side.eosId) return EOS_LABEL;
  const t = side.tokenizer.tokenText(id);
  return t === ' ' ? '␣' : t;
}

/** Translates `line` (greedy or beam, as `o`) and returns its attention map. */
export function attendSentence(
  loaded: { model: Seq2Seq; src: TranslationSide; tgt: TranslationSide },
  line: string,
  o: Omit<DecodeOptions, 'eosId'> = {},
): AttentionMap {
  const src = withEos(loaded.src.encode(line), loaded.src.eosId);
  const [hyp] = translateIds(loaded.model, [src], { ...o, eosId: loaded.tgt.eosId });
  const out = hyp!.ids;
  return {
    source: Array.from(src, (id) => sideTokenLabel(loaded.src, id)),
    target: [...Array.from(out, (id) => sideTokenLabel(loaded.tgt, id)), EOS_LABEL],
    weights: attentionWeights(loaded.model, src, out, loaded.tgt.eosId),
    translation: loaded.tgt.decode(out),
  };
}
