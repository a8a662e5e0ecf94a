import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { CharTokenizer } from '../tokenizers/char.js';
import { WordTokenizer } from '../tokenizers/word.js';
import { arpaText, parseArpa } from './arpa.js';
import { estimateKneserNey, modifiedKnDiscounts } from './kn.js';
import { summarizeNgramScores, type NgramModel } from './model.js';
import { tokenizerSentences, wordSentences } from './text.js';
import { NgramVocab, arpaWord } from './vocab.js';

const close = (a: number, b: number, tol = 1e-6, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);

function train(text: string, order: number, minCounts?: number[]): { model: NgramModel; vocab: NgramVocab; tok: WordTokenizer } {
  const tok = WordTokenizer.fromText(text);
  const vocab = NgramVocab.fromTokenizer(tok);
  const { model } = estimateKneserNey(vocab, tokenizerSentences(tok, text, vocab).ids, { order, ...(minCounts ? { minCounts } : {}) });
  return { model, vocab, tok };
}

/** p(w | history) of a model, history as words (oldest first). */
function prob(model: NgramModel, history: string[], w: string): number {
  const ids = [...history, w].map((x) => model.vocab.idOf(x)!);
  return 10 ** model.log10ProbAt(ids, 0, ids.length - 1);
}

describe('modified Kneser–Ney by hand', () => {
  // Corpus "a b / a a b": sentences <s> a b </s>, <s> a a b </s>. Vocabulary a b </s> <unk> <s>.
  // Unigram continuation counts: a 2 (<s> a, a a), b 1, </s> 1, <unk> 0 → n1 = 2, n2 = 1, n3 = 0:
  //   Y = 2/4, D1 = 1 − 2·½·½ = ½, D2 = 2 − 3·½·0 = 2 is not below 2 → Y = ½, D3+ (n3 = 0) → ½;
  //   mass = 3·½ = 3/2 of 4 → 3/8, spread over the 4 words but <s>: 3/32 each.
  //   p(a) = 1.5/4 + 3/32 = 15/32, p(b) = p(</s>) = ½/4 + 3/32 = 7/32, p(<unk>) = 3/32.
  // Bigram raw counts: <s> a 2, a a 1, a b 2, b </s> 2 → n1 = 1, n2 = 3, n3 = 0: Y = 1/7, D1 = 1/7,
  //   D2 = 2 → Y = 1/7, D3+ → 1/7.
  //   context a: C = 3, γ = (2/7)/3 = 2/21; p(a|a) = (6/7)/3 + 2/21·15/32 = 37/112,
  //   p(b|a) = (13/7)/3 + 2/21·7/32 = 215/336, p(</s>|a) = 2/21·7/32 = 1/48, p(<unk>|a) = 1/112.
  //   context <s>: C = 2, γ = (1/7)/2 = 1/14; p(a|<s>) = (13/7)/2 + 1/14·15/32 = 431/448,
  //   p(b|<s>) = 1/14·7/32 = 1/64 (not stored: backed off with bow(<s>) = 1/14).
  //   context b: p(</s>|b) = 13/14 + 1/14·7/32 = 423/448.
  const text = 'a b\na a b\n';
  const { model } = train(text, 2);
  const f32 = (x: number): string => String(Number(Math.fround(Math.log10(x)).toPrecision(7)));

  test('discounts from count-of-counts', () => {
    assert.deepEqual(modifiedKnDiscounts([2, 1, 0, 0]), [0.5, 0.5, 0.5]);
    for (const d of modifiedKnDiscounts([1, 3, 0, 0])) close(d, 1 / 7);
    // Chen & Goodman's formula on typical counts
    const [e1, e2, e3] = modifiedKnDiscounts([1000, 400, 200, 120]);
    const Y = 1000 / 1800;
    close(e1, 1 - 2 * Y * 0.4);
    close(e2, 2 - 3 * Y * 0.5);
    close(e3, 3 - 4 * Y * 0.6);
  });

  test('unigram and bigram probabilities', () => {
    close(prob(model, [], 'a'), 15 / 32);
    close(prob(model, [], 'b'), 7 / 32);
    close(prob(model, [], '</s>'), 7 / 32);
    close(prob(model, [], '<unk>'), 3 / 32);
    close(prob(model, ['a'], 'a'), 37 / 112);
    close(prob(model, ['a'], 'b'), 215 / 336);
    close(prob(model, ['a'], '</s>'), 1 / 48);
    close(prob(model, ['a'], '<unk>'), 1 / 112);
    close(prob(model, ['<s>'], 'a'), 431 / 448);
    close(prob(model, ['<s>'], 'b'), 1 / 64);
    close(prob(model, ['b'], '</s>'), 423 / 448);
  });

  test('the ARPA file holds these numbers in SRILM layout', () => {
    const arpa = arpaText(model);
    assert.match(arpa, /\\data\\\nngram 1=5\nngram 2=4\n\n\\1-grams:\n/);
    assert.ok(arpa.includes(`\n-99\t<s>\t${f32(1 / 14)}\n`), '<s> is never predicted; its back-off weight is γ(<s>)');
    assert.ok(arpa.includes(`\n${f32(15 / 32)}\ta\t${f32(2 / 21)}\n`));
    assert.ok(arpa.includes(`\n${f32(3 / 32)}\t<unk>\n`), 'no back-off weight: <unk> is no context');
    assert.ok(arpa.includes(`\n${f32(37 / 112)}\ta a\n`));
    assert.ok(arpa.includes(`\n${f32(431 / 448)}\t<s> a\n`));
    assert.ok(arpa.endsWith('\n\\end\\\n'));
    assert.ok(!arpa.includes('\t<s> b'));
  });

  test('SRILM perplexity counts', () => {
    const s = summarizeNgramScores(model.scoreStream(wordSentences(model.vocab, 'a b\n\nzz a\n')));
    // sentence 1: p(a|<s>) p(b|a) p(</s>|b); sentence 2: zz → <unk>, p(<unk>|<s>) p(a|<unk>) p(</s>|a)
    const lp1 = Math.log10((431 / 448) * (215 / 336) * (423 / 448));
    const lp2 = Math.log10((1 / 14) * (3 / 32) * (15 / 32) * (1 / 48));
    assert.equal(s.sentences, 2);
    assert.equal(s.words, 4);
    assert.equal(s.oovs, 0);
    assert.equal(s.tokens, 6);
    close(s.log10Prob, lp1 + lp2, 1e-5);
    close(s.perplexity, 10 ** (-(lp1 + lp2) / 6), 1e-3);
    close(s.perplexity1, 10 ** (-(lp1 + lp2) / 4), 1e-3);
  });
});

