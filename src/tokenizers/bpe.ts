/**
 * Byte-pair encoding (Sennrich et al. 2016) over Unicode code points, with an end-of-word
 * marker and byte fallback, so decode(encode(text)) === text for ANY text (emoji, CJK, and
 * characters never seen in training).
 *
 * Segmentation (chosen for an exact round trip):
 * - Lines end at '\n' only; every line ends with `<eos>`, as in the word tokenizer ('\r' is an
 *   ordinary character, so CRLF text also round-trips).
 * - A non-empty line is split on the space character U+0020 into words (other whitespace, e.g. a
 *   tab, is an ordinary character). Consecutive, leading or trailing spaces give empty words.
 * - A word is its code points; the last one carries the end-of-word marker, written `</w>`
 *   (token "t</w>"). Merges never cross words. An empty word is the bare token `</w>`.
 * - Decoding: a token with `</w>` means "word ends; a space follows unless the line ends".
 *   The bare `</w>` token is therefore also how a word ending in an unseen character closes.
 * - Characters not seen in training become their UTF-8 bytes, tokens `<0x00>`..`<0xFF>`
 *   (always in the vocabulary), so there is no `<unk>`.
 *
 * Token strings are unique by construction: a token ending in `</w>` is always word-final;
 * a merge that would make a non-final piece ending in `</w>` (or spelling `<eos>` or a byte
 * token) is never learned. Training is incremental: pair counts are updated only in the words
 * a merge touches, and the best pair comes from a lazily updated heap. Ties are broken by the
 * token strings (left, then right) in code-unit order, so training is deterministic.
 *
 * Round trip: decode(encode(text, { addEos: false })) === text for every string without lone
 * surrogates; with the default addEos it also holds when the text is empty or ends in '\n'.
 */
import { RnnlmError } from '../errors.js';
import { checkId, encodeLines, checkTokenizerJSON, corruptTokenizer, TOKENIZER_JSON_VERSION, type Tokenizer, type TokenizerJSON } from './tokenizer.js';
import { Vocab } from './vocab.js';
import { EOS } from './word.js';

/** The end-of-word marker (Sennrich's spelling). */
export const EOW = '</w>';

export interface BpeTrainOptions {
  /** Number of merge operations to learn (default 1000). Fewer are learned if pairs run out. */
  merges?: number;
  /** Stop when the most frequent pair occurs fewer times than this (default 2). */
  minFrequency?: number;
}

export interface BpeEncodeOptions {
  /** As WordTokenizer: default true adds `<eos>` to an unterminated last line too. */
  addEos?: boolean;
}

export interface BpeTokenizerJSON extends TokenizerJSON {
  kind: 'bpe';
  /** Learned merges in rank order, as [left token, right token]. */
  merges: [string, string][];
  minFrequency: number;
}

/** What an id stands for. */
const enum Kind {
  Eos,
  /** The bare end-of-word marker: an empty word, or the end of a word that ended in bytes. */
  Eow,
  Byte,
  Piece,
}

const BYTE_RE = /^<0x[0-9A-F]{2}>$/;
const byteToken = (b: number): string => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
/** Pair key of two ids (ids stay below 2^21). */
const PAIR_SHIFT = 2 ** 21;
const pairKey = (a: number, b: number): number => a * PAIR_SHIFT + b;
const WORD_CACHE_LIMIT = 200_000;

/** True when `piece` (not word-final) could not be told apart from another token's string. */
function reservedNonFinal(piece: string): boolean {
  return piece.endsWith(EOW) || piece === EOS || BYTE_RE.test(piece);
}

