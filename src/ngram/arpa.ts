/**
 * ARPA back-off language model files (the format of SRILM, KenLM, IRSTLM):
 *
 *   \data\
 *   ngram 1=n1            … one line per order
 *
 *   \1-grams:
 *   log10p <TAB> w1 [<TAB> log10bow]
 *   \2-grams:
 *   log10p <TAB> w1 w2 [<TAB> log10bow]
 *   …
 *   \end\
 *
 * Text before `\data\` is ignored (SRILM and KenLM skip it too); rnnlm writes a `#` comment
 * there. A missing back-off weight means 0 (bow 1). Fields may be separated by tabs or
 * spaces. Every n-gram's context (its first n−1 words) must itself be listed, as KenLM requires.
 * Legend: N order, V vocabulary (the unigrams, `<s>` and `</s>` among them).
 */
import { RnnlmError } from '../errors.js';
import { LOG10_ZERO, type NgramLevel, NgramModel } from './model.js';
import { NgramVocab } from './vocab.js';

/** Shortest text that reads back as the same float32 (values are stored as float32). */
function fmt(x: number): string {
  if (x <= LOG10_ZERO) return String(LOG10_ZERO);
  const s = Math.fround(x).toPrecision(7);
  return s.includes('e') ? s : String(Number(s));
}

/**
 * The ARPA text of a model, in chunks of about `chunkChars` characters (a KN5 model of PTB is
 * ~100 MB of text, so callers write chunks instead of building one string). `comment` lines go
 * before `\data\`.
 */
export function* formatArpa(model: NgramModel, comment: readonly string[] = [], chunkChars = 1 << 20): Generator<string, void, void> {
  const words = model.vocab.words;
  const N = model.order;
  let buf = comment.map((c) => `# ${c.replace(/\n/g, ' ')}\n`).join('');
  buf += '\n\\data\\\n';
  model.levels.forEach((l, k) => (buf += `ngram ${k + 1}=${l.words.length}\n`));
  // parents[k][j]: index of the context of level-k entry j at level k−1 (scan of childStart).
  const parents: Int32Array[] = [new Int32Array(0)];
  for (let k = 1; k < N; k++) {
    const up = model.levels[k - 1]!.childStart!;
    const par = new Int32Array(model.levels[k]!.words.length);
    for (let i = 0; i + 1 < up.length; i++) par.fill(i, up[i]!, up[i + 1]!);
    parents.push(par);
  }
  const gram: string[] = new Array<string>(N);
  for (let k = 0; k < N; k++) {
    const lvl = model.levels[k]!;
    buf += `\n\\${k + 1}-grams:\n`;
    for (let j = 0; j < lvl.words.length; j++) {
      // Words of the n-gram, newest last, by following the parent links down to the unigram.
      let node = j;
      for (let d = k; d >= 0; d--) {
        gram[d] = words[model.levels[d]!.words[node]!]!;
        if (d > 0) node = parents[d]![node]!;
      }
      buf += fmt(lvl.logProb[j]!);
      buf += '\t';
      buf += k === 0 ? gram[0] : gram.slice(0, k + 1).join(' ');
      if (lvl.backoff && lvl.childStart && lvl.childStart[j + 1]! > lvl.childStart[j]!) buf += `\t${fmt(lvl.backoff[j]!)}`;
      buf += '\n';
      if (buf.length >= chunkChars) {
        yield buf;
        buf = '';
      }
    }
  }
  buf += '\n\\end\\\n';
  yield buf;
}

/** The whole ARPA text as one string (small models, tests). */
export function arpaText(model: NgramModel, comment: readonly string[] = []): string {
  return [...formatArpa(model, comment)].join('');
}

function bad(what: string, line: number, why: string): RnnlmError {
  return new RnnlmError('invalid_argument', `${what}, line ${line}: ${why}; is it an ARPA language model file?`, { line });
}

