/**
 * `rnnlm translate train|eval|translate`: sequence-to-sequence translation with Luong attention.
 * Data: aligned --src-X and --tgt-X files, or one TAB-separated --pairs file (Tatoeba/Anki:
 * en<TAB>zh<TAB>attribution) split 90/5/5 with a seed. BLEU is sacreBLEU's corpus BLEU on
 * detokenized output against the raw references.
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  OPTIMIZER_NAMES,
  PRECISIONS,
  RECURRENT_MODES,
  RnnlmError,
  describeBackend,
  describePrecision,
  platform,
  readTextFile,
  recoverCheckpointDir,
  renderHeatmap,
  useBackend,
} from '../../../src/node.js';
import {
  ATTENTION_KINDS,
  BLEU_TOKENIZERS,
  type BleuTokenizer,
  type EncodedPair,
  type ParallelText,
  SIDE_TOKENIZERS,
  Seq2Seq,
  type TranslationDataSpec,
  type TranslationRunSpec,
  TranslationSide,
  checkSeq2SeqConfig,
  corpusBleu,
  defaultTranslationSpec,
  encodeParallel,
  formatBleu,
  loadTranslationModel,
  parsePairs,
  readParallel,
  saveTranslationModel,
  splitParallel,
  attendSentence,
  trainTranslation,
  translateIds,
  withEos,
} from '../../../src/translate/index.js';
import { int, num, oneOf } from '../args.js';
import { type FlagTable, addFlags, applyFlags, at, flag, givenFlags } from '../flags.js';
import { createProgress } from '../progress.js';
import { BACKEND_CHOICES, type BackendChoice as Backend } from '../train-spec.js';

interface DecodeCli {
  replaceUnk: boolean;
  beam: number;
  maxLenA: number;
  maxLenB: number;
  lengthPenalty: number;
  decodeBatchSize: number;
}

function addDecodeOptions(cmd: Command, beamDefault: number): Command {
  return cmd
    .option('--beam <k>', 'beam width (1 = greedy)', int(1), beamDefault)
    .option('--max-len-a <a>', 'output length limit a·source_length + b: a', num(0), 1.5)
    .option('--max-len-b <b>', 'output length limit: b', num(0), 10)
    .option('--length-penalty <alpha>', 'beam scores are log P / length^alpha', num(0), 1)
    .option('--decode-batch-size <n>', 'sentences decoded together', int(1), 32)
    .option('--no-replace-unk', 'keep <unk> in the output (default: word models copy the source word it attended to most)');
}

function decodeOpts(o: DecodeCli, eosId: number) {
  return { beam: o.beam, maxLenA: o.maxLenA, maxLenB: o.maxLenB, lengthPenalty: o.lengthPenalty, batchSize: o.decodeBatchSize, eosId };
}

/**
 * Translates raw source lines to detokenized target lines. With replaceUnk (word sides), an
 * output <unk> becomes the source word it attended to most (Luong et al. 2015's unknown-word
 * replacement), or stays <unk> when that is the source <eos>.
 */
export function translateLines(loaded: { model: Seq2Seq; src: TranslationSide; tgt: TranslationSide }, lines: readonly string[], o: DecodeCli): string[] {
  const sources = lines.map((l) => withEos(loaded.src.encode(l), loaded.src.eosId));
  const hyps = translateIds(loaded.model, sources, decodeOpts(o, loaded.tgt.eosId));
  const replace = o.replaceUnk !== false && loaded.src.kind === 'word' && loaded.tgt.kind === 'word';
  return hyps.map((h, i) => {
    if (!replace) return loaded.tgt.decode(h.ids);
    const words = loaded.src.words(lines[i]!);
    return loaded.tgt.decode(h.ids, (j) => words[h.alignment[j]!]);
  });
}

type Spec = TranslationRunSpec;

