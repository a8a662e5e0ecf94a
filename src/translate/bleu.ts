/**
 * Corpus BLEU exactly as sacreBLEU 2.x computes it by default (`sacrebleu.corpus_bleu(hyps,
 * [refs])`): 13a tokenization, n-grams up to 4, clipped counts against the per-n-gram maximum
 * over references, the closest reference length (ties → the shorter) for the brevity penalty,
 * and smooth_method 'exp' (NIST: the k-th zero-match order gets precision 1 / (2^k · total)).
 * Also the 'zh' (every CJK character a token, then the 13a regexes), 'char' and 'none'
 * tokenizers, lowercasing, and the other smoothing methods ('none', 'floor', 'add-k').
 * Scores are on sacreBLEU's 0–100 scale.
 */
import { RnnlmError } from '../errors.js';
import { splitWords } from '../tokenizers/word.js';

export const BLEU_TOKENIZERS = ['13a', 'zh', 'char', 'none'] as const;
export type BleuTokenizer = (typeof BLEU_TOKENIZERS)[number];
export type SmoothMethod = 'exp' | 'none' | 'floor' | 'add-k';

export interface BleuOptions {
  /** Default '13a'; use 'zh' for Chinese targets. */
  tokenize?: BleuTokenizer;
  lowercase?: boolean;
  /** Default 'exp' (sacreBLEU's default). */
  smoothMethod?: SmoothMethod;
  /** floor: default 0.1, add-k: default 1. */
  smoothValue?: number;
  maxNgramOrder?: number;
  effectiveOrder?: boolean;
}

export interface BleuScore {
  score: number;
  /** Matched n-grams per order (1-based order n at index n−1). */
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
  /** sacreBLEU's signature, e.g. "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp". */
  signature: string;
}