/** Reads an ARPA model (see the header); `what` names the input in error messages. */
export function parseArpa(text: string, what = 'the ARPA file'): NgramModel {
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    if (pos >= text.length) return null;
    let e = text.indexOf('\n', pos);
    if (e < 0) e = text.length;
    let line = text.slice(pos, e);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    pos = e + 1;
    lineNo++;
    return line;
  };
  let line: string | null;
  while ((line = nextLine()) !== null && line.trim() !== '\\data\\');
  if (line === null) throw new RnnlmError('invalid_argument', `${what} has no \\data\\ line; is it an ARPA language model file?`);
  const counts: number[] = [];
  while ((line = nextLine()) !== null) {
    const t = line.trim();
    if (t === '') {
      if (counts.length > 0) break;
      continue;
    }
    const m = /^ngram\s+(\d+)\s*=\s*(\d+)$/.exec(t);
    if (!m) {
      if (t.startsWith('\\')) {
        pos -= line.length + 1; // a section header: give the line back
        lineNo--;
        break;
      }
      throw bad(what, lineNo, `expected "ngram K=COUNT", got ${JSON.stringify(t.slice(0, 60))}`);
    }
    if (Number(m[1]) !== counts.length + 1) throw bad(what, lineNo, `the counts must list orders 1, 2, … in turn`);
    counts.push(Number(m[2]));
  }
  if (counts.length === 0) throw new RnnlmError('invalid_argument', `${what} lists no n-gram counts after \\data\\`);
  const N = counts.length;
  let vocab: NgramVocab | null = null;
  const levels: NgramLevel[] = [];
  const fields = /\s+/;
  for (let k = 1; k <= N; k++) {
    while ((line = nextLine()) !== null && line.trim() === '');
    if (line === null || line.trim() !== `\\${k}-grams:`) throw bad(what, lineNo, `expected the section header \\${k}-grams:`);
    const n = counts[k - 1]!;
    const logProb = new Float32Array(n);
    const backoff = new Float32Array(n);
    if (k === 1) {
      const words: string[] = [];
      for (let j = 0; j < n; j++) {
        line = nextLine();
        if (line === null) throw bad(what, lineNo, `the file ends inside the 1-grams (${j} of ${n} read)`);
        const f = line.trim().split(fields);
        if (f.length < 2 || f.length > 3) throw bad(what, lineNo, 'a 1-gram line is "log10p word [log10bow]"');
        logProb[j] = num(f[0]!, what, lineNo);
        words.push(f[1]!);
        backoff[j] = f.length === 3 ? num(f[2]!, what, lineNo) : 0;
      }
      try {
        vocab = new NgramVocab(words);
      } catch (e) {
        if (e instanceof RnnlmError) throw new RnnlmError('invalid_argument', `${what}: ${e.message}`);
        throw e;
      }
      levels.push({ words: Int32Array.from({ length: n }, (_, i) => i), logProb, backoff, childStart: null });
      continue;
    }
    // Read (context node, word) per line, then sort into trie order.
    const v = vocab!;
    const ctx = new Int32Array(n);
    const wordIds = new Int32Array(n);
    const ids = new Int32Array(k);
    const prev = new NgramModel(v, levels.slice()); // finds contexts among the levels read so far
    for (let j = 0; j < n; j++) {
      line = nextLine();
      if (line === null) throw bad(what, lineNo, `the file ends inside the ${k}-grams (${j} of ${n} read)`);
      const f = line.trim().split(fields);
      if (f.length !== k + 1 && f.length !== k + 2) throw bad(what, lineNo, `a ${k}-gram line is "log10p w1 … w${k} [log10bow]"`);
      logProb[j] = num(f[0]!, what, lineNo);
      for (let i = 0; i < k; i++) {
        const id = v.idOf(f[i + 1]!);
        if (id === undefined) throw bad(what, lineNo, `the word ${JSON.stringify(f[i + 1])} is not among the 1-grams`);
        ids[i] = id;
      }
      backoff[j] = f.length === k + 2 ? num(f[k + 1]!, what, lineNo) : 0;
      const c = prev.find(ids, 0, k - 1);
      if (c < 0) throw bad(what, lineNo, `the context "${f.slice(1, k).join(' ')}" of this ${k}-gram is not listed among the ${k - 1}-grams`);
      ctx[j] = c;
      wordIds[j] = ids[k - 1]!;
    }
    const order = Uint32Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => ctx[a]! - ctx[b]! || wordIds[a]! - wordIds[b]!);
    const below = levels[k - 2]!;
    const childStart = new Uint32Array(below.words.length + 1);
    const words = new Int32Array(n);
    const lp = new Float32Array(n);
    const bo = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const o = order[j]!;
      if (j > 0 && ctx[o] === ctx[order[j - 1]!] && wordIds[o] === wordIds[order[j - 1]!]) throw bad(what, lineNo, `a ${k}-gram is listed twice`);
      words[j] = wordIds[o]!;
      lp[j] = logProb[o]!;
      bo[j] = backoff[o]!;
      childStart[ctx[o]! + 1]!++;
    }
    for (let i = 0; i < below.words.length; i++) childStart[i + 1] = childStart[i + 1]! + childStart[i]!;
    below.childStart = childStart;
    levels.push({ words, logProb: lp, backoff: bo, childStart: null });
  }
  while ((line = nextLine()) !== null && line.trim() === '');
  if (line === null || line.trim() !== '\\end\\') throw bad(what, lineNo, 'expected \\end\\ after the last section');
  levels[N - 1]!.backoff = null; // the top order has no back-off weights
  return new NgramModel(vocab!, levels);
}

function num(s: string, what: string, line: number): number {
  const x = Number(s);
  if (!Number.isFinite(x)) throw bad(what, line, `${JSON.stringify(s)} is not a number`);
  return x;
}
