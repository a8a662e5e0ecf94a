/**
 * Saving and loading a translation model: one checkpoint directory (see io/checkpoint.ts) with
 * the weights under the Seq2Seq parameter names, config.json's model = { architecture:
 * 'seq2seq', ...Seq2SeqConfig, extra }, and tokenizer.json = { src, tgt } (the two sides).
 */
import { RnnlmError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { checkFiniteTensors } from '../io/finite.js';
import { ATTENTION_KINDS, type AttentionKind } from '../models/attention.js';
import { Seq2Seq, type Seq2SeqConfig } from '../models/seq2seq.js';
import type { DType } from '../tensor/tensor.js';
import { TranslationSide } from './side.js';

export interface LoadedTranslationModel {
  model: Seq2Seq;
  src: TranslationSide;
  tgt: TranslationSide;
  /** Anything saved alongside (e.g. decoding defaults, training summary). */
  extra: Record<string, unknown>;
}

const CELLS = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu', 'rnn_sigmoid'];

export function saveTranslationModel(dir: string, model: Seq2Seq, src: TranslationSide, tgt: TranslationSide, extra: Record<string, unknown> = {}): void {
  const { dtype: _dtype, ...config } = model.config;
  saveCheckpoint(dir, {
    stateDict: model.stateDict(),
    config: { architecture: 'seq2seq', ...config, extra },
    tokenizer: { src: src.toJSON(), tgt: tgt.toJSON() },
  });
}

export function loadTranslationModel(dir: string, opts: { dtype?: DType } = {}): LoadedTranslationModel {
  const ck = loadCheckpoint(dir, opts);
  checkFiniteTensors(ck.stateDict, `${dir}/model.safetensors`); // a diverged model is refused now, not after an evaluation pass
  const raw = ck.config;
  const bad = (why: string): never => {
    throw new RnnlmError('corrupt_checkpoint', `${dir}/config.json: ${why}`);
  };
  if (raw.architecture !== 'seq2seq') {
    bad(`architecture is ${JSON.stringify(raw.architecture)}, not "seq2seq"${raw.architecture === 'rnnlm' ? ' (a language model: use rnnlm eval/generate)' : ''}`);
  }
  const int = (k: string): number => {
    const v = raw[k];
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : bad(`${k} must be a positive integer`);
  };
  if (typeof raw.cell !== 'string' || !CELLS.includes(raw.cell)) bad(`cell must be one of ${CELLS.join(', ')}`);
  if (typeof raw.attention !== 'string' || !ATTENTION_KINDS.includes(raw.attention as AttentionKind)) bad(`attention must be one of ${ATTENTION_KINDS.join(', ')}`);
  const cfg: Seq2SeqConfig = {
    srcVocabSize: int('srcVocabSize'),
    tgtVocabSize: int('tgtVocabSize'),
    embedSize: int('embedSize'),
    hiddenSize: int('hiddenSize'),
    numLayers: int('numLayers'),
    cell: raw.cell as Seq2SeqConfig['cell'],
    bidirectional: raw.bidirectional === true,
    attention: raw.attention as AttentionKind,
    dropout: typeof raw.dropout === 'number' ? raw.dropout : 0,
    seed: typeof raw.seed === 'number' ? raw.seed : 1,
    dtype: opts.dtype ?? 'float32',
  };
  const tok = ck.tokenizer as { src?: unknown; tgt?: unknown } | null;
  if (!tok || typeof tok !== 'object' || !tok.src || !tok.tgt) bad('tokenizer.json must hold { src, tgt }');
  const src = TranslationSide.fromJSON(tok!.src);
  const tgt = TranslationSide.fromJSON(tok!.tgt);
  if (src.vocabSize !== cfg.srcVocabSize || tgt.vocabSize !== cfg.tgtVocabSize) {
    throw new RnnlmError(
      'checkpoint_mismatch',
      `${dir}: the tokenizers have ${src.vocabSize}/${tgt.vocabSize} tokens but the model expects ${cfg.srcVocabSize}/${cfg.tgtVocabSize}; the checkpoint files come from different runs`,
    );
  }
  const model = new Seq2Seq(cfg);
  model.loadStateDict(ck.stateDict);
  model.eval();
  const extra = raw.extra && typeof raw.extra === 'object' ? (raw.extra as Record<string, unknown>) : {};
  return { model, src, tgt, extra };
}