/** The words of one line (see the header): '' has none, otherwise split on U+0020. */
function lineWords(line: string): string[] {
  return line === '' ? [] : line.split(' ');
}

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  readonly vocab: Vocab;
  readonly eosId: number;
  readonly unkId = null;
  readonly eowId: number;
  readonly minFrequency: number;
  /** Merges in rank order as id pairs, and the id each one makes. */
  private readonly mergePairs: [number, number][];
  private readonly rankOf = new Map<number, number>(); // pairKey → rank
  private readonly resultOf = new Map<number, number>(); // pairKey → merged id
  private readonly kinds: Kind[];
  /** Text of a piece without its marker ('' for specials). */
  private readonly pieces: string[];
  private readonly finals: boolean[];
  private readonly byteBase: number;
  /** Base symbols: code point → id (non-final / word-final). */
  private readonly charId = new Map<number, number>();
  private readonly charFinalId = new Map<number, number>();
  private readonly cache = new Map<string, Int32Array>();

  /**
   * `tokens` must hold `<eos>`, `</w>` and the 256 byte tokens; `merges` pairs of tokens whose
   * concatenation is also a token. Most callers want `BpeTokenizer.train` or `tokenizerFromJSON`.
   */
  constructor(tokens: readonly string[], merges: readonly (readonly [string, string])[], options: { minFrequency?: number } = {}) {
    this.vocab = new Vocab(tokens, { specials: { eos: EOS } });
    this.eosId = this.vocab.idOf(EOS)!;
    const eow = this.vocab.idOf(EOW);
    if (eow === undefined) throw new RnnlmError('invalid_argument', `a BPE vocabulary needs the end-of-word token ${EOW}`);
    this.eowId = eow;
    const b0 = this.vocab.idOf(byteToken(0));
    this.byteBase = b0 ?? -1;
    for (let b = 0; b < 256; b++) {
      if (b0 === undefined || this.vocab.idOf(byteToken(b)) !== b0 + b) {
        throw new RnnlmError('invalid_argument', 'a BPE vocabulary needs the 256 byte tokens <0x00>..<0xFF> in order, one after another');
      }
    }
    this.minFrequency = options.minFrequency ?? 2;
    const n = tokens.length;
    if (n >= PAIR_SHIFT) throw new RnnlmError('invalid_argument', `a BPE vocabulary may hold at most ${PAIR_SHIFT - 1} tokens, got ${n}`);
    this.kinds = new Array<Kind>(n);
    this.pieces = new Array<string>(n);
    this.finals = new Array<boolean>(n);
    for (let id = 0; id < n; id++) {
      const t = tokens[id]!;
      if (id === this.eosId || id === this.eowId || (id >= this.byteBase && id < this.byteBase + 256)) {
        this.kinds[id] = id === this.eosId ? Kind.Eos : id === this.eowId ? Kind.Eow : Kind.Byte;
        this.pieces[id] = '';
        this.finals[id] = id === this.eowId;
        continue;
      }
      if (BYTE_RE.test(t))
        throw new RnnlmError('invalid_argument', `BPE token ${id} ${JSON.stringify(t)} spells a byte token but is not one of <0x00>..<0xFF> in order`);
      const final = t.endsWith(EOW);
      const piece = final ? t.slice(0, -EOW.length) : t;
      if (piece.length === 0) throw new RnnlmError('invalid_argument', `BPE token ${id} is empty`);
      this.kinds[id] = Kind.Piece;
      this.pieces[id] = piece;
      this.finals[id] = final;
      const cp = piece.codePointAt(0)!;
      if (String.fromCodePoint(cp).length === piece.length) (final ? this.charFinalId : this.charId).set(cp, id);
    }
    this.mergePairs = [];
    for (const [r, m] of merges.entries()) {
      if (!Array.isArray(m) || m.length !== 2 || typeof m[0] !== 'string' || typeof m[1] !== 'string') {
        throw new RnnlmError('invalid_argument', `BPE merge ${r} is not a pair of token strings`);
      }
      const a = this.vocab.idOf(m[0]);
      const b = this.vocab.idOf(m[1]);
      const c = this.vocab.idOf(m[0] + m[1]);
      if (a === undefined || b === undefined || c === undefined) {
        throw new RnnlmError(
          'invalid_argument',
          `BPE merge ${r} (${JSON.stringify(m[0])}, ${JSON.stringify(m[1])}) uses or makes a token that is not in the vocabulary`,
        );
      }
      if (this.kinds[a] !== Kind.Piece || this.finals[a] || this.kinds[b] !== Kind.Piece || this.kinds[c] !== Kind.Piece) {
        throw new RnnlmError('invalid_argument', `BPE merge ${r} (${JSON.stringify(m[0])}, ${JSON.stringify(m[1])}) must join a non-final piece to a piece`);
      }
      const key = pairKey(a, b);
      if (this.rankOf.has(key)) throw new RnnlmError('invalid_argument', `BPE merge ${r} repeats an earlier merge`);
      this.rankOf.set(key, r);
      this.resultOf.set(key, c);
      this.mergePairs.push([a, b]);
    }
  }

  /** Learns `merges` merge operations from `text` (the training split). Deterministic. */
  static train(text: string, options: BpeTrainOptions = {}): BpeTokenizer {
    if (typeof text !== 'string') throw new RnnlmError('invalid_argument', 'BpeTokenizer.train needs a string');
    const numMerges = options.merges ?? 1000;
    const minFrequency = options.minFrequency ?? 2;
    if (!Number.isInteger(numMerges) || numMerges < 0) throw new RnnlmError('invalid_argument', `merges is ${numMerges}; give an integer >= 0`);
    if (!Number.isInteger(minFrequency) || minFrequency < 1) {
      throw new RnnlmError('invalid_argument', `minFrequency is ${minFrequency}; give an integer >= 1`);
    }
    return new BpeTokenizer(...learnMerges(text, numMerges, minFrequency), { minFrequency });
  }

  static fromJSON(json: unknown): BpeTokenizer {
    const { obj, tokens } = checkTokenizerJSON(json, 'bpe');
    const merges = obj.merges;
    if (!Array.isArray(merges)) throw corruptTokenizer('bpe tokenizer "merges" is not an array');
    const minFrequency = obj.minFrequency ?? 2;
    if (typeof minFrequency !== 'number' || !Number.isInteger(minFrequency) || minFrequency < 1) {
      throw corruptTokenizer('bpe tokenizer "minFrequency" is not an integer >= 1');
    }
    try {
      return new BpeTokenizer(tokens, merges as [string, string][], { minFrequency });
    } catch (e) {
      if (e instanceof RnnlmError) throw corruptTokenizer(e.message);
      throw e;
    }
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** Number of learned merges. */
  get numMerges(): number {
    return this.mergePairs.length;
  }

  /** The learned merges in rank order, as token strings. */
  merges(): [string, string][] {
    return this.mergePairs.map(([a, b]) => [this.vocab.tokenOf(a), this.vocab.tokenOf(b)]);
  }

  /** Ids of one word (no spaces inside), the last one word-final. */
  encodeWord(word: string): Int32Array {
    const hit = this.cache.get(word);
    if (hit) return hit;
    if (word.length === 0) return Int32Array.of(this.eowId);
    const sym: number[] = [];
    for (let i = 0; i < word.length; ) {
      const cp = word.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      const last = i >= word.length;
      const id = (last ? this.charFinalId : this.charId).get(cp);
      if (id !== undefined) {
        sym.push(id);
        continue;
      }
      // Unseen character: its UTF-8 bytes, then the bare marker if it ends the word.
      if (cp >= 0xd800 && cp <= 0xdfff) {
        throw new RnnlmError(
          'invalid_argument',
          `the text holds a lone UTF-16 surrogate (U+${cp.toString(16).toUpperCase()}), which is not Unicode text; fix the string`,
        );
      }
      for (const b of utf8Bytes(cp)) sym.push(this.byteBase + b);
      if (last) sym.push(this.eowId);
    }
    const out = Int32Array.from(this.applyMerges(sym));
    if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, out);
    return out;
  }

  /** Repeatedly merges every occurrence of the lowest-ranked pair present, as training did. */
  private applyMerges(sym: number[]): number[] {
    while (sym.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < sym.length; i++) {
        const r = this.rankOf.get(pairKey(sym[i]!, sym[i + 1]!));
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = sym[best]!;
      const b = sym[best + 1]!;
      sym = mergePair(sym, a, b, this.resultOf.get(pairKey(a, b))!);
    }
    return sym;
  }

  encode(text: string, options: BpeEncodeOptions = {}): Int32Array {
    if (typeof text !== 'string') throw new RnnlmError('invalid_argument', 'encode needs a string');
    const addEos = options.addEos ?? true;
    if (text.length === 0) return new Int32Array(0);
    const lines = text.split('\n');
    const terminated = lines[lines.length - 1] === '';
    if (terminated) lines.pop();
    return encodeLines(
      lines,
      terminated,
      addEos,
      this.eosId,
      (line, push) => {
        for (const w of lineWords(line)) for (const id of this.encodeWord(w)) push(id);
      },
      text.length >> 1,
    );
  }

  decode(ids: ArrayLike<number>): string {
    const size = this.vocab.size;
    const parts: string[] = [];
    let pendingSpace = false;
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length) parts.push(new TextDecoder('utf-8').decode(Uint8Array.from(bytes)));
      bytes = [];
    };
    const space = (): void => {
      if (pendingSpace) parts.push(' ');
      pendingSpace = false;
    };
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      checkId(id, size);
      switch (this.kinds[id]!) {
        case Kind.Eos:
          flush();
          pendingSpace = false;
          parts.push('\n');
          break;
        case Kind.Byte:
          space();
          bytes.push(id - this.byteBase);
          break;
        case Kind.Eow:
          flush();
          space();
          pendingSpace = true;
          break;
        case Kind.Piece:
          flush();
          space();
          parts.push(this.pieces[id]!);
          pendingSpace = this.finals[id]!;
          break;
      }
    }
    flush();
    return parts.join('');
  }

  /** Display form: the piece, a trailing space for word-final tokens, '\n' for `<eos>`, `<0xAB>` for bytes. */
  tokenText(id: number): string {
    checkId(id, this.vocab.size);
    switch (this.kinds[id]!) {
      case Kind.Eos:
        return '\n';
      case Kind.Eow:
        return ' ';
      case Kind.Byte:
        return this.vocab.tokenOf(id);
      case Kind.Piece:
        return this.finals[id] ? `${this.pieces[id]} ` : this.pieces[id]!;
    }
  }

  toJSON(): BpeTokenizerJSON {
    return { kind: 'bpe', version: TOKENIZER_JSON_VERSION, minFrequency: this.minFrequency, tokens: this.vocab.tokens(), merges: this.merges() };
  }
}

