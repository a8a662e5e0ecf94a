/**
 * Saving and loading a dialogue response model: a translation checkpoint (translate/io.ts)
 * whose two sides are the same dialogue vocabulary, with extra = { task: 'chat', contextTurns,
 * maxContext } so that eval, the terminal chat and the server build contexts as in training.
 */
import { RnnlmError } from '../errors.js';
import type { Seq2Seq } from '../models/seq2seq.js';
import type { DType } from '../tensor/tensor.js';
import { loadTranslationModel, saveTranslationModel } from '../translate/io.js';
import type { TranslationSide } from '../translate/side.js';
import { separatorId } from './data.js';

export interface ChatShape {
  /** Utterances of context before each response. */
  contextTurns: number;
  /** Most recent context tokens kept (0 = all). */
  maxContext: number;
}

export interface LoadedChatModel extends ChatShape {
  model: Seq2Seq;
  /** The one vocabulary of contexts and responses. */
  side: TranslationSide;
  separatorId: number;
}

export function saveChatModel(dir: string, model: Seq2Seq, side: TranslationSide, shape: ChatShape, extra: Record<string, unknown> = {}): void {
  saveTranslationModel(dir, model, side, side, { ...extra, task: 'chat', contextTurns: shape.contextTurns, maxContext: shape.maxContext });
}

export function loadChatModel(dir: string, opts: { dtype?: DType } = {}): LoadedChatModel {
  const t = loadTranslationModel(dir, opts);
  if (t.extra.task !== 'chat') {
    throw new RnnlmError('checkpoint_mismatch', `${dir} is a translation model, not a dialogue model: use rnnlm translate, or train one with rnnlm chat train`);
  }
  const k = t.extra.contextTurns;
  const m = t.extra.maxContext;
  if (!(typeof k === 'number' && Number.isInteger(k) && k >= 1) || !(typeof m === 'number' && Number.isInteger(m) && m >= 0)) {
    throw new RnnlmError('corrupt_checkpoint', `${dir}/config.json: extra.contextTurns must be an integer ≥ 1 and extra.maxContext an integer ≥ 0`);
  }
  return { model: t.model, side: t.tgt, contextTurns: k, maxContext: m, separatorId: separatorId(t.tgt) };
}