/**
 * A direct reference: the formulas of the kn.ts header over Map-counted n-grams (string keys),
 * p(w | h) computed recursively for any h, independent of the trie, the sort-based counting and
 * the ARPA back-off.
 */
function referenceKn(sentences: string[][], vocab: string[], N: number): (h: string[], w: string) => number {
  const raw: Map<string, number>[] = Array.from({ length: N + 1 }, () => new Map());
  for (const s of sentences) {
    const t = ['<s>', ...s, '</s>'];
    for (let k = 1; k <= N; k++)
      for (let i = 0; i + k <= t.length; i++) {
        const g = t.slice(i, i + k).join(' ');
        raw[k]!.set(g, (raw[k]!.get(g) ?? 0) + 1);
      }
  }
  const used: Map<string, number>[] = raw.map((m) => new Map(m));
  for (let k = 1; k < N; k++) {
    used[k] = new Map();
    for (const g of raw[k + 1]!.keys()) {
      const suf = g.split(' ').slice(1).join(' ');
      used[k]!.set(suf, (used[k]!.get(suf) ?? 0) + 1);
    }
    for (const [g, c] of raw[k]!) if (g.split(' ')[0] === '<s>') used[k]!.set(g, c);
  }
  used[1]!.delete('<s>');
  const D = used.map((m) => {
    const n: [number, number, number, number] = [0, 0, 0, 0];
    for (const c of m.values()) if (c >= 1 && c <= 4) n[c - 1]!++;
    return modifiedKnDiscounts(n);
  });
  const d = (k: number, c: number): number => (c === 0 ? 0 : D[k]![Math.min(c, 3) - 1]!);
  const words = vocab.filter((w) => w !== '<s>');
  const p = (h: string[], w: string): number => {
    if (w === '<s>') return 0;
    const k = h.length + 1;
    let C = 0;
    let G = 0;
    for (const x of words) {
      const c = used[k]!.get([...h, x].join(' ')) ?? 0;
      C += c;
      G += d(k, c);
    }
    const lower = k === 1 ? 1 / words.length : p(h.slice(1), w);
    if (C === 0) return lower;
    const c = used[k]!.get([...h, w].join(' ')) ?? 0;
    return Math.max(c - d(k, c), 0) / C + (G / C) * lower;
  };
  return (h, w) => p(h.slice(Math.max(0, h.length - (N - 1))), w);
}

