/**
 * `rnnlm chat train|eval|lm-data` and `rnnlm chat --model DIR` (interactive): a response model on
 * DailyDialog-format dialogues (one dialogue per line, utterances ended by `__eou__`). The model
 * is the translation engine's attention encoder–decoder (src/translate) from the last k
 * utterances (joined by the `__eou__` separator token) to the next one, with one vocabulary for
 * both sides. Self-contained: every flag of the chat commands is declared here.
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { type OptimizerName, type RecurrentMode, describeBackend, loadLanguageModel, readTextFile, useBackend } from '../../../src/node.js';
import {
  type ChatDecodeOptions,
  type Dialogue,
  type DialogueMetrics,
  type LoadedChatModel,
  ResponseText,
  buildDialogueSide,
  dialogueMetrics,
  dialoguePairs,
  encodeDialoguePairs,
  exportLmText,
  lmResponseScores,
  loadChatModel,
  parseDialogues,
  respond,
  respondSteps,
  saveChatModel,
  withoutOverlap,
} from '../../../src/chat/index.js';
import { ATTENTION_KINDS, type AttentionKind, Seq2Seq, evaluateTranslationLoss, pretokenize, trainTranslation } from '../../../src/translate/index.js';
import { int, num, oneOf } from '../args.js';
import { createProgress } from '../progress.js';
import { BACKEND_CHOICES, type BackendChoice } from '../train-spec.js';

type Backend = BackendChoice;
const BACKENDS = BACKEND_CHOICES;
const CELLS: RecurrentMode[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'];
const OPTIMIZERS: OptimizerName[] = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'];

function readDialogues(file: string): Dialogue[] {
  return parseDialogues(readTextFile(file), file);
}

interface DecodeCli {
  beam: number;
  lengthPenalty: number;
  blockNgram: number;
  minLen: number;
  maxLen: number;
  sample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  decodeBatchSize: number;
}

function addDecodeOptions(cmd: Command): Command {
  return cmd
    .option('--beam <k>', 'beam width (1 = greedy)', int(1), 5)
    .option('--length-penalty <alpha>', 'beam scores are log P / length^alpha', num(0), 1)
    .option('--block-ngram <n>', 'never repeat an n-gram within a response (0 = off)', int(0), 3)
    .option('--min-len <n>', 'no end of response before n tokens', int(0), 1)
    .option('--max-len <n>', 'at most n tokens per response', int(1), 40)
    .option('--sample', 'sample instead of beam search (temperature, top-k, top-p)', false)
    .option('--temperature <t>', 'sampling temperature', num(0), 0.8)
    .option('--top-k <k>', 'sample from the k most probable tokens (0 = off)', int(0), 0)
    .option('--top-p <p>', 'sample from the top-p nucleus (1 = off)', num(0.000001, 1), 0.9)
    .option('--seed <n>', 'sampling seed', int(0), 1)
    .option('--decode-batch-size <n>', 'conversations decoded together', int(1), 32);
}

function decodeOptions(o: DecodeCli): ChatDecodeOptions {
  return {
    beam: o.beam,
    lengthPenalty: o.lengthPenalty,
    noRepeatNgram: o.blockNgram,
    minLen: o.minLen,
    maxLen: o.maxLen,
    batchSize: o.decodeBatchSize,
    ...(o.sample ? { sample: { temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed } } : {}),
  };
}

function describeDecoding(o: DecodeCli): string {
  const common = `block-ngram ${o.blockNgram}, min-len ${o.minLen}, max-len ${o.maxLen}`;
  return o.sample
    ? `sampling (temperature ${o.temperature}, top-k ${o.topK}, top-p ${o.topP}, seed ${o.seed}), ${common}`
    : `beam ${o.beam}, length penalty ${o.lengthPenalty}, ${common}`;
}

interface TrainCli {
  train: string;
  valid?: string;
  contextTurns: number;
  maxContext: number;
  maxResponse: number;
  minCount: number;
  maxVocab?: number;
  cell: RecurrentMode;
  hidden: number;
  emb: number;
  layers: number;
  attention: AttentionKind;
  bidirectional: boolean;
  dropout: number;
  initRange: number;
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
  checkpointEvery: number;
  out: string;
  backend: Backend;
  progress: boolean;
}

export async function runChatTrain(o: TrainCli, log: (s: string) => void): Promise<{ validPerplexity: number | null; seconds: number }> {
  useBackend(o.backend);
  log(`backend: ${describeBackend()}`);
  const trainD = readDialogues(o.train);
  const validD = o.valid ? readDialogues(o.valid) : null;
  const side = buildDialogueSide(
    trainD.flatMap((d) => d.turns),
    { minCount: o.minCount, ...(o.maxVocab ? { maxVocab: o.maxVocab } : {}) },
  );
  const shape = { maxContext: o.maxContext };
  const train = encodeDialoguePairs(dialoguePairs(trainD, o.contextTurns), side, { ...shape, maxResponse: o.maxResponse });
  const valid = validD ? encodeDialoguePairs(dialoguePairs(validD, o.contextTurns), side, shape) : null;
  log(
    `data: ${trainD.length} dialogues → ${train.length} training pairs (context: last ${o.contextTurns} utterances, at most ${o.maxContext} tokens; ` +
      `responses of 1..${o.maxResponse} tokens), ${valid?.length ?? 0} validation pairs; shared vocabulary ${side.vocabSize} words`,
  );
  const model = new Seq2Seq({
    srcVocabSize: side.vocabSize,
    tgtVocabSize: side.vocabSize,
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
    `model: ${o.layers}×${o.hidden} ${o.bidirectional ? 'bidirectional ' : ''}${o.cell} encoder–decoder, ${o.attention} attention, embedding ${o.emb}, ` +
      `${model.numParameters().toLocaleString('en-US')} parameters`,
  );
  fs.mkdirSync(o.out, { recursive: true });
  const logPath = path.join(o.out, 'train-log.jsonl');
  fs.writeFileSync(logPath, '');
  const chat = { contextTurns: o.contextTurns, maxContext: o.maxContext };
  const progress = createProgress({ enabled: o.progress, label: 'chat' });
  let saved = false;
  const result = await trainTranslation(
    model,
    { train, valid, srcEos: side.eosId, tgtEos: side.eosId },
    {
      batchSize: o.batchSize,
      epochs: o.epochs,
      optimizer: o.optimizer,
      lr: o.lr,
      clip: o.clip,
      teacherForcingRatio: 1,
      plateauFactor: o.plateauFactor,
      plateauPatience: 0,
      evalBatchSize: o.evalBatchSize,
      seed: o.seed,
      ...(o.maxMinutes !== undefined ? { maxSeconds: o.maxMinutes * 60 } : {}),
      ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    },
    {
      onStep: (s) => {
        progress.step(s);
        if (s.step % 50 === 0) fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'step', ...s })}\n`);
        // A crash-safe copy of the newest weights (the best-by-validation model stays in --out).
        if (o.checkpointEvery > 0 && s.step % o.checkpointEvery === 0)
          saveChatModel(path.join(o.out, 'last'), model, side, chat, { step: s.step, epoch: s.epoch });
      },
      onEpoch: (e) => {
        progress.stop();
        fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'epoch', ...e })}\n`);
        const v = e.validLoss === null ? 'no validation' : `valid loss ${e.validLoss.toFixed(4)} ppl ${Math.exp(e.validLoss).toFixed(2)}`;
        log(
          `epoch ${e.epoch}${e.partial ? ' (partial)' : ''}: train loss ${e.trainLoss.toFixed(4)} | ${v} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`,
        );
        if (e.improved || e.validLoss === null) {
          saveChatModel(o.out, model, side, chat);
          saved = true;
          log(`saved ${o.out}`);
        }
      },
    },
  );
  progress.stop();
  if (!saved) saveChatModel(o.out, model, side, chat);
  log(
    `trained in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}, ${Math.round(result.tokens / result.seconds)} response tok/s)`,
  );
  const best = result.bestValidLoss;
  return { validPerplexity: best === null ? null : Math.exp(best), seconds: result.seconds };
}

function trainCommand(): Command {
  return new Command('train')
    .description('train an attention encoder–decoder response model on dialogues (one per line, utterances ended by __eou__)')
    .requiredOption('--train <file>', 'training dialogues (DailyDialog format)')
    .option('--valid <file>', 'validation dialogues (best checkpoint by validation loss)')
    .option('--context-turns <k>', 'utterances of context before each response', int(1), 3)
    .option('--max-context <n>', 'keep the most recent n context tokens', int(1), 80)
    .option('--max-response <n>', 'skip training responses longer than n tokens', int(1), 40)
    .option('--min-count <n>', 'drop words seen fewer times (they become <unk>)', int(1), 2)
    .option('--max-vocab <n>', 'keep at most n word types', int(3))
    .option('--cell <cell>', CELLS.join(' | '), oneOf(CELLS), 'lstm')
    .option('--hidden <n>', 'hidden size', int(1), 256)
    .option('--emb <n>', 'embedding size', int(1), 256)
    .option('--layers <n>', 'encoder and decoder layers', int(1), 1)
    .option('--attention <kind>', ATTENTION_KINDS.join(' | '), oneOf(ATTENTION_KINDS), 'general')
    .option('--no-bidirectional', 'unidirectional encoder (default: bidirectional)')
    .option('--dropout <p>', 'dropout', num(0, 0.99), 0.3)
    .option('--init-range <r>', 'initialise every parameter U(±r) (0 = PyTorch layer defaults)', num(0), 0.1)
    .option('--optimizer <name>', OPTIMIZERS.join(' | '), oneOf(OPTIMIZERS), 'adam')
    .option('--lr <lr>', 'learning rate', num(0), 0.001)
    .option('--clip <norm>', 'clip the global gradient norm (0 = off)', num(0), 5)
    .option('--batch-size <n>', 'pairs per batch', int(1), 64)
    .option('--eval-batch-size <n>', 'pairs per validation batch', int(1), 64)
    .option('--epochs <n>', 'epochs', int(1), 10)
    .option('--max-minutes <m>', 'stop training after this much wall time (then validate and save)', num(0))
    .option('--max-steps <n>', 'stop after this many updates', int(1))
    .option('--plateau-factor <f>', 'multiply lr by f when validation loss stops improving (1 = never)', num(0, 1), 0.5)
    .option('--seed <n>', 'random seed', int(0), 1)
    .option('--checkpoint-every <steps>', 'also save the newest weights to OUT/last every n updates (0 = off)', int(0), 0)
    .option('--out <dir>', 'checkpoint directory', 'runs/chat')
    .option('--backend <name>', BACKENDS.join(' | '), oneOf(BACKENDS), 'auto')
    .option('--no-progress', 'no progress bar')
    .action(async (o: TrainCli) => {
      await runChatTrain(o, (s) => console.log(s));
    });
}

/** Reference tokens for the metrics: the response pre-tokenized and lowercased like the model's vocabulary. */
function referenceTokens(text: string): string[] {
  return pretokenize(text.toLowerCase());
}