/** The translation run spec, flag by flag (the order is the order of --help). */
const TRANSLATE_TRAIN_FLAGS: FlagTable<Spec> = [
  flag('--src-train <file>', 'training source text, one sentence per line', at('data', 'srcTrain')),
  flag('--tgt-train <file>', 'training target text, aligned with --src-train', at('data', 'tgtTrain')),
  flag('--src-valid <file>', 'validation source', at('data', 'srcValid')),
  flag('--tgt-valid <file>', 'validation target', at('data', 'tgtValid')),
  flag('--src-test <file>', 'test source (BLEU with the best checkpoint at the end)', at('data', 'srcTest')),
  flag('--tgt-test <file>', 'test references', at('data', 'tgtTest')),
  flag('--pairs <file>', 'TAB-separated pairs (source<TAB>target<TAB>...), split 90/5/5 into train/valid/test', at('data', 'pairs')),
  flag('--pairs-columns <s,t>', 'source and target columns of --pairs', at('data', 'pairsColumns')),
  flag('--split-seed <n>', 'seed of the --pairs split', at('data', 'splitSeed'), int(0)),
  flag('--src-tokenizer <kind>', SIDE_TOKENIZERS.join(' | '), at('data', 'srcTokenizer'), oneOf(SIDE_TOKENIZERS)),
  flag('--tgt-tokenizer <kind>', SIDE_TOKENIZERS.join(' | '), at('data', 'tgtTokenizer'), oneOf(SIDE_TOKENIZERS)),
  flag('--no-lowercase', 'word sides: keep case (default: lowercase, output capitalized at the start)', at('data', 'lowercase')),
  flag('--min-count <n>', 'word sides: drop words seen fewer times', at('data', 'minCount'), int(1)),
  flag('--max-vocab <n>', 'word sides: keep at most n types', at('data', 'maxVocab'), int(2)),
  flag('--bpe-merges <n>', 'bpe sides: merge operations', at('data', 'bpeMerges'), int(0)),
  flag('--max-len <n>', 'skip training pairs with more tokens on a side', at('data', 'maxLen'), int(1)),
  flag('--cell <cell>', RECURRENT_MODES.join(' | '), at('model', 'cell'), oneOf(RECURRENT_MODES)),
  flag('--hidden <n>', 'hidden size', at('model', 'hiddenSize'), int(1)),
  flag('--emb <n>', 'embedding size', at('model', 'embedSize'), int(1)),
  flag('--layers <n>', 'encoder and decoder layers', at('model', 'numLayers'), int(1)),
  flag('--attention <kind>', ATTENTION_KINDS.join(' | '), at('model', 'attention'), oneOf(ATTENTION_KINDS)),
  flag('--bidirectional', 'bidirectional encoder', at('model', 'bidirectional')),
  flag('--dropout <p>', 'dropout', at('model', 'dropout'), num(0, 0.99)),
  flag('--precision <p>', 'matrix products: fp32 | bf16 (mixed precision: bf16 operands, fp32 sums and weights)', at('model', 'precision'), oneOf(PRECISIONS)),
  flag(
    '--init-range <r>',
    'initialise every parameter U(±r) (0 = PyTorch layer defaults)',
    { get: (s: Spec) => (typeof s.model.init === 'number' ? s.model.init : 0), set: (s: Spec, r: number) => void (s.model.init = r > 0 ? r : 'torch') },
    num(0),
  ),
  flag('--teacher-forcing-ratio <r>', '1 = teacher forcing; < 1 = scheduled sampling (slower: step by step)', at('train', 'teacherForcingRatio'), num(0, 1)),
  flag('--optimizer <name>', OPTIMIZER_NAMES.join(' | '), at('train', 'optimizer'), oneOf(OPTIMIZER_NAMES)),
  flag('--lr <lr>', 'learning rate', at('train', 'lr'), num(0)),
  flag('--clip <norm>', 'clip the global gradient norm (0 = off)', at('train', 'clip'), num(0)),
  flag('--batch-size <n>', 'sentence pairs per batch', at('train', 'batchSize'), int(1)),
  flag('--eval-batch-size <n>', 'pairs per validation batch', at('train', 'evalBatchSize'), int(1)),
  flag('--epochs <n>', 'epochs', at('train', 'epochs'), int(1)),
  flag(
    '--max-minutes <m>',
    'stop training after this much wall time (then validate, save, test)',
    {
      get: (s: Spec) => (s.train.maxSeconds === undefined ? undefined : s.train.maxSeconds / 60),
      set: (s: Spec, m: number) => void (s.train.maxSeconds = m * 60),
    },
    num(0),
  ),
  flag('--max-steps <n>', 'stop after this many updates', at('train', 'maxSteps'), int(1)),
  flag('--plateau-factor <f>', 'multiply lr by f when validation loss stops improving (1 = never)', at('train', 'plateauFactor'), num(0, 1)),
  flag(
    '--seed <n>',
    'random seed',
    {
      get: (s: Spec) => s.train.seed,
      set: (s: Spec, v: number) => {
        s.model.seed = v;
        s.train.seed = v;
      },
    },
    int(0),
  ),
];

