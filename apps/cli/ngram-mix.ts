/**
 * The `--ngram FILE.arpa --ngram-weight λ | --tune-weight VALID.txt` options that `eval`, `score`
 * and `rescore` share to mix a Kneser–Ney n-gram into the RNN token by token (src/generate/interpolate.ts).
 */
import type { Command } from 'commander';
import {
  type NgramMix,
  type RNNLM,
  RnnlmError,
  type Tokenizer,
  encodeSplit,
  mixedPerplexities,
  ngramMix,
  ngramStreamLogProbs,
  parseArpa,
  readCorpusFile,
  readTextFile,
  rnnStreamLogProbs,
  tuneNgramWeight,
} from '../../src/node.js';
import { num } from './args.js';

export interface NgramMixOptions {
  ngram?: string;
  ngramWeight?: number;
  tuneWeight?: string;
}

/** Adds --ngram, --ngram-weight and --tune-weight to a command. */
export function withNgramOptions(cmd: Command): Command {
  return cmd
    .option('--ngram <file.arpa>', 'mix this n-gram model into the RNN token by token (same vocabulary; <eos> is </s>)')
    .option('--ngram-weight <λ>', 'n-gram weight λ: p = (1 − λ)·p_rnn + λ·p_ngram (default 0.5 unless --tune-weight)', num(0, 1))
    .option('--tune-weight <valid.txt>', 'pick λ by EM on this held-out text (maximum likelihood of the mixture)');
}

export interface ResolvedMix {
  mix: NgramMix;
  /** The line to print: where λ came from. */
  note: string;
}

/** The n-gram mixture the options ask for (null without --ngram); tunes λ when asked. */
export function resolveNgramMix(
  model: RNNLM,
  tokenizer: Tokenizer,
  o: NgramMixOptions,
  evalOpts: { batchSize?: number; bptt?: number } = {},
): ResolvedMix | null {
  if (!o.ngram) {
    if (o.ngramWeight !== undefined || o.tuneWeight) throw new RnnlmError('invalid_argument', '--ngram-weight and --tune-weight need --ngram FILE.arpa');
    return null;
  }
  if (o.ngramWeight !== undefined && o.tuneWeight) throw new RnnlmError('invalid_argument', 'give either --ngram-weight or --tune-weight, not both');
  const ngram = parseArpa(readTextFile(o.ngram), o.ngram);
  const mix = ngramMix(tokenizer, ngram, o.ngramWeight ?? 0.5, o.ngram);
  if (!o.tuneWeight) return { mix, note: `n-gram ${o.ngram} (order ${ngram.order}) mixed with λ = ${mix.weight}` };
  const ids = encodeSplit(tokenizer, readCorpusFile(o.tuneWeight), o.tuneWeight);
  const rnn = rnnStreamLogProbs(model, ids, evalOpts);
  const ng = ngramStreamLogProbs(mix, ids);
  mix.weight = tuneNgramWeight(rnn, ng);
  const p = mixedPerplexities(rnn, ng, mix.weight);
  return {
    mix,
    note: `n-gram ${o.ngram} (order ${ngram.order}) mixed with λ = ${mix.weight.toFixed(4)}, tuned on ${o.tuneWeight}: perplexity RNN ${p.rnn.toFixed(2)}, n-gram ${p.ngram.toFixed(2)}, mixed ${p.mixed.toFixed(2)} (${p.tokens} tokens)`,
  };
}