interface EvalCli extends DecodeCli {
  model: string;
  test: string;
  train?: string;
  lm?: string;
  limit: number;
  hyp?: string;
  samples: number;
  json: boolean;
  backend: Backend;
}

interface EvalSet {
  name: string;
  pairs: number;
  perplexity: number;
  lmPerplexity: number | null;
  metrics: DialogueMetrics;
}

const fmt = (x: number, d = 3): string => x.toFixed(d);

async function runChatEval(o: EvalCli): Promise<void> {
  useBackend(o.backend);
  const m = loadChatModel(o.model);
  const testD = readDialogues(o.test);
  let pairs = dialoguePairs(testD, m.contextTurns);
  if (o.limit > 0) pairs = pairs.slice(0, o.limit);
  const trainD = o.train ? readDialogues(o.train) : null;
  const keptLines = trainD ? new Set(withoutOverlap(testD, trainD).map((d) => d.line)) : null;
  const log = (s: string): void => {
    if (!o.json) console.log(s);
  };
  log(`model ${o.model}: context ${m.contextTurns} utterances (≤ ${m.maxContext} tokens), vocabulary ${m.side.vocabSize}; backend ${describeBackend()}`);
  log(`${o.test}: ${testD.length} dialogues, ${pairs.length} context → response pairs${keptLines ? `; ${keptLines.size} dialogues not in ${o.train}` : ''}`);
  // Response perplexity: teacher-forced cross-entropy per response token (+ <eos>).
  const encoded = encodeDialoguePairs(pairs, m.side, { maxContext: m.maxContext });
  // Perplexity of a subset from the summed cross-entropy of its two parts (each pair scored once).
  const inDedup = (i: number): boolean => keptLines === null || keptLines.has(pairs[i]!.line);
  const nats = (keep: boolean): { nats: number; tokens: number } => {
    const part = encoded.filter((e) => inDedup(e.index) === keep);
    if (part.length === 0) return { nats: 0, tokens: 0 };
    const r = evaluateTranslationLoss(m.model, part, 64, m.side.eosId, m.side.eosId);
    return { nats: r.loss * r.tokens, tokens: r.tokens };
  };
  let t0 = Date.now();
  const kept = nats(true);
  const dropped = nats(false);
  const pplFull = Math.exp((kept.nats + dropped.nats) / (kept.tokens + dropped.tokens));
  const pplDedup = keptLines ? Math.exp(kept.nats / kept.tokens) : null;
  log(`perplexity: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  let lmFull: number | null = null;
  let lmDedup: number | null = null;
  if (o.lm) {
    t0 = Date.now();
    const lm = loadLanguageModel(o.lm);
    const scores = lmResponseScores(lm.model, lm.tokenizer, m.side, pairs);
    const agg = (keep: (i: number) => boolean): number => {
      let lp = 0;
      let n = 0;
      scores.forEach((s, i) => {
        if (!keep(i)) return;
        lp += s.logProb;
        n += s.tokens;
      });
      return Math.exp(-lp / n);
    };
    lmFull = agg(() => true);
    lmDedup = keptLines ? agg(inDedup) : null;
    log(`LM baseline ${o.lm}: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  t0 = Date.now();
  const responses = respond(
    m,
    pairs.map((p) => p.context),
    decodeOptions(o),
  );
  const decodeSeconds = (Date.now() - t0) / 1000;
  log(`decoding (${describeDecoding(o)}): ${decodeSeconds.toFixed(1)}s`);
  if (o.hyp) fs.writeFileSync(o.hyp, `${responses.map((r) => r.text).join('\n')}\n`);
  const refs = pairs.map((p) => referenceTokens(p.response));
  const sets: EvalSet[] = [];
  const add = (name: string, keep: (i: number) => boolean, perplexity: number, lmPerplexity: number | null): void => {
    const idx = pairs.map((_, i) => i).filter(keep);
    sets.push({
      name,
      pairs: idx.length,
      perplexity,
      lmPerplexity,
      metrics: dialogueMetrics(
        idx.map((i) => responses[i]!.tokens),
        idx.map((i) => refs[i]!),
      ),
    });
  };
  add('full', () => true, pplFull, lmFull);
  if (keptLines) add('deduplicated', inDedup, pplDedup!, lmDedup);
  if (o.json) {
    console.log(JSON.stringify({ model: o.model, decoding: describeDecoding(o), decodeSeconds, sets }));
    return;
  }
  console.log('set           pairs   ppl     LM ppl  BLEU-1  BLEU-2  dist-1  dist-2  avg len (ref)');
  for (const s of sets) {
    const x = s.metrics;
    console.log(
      `${s.name.padEnd(13)} ${String(s.pairs).padStart(5)}  ${fmt(s.perplexity, 2).padStart(6)}  ${s.lmPerplexity === null ? '     -' : fmt(s.lmPerplexity, 2).padStart(6)}  ` +
        `${fmt(x.bleu1)}   ${fmt(x.bleu2)}   ${fmt(x.distinct1)}   ${fmt(x.distinct2)}   ${fmt(x.avgLength, 1)} (${fmt(x.refAvgLength, 1)})`,
    );
  }
  console.log(
    'BLEU-n: NLTK sentence_bleu, weights (1,0,0,0) / (0.5,0.5,0,0), SmoothingFunction().method7 (NLTK ≥ 3.6), averaged over responses; distinct-n over all responses',
  );
  for (let i = 0; i < Math.min(o.samples, pairs.length); i++) {
    const j = Math.floor((i * pairs.length) / Math.max(1, o.samples));
    const p = pairs[j]!;
    console.log(`\n[${o.test}:${p.line} turn ${p.turn + 1}]`);
    for (const u of p.context) console.log(`  > ${u}`);
    console.log(`  model: ${responses[j]!.text}`);
    console.log(`  reference: ${p.response}`);
  }
}

function evalCommand(): Command {
  const cmd = new Command('eval')
    .description('response perplexity, BLEU-1/2, distinct-1/2 and length of a chat model on test dialogues (and of an LM baseline)')
    .requiredOption('--model <dir>', 'chat model (rnnlm chat train)')
    .requiredOption('--test <file>', 'test dialogues (DailyDialog format)')
    .option('--train <file>', 'training dialogues: also report the test set without the dialogues that occur in it')
    .option('--lm <dir>', 'LM baseline (rnnlm train on rnnlm chat lm-data text): its response perplexity beside the model')
    .option('--limit <n>', 'only the first n pairs (0 = all)', int(0), 0)
    .option('--hyp <file>', 'write the responses here, one per line')
    .option('--samples <n>', 'print n example exchanges spread over the test set', int(0), 5)
    .option('--json', 'print one JSON object', false)
    .option('--backend <name>', BACKENDS.join(' | '), oneOf(BACKENDS), 'auto');
  return addDecodeOptions(cmd).action(async (o: EvalCli) => {
    await runChatEval(o);
  });
}

/**
 * The terminal chat: each line typed is the user's utterance, the model answers from the
 * conversation so far (its last k utterances). /reset starts over, /quit (or end of input)
 * leaves. Without a terminal it reads stdin line by line and prints one response per line.
 */
async function interactive(o: DecodeCli & { model: string; backend: Backend }): Promise<void> {
  useBackend(o.backend);
  const m: LoadedChatModel = loadChatModel(o.model);
  const tty = process.stdin.isTTY === true;
  if (tty) console.log(`chat with ${o.model} (${describeDecoding(o)}); /reset starts over, /quit leaves`);
  const rl = readline.createInterface({ input: process.stdin, output: tty ? process.stdout : undefined, terminal: tty });
  const history: string[] = [];
  let turn = 0;
  if (tty) rl.setPrompt('you> ');
  if (tty) rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '/quit') break;
    if (line === '/reset') {
      history.length = 0;
      if (tty) console.log('(new conversation)');
    } else if (line !== '') {
      history.push(line);
      const dec = decodeOptions(o);
      if (dec.sample) dec.sample.seed = o.seed + turn++; // a new draw each turn, reproducible from --seed
      const text = new ResponseText(m);
      if (tty) process.stdout.write('bot> ');
      const steps = respondSteps(m, history, dec);
      let r = steps.next();
      while (!r.done) {
        if (tty) process.stdout.write(text.push(r.value));
        r = steps.next();
      }
      history.push(r.value.text);
      process.stdout.write(tty ? '\n' : `${r.value.text}\n`);
    }
    if (tty) rl.prompt();
  }
  rl.close();
}