/** Left-to-right, non-overlapping replacement of (a, b) by c. */
function mergePair(sym: readonly number[], a: number, b: number, c: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < sym.length; i++) {
    if (i + 1 < sym.length && sym[i] === a && sym[i + 1] === b) {
      out.push(c);
      i++;
    } else out.push(sym[i]!);
  }
  return out;
}

function utf8Bytes(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 63)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
}

// ------------------------------------------------------------------ training

/**
 * Max-heap of (count, pair) with the tie-break of the header; stale entries (count changed
 * since the push) are skipped when popped, so counts are never searched for.
 */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];
  constructor(private readonly tokenStr: readonly string[]) {}

  get size(): number {
    return this.keys.length;
  }

  /** True when entry i should be popped before entry j. */
  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    if (ci !== cj) return ci > cj;
    const ki = this.keys[i]!;
    const kj = this.keys[j]!;
    const ai = this.tokenStr[Math.floor(ki / PAIR_SHIFT)]!;
    const aj = this.tokenStr[Math.floor(kj / PAIR_SHIFT)]!;
    if (ai !== aj) return ai < aj;
    return this.tokenStr[ki % PAIR_SHIFT]! < this.tokenStr[kj % PAIR_SHIFT]!;
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  peek(): { count: number; key: number } {
    return { count: this.counts[0]!, key: this.keys[0]! };
  }

  pop(): void {
    const last = this.keys.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.keys.pop();
    const n = this.keys.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.before(l, m)) m = l;
      if (r < n && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}

