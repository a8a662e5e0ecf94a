/**
 * BpeTokenizer: exact round trip of any text (emoji, CJK, unseen characters, odd spacing),
 * Sennrich's textbook merges, incremental training = naive recounting, determinism,
 * save/load, and word-level <eos> per line.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRnnlmError } from '../errors.js';
import { Rng } from '../tensor/random.js';
import { BpeTokenizer, EOW } from './bpe.js';
import { tokenizerFromJSON } from './index.js';

const ENGLISH = 'the cat sat on the mat\nthe dog ran to the cat\na bird sat on a tree\nthe lower the newest\n';

/** Sennrich et al.'s example: low ×5, lower ×2, newest ×6, widest ×3. */
const SENNRICH = `${[...Array(5).fill('low'), ...Array(2).fill('lower'), ...Array(6).fill('newest'), ...Array(3).fill('widest')].join(' ')}\n`;

/**
 * Reference trainer that recounts every pair of every word before each merge (the slow,
 * obvious algorithm), with the same tie-break: count, then left token string, then right.
 */
function naiveTrain(text: string, merges: number, minFrequency: number): { merges: [string, string][]; segments: Map<string, string[]> } {
  const words = new Map<string, number>();
  for (const line of text.split('\n')) if (line !== '') for (const w of line.split(' ')) words.set(w, (words.get(w) ?? 0) + 1);
  const segs: [string[], number, string][] = [...words].map(([w, f]) => {
    const cps = [...w];
    if (cps.length === 0) return [[EOW], f, w];
    cps[cps.length - 1] += EOW;
    return [cps, f, w];
  });
  const out: [string, string][] = [];
  while (out.length < merges) {
    const counts = new Map<string, [string, string, number]>();
    for (const [s, f] of segs) {
      for (let i = 0; i + 1 < s.length; i++) {
        const k = `${s[i]}\u0000${s[i + 1]}`;
        const e = counts.get(k);
        if (e) e[2] += f;
        else counts.set(k, [s[i]!, s[i + 1]!, f]);
      }
    }
    let best: [string, string, number] | null = null;
    for (const e of counts.values()) {
      if (!best || e[2] > best[2] || (e[2] === best[2] && (e[0] < best[0] || (e[0] === best[0] && e[1] < best[1])))) best = e;
    }
    if (!best || best[2] < minFrequency) break;
    const [a, b] = best;
    out.push([a, b]);
    for (const seg of segs) {
      const s = seg[0];
      const m: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          m.push(a + b);
          i++;
        } else m.push(s[i]!);
      }
      seg[0] = m;
    }
  }
  return { merges: out, segments: new Map(segs.map(([s, , w]) => [w, s])) };
}

const naiveMerges = (text: string, merges: number, minFrequency: number) => naiveTrain(text, merges, minFrequency).merges;

