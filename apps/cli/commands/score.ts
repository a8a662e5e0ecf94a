/**
 * `rnnlm score`: log-probability of each line of a file as a sentence (see src/generate/score.ts
 * for what is scored), one `logprob<TAB>tokens<TAB>ppl` line per input line, then a corpus summary.
 */
import { Command } from 'commander';
import {
  type CorpusScore,
  type SentenceScore,
  loadLanguageModel,
  readCorpusFile,
  scoreSentences,
  scoreSentencesMixed,
  splitLines,
  summarizeScores,
  useBackend,
} from '../../../src/node.js';
import { int, oneOf } from '../args.js';
import { type NgramMixOptions, resolveNgramMix, withNgramOptions } from './ngram.js';
import { BACKEND_CHOICES, type BackendChoice } from '../train-spec.js';

export interface ScoreCliOptions extends NgramMixOptions {
  model: string;
  input: string;
  json: boolean;
  batchSize: number;
  backend: BackendChoice;
}

/** The sentences of a file: its lines ('\n', '\r\n' or '\r'); a final line break adds no empty sentence. */
export function fileLines(text: string): string[] {
  return splitLines(text).lines;
}

const fmtPpl = (p: number): string => (Number.isFinite(p) ? p.toFixed(2) : 'nan');

/** Scores the file and writes the report through `write`; returns the per-sentence scores and summary. */
export function runScore(o: ScoreCliOptions, write: (s: string) => void): { sentences: SentenceScore[]; summary: CorpusScore } {
  useBackend(o.backend);
  const { model, tokenizer } = loadLanguageModel(o.model);
  const lines = fileLines(readCorpusFile(o.input));
  const mixed = resolveNgramMix(model, tokenizer, o);
  if (mixed && !o.json) write(`# ${mixed.note}\n`);
  const sentences = mixed
    ? scoreSentencesMixed(model, tokenizer, lines, mixed.mix, { batchSize: o.batchSize })
    : scoreSentences(model, tokenizer, lines, { batchSize: o.batchSize });
  const summary = summarizeScores(sentences);
  if (o.json) {
    write(`${JSON.stringify({ sentences, summary }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  } else {
    for (const s of sentences) write(`${s.logProb.toFixed(4)}\t${s.tokens}\t${fmtPpl(s.perplexity)}\n`);
    write(`# sentences ${summary.sentences}  tokens ${summary.tokens}  logprob ${summary.logProb.toFixed(4)} (nats)  ppl ${fmtPpl(summary.perplexity)}\n`);
  }
  return { sentences, summary };
}

export function scoreCommand(): Command {
  return withNgramOptions(new Command('score'))
    .description('log-probability (nats) and perplexity of each line of a file, scored as a sentence')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('--input <file>', 'one sentence per line (UTF-8)')
    .option('--json', 'print one JSON object { sentences: [{ logProb, tokens, perplexity }], summary }', false)
    .option('--batch-size <n>', 'sentences per batch', int(1), 32)
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .action((o: ScoreCliOptions) => {
      runScore(o, (s) => process.stdout.write(s));
    });
}
