/**
 * Saving and loading a translation model: one checkpoint directory (see io/checkpoint.ts) with
 * the weights under the Seq2Seq parameter names, config.json's model = { architecture:
 * 'seq2seq', ...Seq2SeqConfig, extra }, and tokenizer.json = { src, tgt } (the two sides).
 */
import { RnnlmError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint.js';
import { checkFiniteTensors } from '../io/finite.js';
import { Seq2Seq, parseSeq2SeqConfig } from '../models/seq2seq.js';
import type { DType } from '../tensor/tensor.js';
import { TranslationSide } from './side.js';

export interface LoadedTranslationModel {
  model: Seq2Seq;
  src: TranslationSide;
  tgt: TranslationSide;
  /** Anything saved alongside (e.g. decoding defaults, training summary). */
  extra: Record<string, unknown>;
}

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
    bad(
      `architecture is ${JSON.stringify(raw.architecture)}, not "seq2seq"${raw.architecture === 'rnnlm' ? ' (a language model: use rnnlm eval/generate)' : ''}`,
    );
  }
  const cfg = parseSeq2SeqConfig(raw, `${dir}/config.json`, opts.dtype ?? 'float32');
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