/** What one `rnnlm translate train` does beyond the spec: BLEU reporting, where it writes, how it runs. */
interface TranslateRunSettings {
  bleuTokenize: BleuTokenizer;
  bleuSentences: number;
  out: string;
  backend: Backend;
  progress: boolean;
}

const DEFAULT_TRANSLATE_RUN: TranslateRunSettings = { bleuTokenize: '13a', bleuSentences: 0, out: 'runs/translate', backend: 'auto', progress: true };

const TRANSLATE_RUN_FLAGS: FlagTable<TranslateRunSettings> = [
  flag('--bleu-tokenize <tok>', `BLEU tokenizer: ${BLEU_TOKENIZERS.join(' | ')} (zh for Chinese targets)`, field('bleuTokenize'), oneOf(BLEU_TOKENIZERS)),
  flag('--bleu-sentences <n>', 'greedy BLEU on this many validation sentences after each epoch (0 = off)', field('bleuSentences'), int(0)),
  flag('--out <dir>', 'checkpoint directory', field('out')),
  flag('--backend <name>', BACKEND_CHOICES.join(' | '), field('backend'), oneOf(BACKEND_CHOICES)),
  flag('--no-progress', 'no progress bar', field('progress')),
];

function field<K extends keyof TranslateRunSettings>(key: K) {
  return {
    get: (s: TranslateRunSettings) => s[key],
    set: (s: TranslateRunSettings, v: TranslateRunSettings[K]) => {
      s[key] = v;
    },
  };
}

interface Splits {
  train: ParallelText;
  valid: ParallelText | null;
  test: ParallelText | null;
}

function loadSplits(o: TranslationDataSpec): Splits {
  if (o.pairs) {
    if (o.srcTrain || o.tgtTrain) throw new RnnlmError('invalid_argument', 'give either --pairs or --src-train/--tgt-train, not both');
    const [sc, tc] = parseColumns(o.pairsColumns);
    const all = parsePairs(readTextFile(o.pairs), { srcColumn: sc, tgtColumn: tc, what: o.pairs });
    const s = splitParallel(all, [0.9, 0.05, 0.05], o.splitSeed);
    return { train: s.train, valid: s.valid, test: s.test };
  }
  if (!o.srcTrain || !o.tgtTrain) throw new RnnlmError('invalid_argument', 'give --src-train and --tgt-train (or --pairs FILE)');
  const pair = (a?: string, b?: string, what?: string): ParallelText | null => {
    if (!a && !b) return null;
    if (!a || !b) throw new RnnlmError('invalid_argument', `give both --src-${what} and --tgt-${what}`);
    return readParallel(a, b);
  };
  return { train: readParallel(o.srcTrain, o.tgtTrain), valid: pair(o.srcValid, o.tgtValid, 'valid'), test: pair(o.srcTest, o.tgtTest, 'test') };
}

function parseColumns(s: string): [number, number] {
  const m = /^(\d+),(\d+)$/.exec(s);
  if (!m) throw new RnnlmError('invalid_argument', `--pairs-columns must look like "0,1" (source,target), got "${s}"`);
  return [Number(m[1]), Number(m[2])];
}

