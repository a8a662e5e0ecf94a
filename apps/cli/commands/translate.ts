/**
 * `rnnlm translate train|eval|translate`: sequence-to-sequence translation with Luong attention.
 * Data: aligned --src-X and --tgt-X files, or one TAB-separated --pairs file (Tatoeba/Anki:
 * en<TAB>zh<TAB>attribution) split 90/5/5 with a seed. BLEU is sacreBLEU's corpus BLEU on
 * detokenized output against the raw references.
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RnnlmError, type OptimizerName, type RecurrentMode, describeBackend, platform, readTextFile, renderHeatmap, useBackend } from '../../../src/node.js';
import {
  ATTENTION_KINDS,
  type AttentionKind,
  BLEU_TOKENIZERS,
  type BleuTokenizer,
  type EncodedPair,
  type ParallelText,
  SIDE_TOKENIZERS,
  Seq2Seq,
  type SideTokenizerKind,
  TranslationSide,
  corpusBleu,
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
import { createProgress } from '../progress.js';

type Backend = 'auto' | 'js' | 'native';
const CELLS: RecurrentMode[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'];
const OPTIMIZERS: OptimizerName[] = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'];

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

interface TrainCli extends DecodeCli {
  srcTrain?: string;
  tgtTrain?: string;
  srcValid?: string;
  tgtValid?: string;
  srcTest?: string;
  tgtTest?: string;
  pairs?: string;
  pairsColumns: string;
  splitSeed: number;
  srcTokenizer: SideTokenizerKind;
  tgtTokenizer: SideTokenizerKind;
  lowercase: boolean;
  minCount: number;
  maxVocab?: number;
  bpeMerges: number;
  maxLen: number;
  cell: RecurrentMode;
  hidden: number;
  emb: number;
  layers: number;
  attention: AttentionKind;
  bidirectional: boolean;
  dropout: number;
  initRange: number;
  teacherForcingRatio: number;
  optimizer: OptimizerName;
  lr: number;
  clip: number;
  batchSize: number;
  evalBatchSize: number;
  epochs: number;
  maxMinutes?: number;
  maxSteps?: number;
  plateauFactor: number;
  seed: number;
  bleuTokenize: BleuTokenizer;
  bleuSentences: number;
  out: string;
  backend: Backend;
  progress: boolean;
}

interface Splits {
  train: ParallelText;
  valid: ParallelText | null;
  test: ParallelText | null;
}

function loadSplits(o: TrainCli): Splits {
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

export async function runTranslateTrain(o: TrainCli, log: (s: string) => void): Promise<{ bleu: number | null; seconds: number }> {
  useBackend(o.backend);
  log(`backend: ${describeBackend()}`);
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
  const model = new Seq2Seq({
    srcVocabSize: src.vocabSize,
    tgtVocabSize: tgt.vocabSize,
    embedSize: o.emb,
    hiddenSize: o.hidden,
    numLayers: o.layers,
    cell: o.cell,
    bidirectional: o.bidirectional,
    attention: o.attention,
    dropout: o.dropout,
    seed: o.seed,
    ...(o.initRange > 0 ? { init: o.initRange } : {}),
  });
  log(
    `model: ${o.layers}×${o.hidden} ${o.bidirectional ? 'bidirectional ' : ''}${o.cell} encoder, ${o.attention} attention, embedding ${o.emb}, ` +
      `${model.numParameters().toLocaleString('en-US')} parameters`,
  );
  fs.mkdirSync(o.out, { recursive: true });
  const logPath = path.join(o.out, 'train-log.jsonl');
  fs.writeFileSync(logPath, '');
  const extra = {
    bleuTokenize: o.bleuTokenize,
    ...(o.pairs ? { pairs: { file: path.resolve(o.pairs), columns: o.pairsColumns, splitSeed: o.splitSeed } } : {}),
  };
  const progress = createProgress({ enabled: o.progress, label: 'translate' });
  let saved = false;
  const loaded = { model, src, tgt };
  const result = await trainTranslation(
    model,
    { train, valid, srcEos: src.eosId, tgtEos: tgt.eosId },
    {
      batchSize: o.batchSize,
      epochs: o.epochs,
      optimizer: o.optimizer,
      lr: o.lr,
      clip: o.clip,
      teacherForcingRatio: o.teacherForcingRatio,
      plateauFactor: o.plateauFactor,
      plateauPatience: 0,
      evalBatchSize: o.evalBatchSize,
      seed: o.seed,
      ...(o.maxMinutes !== undefined ? { maxSeconds: o.maxMinutes * 60 } : {}),
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    },
    {
      onStep: (s) => {
        progress.step({ ...s, tokensPerSecond: s.tokensPerSecond });
        if (s.step % 50 === 0) fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'step', ...s })}\n`);
      },
      onEpoch: (e) => {
        progress.stop();
        let bleu: number | null = null;
        if (splits.valid && o.bleuSentences > 0) {
          bleu = bleuOn(loaded, splits.valid, { ...o, beam: 1 }, o.bleuTokenize, o.bleuSentences).bleu.score;
          model.train();
        }
        fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'epoch', ...e, validGreedyBleu: bleu })}\n`);
        const v = e.validLoss === null ? 'no validation' : `valid loss ${e.validLoss.toFixed(4)} ppl ${Math.exp(e.validLoss).toFixed(2)}`;
        const b = bleu === null ? '' : ` | valid BLEU (greedy, ${Math.min(o.bleuSentences, splits.valid!.src.length)} sentences) ${bleu.toFixed(2)}`;
        log(`epoch ${e.epoch}${e.partial ? ' (partial)' : ''}: train loss ${e.trainLoss.toFixed(4)} | ${v}${b} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`);
        if (e.improved || e.validLoss === null) {
          saveTranslationModel(o.out, model, src, tgt, extra);
          saved = true;
          log(`saved ${o.out}`);
        }
      },
    },
  );
  progress.stop();
  if (!saved) saveTranslationModel(o.out, model, src, tgt, extra);
  log(`trained in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}, ${Math.round(result.tokens / result.seconds)} target tok/s)`);
  let bleu: number | null = null;
  if (splits.test) {
    const best = loadTranslationModel(o.out);
    const t0 = Date.now();
    const r = bleuOn(best, splits.test, o, o.bleuTokenize);
    bleu = r.bleu.score;
    fs.writeFileSync(path.join(o.out, 'test-hyp.txt'), `${r.hyps.join('\n')}\n`);
    log(`test (${splits.test.src.length} sentences, beam ${o.beam}, ${((Date.now() - t0) / 1000).toFixed(1)}s): ${formatBleu(r.bleu)}  [${r.bleu.signature}]`);
  }
  return { bleu, seconds: result.seconds };
}

function trainCommand(): Command {
  const cmd = new Command('train')
    .description('train an attention seq2seq model on parallel text')
    .option('--src-train <file>', 'training source text, one sentence per line')
    .option('--tgt-train <file>', 'training target text, aligned with --src-train')
    .option('--src-valid <file>', 'validation source')
    .option('--tgt-valid <file>', 'validation target')
    .option('--src-test <file>', 'test source (BLEU with the best checkpoint at the end)')
    .option('--tgt-test <file>', 'test references')
    .option('--pairs <file>', 'TAB-separated pairs (source<TAB>target<TAB>...), split 90/5/5 into train/valid/test')
    .option('--pairs-columns <s,t>', 'source and target columns of --pairs', '0,1')
    .option('--split-seed <n>', 'seed of the --pairs split', int(0), 1)
    .option('--src-tokenizer <kind>', SIDE_TOKENIZERS.join(' | '), oneOf(SIDE_TOKENIZERS), 'word')
    .option('--tgt-tokenizer <kind>', SIDE_TOKENIZERS.join(' | '), oneOf(SIDE_TOKENIZERS), 'word')
    .option('--no-lowercase', 'word sides: keep case (default: lowercase, output capitalized at the start)')
    .option('--min-count <n>', 'word sides: drop words seen fewer times', int(1), 1)
    .option('--max-vocab <n>', 'word sides: keep at most n types', int(2))
    .option('--bpe-merges <n>', 'bpe sides: merge operations', int(0), 8000)
    .option('--max-len <n>', 'skip training pairs with more tokens on a side', int(1), 50)
    .option('--cell <cell>', CELLS.join(' | '), oneOf(CELLS), 'lstm')
    .option('--hidden <n>', 'hidden size', int(1), 256)
    .option('--emb <n>', 'embedding size', int(1), 256)
    .option('--layers <n>', 'encoder and decoder layers', int(1), 1)
    .option('--attention <kind>', ATTENTION_KINDS.join(' | '), oneOf(ATTENTION_KINDS), 'general')
    .option('--bidirectional', 'bidirectional encoder', false)
    .option('--dropout <p>', 'dropout', num(0, 0.99), 0.2)
    .option('--init-range <r>', 'initialise every parameter U(±r) (0 = PyTorch layer defaults)', num(0), 0.1)
    .option('--teacher-forcing-ratio <r>', '1 = teacher forcing; < 1 = scheduled sampling (slower: step by step)', num(0, 1), 1)
    .option('--optimizer <name>', OPTIMIZERS.join(' | '), oneOf(OPTIMIZERS), 'adam')
    .option('--lr <lr>', 'learning rate', num(0), 0.001)
    .option('--clip <norm>', 'clip the global gradient norm (0 = off)', num(0), 5)
    .option('--batch-size <n>', 'sentence pairs per batch', int(1), 64)
    .option('--eval-batch-size <n>', 'pairs per validation batch', int(1), 64)
    .option('--epochs <n>', 'epochs', int(1), 10)
    .option('--max-minutes <m>', 'stop training after this much wall time (then validate, save, test)', num(0))
    .option('--max-steps <n>', 'stop after this many updates', int(1))
    .option('--plateau-factor <f>', 'multiply lr by f when validation loss stops improving (1 = never)', num(0, 1), 0.5)
    .option('--seed <n>', 'random seed', int(0), 1)
    .option('--bleu-tokenize <tok>', `BLEU tokenizer: ${BLEU_TOKENIZERS.join(' | ')} (zh for Chinese targets)`, oneOf(BLEU_TOKENIZERS), '13a')
    .option('--bleu-sentences <n>', 'greedy BLEU on this many validation sentences after each epoch (0 = off)', int(0), 0)
    .option('--out <dir>', 'checkpoint directory', 'runs/translate')
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto')
    .option('--no-progress', 'no progress bar');
  return addDecodeOptions(cmd, 5).action(async (o: TrainCli) => {
    await runTranslateTrain(o, (s) => console.log(s));
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
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto');
  return addDecodeOptions(cmd, 5).action((o: EvalCli) => {
    useBackend(o.backend);
    const loaded = loadTranslationModel(o.model);
    let p: ParallelText;
    if (o.pairs) {
      const saved = loaded.extra['pairs'] as { columns?: string; splitSeed?: number } | undefined;
      const [sc, tc] = parseColumns(saved?.columns ?? '0,1');
      p = splitParallel(parsePairs(readTextFile(o.pairs), { srcColumn: sc, tgtColumn: tc, what: o.pairs }), [0.9, 0.05, 0.05], saved?.splitSeed ?? 1)[o.split];
    } else {
      if (!o.src || !o.ref) throw new RnnlmError('invalid_argument', 'give --src and --ref (or --pairs FILE)');
      p = readParallel(o.src, o.ref);
    }
    if (o.limit > 0) p = { src: p.src.slice(0, o.limit), tgt: p.tgt.slice(0, o.limit) };
    const tokenize = o.tokenize ?? ((loaded.extra['bleuTokenize'] as BleuTokenizer | undefined) ?? '13a');
    const t0 = Date.now();
    const hyps = translateLines(loaded, p.src, o);
    const seconds = (Date.now() - t0) / 1000;
    if (o.hyp) fs.writeFileSync(o.hyp, `${hyps.join('\n')}\n`);
    const b = corpusBleu(hyps, [p.tgt], { tokenize, lowercase: o.lowercase });
    if (o.json) console.log(JSON.stringify({ bleu: b.score, precisions: b.precisions, bp: b.bp, sysLen: b.sysLen, refLen: b.refLen, signature: b.signature, sentences: hyps.length, seconds }));
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
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto');
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
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto');
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
