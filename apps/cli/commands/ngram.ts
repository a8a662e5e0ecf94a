/**
 * `rnnlm ngram train|eval|score`: interpolated modified Kneser–Ney n-gram models in ARPA files
 * (src/ngram), and the `--ngram FILE.arpa --ngram-weight λ | --tune-weight VALID.txt` options
 * that `eval`, `score` and `rescore` share to mix an n-gram into the RNN token by token.
 *
 * Text is read as SRILM reads it (one sentence per line, whitespace-separated words) unless
 * the model comes with a tokenizer: `--tokenizer char|bpe` or `--tokenizer-from MODEL_DIR` at
 * training time save it beside the ARPA file as FILE.arpa.tokenizer.json, which eval and score
 * then use. Self-contained (options parsed here) so the train front-end can be reshaped freely.
 * Mixing an n-gram into eval, score and rescore (--ngram, --ngram-weight, --tune-weight) lives in
 * ../ngram-mix.ts.
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type NgramCorpusScore,
  type NgramModel,
  type NgramRunSpec,
  NgramVocab,
  RnnlmError,
  TOKENIZER_KINDS,
  type SentenceStream,
  type Tokenizer,
  buildTokenizer,
  defaultNgramSpec,
  estimateKneserNey,
  formatArpa,
  parseArpa,
  readCorpusFile,
  readTextFile,
  summarizeNgramScores,
  tokenizerFromJSON,
  tokenizerSentences,
  wordSentences,
} from '../../../src/node.js';
import { int, oneOf } from '../args.js';
import { type FlagTable, addFlags, applyFlags, at, field, flag, givenFlags, required, tableCommand } from '../flags.js';
import { fileLines } from '../input.js';

/** The tokenizer file saved beside an ARPA model. */
export const tokenizerSidecar = (arpa: string): string => `${arpa}.tokenizer.json`;

/** The tokenizer of a checkpoint directory (only its tokenizer.json is read). */
function tokenizerOfCheckpoint(dir: string): Tokenizer {
  return tokenizerFromJSON(readTextFile(path.join(dir, 'tokenizer.json')));
}

/** An ARPA model and the tokenizer that reads text for it (null: SRILM's whitespace words). */
export interface LoadedNgram {
  model: NgramModel;
  tokenizer: Tokenizer | null;
  map: Int32Array | null;
}

export function loadNgram(file: string, tokenizerFrom?: string): LoadedNgram {
  const model = parseArpa(readTextFile(file), file);
  const side = tokenizerSidecar(file);
  const tokenizer = tokenizerFrom ? tokenizerOfCheckpoint(tokenizerFrom) : fs.existsSync(side) ? tokenizerFromJSON(readTextFile(side)) : null;
  let map: Int32Array | null = null;
  if (tokenizer) {
    const names = NgramVocab.fromTokenizer(tokenizer).words;
    map = Int32Array.from({ length: tokenizer.vocabSize }, (_, i) => model.vocab.idOf(names[i]!) ?? -1);
  }
  return { model, tokenizer, map };
}

function sentencesOf(ng: LoadedNgram, text: string): SentenceStream {
  return ng.tokenizer ? tokenizerSentences(ng.tokenizer, text, ng.model.vocab, ng.map ?? undefined) : wordSentences(ng.model.vocab, text);
}

