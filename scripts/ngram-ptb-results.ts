/**
 * The PTB numbers of RESULTS.md "RNN + Kneser–Ney": perplexities of an RNN checkpoint, KN3/KN5
 * ARPA models and their token-by-token mixtures (λ tuned by EM on ptb.valid.txt), and the WER of
 * rescoring data/nbest with each (LM weight picked on the valid n-best list, reported on test).
 * Every model is run once and the scores reused, so this is `rnnlm eval --ngram --tune-weight`
 * and `rnnlm rescore --ref` over a grid, with the same library functions.
 *
 *   npx tsx scripts/ngram-ptb-results.ts MODEL_DIR KN5.arpa KN3.arpa [PTB_DIR]
 */
import * as path from 'node:path';
import {
  encodeSplit,
  loadLanguageModel,
  mixLogProb,
  mixedPerplexities,
  ngramMix,
  ngramStreamLogProbs,
  parseArpa,
  parseNBest,
  readCorpusFile,
  readTextFile,
  rnnStreamLogProbs,
  scoreSentenceTokens,
  tuneNgramWeight,
  wordErrorRate,
} from '../src/node.js';

const [modelDir, kn5File, kn3File, ptbDir = '../shared/data/ptb'] = process.argv.slice(2);
if (!modelDir || !kn5File || !kn3File) throw new Error('usage: ngram-ptb-results.ts MODEL_DIR KN5.arpa KN3.arpa [PTB_DIR]');
const t0 = performance.now();
const log = (s: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}`);
const { model, tokenizer } = loadLanguageModel(modelDir);
const kn = { kn5: parseArpa(readTextFile(kn5File), kn5File), kn3: parseArpa(readTextFile(kn3File), kn3File) };
const ids = {
  valid: encodeSplit(tokenizer, readCorpusFile(path.join(ptbDir, 'ptb.valid.txt')), 'valid'),
  test: encodeSplit(tokenizer, readCorpusFile(path.join(ptbDir, 'ptb.test.txt')), 'test'),
};
const rnn = { valid: rnnStreamLogProbs(model, ids.valid), test: rnnStreamLogProbs(model, ids.test) };
log('RNN streams scored');
const lambdas: Record<string, number> = {};
for (const [name, ng] of Object.entries(kn)) {
  const mix = ngramMix(tokenizer, ng, 0.5, name);
  const v = ngramStreamLogProbs(mix, ids.valid);
  const t = ngramStreamLogProbs(mix, ids.test);
  const lambda = tuneNgramWeight(rnn.valid, v);
  lambdas[name] = lambda;
  const pv = mixedPerplexities(rnn.valid, v, lambda);
  const pt = mixedPerplexities(rnn.test, t, lambda);
  log(`${name}: λ = ${lambda.toFixed(4)} (EM on valid)`);
  log(`  valid (${pv.tokens} tokens): RNN ${pv.rnn.toFixed(2)}  ${name} ${pv.ngram.toFixed(2)}  mixed ${pv.mixed.toFixed(2)}`);
  log(`  test  (${pt.tokens} tokens): RNN ${pt.rnn.toFixed(2)}  ${name} ${pt.ngram.toFixed(2)}  mixed ${pt.mixed.toFixed(2)}`);
}

// ---- n-best rescoring: combined = (1 − w)·first-pass + w·lm, w picked on valid.
type Split = 'valid' | 'test';
const nb: Record<Split, { entries: ReturnType<typeof parseNBest>; refs: Map<string, string>; rnn: number[]; kn5: number[]; mixed: number[] }> = {} as never;
for (const split of ['valid', 'test'] as Split[]) {
  const entries = parseNBest(readTextFile(`data/nbest/ptb-${split}.nbest`));
  const refs = new Map(
    readTextFile(`data/nbest/ptb-${split}.refs`)
      .trim()
      .split('\n')
      .map((l) => l.split('\t') as [string, string]),
  );
  const per = scoreSentenceTokens(
    model,
    tokenizer,
    entries.map((e) => e.hypothesis),
  );
  const mix = ngramMix(tokenizer, kn.kn5, lambdas.kn5!, 'kn5');
  const r = { entries, refs, rnn: [] as number[], kn5: [] as number[], mixed: [] as number[] };
  for (const { ids: sid, logProbs } of per) {
    const ng = ngramStreamLogProbs(mix, sid.subarray(1));
    let a = 0;
    let b = 0;
    let m = 0;
    for (let k = 1; k < sid.length; k++) {
      a += logProbs[k]!;
      b += ng[k - 1]!;
      m += mixLogProb(logProbs[k]!, ng[k - 1]!, mix.weight);
    }
    r.rnn.push(a);
    r.kn5.push(b);
    r.mixed.push(m);
  }
  nb[split] = r;
}
log('n-best lists scored');
function wer(split: Split, lm: 'none' | 'rnn' | 'kn5' | 'mixed', w: number) {
  const d = nb[split];
  const best = new Map<string, { c: number; hyp: string }>();
  d.entries.forEach((e, i) => {
    const c = lm === 'none' ? e.score : (1 - w) * e.score + w * d[lm][i]!;
    const cur = best.get(e.id);
    if (!cur || c > cur.c) best.set(e.id, { c, hyp: e.hypothesis });
  });
  return wordErrorRate([...best.entries()].map(([id, b]) => ({ ref: d.refs.get(id)!, hyp: b.hyp })));
}
const fmt = (e: ReturnType<typeof wordErrorRate>): string =>
  `WER ${(100 * e.wer).toFixed(2)}% (S ${e.substitutions} D ${e.deletions} I ${e.insertions} / ${e.words})  SER ${(100 * e.ser).toFixed(1)}%`;
log(`first pass: valid ${fmt(wer('valid', 'none', 0))}; test ${fmt(wer('test', 'none', 0))}`);
{
  // oracle: the hypothesis with fewest errors in each list
  const d = nb.test;
  const byId = new Map<string, string[]>();
  for (const e of d.entries) byId.set(e.id, [...(byId.get(e.id) ?? []), e.hypothesis]);
  const pairs = [...byId.entries()].map(([id, hyps]) => {
    const ref = d.refs.get(id)!;
    const best = hyps.map((h) => ({ h, e: wordErrorRate([{ ref, hyp: h }]).errors })).sort((a, b) => a.e - b.e)[0]!;
    return { ref, hyp: best.h };
  });
  log(`oracle (test): ${fmt(wordErrorRate(pairs))}`);
}
for (const lm of ['rnn', 'kn5', 'mixed'] as const) {
  let bestW = 0;
  let bestE = Infinity;
  for (let w = 0.05; w < 1.0001; w += 0.05) {
    const e = wer('valid', lm, w).errors;
    if (e < bestE) [bestE, bestW] = [e, w];
  }
  log(`${lm}: LM weight ${bestW.toFixed(2)} (best on valid: ${fmt(wer('valid', lm, bestW))}); test ${fmt(wer('test', lm, bestW))}`);
}
