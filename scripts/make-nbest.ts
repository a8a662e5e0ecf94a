/**
 * Makes the n-best test set in data/nbest/ from real PTB test sentences with a documented,
 * seeded confusion model (a simulated first pass; no language model is involved):
 *
 *   npx tsx scripts/make-nbest.ts [PTB_DIR] [OUT_DIR]      (defaults ../shared/data/ptb, data/nbest)
 *
 * Utterances: the first 100 sentences with 8 to 25 words of ptb.test.txt (the test set) and of
 * ptb.valid.txt (a development set, to tune the LM weight on before looking at the test set).
 * Confusion model, applied word by word to the reference, for each candidate hypothesis:
 *   - substitution, p = 0.10: a random "acoustic neighbour": a PTB training-vocabulary word at
 *     letter edit distance 1 (distance ≤ 2 for words of 6+ letters), e.g. rates → rate, later →
 *     layer; words without neighbours stay;
 *   - deletion, p = 0.04 for words of ≤ 3 letters (function words get swallowed), 0.01 otherwise;
 *   - insertion after the word, p = 0.02: one of the 20 most frequent training words of ≤ 3 letters.
 * 40 candidates are drawn per utterance; the distinct ones are ranked by the simulated first-pass
 * score and the best 10 kept (the reference is in the list only when the draws produced it).
 * First-pass score ("acoustic" log-likelihood, higher is better):
 *   score = −(Σ over edits of cost) + N(0, 1.5²),   cost: substitution 1 + 0.5·(letter distance − 1),
 *   deletion 1.5, insertion 1.5
 * so the first pass prefers hypotheses close to the reference but is often wrong about which.
 * Output: ptb-{test,valid}.nbest (id<TAB>score<TAB>hypothesis, 10 per id), ptb-{test,valid}.refs
 * (id<TAB>reference).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../src/tensor/random.js';

const ptbDir = process.argv[2] ?? '../shared/data/ptb';
const outDir = process.argv[3] ?? 'data/nbest';
const UTTERANCES = 100;
const CANDIDATES = 40;
const NBEST = 10;
const P_SUB = 0.1;
const P_DEL_SHORT = 0.04;
const P_DEL = 0.01;
const P_INS = 0.02;
const NOISE = 1.5;
const rng = new Rng(20261202);

const lines = (f: string): string[][] =>
  fs
    .readFileSync(path.join(ptbDir, f), 'utf8')
    .split('\n')
    .map((l) =>
      l
        .trim()
        .split(/\s+/)
        .filter((w) => w !== ''),
    )
    .filter((l) => l.length > 0);

const train = lines('ptb.train.txt');
const freq = new Map<string, number>();
for (const l of train) for (const w of l) freq.set(w, (freq.get(w) ?? 0) + 1);
const vocab = [...freq.keys()].filter((w) => w !== '<unk>' && w !== 'N');
const shortFrequent = [...freq.entries()]
  .filter(([w]) => w.length <= 3 && w !== 'N')
  .sort((a, b) => b[1] - a[1])
  .slice(0, 20)
  .map(([w]) => w);

/** Letter edit distance, stopping early above `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1), prev[j]! + 1, cur[j - 1]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

const neighbourCache = new Map<string, { w: string; d: number }[]>();
function neighbours(w: string): { w: string; d: number }[] {
  let n = neighbourCache.get(w);
  if (!n) {
    const max = w.length >= 6 ? 2 : 1;
    n =
      w === '<unk>' || w === 'N'
        ? []
        : vocab
            .filter((v) => v !== w)
            .map((v) => ({ w: v, d: distance(w, v, max) }))
            .filter((x) => x.d <= max);
    neighbourCache.set(w, n);
  }
  return n;
}

fs.mkdirSync(outDir, { recursive: true });
for (const split of ['test', 'valid']) {
  const utts = lines(`ptb.${split}.txt`)
    .filter((l) => l.length >= 8 && l.length <= 25)
    .slice(0, UTTERANCES);
  let nbest = '';
  let refs = '';
  utts.forEach((ref, u) => {
    const id = `ptb-${split}-${String(u + 1).padStart(3, '0')}`;
    refs += `${id}\t${ref.join(' ')}\n`;
    const seen = new Map<string, number>();
    for (let c = 0; c < CANDIDATES; c++) {
      const hyp: string[] = [];
      let cost = 0;
      for (const w of ref) {
        const r = rng.uniform();
        const pDel = w.length <= 3 ? P_DEL_SHORT : P_DEL;
        const nb = neighbours(w);
        if (r < P_SUB && nb.length > 0) {
          const pick = nb[rng.int(nb.length)]!;
          hyp.push(pick.w);
          cost += 1 + 0.5 * (pick.d - 1);
        } else if (r < P_SUB + pDel) {
          cost += 1.5;
        } else hyp.push(w);
        if (rng.uniform() < P_INS) {
          hyp.push(shortFrequent[rng.int(shortFrequent.length)]!);
          cost += 1.5;
        }
      }
      const text = hyp.join(' ');
      if (!seen.has(text)) seen.set(text, -cost + NOISE * rng.normal());
    }
    const ranked = [...seen.entries()].sort((a, b) => b[1] - a[1]).slice(0, NBEST);
    for (const [text, score] of ranked) nbest += `${id}\t${score.toFixed(3)}\t${text}\n`;
  });
  fs.writeFileSync(path.join(outDir, `ptb-${split}.nbest`), nbest);
  fs.writeFileSync(path.join(outDir, `ptb-${split}.refs`), refs);
  console.log(`${split}: ${utts.length} utterances, ${nbest.split('\n').length - 1} hypotheses → ${outDir}`);
}