function randomCorpus(seed: number, lines: number, types: number): string {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = 1 + Math.floor(rng.uniform() * 7);
    const ws: string[] = [];
    // Zipf-like draws so counts of 1..4 all occur.
    for (let j = 0; j < n; j++) ws.push(`w${Math.floor(types * rng.uniform() ** 2)}`);
    out.push(ws.join(' '));
  }
  return `${out.join('\n')}\n`;
}

describe('Kneser–Ney against a direct reference implementation', () => {
  for (const N of [1, 2, 3, 4]) {
    test(`order ${N}: every p(w | h) of sampled histories agrees`, () => {
      const text = randomCorpus(7 + N, 60, 12);
      const { model, vocab } = train(text, N);
      const sentences = text
        .trim()
        .split('\n')
        .map((l) => l.split(' '));
      const ref = referenceKn(sentences, [...vocab.words], N);
      const rng = new Rng(N);
      const hist: string[][] = [[], ['<s>'], ['w1'], ['<s>', 'w0'], ['w0', 'w1', 'w2'], ['w3', 'w0']];
      for (const s of sentences.slice(0, 10)) hist.push(['<s>', ...s].slice(0, 1 + Math.floor(rng.uniform() * (s.length + 1))));
      for (const h of hist) {
        let total = 0;
        for (const w of vocab.words) {
          const got = prob(model, h, w);
          close(got, ref(h, w), 2e-6, `p(${w} | ${h.join(' ')})`);
          total += got;
        }
        close(total, 1, 1e-5, `Σ_w p(w | ${h.join(' ')})`);
      }
    });
  }

  test('count pruning keeps every distribution normalised and drops n-grams', () => {
    const text = randomCorpus(3, 120, 10);
    const full = train(text, 3).model;
    const pruned = train(text, 3, [1, 2, 2]).model;
    assert.ok(pruned.counts()[2]! < full.counts()[2]!);
    assert.ok(pruned.counts()[1]! < full.counts()[1]!);
    for (const h of [['<s>'], ['w0'], ['w1', 'w0'], ['<s>', 'w2'], ['w5', 'w9']]) {
      let total = 0;
      for (const w of pruned.vocab.words) total += prob(pruned, h, w);
      close(total, 1, 1e-5, `Σ_w p(w | ${h.join(' ')})`);
    }
    // the pruned model is still a valid ARPA file: every context is listed
    const back = parseArpa(arpaText(pruned));
    assert.deepEqual(back.counts(), pruned.counts());
  });
});

describe('ARPA files', () => {
  test('write → read → write is the identity, and probabilities survive', () => {
    const text = randomCorpus(11, 80, 15);
    const { model } = train(text, 4);
    const a = arpaText(model, ['made by a test']);
    assert.ok(a.startsWith('# made by a test\n\n\\data\\\n'));
    const back = parseArpa(a);
    assert.deepEqual(back.counts(), model.counts());
    assert.equal(arpaText(back, ['made by a test']), a);
    const ids = wordSentences(model.vocab, text).ids;
    const p1 = model.streamLog10Probs(ids);
    const p2 = back.streamLog10Probs(ids);
    for (let i = 0; i < ids.length; i++) if (!Number.isNaN(p1[i]!)) close(p2[i]!, p1[i]!, 1e-6);
  });

  test('reads a hand-written SRILM-style file with spaces, unsorted n-grams and no back-off weights', () => {
    const arpa = [
      'some header text SRILM ignores',
      '\\data\\',
      'ngram 1=4',
      'ngram 2=2',
      '',
      '\\1-grams:',
      '-0.30103 </s>',
      '-99 <s> -0.5',
      '-0.60206 a -0.1',
      '-0.60206 b',
      '',
      '\\2-grams:',
      '-0.1 a </s>',
      '-0.2 <s> a',
      '',
      '\\end\\',
    ].join('\r\n');
    const m = parseArpa(arpa);
    assert.equal(m.order, 2);
    close(prob(m, ['<s>'], 'a'), 10 ** -0.2, 1e-6);
    close(prob(m, ['<s>'], 'b'), 10 ** (-0.5 - 0.60206), 1e-6); // bow(<s>) · p(b)
    close(prob(m, ['a'], 'b'), 10 ** (-0.1 - 0.60206), 1e-6);
    close(prob(m, ['b'], 'a'), 10 ** -0.60206, 1e-6); // b has no bow: 1
    assert.equal(m.vocab.unk, -1);
    const s = summarizeNgramScores(m.scoreStream(wordSentences(m.vocab, 'a x b\n')));
    assert.equal(s.oovs, 1);
    assert.equal(s.tokens, 3); // a, b, </s>; x is skipped and resets the context
  });

  test('bad files are clear errors', () => {
    const bad = (t: string, re: RegExp): void =>
      assert.throws(
        () => parseArpa(t, 'm.arpa'),
        (e) => isRnnlmError(e, 'invalid_argument') && re.test(e.message),
      );
    bad('hello', /no \\data\\ line/);
    bad('\\data\\\nngram 1=2\n\n\\1-grams:\n-1 <s>\n', /ends inside the 1-grams/);
    bad('\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1 <s>\n-1 </s>\n\\2-grams:\n-1 a </s>\n\\end\\\n', /"a" is not among the 1-grams/);
    bad('\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1 <s>\n-1 </s>\n-1 a\n\\2-grams:\n-1 x\n\\end\\\n', /line 10: a 2-gram line/);
    bad('\\data\\\nngram 1=2\n\n\\1-grams:\n-1 <s>\n-1 </s>\n', /expected \\end\\/);
    bad('\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\n-1 </s>\n\\end\\\n', /needs both <s> and <\/s>/);
  });
});