/** BLEU of the model on a parallel split (first `limit` lines when limit > 0). */
function bleuOn(loaded: { model: Seq2Seq; src: TranslationSide; tgt: TranslationSide }, p: ParallelText, o: DecodeCli, tokenize: BleuTokenizer, limit = 0) {
  const src = limit > 0 ? p.src.slice(0, limit) : p.src;
  const ref = limit > 0 ? p.tgt.slice(0, limit) : p.tgt;
  const hyps = translateLines(loaded, src, o);
  return { bleu: corpusBleu(hyps, [ref], { tokenize }), hyps };
}

export async function runTranslateTrain(
  spec: TranslationRunSpec,
  run: TranslateRunSettings,
  decode: DecodeCli,
  log: (s: string) => void,
): Promise<{ bleu: number | null; seconds: number }> {
  useBackend(run.backend);
  log(`backend: ${describeBackend()}`);
  const { data: o, model: m } = spec;
  const splits = loadSplits(o);
  const sideOpts = { lowercase: o.lowercase, minCount: o.minCount, bpeMerges: o.bpeMerges, ...(o.maxVocab ? { maxVocab: o.maxVocab } : {}) };
  const src = TranslationSide.fromLines(splits.train.src, { kind: o.srcTokenizer, ...sideOpts, ...(o.srcTokenizer === 'word' ? {} : { lowercase: false }) });
  const tgt = TranslationSide.fromLines(splits.train.tgt, { kind: o.tgtTokenizer, ...sideOpts, ...(o.tgtTokenizer === 'word' ? {} : { lowercase: false }) });
  const train = encodeParallel(splits.train, src, tgt, { maxLen: o.maxLen });
  const valid: EncodedPair[] | null = splits.valid ? encodeParallel(splits.valid, src, tgt) : null;
  log(
    `data: ${train.length} training pairs (of ${splits.train.src.length}; max ${o.maxLen} tokens a side), ${valid?.length ?? 0} valid, ${splits.test?.src.length ?? 0} test; ` +
      `vocabulary ${src.vocabSize} source (${src.kind}) / ${tgt.vocabSize} target (${tgt.kind})`,
  );
  const model = new Seq2Seq({ ...m, srcVocabSize: src.vocabSize, tgtVocabSize: tgt.vocabSize });
  log(`precision: ${describePrecision(model.config.precision)}`);
  log(
    `model: ${m.numLayers}×${m.hiddenSize} ${m.bidirectional ? 'bidirectional ' : ''}${m.cell} encoder, ${m.attention} attention, embedding ${m.embedSize}, ` +
      `${model.numParameters().toLocaleString('en-US')} parameters`,
  );
  recoverCheckpointDir(run.out); // a save a crash left half-done, staging folders of killed runs
  fs.mkdirSync(run.out, { recursive: true });
  const logPath = path.join(run.out, 'train-log.jsonl');
  fs.writeFileSync(logPath, '');
  const extra = {
    bleuTokenize: run.bleuTokenize,
    ...(o.pairs ? { pairs: { file: path.resolve(o.pairs), columns: o.pairsColumns, splitSeed: o.splitSeed } } : {}),
  };
  const progress = createProgress({ enabled: run.progress, label: 'translate' });
  let saved = false;
  const loaded = { model, src, tgt };
  const result = await trainTranslation(model, { train, valid, srcEos: src.eosId, tgtEos: tgt.eosId }, spec.train, {
    onStep: (s) => {
      progress.step({ ...s, tokensPerSecond: s.tokensPerSecond });
      if (s.step % 50 === 0) fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'step', ...s })}\n`);
    },
    onEpoch: (e) => {
      progress.stop();
      let bleu: number | null = null;
      if (splits.valid && run.bleuSentences > 0) {
        bleu = bleuOn(loaded, splits.valid, { ...decode, beam: 1 }, run.bleuTokenize, run.bleuSentences).bleu.score;
        model.train();
      }
      fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'epoch', ...e, validGreedyBleu: bleu })}\n`);
      const v = e.validLoss === null ? 'no validation' : `valid loss ${e.validLoss.toFixed(4)} ppl ${Math.exp(e.validLoss).toFixed(2)}`;
      const b = bleu === null ? '' : ` | valid BLEU (greedy, ${Math.min(run.bleuSentences, splits.valid!.src.length)} sentences) ${bleu.toFixed(2)}`;
      log(
        `epoch ${e.epoch}${e.partial ? ' (partial)' : ''}: train loss ${e.trainLoss.toFixed(4)} | ${v}${b} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`,
      );
      if (e.improved || e.validLoss === null) {
        saveTranslationModel(run.out, model, src, tgt, extra);
        saved = true;
        log(`saved ${run.out}`);
      }
    },
  });
  progress.stop();
  if (!saved) saveTranslationModel(run.out, model, src, tgt, extra);
  log(
    `trained in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}, ${Math.round(result.tokens / result.seconds)} target tok/s)`,
  );
  let bleu: number | null = null;
  if (splits.test) {
    const best = loadTranslationModel(run.out);
    const t0 = Date.now();
    const r = bleuOn(best, splits.test, decode, run.bleuTokenize);
    bleu = r.bleu.score;
    fs.writeFileSync(path.join(run.out, 'test-hyp.txt'), `${r.hyps.join('\n')}\n`);
    log(
      `test (${splits.test.src.length} sentences, beam ${decode.beam}, ${((Date.now() - t0) / 1000).toFixed(1)}s): ${formatBleu(r.bleu)}  [${r.bleu.signature}]`,
    );
  }
  return { bleu, seconds: result.seconds };
}

