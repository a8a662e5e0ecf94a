/**
 * N-best rescoring: add a language-model score to the hypotheses of a first pass (ASR, MT)
 * and re-rank them within each utterance.
 *
 * Input format, one hypothesis per line (blank lines are skipped):
 *   id<TAB>score<TAB>hypothesis        (tab form: the hypothesis is kept verbatim)
 *   id score word word ...             (SRILM/Kaldi-like whitespace form: the hypothesis is the
 *                                        rest of the line, trimmed)
 * A line with a tab is read in tab form, otherwise in whitespace form. `score` is the first-pass
 * score (higher = better, e.g. a log-likelihood); hypotheses of one id need not be adjacent.
 *
 * combined = (1 − λ)·score + λ·lm + wordPenalty·words, where lm = log p(hypothesis) from
 * scoreSentences (nats; log10 with `log10`), λ = lmWeight, words = whitespace-separated words
 * of the hypothesis (a negative wordPenalty favours shorter hypotheses).
 * Output: per id (in order of first appearance), best combined first (ties keep input order),
 *   id<TAB>combined<TAB>score<TAB>lm<TAB>hypothesis
 */
import { RnnlmError } from '../errors.js';
import type { RNNLM } from '../models/rnnlm.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';
import { splitLines, splitWords } from '../tokenizers/word.js';
import { type NgramMix, scoreSentencesMixed } from './interpolate.js';
import { type SentenceScore, scoreSentences } from './score.js';

export interface NBestEntry {
  id: string;
  /** First-pass score. */
  score: number;
  hypothesis: string;
  /** 1-based line number in the input. */
  line: number;
}

export interface RescoreOptions {
  /** λ in [0, 1]: weight of the LM score (the first-pass score gets 1 − λ). */
  lmWeight: number;
  /** Added once per word of the hypothesis (default 0). */
  wordPenalty?: number;
  /** Report and combine the LM score in log10 instead of nats (SRILM's unit). */
  log10?: boolean;
  batchSize?: number;
  /** Mix an n-gram model into the LM score token by token (interpolate.ts). */
  ngram?: NgramMix;
}

export interface RescoredEntry extends NBestEntry {
  /** LM log-probability (nats, or log10 with the log10 option). */
  lm: number;
  combined: number;
  words: number;
}

/** Parses an n-best list (see the header); `what` names the input in error messages. */
export function parseNBest(text: string, what = 'the n-best list'): NBestEntry[] {
  if (typeof text !== 'string') throw new RnnlmError('invalid_argument', 'parseNBest needs a string');
  const out: NBestEntry[] = [];
  const lines = splitLines(text).lines; // '\n', '\r\n' or a bare '\r'
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let id: string;
    let scoreText: string;
    let hypothesis: string;
    if (line.includes('\t')) {
      const parts = line.split('\t');
      id = parts[0]!.trim();
      scoreText = (parts[1] ?? '').trim();
      hypothesis = parts.slice(2).join('\t');
    } else {
      const m = /^\s*(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) throw badLine(what, i + 1, 'it needs at least an id and a score');
      id = m[1]!;
      scoreText = m[2]!;
      hypothesis = (m[3] ?? '').trim();
    }
    if (id === '') throw badLine(what, i + 1, 'the id is empty');
    const score = Number(scoreText);
    if (scoreText === '' || !Number.isFinite(score)) throw badLine(what, i + 1, `the score ${JSON.stringify(scoreText)} is not a finite number`);
    out.push({ id, score, hypothesis, line: i + 1 });
  }
  if (out.length === 0) throw new RnnlmError('empty_corpus', `${what} has no hypotheses; give lines of id<TAB>score<TAB>hypothesis`);
  return out;
}

function badLine(what: string, line: number, why: string): RnnlmError {
  return new RnnlmError(
    'invalid_argument',
    `${what}, line ${line}: ${why}; each line must be id<TAB>score<TAB>hypothesis (or "id score hypothesis" separated by spaces)`,
    { line },
  );
}

/** LM-scores every hypothesis and re-ranks within each id; groups come in order of first appearance. */
export function rescoreNBest(model: RNNLM, tokenizer: Tokenizer, entries: readonly NBestEntry[], opts: RescoreOptions): RescoredEntry[][] {
  const lambda = opts.lmWeight;
  const wp = opts.wordPenalty ?? 0;
  if (!(typeof lambda === 'number' && lambda >= 0 && lambda <= 1)) throw new RnnlmError('invalid_argument', `lmWeight (λ) must be in [0, 1], got ${lambda}`);
  if (!(typeof wp === 'number' && Number.isFinite(wp))) throw new RnnlmError('invalid_argument', `wordPenalty must be a finite number, got ${wp}`);
  const unit = opts.log10 ? 1 / Math.LN10 : 1;
  let scores: SentenceScore[];
  try {
    const hyps = entries.map((e) => e.hypothesis);
    const so = opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {};
    scores = opts.ngram ? scoreSentencesMixed(model, tokenizer, hyps, opts.ngram, so) : scoreSentences(model, tokenizer, hyps, so);
  } catch (e) {
    // scoreSentences numbers sentences; point at the input line instead.
    const m = e instanceof RnnlmError ? /^sentence (\d+): ([^]*)$/.exec(e.message) : null;
    if (m && e instanceof RnnlmError) throw new RnnlmError(e.code, `n-best line ${entries[Number(m[1]) - 1]!.line}: ${m[2]}`, e.details);
    throw e;
  }
  const groups = new Map<string, RescoredEntry[]>();
  entries.forEach((e, i) => {
    const lm = scores[i]!.logProb * unit;
    const words = splitWords(e.hypothesis).length;
    const r: RescoredEntry = { ...e, lm, words, combined: (1 - lambda) * e.score + lambda * lm + wp * words };
    const g = groups.get(e.id);
    if (g) g.push(r);
    else groups.set(e.id, [r]);
  });
  // Array.prototype.sort is stable: equal combined scores keep input order.
  return [...groups.values()].map((g) => g.sort((a, b) => b.combined - a.combined));
}

/** At most 6 decimals, no trailing zeros. */
function fmt(x: number): string {
  const s = String(Number(x.toFixed(6)));
  return s === '-0' ? '0' : s;
}

/** The output lines (see the header), one per hypothesis, ending in '\n'. */
export function formatRescored(groups: readonly RescoredEntry[][]): string {
  let out = '';
  for (const g of groups) for (const r of g) out += `${r.id}\t${fmt(r.combined)}\t${fmt(r.score)}\t${fmt(r.lm)}\t${r.hypothesis}\n`;
  return out;
}