/** A random text over a small alphabet (with repeats, spaces and line breaks), for cross-checks. */
function randomText(seed: number, n: number): string {
  const rng = new Rng(seed);
  const alphabet = ['a', 'b', 'c', 'a', 'b', 'é', '語', '😀', ' ', ' ', ' ', '\n'];
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

describe('BpeTokenizer', () => {
  test("learns Sennrich et al.'s merges on the low/lower/newest/widest example", () => {
    const t = BpeTokenizer.train(SENNRICH, { merges: 100, minFrequency: 2 });
    // Worked out by hand: highest count first, ties by the left then right token string.
    assert.deepEqual(t.merges(), [
      ['e', 's'],
      ['es', 't</w>'],
      ['l', 'o'],
      ['e', 'w'],
      ['ew', 'est</w>'],
      ['n', 'ewest</w>'],
      ['lo', 'w</w>'],
      ['d', 'est</w>'],
      ['i', 'dest</w>'],
      ['w', 'idest</w>'],
      ['e', 'r</w>'],
      ['lo', 'w'],
      ['low', 'er</w>'],
    ]);
    // The classic segmentation of an unseen word.
    assert.deepEqual(
      Array.from(t.encodeWord('lowest'), (id) => t.vocab.tokenOf(id)),
      ['low', 'est</w>'],
    );
    assert.deepEqual(
      Array.from(t.encode('newest lower\n'), (id) => t.vocab.tokenOf(id)),
      ['newest</w>', 'lower</w>', '<eos>'],
    );
    // minFrequency 3 stops before the pairs seen only twice (the "lower" merges).
    assert.equal(BpeTokenizer.train(SENNRICH, { merges: 100, minFrequency: 3 }).numMerges, 10);
    assert.equal(BpeTokenizer.train(SENNRICH, { merges: 4 }).numMerges, 4);
  });

  test('incremental training learns exactly what naive recounting learns', () => {
    for (const seed of [1, 2, 3]) {
      const text = randomText(seed, 3000);
      for (const minFrequency of [1, 2, 5]) {
        const fast = BpeTokenizer.train(text, { merges: 150, minFrequency });
        assert.deepEqual(fast.merges(), naiveMerges(text, 150, minFrequency), `seed ${seed}, minFrequency ${minFrequency}`);
      }
    }
    assert.deepEqual(BpeTokenizer.train(ENGLISH, { merges: 40 }).merges(), naiveMerges(ENGLISH, 40, 2));
  });

  test('round-trips any text exactly: emoji, CJK, combining marks, odd spacing, CRLF, unseen characters', () => {
    const t = BpeTokenizer.train(`${ENGLISH}naïve 😀 日本語 テキスト\n`, { merges: 60 });
    const texts = [
      'the cat sat on the mat\n',
      'the  cat\tsat   \n\n  on the mat  ',
      ' leading and trailing ',
      ' ',
      '   ',
      '\n\n\n',
      'e\u0301 precomposed é and decomposed e\u0301',
      '😀😀 日本語 ok\r\nwindows line\r\n',
      'never seen: ß Ω 🦀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ∑ 中文 \u0000 \uFFFF end',
      'Ω',
      '🦀 x',
      'x 🦀',
      '<eos> </w> <0x41> a</w>b literal markers',
      '',
    ];
    for (const s of texts) {
      assert.equal(t.decode(t.encode(s, { addEos: false })), s, JSON.stringify(s));
      if (s === '' || s.endsWith('\n')) assert.equal(t.decode(t.encode(s)), s, JSON.stringify(s));
    }
    // Random texts over an alphabet partly unseen by the tokenizer.
    const other = BpeTokenizer.train(randomText(9, 2000), { merges: 80 });
    for (const seed of [10, 11, 12]) {
      const s = `${randomText(seed, 500)} ñ 🎉\t`;
      assert.equal(other.decode(other.encode(s, { addEos: false })), s);
    }
  });

  test('unseen characters become their UTF-8 bytes; no <unk>', () => {
    const t = BpeTokenizer.train('abc abc abd\n', { merges: 5 });
    assert.equal(t.unkId, null);
    const toks = Array.from(t.encode('aé', { addEos: false }), (id) => t.vocab.tokenOf(id));
    // 'é' is U+00E9 = C3 A9 in UTF-8; it ends the word, so the bare marker closes it.
    assert.deepEqual(toks, ['a', '<0xC3>', '<0xA9>', EOW]);
    const crab = Array.from(t.encode('🦀b', { addEos: false }), (id) => t.vocab.tokenOf(id));
    assert.deepEqual(crab, ['<0xF0>', '<0x9F>', '<0xA6>', '<0x80>', 'b</w>']);
    assert.equal(t.decode(t.encode('🦀b é\n')), '🦀b é\n');
    assert.throws(
      () => t.encode('a\uD800b'),
      (e) => isRnnlmError(e, 'invalid_argument') && /surrogate/.test(e.message),
    );
  });

  test('word-level <eos> per line, like the word tokenizer', () => {
    const t = BpeTokenizer.train(ENGLISH, { merges: 50 });
    const ids = Array.from(t.encode('the cat\nthe dog'));
    assert.equal(ids.filter((i) => i === t.eosId).length, 2);
    assert.equal(ids[ids.length - 1], t.eosId);
    const noEos = Array.from(t.encode('the cat\nthe dog', { addEos: false }));
    assert.equal(noEos.filter((i) => i === t.eosId).length, 1);
    assert.deepEqual(Array.from(t.encode('\n\n')), [t.eosId, t.eosId]);
    assert.equal(t.tokenText(t.eosId), '\n');
    // Frequent words become single word-final tokens.
    assert.deepEqual(
      Array.from(t.encode('the cat', { addEos: false }), (id) => t.tokenText(id)),
      ['the ', 'cat '],
    );
  });

  test('encoding a training word gives the segmentation training ended with', () => {
    const text = randomText(4, 4000);
    const t = BpeTokenizer.train(text, { merges: 120, minFrequency: 2 });
    const { segments } = naiveTrain(text, 120, 2);
    assert.ok(segments.size > 20);
    for (const [word, seg] of segments) {
      assert.deepEqual(
        Array.from(t.encodeWord(word), (id) => t.vocab.tokenOf(id)),
        seg,
        JSON.stringify(word),
      );
    }
    // And encoding is much shorter than one token per character.
    assert.ok(t.encode(text).length < 0.8 * [...text].length);
  });

  test('deterministic: same text → same tokenizer; line order does not matter', () => {
    const a = BpeTokenizer.train(ENGLISH, { merges: 30 });
    const b = BpeTokenizer.train(ENGLISH, { merges: 30 });
    assert.deepEqual(a.toJSON(), b.toJSON());
    const shuffled = `${ENGLISH.trim().split('\n').reverse().join('\n')}\n`;
    assert.deepEqual(BpeTokenizer.train(shuffled, { merges: 30 }).toJSON(), a.toJSON());
  });

  test('save/load through tokenizerFromJSON gives the same ids', () => {
    const t = BpeTokenizer.train(`${ENGLISH}naïve 😀 日本語\n`, { merges: 40 });
    const text = 'the naïve cat 😀 sat on 日本語 🦀\n';
    for (const saved of [t.toJSON(), JSON.stringify(t.toJSON())]) {
      const back = tokenizerFromJSON(saved);
      assert.ok(back instanceof BpeTokenizer);
      assert.equal(back.kind, 'bpe');
      assert.equal(back.vocabSize, t.vocabSize);
      assert.equal(back.eosId, t.eosId);
      assert.deepEqual(Array.from(back.encode(text)), Array.from(t.encode(text)));
      assert.equal(back.decode(back.encode(text)), text);
      assert.deepEqual((back as BpeTokenizer).merges(), t.merges());
    }
  });

  test('a damaged saved tokenizer is corrupt_checkpoint', () => {
    const json = BpeTokenizer.train(ENGLISH, { merges: 10 }).toJSON();
    const bad = (edit: (j: Record<string, unknown>) => void): void => {
      const j = JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
      edit(j);
      assert.throws(
        () => tokenizerFromJSON(j),
        (e) => isRnnlmError(e, 'corrupt_checkpoint'),
        JSON.stringify(j).slice(0, 80),
      );
    };
    bad((j) => delete j.merges);
    bad((j) => (j.merges as unknown[]).push(['zz', 'qq']));
    bad((j) => ((j.merges as unknown[])[0] = 'th'));
    bad((j) => (j.tokens = (j.tokens as string[]).filter((t) => t !== '<0x41>')));
    bad((j) => (j.tokens = (j.tokens as string[]).filter((t) => t !== EOW)));
    bad((j) => (j.minFrequency = 0));
  });

  test('bad options are clear errors', () => {
    assert.throws(
      () => BpeTokenizer.train('a b', { merges: -1 }),
      (e) => isRnnlmError(e, 'invalid_argument') && /merges/.test(e.message),
    );
    assert.throws(
      () => BpeTokenizer.train('a b', { minFrequency: 0 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => BpeTokenizer.train(42 as unknown as string),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    const t = BpeTokenizer.train('a b\n', { merges: 0 });
    assert.throws(
      () => t.decode([t.vocabSize]),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});