function trainCommand(): Command {
  const cmd = new Command('train').description('train an attention seq2seq model on parallel text');
  const defaults = defaultTranslationSpec();
  addFlags(cmd, TRANSLATE_TRAIN_FLAGS, defaults);
  addFlags(cmd, TRANSLATE_RUN_FLAGS, DEFAULT_TRANSLATE_RUN);
  return addDecodeOptions(cmd, 5).action(async (decode: DecodeCli, c: Command) => {
    const spec = applyFlags(defaults, givenFlags(c, TRANSLATE_TRAIN_FLAGS));
    checkSeq2SeqConfig({ ...spec.model, srcVocabSize: 1, tgtVocabSize: 1 }, 'invalid_argument', 'model'); // absurd sizes fail before any data is read
    const run = applyFlags(DEFAULT_TRANSLATE_RUN, givenFlags(c, TRANSLATE_RUN_FLAGS));
    await runTranslateTrain(spec, run, decode, (s) => console.log(s));
  });
}

interface EvalCli extends DecodeCli {
  model: string;
  src?: string;
  ref?: string;
  pairs?: string;
  split: 'train' | 'valid' | 'test';
  tokenize?: BleuTokenizer;
  lowercase: boolean;
  hyp?: string;
  limit: number;
  json: boolean;
  backend: Backend;
}

