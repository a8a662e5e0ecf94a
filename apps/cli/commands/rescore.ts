/**
 * `rnnlm rescore`: re-rank an n-best list with the language model (format and formula in
 * src/generate/nbest.ts). Writes `id<TAB>combined<TAB>score<TAB>lm<TAB>hypothesis`, best first
 * per id, to --out or stdout; a one-line summary goes to stderr.
 */
import { Command } from 'commander';
import * as path from 'node:path';
import { formatRescored, loadLanguageModel, parseNBest, platform, readTextFile, rescoreNBest, useBackend } from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';

export interface RescoreCliOptions {
  model: string;
  nbest: string;
  lmWeight: number;
  wordPenalty: number;
  log10: boolean;
  out?: string;
  batchSize: number;
  backend: 'auto' | 'js' | 'native';
}

/** Rescores and writes the result (to o.out, else through `write`); returns the summary line. */
export function runRescore(o: RescoreCliOptions, write: (s: string) => void): string {
  useBackend(o.backend);
  const { model, tokenizer } = loadLanguageModel(o.model);
  const entries = parseNBest(readTextFile(o.nbest), o.nbest);
  const groups = rescoreNBest(model, tokenizer, entries, { lmWeight: o.lmWeight, wordPenalty: o.wordPenalty, log10: o.log10, batchSize: o.batchSize });
  const text = formatRescored(groups);
  if (o.out) {
    const p = platform();
    p.mkdirp(path.dirname(path.resolve(o.out)));
    p.writeFileAtomic(o.out, text);
  } else write(text);
  // How many ids changed their best hypothesis (first-pass best = highest score, first on ties).
  let changed = 0;
  for (const g of groups) {
    const firstPass = g.reduce((best, r) => (r.score > best.score || (r.score === best.score && r.line < best.line) ? r : best));
    if (firstPass !== g[0]) changed++;
  }
  return `rescored ${entries.length} hypotheses of ${groups.length} ids (λ = ${o.lmWeight}${o.wordPenalty ? `, word penalty ${o.wordPenalty}` : ''}, LM in ${o.log10 ? 'log10' : 'nats'}); the best hypothesis changed for ${changed} ids${o.out ? `; wrote ${o.out}` : ''}`;
}

export function rescoreCommand(): Command {
  return new Command('rescore')
    .description('re-rank an n-best list with the language model: combined = (1 − λ)·score + λ·lm + penalty·words')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('--nbest <file>', 'n-best list: id<TAB>score<TAB>hypothesis per line (or "id score hypothesis")')
    .option('--lm-weight <λ>', 'weight λ of the LM score in [0, 1]; the first-pass score gets 1 − λ', num(0, 1), 0.5)
    .option('--word-penalty <w>', 'added once per word of the hypothesis (negative favours shorter ones)', num(), 0)
    .option('--log10', 'LM scores in log10 (as SRILM) instead of nats', false)
    .option('--out <file>', 'write the re-ranked list here (default: stdout)')
    .option('--batch-size <n>', 'hypotheses scored per batch', int(1), 32)
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto')
    .action((o: RescoreCliOptions) => {
      const summary = runRescore(o, (s) => process.stdout.write(s));
      process.stderr.write(`${summary}\n`);
    });
}