function lmDataCommand(): Command {
  return new Command('lm-data')
    .description("write dialogues as language-model text in a chat model's vocabulary (for the LM baseline: rnnlm train on it, then rnnlm chat eval --lm)")
    .requiredOption('--model <dir>', 'chat model whose vocabulary to use')
    .requiredOption('--out <dir>', 'folder for train.txt / valid.txt / test.txt')
    .option('--train <file>', 'training dialogues')
    .option('--valid <file>', 'validation dialogues')
    .option('--test <file>', 'test dialogues')
    .action((o: { model: string; out: string; train?: string; valid?: string; test?: string }) => {
      const { side } = loadChatModel(o.model);
      fs.mkdirSync(o.out, { recursive: true });
      for (const [name, file] of [
        ['train', o.train],
        ['valid', o.valid],
        ['test', o.test],
      ] as const) {
        if (!file) continue;
        const d = readDialogues(file);
        fs.writeFileSync(path.join(o.out, `${name}.txt`), exportLmText(d, side));
        console.log(`${path.join(o.out, `${name}.txt`)}: ${d.length} dialogues`);
      }
    });
}

export function chatCommandGroup(): Command {
  const cmd = new Command('chat')
    .description('dialogue response model (attention encoder–decoder): train, eval, lm-data; with --model: chat in the terminal')
    .enablePositionalOptions() // options before a subcommand are the terminal chat's, after it the subcommand's
    .option('--model <dir>', 'chat with this model (rnnlm chat train) in the terminal')
    .option('--backend <name>', BACKENDS.join(' | '), oneOf(BACKENDS), 'auto');
  addDecodeOptions(cmd)
    .addCommand(trainCommand())
    .addCommand(evalCommand())
    .addCommand(lmDataCommand())
    .action(async (o: DecodeCli & { model?: string; backend: Backend }) => {
      if (!o.model) {
        cmd.help();
        return;
      }
      await interactive({ ...o, model: o.model });
    });
  return cmd;
}