function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('translate a source file and print corpus BLEU against the references')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .option('--src <file>', 'source text, one sentence per line')
    .option('--ref <file>', 'reference translations, aligned with --src')
    .option('--pairs <file>', 'instead of --src/--ref: a TAB-separated pairs file, split as in training')
    .option('--split <name>', 'with --pairs: train | valid | test', oneOf(['train', 'valid', 'test'] as const), 'test')
    .option('--tokenize <tok>', `BLEU tokenizer (default: the one saved at training): ${BLEU_TOKENIZERS.join(' | ')}`, oneOf(BLEU_TOKENIZERS))
    .option('--lowercase', 'case-insensitive BLEU (sacreBLEU -lc)', false)
    .option('--hyp <file>', 'also write the translations here')
    .option('--limit <n>', 'only the first n sentences (0 = all)', int(0), 0)
    .option('--json', 'print one JSON object', false)
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto');
  return addDecodeOptions(cmd, 5).action((o: EvalCli) => {
    useBackend(o.backend);
    const loaded = loadTranslationModel(o.model);
    let p: ParallelText;
    if (o.pairs) {
      const saved = loaded.extra.pairs as { columns?: string; splitSeed?: number } | undefined;
      const [sc, tc] = parseColumns(saved?.columns ?? '0,1');
      p = splitParallel(parsePairs(readTextFile(o.pairs), { srcColumn: sc, tgtColumn: tc, what: o.pairs }), [0.9, 0.05, 0.05], saved?.splitSeed ?? 1)[o.split];
    } else {
      if (!o.src || !o.ref) throw new RnnlmError('invalid_argument', 'give --src and --ref (or --pairs FILE)');
      p = readParallel(o.src, o.ref);
    }
    if (o.limit > 0) p = { src: p.src.slice(0, o.limit), tgt: p.tgt.slice(0, o.limit) };
    const tokenize = o.tokenize ?? (loaded.extra.bleuTokenize as BleuTokenizer | undefined) ?? '13a';
    const t0 = Date.now();
    const hyps = translateLines(loaded, p.src, o);
    const seconds = (Date.now() - t0) / 1000;
    if (o.hyp) fs.writeFileSync(o.hyp, `${hyps.join('\n')}\n`);
    const b = corpusBleu(hyps, [p.tgt], { tokenize, lowercase: o.lowercase });
    if (o.json)
      console.log(
        JSON.stringify({
          bleu: b.score,
          precisions: b.precisions,
          bp: b.bp,
          sysLen: b.sysLen,
          refLen: b.refLen,
          signature: b.signature,
          sentences: hyps.length,
          seconds,
        }),
      );
    else {
      console.log(`${formatBleu(b)}`);
      console.log(`signature ${b.signature} | ${hyps.length} sentences, beam ${o.beam}, ${seconds.toFixed(1)}s, backend ${describeBackend()}`);
    }
  });
}

function translateCommand(): Command {
  const cmd = new Command('translate')
    .description('translate standard input, one sentence per line')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto');
  return addDecodeOptions(cmd, 5).action((o: DecodeCli & { model: string; backend: Backend }) => {
    useBackend(o.backend);
    const loaded = loadTranslationModel(o.model);
    const input = fs.readFileSync(0, 'utf8');
    const lines = input.split(/\r\n|\r|\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    for (const out of translateLines(loaded, lines, o)) process.stdout.write(`${out}\n`);
  });
}

function attendCommand(): Command {
  const cmd = new Command('attend')
    .description('translate one sentence and draw its attention weights as an SVG heatmap (source tokens × target tokens)')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('--sentence <text>', 'the source sentence')
    .option('--out <file>', 'SVG to write', 'attention.svg')
    .option('--json', 'also print the tokens and weights as one JSON object', false)
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto');
  return addDecodeOptions(cmd, 5).action((o: DecodeCli & { model: string; sentence: string; out: string; json: boolean; backend: Backend }) => {
    useBackend(o.backend);
    const loaded = loadTranslationModel(o.model);
    const { eosId: _eos, ...decode } = decodeOpts(o, loaded.tgt.eosId);
    const map = attendSentence(loaded, o.sentence, decode);
    const svg = renderHeatmap(
      { rows: map.target, cols: map.source, values: map.weights },
      { title: `Attention: ${map.translation}`, colTitle: 'source', rowTitle: 'target' },
    );
    const p = platform();
    p.mkdirp(path.dirname(path.resolve(o.out)));
    p.writeFileAtomic(o.out, svg);
    console.log(map.translation);
    if (o.json) console.log(JSON.stringify({ source: map.source, target: map.target, weights: Array.from(map.weights) }));
    console.log(`wrote ${o.out} (${map.target.length} target × ${map.source.length} source tokens)`);
  });
}

export function translateCommandGroup(): Command {
  return new Command('translate')
    .description('sequence-to-sequence translation with attention: train, eval (BLEU), translate')
    .addCommand(trainCommand())
    .addCommand(evalCommand())
    .addCommand(translateCommand())
    .addCommand(attendCommand());
}