/** Tokens and merges learned from `text` (see the header for the rules). */
function learnMerges(text: string, numMerges: number, minFrequency: number): [string[], [string, string][]] {
  // Word types with their frequencies (first-appearance order, so everything is deterministic).
  const freqOf = new Map<string, number>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    for (const w of lineWords(line)) freqOf.set(w, (freqOf.get(w) ?? 0) + 1);
  }

  // Base vocabulary: <eos>, </w>, the 256 bytes, then each code point seen (non-final, final) by code point.
  const tokens: string[] = [EOS, EOW];
  for (let b = 0; b < 256; b++) tokens.push(byteToken(b));
  const codes = new Set<number>();
  for (const w of freqOf.keys()) {
    for (let i = 0; i < w.length; ) {
      const cp = w.codePointAt(i)!;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        throw new RnnlmError(
          'invalid_argument',
          `the training text holds a lone UTF-16 surrogate (U+${cp.toString(16).toUpperCase()}), which is not Unicode text`,
        );
      }
      codes.add(cp);
      i += cp > 0xffff ? 2 : 1;
    }
  }
  const idOfToken = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const charId = new Map<number, number>();
  const charFinalId = new Map<number, number>();
  for (const cp of [...codes].sort((a, b) => a - b)) {
    const c = String.fromCodePoint(cp);
    charId.set(cp, tokens.length);
    idOfToken.set(c, tokens.length);
    tokens.push(c);
    charFinalId.set(cp, tokens.length);
    idOfToken.set(c + EOW, tokens.length);
    tokens.push(c + EOW);
  }
  const eowId = 1;

  // Every word type as symbols.
  const syms: number[][] = [];
  const freq: number[] = [];
  for (const [w, f] of freqOf) {
    const s: number[] = [];
    for (let i = 0; i < w.length; ) {
      const cp = w.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      s.push((i >= w.length ? charFinalId : charId).get(cp)!);
    }
    syms.push(s.length ? s : [eowId]);
    freq.push(f);
  }

  // Initial pair counts and, per pair, the words that hold it.
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const addPairs = (w: number, sign: number, changed: Set<number> | null): void => {
    const s = syms[w]!;
    const f = sign * freq[w]!;
    for (let i = 0; i + 1 < s.length; i++) {
      const k = pairKey(s[i]!, s[i + 1]!);
      pairCount.set(k, (pairCount.get(k) ?? 0) + f);
      if (changed) changed.add(k);
      if (sign > 0) {
        let set = where.get(k);
        if (!set) where.set(k, (set = new Set()));
        set.add(w);
      }
    }
  };
  for (let w = 0; w < syms.length; w++) addPairs(w, 1, null);
  const heap = new PairHeap(tokens);
  for (const [k, c] of pairCount) heap.push(c, k);

  const merges: [string, string][] = [];
  const forbidden = new Set<number>();
  while (merges.length < numMerges) {
    // The most frequent live pair (skip stale heap entries and merges that cannot be spelt).
    let best = -1;
    while (heap.size > 0) {
      const { count, key } = heap.peek();
      if (pairCount.get(key) !== count || count <= 0 || forbidden.has(key)) {
        heap.pop();
        continue;
      }
      const a = Math.floor(key / PAIR_SHIFT);
      const b = key % PAIR_SHIFT;
      if (reservedNonFinal(tokens[a]! + tokens[b]!) && !tokens[b]!.endsWith(EOW)) {
        forbidden.add(key);
        heap.pop();
        continue;
      }
      best = key;
      break;
    }
    if (best < 0 || pairCount.get(best)! < minFrequency) break;
    heap.pop();
    const a = Math.floor(best / PAIR_SHIFT);
    const b = best % PAIR_SHIFT;
    const merged = tokens[a]! + tokens[b]!;
    let c = idOfToken.get(merged);
    if (c === undefined) {
      c = tokens.length;
      if (c >= PAIR_SHIFT) break;
      tokens.push(merged);
      idOfToken.set(merged, c);
    }
    merges.push([tokens[a]!, tokens[b]!]);

    // Update only the words holding the pair: remove their old pairs, add the new ones.
    const affected = where.get(best) ?? new Set<number>();
    where.delete(best);
    const changed = new Set<number>();
    for (const w of affected) {
      const s = syms[w]!;
      let has = false;
      for (let i = 0; i + 1 < s.length && !has; i++) has = s[i] === a && s[i + 1] === b;
      if (!has) continue;
      addPairs(w, -1, changed);
      syms[w] = mergePair(s, a, b, c);
      addPairs(w, 1, changed);
    }
    for (const k of changed) {
      const n = pairCount.get(k)!;
      if (n > 0) heap.push(n, k);
      else pairCount.delete(k);
    }
  }
  return [tokens, merges];
}