// The 13a regexes of sacreBLEU's TokenizerRegexp, applied in order.
const RE_PUNCT = /([{-~[-` -&(-+:-@/])/g; // ASCII symbols and punctuation except - ' . ,
const RE_PERIOD_COMMA_1 = /([^0-9])([.,])/g; // period/comma not preceded by a digit
const RE_PERIOD_COMMA_2 = /([.,])([^0-9])/g; // period/comma not followed by a digit
const RE_DASH = /([0-9])(-)/g; // dash after a digit

function regexpTokenize(line: string): string {
  const s = line.replace(RE_PUNCT, ' $1 ').replace(RE_PERIOD_COMMA_1, '$1 $2 ').replace(RE_PERIOD_COMMA_2, ' $1 $2').replace(RE_DASH, '$1 $2 ');
  return splitWords(s).join(' '); // Python's ' '.join(line.split())
}

/** mteval-v13a tokenization as sacreBLEU's Tokenizer13a. */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  return regexpTokenize(` ${s} `);
}

/**
 * sacreBLEU's _UCODE_RANGES as Python actually evaluates them. Two entries were written with
 * five hex digits after \u ('\u20000', '\u2a6d6', '\u2f800', '\u2fa1d'), which Python reads as a
 * four-digit escape plus a trailing character; comparing one character against such a string
 * makes those ranges U+2001..U+2A6D and U+2F81..U+2FA1 (so e.g. '—', '“', '…' count as
 * Chinese characters, and CJK Extension B does not). We reproduce that, to match its scores.
 */
const ZH_RANGES: readonly [number, number][] = [
  [0x3400, 0x4db5],
  [0x4e00, 0x9fa5],
  [0x9fa6, 0x9fbb],
  [0xf900, 0xfa2d],
  [0xfa30, 0xfa6a],
  [0xfa70, 0xfad9],
  [0x2001, 0x2a6d],
  [0x2f81, 0x2fa1],
  [0xff00, 0xffef],
  [0x2e80, 0x2eff],
  [0x3000, 0x303f],
  [0x31c0, 0x31ef],
  [0x2f00, 0x2fdf],
  [0x2ff0, 0x2fff],
  [0x3100, 0x312f],
  [0x31a0, 0x31bf],
  [0xfe10, 0xfe1f],
  [0xfe30, 0xfe4f],
  [0x2600, 0x26ff],
  [0x2700, 0x27bf],
  [0x3200, 0x32ff],
  [0x3300, 0x33ff],
];

function isChineseChar(cp: number): boolean {
  for (const [lo, hi] of ZH_RANGES) if (cp >= lo && cp <= hi) return true;
  return false;
}

/** sacreBLEU's TokenizerZh: strip, space out each Chinese character, then the 13a regexes. */
export function tokenizeZh(line: string): string {
  const stripped = stripPy(line);
  let out = '';
  for (const ch of stripped) out += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  return regexpTokenize(out);
}

/** sacreBLEU's TokenizerChar: every code point a token. */
export function tokenizeChar(line: string): string {
  return [...line].join(' ');
}

export function bleuTokenize(line: string, tokenizer: BleuTokenizer): string {
  switch (tokenizer) {
    case '13a':
      return tokenize13a(line);
    case 'zh':
      return tokenizeZh(line);
    case 'char':
      return tokenizeChar(line);
    case 'none':
      return line;
    default:
      throw new RnnlmError('invalid_argument', `unknown BLEU tokenizer "${String(tokenizer)}"; use ${BLEU_TOKENIZERS.join(', ')}`);
  }
}

// Python str.strip()/rstrip() whitespace (the same set as str.split()).
const PY_WS = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const RSTRIP = new RegExp(`${PY_WS}+$`);
const LSTRIP = new RegExp(`^${PY_WS}+`);
function stripPy(s: string): string {
  return s.replace(LSTRIP, '').replace(RSTRIP, '');
}

/** n-gram counts (orders 1..maxOrder) of a whitespace-tokenized line, keyed by the joined n-gram. */
function ngramCounts(tokens: readonly string[], maxOrder: number): Map<string, number>[] {
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const m = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).join('\u0001'); // a separator that never survives tokenization
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    out.push(m);
  }
  return out;
}

/** BLEU from sufficient statistics (sacreBLEU's BLEU.compute_bleu). */
export function computeBleu(
  correct: readonly number[],
  total: readonly number[],
  sysLen: number,
  refLen: number,
  opts: Pick<BleuOptions, 'smoothMethod' | 'smoothValue' | 'effectiveOrder' | 'maxNgramOrder'> = {},
): Omit<BleuScore, 'signature'> {
  const method = opts.smoothMethod ?? 'none';
  const maxOrder = opts.maxNgramOrder ?? 4;
  const smoothValue = opts.smoothValue ?? (method === 'floor' ? 0.1 : method === 'add-k' ? 1 : 0);
  const c = [...correct];
  const t = [...total];
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number) => ({ score, counts: c, totals: t, precisions, bp, sysLen, refLen });
  if (!c.some((x) => x !== 0)) return result(0);
  let smoothMteval = 1;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (method === 'add-k' && n > 1) {
      c[n - 1]! += smoothValue;
      t[n - 1]! += smoothValue;
    }
    if (t[n - 1] === 0) break;
    if (opts.effectiveOrder) effOrder = n;
    if (c[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * t[n - 1]!);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / t[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100 * c[n - 1]!) / t[n - 1]!;
    }
  }
  // sacreBLEU's my_log: log(0) is floored at −9999999999.
  let logSum = 0;
  for (let n = 0; n < effOrder; n++) logSum += precisions[n] === 0 ? -9999999999 : Math.log(precisions[n]!);
  return result(bp * Math.exp(logSum / effOrder));
}

/**
 * Corpus BLEU of `hypotheses` against one or more reference streams: `references[k][i]` is the
 * k-th reference of segment i (sacreBLEU's `refs` argument).
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly (readonly string[])[], opts: BleuOptions = {}): BleuScore {
  const tok = opts.tokenize ?? '13a';
  if (!BLEU_TOKENIZERS.includes(tok)) throw new RnnlmError('invalid_argument', `unknown BLEU tokenizer "${String(tok)}"; use ${BLEU_TOKENIZERS.join(', ')}`);
  const maxOrder = opts.maxNgramOrder ?? 4;
  const method = opts.smoothMethod ?? 'exp';
  if (!['exp', 'none', 'floor', 'add-k'].includes(method)) throw new RnnlmError('invalid_argument', `unknown smoothing "${String(method)}"`);
  if (!Array.isArray(references) || references.length === 0) throw new RnnlmError('invalid_argument', 'corpusBleu needs at least one reference stream');
  for (const [k, stream] of references.entries()) {
    if (stream.length !== hypotheses.length) {
      throw new RnnlmError(
        'invalid_argument',
        `reference stream ${k + 1} has ${stream.length} lines but there are ${hypotheses.length} hypotheses; they must align line by line`,
      );
    }
  }
  const prep = (s: string): string[] => {
    const x = opts.lowercase ? s.toLowerCase() : s;
    return splitWords(bleuTokenize(x.replace(RSTRIP, ''), tok));
  };
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hyp, i) => {
    // Reference n-grams: the maximum count of each over the references.
    let refNgrams: Map<string, number>[] | null = null;
    const refLens: number[] = [];
    for (const stream of references) {
      const toks = prep(stream[i]!);
      refLens.push(toks.length);
      const ng = ngramCounts(toks, maxOrder);
      if (!refNgrams) refNgrams = ng;
      else ng.forEach((m, n) => m.forEach((cnt, key) => refNgrams![n]!.set(key, Math.max(refNgrams![n]!.get(key) ?? 0, cnt))));
    }
    const h = prep(hyp);
    sysLen += h.length;
    // Closest reference length; ties go to the shorter reference.
    let best = -1;
    let bestDiff = -1;
    for (const len of refLens) {
      const diff = Math.abs(h.length - len);
      if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && len < best)) {
        bestDiff = diff;
        best = len;
      }
    }
    refLen += best;
    ngramCounts(h, maxOrder).forEach((m, n) => {
      m.forEach((cnt, key) => {
        total[n]! += cnt;
        const r = refNgrams![n]!.get(key);
        if (r !== undefined) correct[n]! += Math.min(cnt, r);
      });
    });
  });
  const r = computeBleu(correct, total, sysLen, refLen, { ...opts, smoothMethod: method, maxNgramOrder: maxOrder });
  const smooth = method === 'floor' || method === 'add-k' ? `${method}[${(opts.smoothValue ?? (method === 'floor' ? 0.1 : 1)).toFixed(2)}]` : method;
  const signature = `nrefs:${references.length}|case:${opts.lowercase ? 'lc' : 'mixed'}|eff:${opts.effectiveOrder ? 'yes' : 'no'}|tok:${tok}|smooth:${smooth}`;
  return { ...r, signature };
}

/** sacreBLEU's one-line summary: "BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)". */
export function formatBleu(b: BleuScore): string {
  const ratio = b.refLen ? b.sysLen / b.refLen : 0;
  return (
    `BLEU = ${b.score.toFixed(2)} ${b.precisions.map((p) => p.toFixed(1)).join('/')} ` +
    `(BP = ${b.bp.toFixed(3)} ratio = ${ratio.toFixed(3)} hyp_len = ${b.sysLen} ref_len = ${b.refLen})`
  );
}