describe('tokenizers as n-gram vocabularies', () => {
  test('a character model: whitespace is spelled <U+0020>, the newline is </s>, ids are the tokenizer ids', () => {
    const text = 'ab a\nba b\n';
    const tok = CharTokenizer.fromText(text);
    const vocab = NgramVocab.fromTokenizer(tok);
    assert.equal(vocab.words[tok.vocab.idOf(' ')!], '<U+0020>');
    assert.equal(vocab.words[tok.vocab.idOf('\n')!], '</s>');
    assert.equal(vocab.size, tok.vocabSize + 1);
    const st = tokenizerSentences(tok, text, vocab);
    assert.equal(st.sentences, 2);
    assert.equal(st.words, 8);
    const { model } = estimateKneserNey(vocab, st.ids, { order: 3 });
    const back = parseArpa(arpaText(model));
    assert.deepEqual(back.vocab.words, vocab.words);
    assert.equal(arpaWord('a\tb'), 'a<U+0009>b');
  });

  test('bad input is a clear error', () => {
    const vocab = NgramVocab.fromTokenizer(WordTokenizer.fromText('a b\n'));
    assert.throws(
      () => wordSentences(vocab, 'a </s> b\n'),
      (e) => isRnnlmError(e, 'invalid_argument') && /marks sentences/.test(e.message),
    );
    assert.throws(
      () => estimateKneserNey(vocab, new Int32Array([4, 0, 9, 2]), { order: 2 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => estimateKneserNey(vocab, new Int32Array(0), { order: 2 }),
      (e) => isRnnlmError(e, 'empty_corpus'),
    );
    assert.throws(
      () => estimateKneserNey(vocab, new Int32Array([4, 0, 2]), { order: 0 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

// The shared data sit beside the checkout (../shared/data) or inside it (shared/data).
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PTB =
  [path.join(ROOT, '../shared/data'), path.join(ROOT, 'shared/data')].map((d) => path.join(d, 'ptb/ptb.valid.txt')).find((f) => fs.existsSync(f)) ?? '';
describe('PTB (skipped without ../shared/data)', { skip: PTB === '' }, () => {
  test('a KN3 model of part of the PTB validation text: trained and read back in seconds, perplexity of its own text', () => {
    const text = fs.readFileSync(PTB, 'utf8').slice(0, 150_000); // ~1/3 of the file keeps it fast
    const { model } = train(text, 3);
    const back = parseArpa(arpaText(model));
    const s1 = summarizeNgramScores(model.scoreStream(wordSentences(model.vocab, text.slice(0, 20000))));
    const s2 = summarizeNgramScores(back.scoreStream(wordSentences(back.vocab, text.slice(0, 20000))));
    close(s2.log10Prob, s1.log10Prob, 1e-2);
    assert.ok(s1.perplexity > 5 && s1.perplexity < 40, `training-text perplexity ${s1.perplexity}`);
  });
});