/** Writes the ARPA text in chunks to a temporary file, then renames it into place. */
function writeArpaFile(file: string, model: NgramModel, comment: string[]): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const chunk of formatArpa(model, comment)) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function minCountList(v: string): number[] {
  const parts = v.split(',').map((x) => Number(x.trim()));
  if (parts.length === 0 || parts.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new RnnlmError('invalid_argument', `--min-count takes integers ≥ 1 per order, comma-separated (e.g. 1,1,2), got "${v}"`);
  }
  return parts;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function formatScore(s: NgramCorpusScore, file: string): string {
  return (
    `file ${file}: ${s.sentences} sentences, ${s.words} words, ${s.oovs} OOVs\n` +
    `${s.zeroProbs} zeroprobs, logprob= ${s.log10Prob.toFixed(2)} ppl= ${s.perplexity.toFixed(3)} ppl1= ${s.perplexity1.toFixed(3)}\n`
  );
}

type Spec = NgramRunSpec;

/** The n-gram run spec, flag by flag (the order is the order of --help). */
const NGRAM_TRAIN_FLAGS: FlagTable<Spec> = [
  required(flag('--train <file>', 'training text, one sentence per line (UTF-8)', at('data', 'train'))),
  flag('--order <n>', 'n-gram order', at('model', 'order'), int(1)),
  flag('--tokenizer <kind>', 'word (SRILM: whitespace words) | char | bpe', at('data', 'tokenizer'), oneOf(TOKENIZER_KINDS)),
  flag('--bpe-merges <n>', 'bpe tokenizer: merge operations to learn', at('data', 'bpeMerges'), int(0)),
  flag('--tokenizer-from <dir>', "use a checkpoint's tokenizer (same vocabulary as that RNN, needed to mix the two)", at('data', 'tokenizerFrom')),
  flag(
    '--min-count <list>',
    'count pruning: minimum count per order, comma-separated, last value repeats (SRILM -gtNmin); default none',
    at('model', 'minCounts'),
    minCountList,
  ),
  flag('--valid <file>', 'also print the perplexity of this text', at('data', 'valid')),
];

/** Where `rnnlm ngram train` writes. */
interface NgramRunSettings {
  out: string;
}

const NGRAM_RUN_FLAGS: FlagTable<NgramRunSettings> = [required(flag('--out <file.arpa>', 'ARPA file to write', field('out')))];

/** Estimates the model of `spec`, writes it to `out` (with its tokenizer beside it unless whitespace words) and reports on stderr. */
function runNgramTrain(spec: NgramRunSpec, out: string): void {
  const { data: d, model: m } = spec;
  const t0 = performance.now();
  const text = readCorpusFile(d.train);
  const tokenizer = d.tokenizerFrom ? tokenizerOfCheckpoint(d.tokenizerFrom) : buildTokenizer(text, { tokenizer: d.tokenizer, bpeMerges: d.bpeMerges });
  const vocab = NgramVocab.fromTokenizer(tokenizer);
  const st = tokenizerSentences(tokenizer, text, vocab);
  const { model, stats } = estimateKneserNey(vocab, st.ids, m);
  const t1 = performance.now();
  const saveTokenizer = d.tokenizerFrom !== undefined || d.tokenizer !== 'word';
  const comment = [
    `rnnlm ngram train: order ${m.order}, interpolated modified Kneser-Ney, ${st.sentences} sentences, ${st.words} words of ${path.basename(d.train)}`,
    `min counts ${m.minCounts ? m.minCounts.join(',') : 'none'}; discounts D1,D2,D3+ per order ${stats.discounts.map((x) => x.map((v) => v.toFixed(4)).join(',')).join(' | ')}`,
    saveTokenizer
      ? `text is read with the ${tokenizer.kind} tokenizer in ${path.basename(tokenizerSidecar(out))}`
      : 'text is read as whitespace-separated words, one sentence per line',
  ];
  writeArpaFile(out, model, comment);
  const side = tokenizerSidecar(out);
  if (saveTokenizer) fs.writeFileSync(side, JSON.stringify(tokenizer.toJSON()));
  else if (fs.existsSync(side)) fs.unlinkSync(side); // a stale one would change how eval reads text
  const t2 = performance.now();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`${st.sentences} sentences, ${st.words} words, vocabulary ${vocab.size - 1} + <s> (${tokenizer.kind})`);
  stats.ngramsBeforePruning.forEach((n, k) => {
    const dk = stats.discounts[k]!;
    log(
      `${k + 1}-grams ${model.levels[k]!.words.length}${n !== model.levels[k]!.words.length ? ` (of ${n} before pruning)` : ''}  D1 ${dk[0].toFixed(4)} D2 ${dk[1].toFixed(4)} D3+ ${dk[2].toFixed(4)}`,
    );
  });
  log(
    `estimated in ${((t1 - t0) / 1000).toFixed(1)} s, wrote ${out} in ${((t2 - t1) / 1000).toFixed(1)} s; model arrays ${mb(model.bytes())}, peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`,
  );
  if (d.valid) {
    const s = summarizeNgramScores(model.scoreStream(tokenizerSentences(tokenizer, readCorpusFile(d.valid), vocab)));
    process.stdout.write(formatScore(s, d.valid));
  }
}

