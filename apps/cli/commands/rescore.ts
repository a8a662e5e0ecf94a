/**
 * `rnnlm rescore`: re-rank an n-best list with the language model (format and formula in
 * src/generate/nbest.ts). Writes `id<TAB>combined<TAB>score<TAB>lm<TAB>hypothesis`, best first
 * per id, to --out or stdout; a one-line summary goes to stderr.
 */
import { Command } from 'commander';
import * as path from 'node:path';
import {
  type CorpusErrorRate,
  RnnlmError,
  formatRescored,
  loadLanguageModel,
  parseNBest,
  platform,
  readTextFile,
  rescoreNBest,
  useBackend,
  wordErrorRate,
} from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';
import { type NgramMixOptions, resolveNgramMix, withNgramOptions } from './ngram.js';
import { BACKEND_CHOICES, type BackendChoice } from '../train-spec.js';

export interface RescoreCliOptions extends NgramMixOptions {
  /** References `id<TAB>text` (or `id text`): print WER/SER of the first-pass and rescored 1-best. */
  ref?: string;
  model: string;
  nbest: string;
  lmWeight: number;
  wordPenalty: number;
  log10: boolean;
  out?: string;
  batchSize: number;
  backend: BackendChoice;
}

/** Rescores and writes the result (to o.out, else through `write`); returns the summary line. */
export function runRescore(o: RescoreCliOptions, write: (s: string) => void): string {
  useBackend(o.backend);
  const { model, tokenizer } = loadLanguageModel(o.model);
  const entries = parseNBest(readTextFile(o.nbest), o.nbest);
  const mixed = resolveNgramMix(model, tokenizer, o);
  const groups = rescoreNBest(model, tokenizer, entries, {
    lmWeight: o.lmWeight,
    wordPenalty: o.wordPenalty,
    log10: o.log10,
    batchSize: o.batchSize,
    ...(mixed ? { ngram: mixed.mix } : {}),
  });
  const text = formatRescored(groups);
  if (o.out) {
    const p = platform();
    p.mkdirp(path.dirname(path.resolve(o.out)));
    p.writeFileAtomic(o.out, text);
  } else write(text);
  // How many ids changed their best hypothesis (first-pass best = highest score, first on ties).
  let changed = 0;
  const firstBest: { id: string; hyp: string }[] = [];
  for (const g of groups) {
    const firstPass = g.reduce((best, r) => (r.score > best.score || (r.score === best.score && r.line < best.line) ? r : best));
    if (firstPass !== g[0]) changed++;
    firstBest.push({ id: firstPass.id, hyp: firstPass.hypothesis });
  }
  let werLines = '';
  if (o.ref) {
    const refs = parseReferences(readTextFile(o.ref), o.ref);
    const refOf = (id: string): string => {
      const r = refs.get(id);
      if (r === undefined)
        throw new RnnlmError('invalid_argument', `${o.ref} has no reference for the n-best id ${JSON.stringify(id)}; give one "id<TAB>reference" line per id`);
      return r;
    };
    const before = wordErrorRate(firstBest.map((b) => ({ ref: refOf(b.id), hyp: b.hyp })));
    const after = wordErrorRate(groups.map((g) => ({ ref: refOf(g[0]!.id), hyp: g[0]!.hypothesis })));
    werLines = `\n${formatWer('first-pass 1-best', before)}\n${formatWer('rescored 1-best  ', after)}`;
  }
  const mixNote = mixed ? `\n${mixed.note}` : '';
  return `rescored ${entries.length} hypotheses of ${groups.length} ids (λ = ${o.lmWeight}${o.wordPenalty ? `, word penalty ${o.wordPenalty}` : ''}, LM in ${o.log10 ? 'log10' : 'nats'}); the best hypothesis changed for ${changed} ids${o.out ? `; wrote ${o.out}` : ''}${mixNote}${werLines}`;
}

/** References: `id<TAB>text` or `id text…` per line (Kaldi's text format); blank lines skipped. */
export function parseReferences(text: string, what: string): Map<string, string> {
  const refs = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    const m = line.includes('\t') ? /^([^\t]*)\t(.*)$/.exec(line) : /^\s*(\S+)\s*(.*)$/.exec(line);
    const id = m?.[1]?.trim() ?? '';
    if (id === '') throw new RnnlmError('invalid_argument', `${what}, line ${i + 1}: the id is empty; each line must be id<TAB>reference`);
    if (refs.has(id)) throw new RnnlmError('invalid_argument', `${what}, line ${i + 1}: the id ${JSON.stringify(id)} has a reference already`);
    refs.set(id, m?.[2] ?? '');
  });
  return refs;
}

function formatWer(what: string, e: CorpusErrorRate): string {
  const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
  return `${what}  WER ${pct(e.wer)} (${e.errors} errors of ${e.words} words: ${e.substitutions} sub, ${e.deletions} del, ${e.insertions} ins)  SER ${pct(e.ser)} (${e.sentencesWithErrors} of ${e.sentences})`;
}

export function rescoreCommand(): Command {
  return withNgramOptions(new Command('rescore'))
    .description('re-rank an n-best list with the language model: combined = (1 − λ)·score + λ·lm + penalty·words')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('--nbest <file>', 'n-best list: id<TAB>score<TAB>hypothesis per line (or "id score hypothesis")')
    .option('--lm-weight <λ>', 'weight λ of the LM score in [0, 1]; the first-pass score gets 1 − λ', num(0, 1), 0.5)
    .option('--word-penalty <w>', 'added once per word of the hypothesis (negative favours shorter ones)', num(), 0)
    .option('--log10', 'LM scores in log10 (as SRILM) instead of nats', false)
    .option('--out <file>', 'write the re-ranked list here (default: stdout)')
    .option('--ref <file>', 'references (id<TAB>text per line): print WER and SER of the first-pass and the rescored 1-best')
    .option('--batch-size <n>', 'hypotheses scored per batch', int(1), 32)
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .action((o: RescoreCliOptions) => {
      const summary = runRescore(o, (s) => process.stdout.write(s));
      process.stderr.write(`${summary}\n`);
    });
}