function trainCommand(): Command {
  const defaults = defaultNgramSpec();
  const cmd = new Command('train').description('estimate an interpolated modified Kneser–Ney model (SRILM -kndiscount -interpolate -unk) and write it as ARPA');
  // --out stands second in --help, as it always has.
  addFlags(cmd, NGRAM_TRAIN_FLAGS.slice(0, 1), defaults);
  addFlags(cmd, NGRAM_RUN_FLAGS, { out: '' });
  addFlags(cmd, NGRAM_TRAIN_FLAGS.slice(1), defaults);
  return cmd.action((_o: unknown, c: Command) => {
    const run = applyFlags({ out: '' }, givenFlags(c, NGRAM_RUN_FLAGS));
    runNgramTrain(applyFlags(defaults, givenFlags(c, NGRAM_TRAIN_FLAGS)), run.out);
  });
}

interface EvalSettings {
  lm: string;
  data: string;
  tokenizerFrom?: string;
  json: boolean;
}

const EVAL_FLAGS: FlagTable<EvalSettings> = [
  required(flag('--lm <file.arpa>', 'ARPA model (SRILM, KenLM or rnnlm ngram train)', field('lm'))),
  required(flag('--data <file>', 'text, one sentence per line', field('data'))),
  flag(
    '--tokenizer-from <dir>',
    "read the text with a checkpoint's tokenizer (default: FILE.arpa.tokenizer.json if present, else whitespace words)",
    field('tokenizerFrom'),
  ),
  flag('--json', 'print one JSON object', field('json')),
];

function evalCommand(): Command {
  const description = 'perplexity of an ARPA model on a text file, as SRILM `ngram -ppl` reports it';
  return tableCommand('eval', description, EVAL_FLAGS, { lm: '', data: '', json: false }, (o) => {
    const ng = loadNgram(o.lm, o.tokenizerFrom);
    const s = summarizeNgramScores(ng.model.scoreStream(sentencesOf(ng, readCorpusFile(o.data))));
    if (o.json) console.log(JSON.stringify({ order: ng.model.order, ngrams: ng.model.counts(), ...s }));
    else process.stdout.write(formatScore(s, o.data));
  });
}

interface ScoreSettings {
  lm: string;
  input: string;
  tokenizerFrom?: string;
  log10: boolean;
  json: boolean;
}

const SCORE_FLAGS: FlagTable<ScoreSettings> = [
  required(flag('--lm <file.arpa>', 'ARPA model', field('lm'))),
  required(flag('--input <file>', 'one sentence per line', field('input'))),
  flag('--tokenizer-from <dir>', "read the text with a checkpoint's tokenizer", field('tokenizerFrom')),
  flag('--log10', 'log10 (SRILM) instead of nats', field('log10')),
  flag('--json', 'print one JSON object { sentences, summary }', field('json')),
];

function scoreCommand(): Command {
  const description = 'log-probability of each line as a sentence: logprob<TAB>tokens<TAB>ppl (tokens = words + </s>, OOVs not scored)';
  return tableCommand('score', description, SCORE_FLAGS, { lm: '', input: '', log10: false, json: false }, (o) => {
    const ng = loadNgram(o.lm, o.tokenizerFrom);
    const lines = fileLines(readCorpusFile(o.input));
    const unit = o.log10 ? 1 : Math.LN10;
    const { bos, eos } = ng.model.vocab;
    const scores = lines.map((line) => {
      const st = sentencesOf(ng, line);
      const ids = st.sentences === 1 ? st.ids : Int32Array.of(bos, eos); // an empty line is <s> </s>
      return ng.model.scoreStream({ ...st, ids, sentences: 1 })[0]!;
    });
    const sum = summarizeNgramScores(scores);
    const out = scores.map((s) => {
      const tokens = s.words - s.oovs - s.zeroProbs + 1;
      return { logProb: s.log10Prob * unit, tokens, perplexity: 10 ** (-s.log10Prob / tokens), oovs: s.oovs };
    });
    if (o.json) console.log(JSON.stringify({ sentences: out, summary: { ...sum, logProb: sum.log10Prob * unit } }));
    else {
      for (const s of out) console.log(`${s.logProb.toFixed(4)}\t${s.tokens}\t${s.perplexity.toFixed(2)}`);
      console.log(
        `# sentences ${sum.sentences}  tokens ${sum.tokens}  OOVs ${sum.oovs}  logprob ${(sum.log10Prob * unit).toFixed(4)} (${o.log10 ? 'log10' : 'nats'})  ppl ${sum.perplexity.toFixed(2)}`,
      );
    }
  });
}

export function ngramCommandGroup(): Command {
  return new Command('ngram')
    .description('Kneser–Ney n-gram models in ARPA files: train, eval (perplexity), score (per sentence)')
    .addCommand(trainCommand())
    .addCommand(evalCommand())
    .addCommand(scoreCommand());
}
