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
import { OPTIMIZER_NAMES, RECURRENT_MODES, describeBackend, loadLanguageModel, readTextFile, useBackend } from '../../../src/node.js';
import {
  CHAT_DECODE_DEFAULTS,
  type ChatDecodeOptions,
  type ChatSampling,
  type ChatRunSpec,
  defaultChatSpec,
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
import { ATTENTION_KINDS, Seq2Seq, evaluateTranslationLoss, pretokenize, trainTranslation } from '../../../src/translate/index.js';
import { BACKEND_CHOICES, type BackendChoice, int, num, oneOf, withOldFlagName } from '../args.js';
import {
  type FlagTable,
  addFlags,
  applyFlags,
  at,
  field,
  flag,
  givenFlags,
  initRange,
  maxMinutes,
  modelAndTrainSeed,
  required,
  tableCommand,
} from '../flags.js';
import { createProgress } from '../progress.js';

type Backend = BackendChoice;
function readDialogues(file: string): Dialogue[] {
  return parseDialogues(readTextFile(file), file);
}

/** How `chat eval` and the terminal chat decode: the search settings, and sampling instead when `sample` is on. */
interface DecodeSpec {
  decode: Required<Omit<ChatDecodeOptions, 'sample'>>;
  sample: boolean;
  sampling: ChatSampling;
}

const DEFAULT_DECODE: DecodeSpec = {
  decode: { ...CHAT_DECODE_DEFAULTS },
  sample: false,
  sampling: { temperature: 0.8, topK: 0, topP: 0.9, seed: 1 },
};

/** The decoding flags of `chat eval` and the terminal chat (the order is the order of --help). */
const DECODE_FLAGS: FlagTable<DecodeSpec> = [
  flag('--beam <k>', 'beam width (1 = greedy)', at('decode', 'beam'), int(1)),
  flag('--length-normalization <alpha>', 'beam scores are log P / length^alpha', at('decode', 'lengthNormalization'), num(0)),
  flag('--block-ngram <n>', 'never repeat an n-gram within a response (0 = off)', at('decode', 'noRepeatNgram'), int(0)),
  flag('--min-len <n>', 'no end of response before n tokens', at('decode', 'minLen'), int(0)),
  flag('--max-len <n>', 'at most n tokens per response', at('decode', 'maxLen'), int(1)),
  flag('--sample', 'sample instead of beam search (temperature, top-k, top-p)', field('sample')),
  flag('--temperature <t>', 'sampling temperature', at('sampling', 'temperature'), num(0)),
  flag('--top-k <k>', 'sample from the k most probable tokens (0 = off)', at('sampling', 'topK'), int(0)),
  flag('--top-p <p>', 'sample from the top-p nucleus (1 = off)', at('sampling', 'topP'), num(0.000001, 1)),
  flag('--seed <n>', 'sampling seed', at('sampling', 'seed'), int(0)),
  flag('--decode-batch-size <n>', 'conversations decoded together', at('decode', 'batchSize'), int(1)),
];

function addDecodeOptions(cmd: Command): Command {
  addFlags(cmd, DECODE_FLAGS, DEFAULT_DECODE);
  return withOldFlagName(cmd, '--length-penalty <alpha>', '--length-normalization', num(0));
}

/** The decoding the flags given to `cmd` ask for. */
function decodeSpecOf(cmd: Command): DecodeSpec {
  return applyFlags(DEFAULT_DECODE, givenFlags(cmd, DECODE_FLAGS));
}

function decodeOptions(o: DecodeSpec): ChatDecodeOptions {
  return { ...o.decode, ...(o.sample ? { sample: { ...o.sampling } } : {}) };
}

function describeDecoding(o: DecodeSpec): string {
  const d = o.decode;
  const s = o.sampling;
  const common = `block-ngram ${d.noRepeatNgram}, min-len ${d.minLen}, max-len ${d.maxLen}`;
  return o.sample
    ? `sampling (temperature ${s.temperature}, top-k ${s.topK}, top-p ${s.topP}, seed ${s.seed}), ${common}`
    : `beam ${d.beam}, length normalization ${d.lengthNormalization}, ${common}`;
}

type Spec = ChatRunSpec;

/** The chat run spec, flag by flag (the order is the order of --help). */
const CHAT_TRAIN_FLAGS: FlagTable<Spec> = [
  required(flag('--train <file>', 'training dialogues (DailyDialog format)', at('data', 'train'))),
  flag('--valid <file>', 'validation dialogues (best checkpoint by validation loss)', at('data', 'valid')),
  flag('--context-turns <k>', 'utterances of context before each response', at('data', 'contextTurns'), int(1)),
  flag('--max-context <n>', 'keep the most recent n context tokens', at('data', 'maxContext'), int(1)),
  flag('--max-response <n>', 'skip training responses longer than n tokens', at('data', 'maxResponse'), int(1)),
  flag('--min-count <n>', 'drop words seen fewer times (they become <unk>)', at('data', 'minCount'), int(1)),
  flag('--max-vocab <n>', 'keep at most n word types', at('data', 'maxVocab'), int(3)),
  flag('--cell <cell>', RECURRENT_MODES.join(' | '), at('model', 'cell'), oneOf(RECURRENT_MODES)),
  flag('--hidden <n>', 'hidden size', at('model', 'hiddenSize'), int(1)),
  flag('--emb <n>', 'embedding size', at('model', 'embedSize'), int(1)),
  flag('--layers <n>', 'encoder and decoder layers', at('model', 'numLayers'), int(1)),
  flag('--attention <kind>', ATTENTION_KINDS.join(' | '), at('model', 'attention'), oneOf(ATTENTION_KINDS)),
  flag('--no-bidirectional', 'unidirectional encoder (default: bidirectional)', at('model', 'bidirectional')),
  flag('--dropout <p>', 'dropout', at('model', 'dropout'), num(0, 0.99)),
  flag('--init-range <r>', 'initialise every parameter U(±r) (0 = PyTorch layer defaults)', initRange<Spec>(), num(0)),
  flag('--optimizer <name>', OPTIMIZER_NAMES.join(' | '), at('train', 'optimizer'), oneOf(OPTIMIZER_NAMES)),
  flag('--lr <lr>', 'learning rate', at('train', 'lr'), num(0)),
  flag('--clip <norm>', 'clip the global gradient norm (0 = off)', at('train', 'clip'), num(0)),
  flag('--batch-size <n>', 'pairs per batch', at('train', 'batchSize'), int(1)),
  flag('--eval-batch-size <n>', 'pairs per validation batch', at('train', 'evalBatchSize'), int(1)),
  flag('--epochs <n>', 'epochs', at('train', 'epochs'), int(1)),
  flag('--max-minutes <m>', 'stop training after this much wall time (then validate and save)', maxMinutes<Spec>(), num(0)),
  flag('--max-steps <n>', 'stop after this many updates', at('train', 'maxSteps'), int(1)),
  flag('--plateau-factor <f>', 'multiply lr by f when validation loss stops improving (1 = never)', at('train', 'plateauFactor'), num(0, 1)),
  flag('--seed <n>', 'random seed', modelAndTrainSeed<Spec>(), int(0)),
];

/** What one `rnnlm chat train` does beyond the spec: crash-safe copies, where it writes, how it runs. */
export interface ChatRunSettings {
  checkpointEvery: number;
  out: string;
  backend: Backend;
  progress: boolean;
}

const DEFAULT_CHAT_RUN: ChatRunSettings = { checkpointEvery: 0, out: 'runs/chat', backend: 'auto', progress: true };

const CHAT_RUN_FLAGS: FlagTable<ChatRunSettings> = [
  flag('--checkpoint-every <steps>', 'also save the newest weights to OUT/last every n updates (0 = off)', field('checkpointEvery'), int(0)),
  flag('--out <dir>', 'checkpoint directory', field('out')),
  flag('--backend <name>', BACKEND_CHOICES.join(' | '), field('backend'), oneOf(BACKEND_CHOICES)),
  flag('--no-progress', 'no progress bar', field('progress')),
];

export async function runChatTrain(
  spec: ChatRunSpec,
  run: ChatRunSettings,
  log: (s: string) => void,
): Promise<{ validPerplexity: number | null; seconds: number }> {
  useBackend(run.backend);
  log(`backend: ${describeBackend()}`);
  const { data: d, model: m } = spec;
  const trainD = readDialogues(d.train);
  const validD = d.valid ? readDialogues(d.valid) : null;
  const side = buildDialogueSide(
    trainD.flatMap((x) => x.turns),
    { minCount: d.minCount, ...(d.maxVocab ? { maxVocab: d.maxVocab } : {}) },
  );
  const shape = { maxContext: d.maxContext };
  const train = encodeDialoguePairs(dialoguePairs(trainD, d.contextTurns), side, { ...shape, maxResponse: d.maxResponse });
  const valid = validD ? encodeDialoguePairs(dialoguePairs(validD, d.contextTurns), side, shape) : null;
  log(
    `data: ${trainD.length} dialogues → ${train.length} training pairs (context: last ${d.contextTurns} utterances, at most ${d.maxContext} tokens; ` +
      `responses of 1..${d.maxResponse} tokens), ${valid?.length ?? 0} validation pairs; shared vocabulary ${side.vocabSize} words`,
  );
  const model = new Seq2Seq({ ...m, srcVocabSize: side.vocabSize, tgtVocabSize: side.vocabSize });
  log(
    `model: ${m.numLayers}×${m.hiddenSize} ${m.bidirectional ? 'bidirectional ' : ''}${m.cell} encoder–decoder, ${m.attention} attention, embedding ${m.embedSize}, ` +
      `${model.numParameters().toLocaleString('en-US')} parameters`,
  );
  const out = run.out;
  fs.mkdirSync(out, { recursive: true });
  const logPath = path.join(out, 'train-log.jsonl');
  fs.writeFileSync(logPath, '');
  const chat = { contextTurns: d.contextTurns, maxContext: d.maxContext };
  const progress = createProgress({ enabled: run.progress, label: 'chat' });
  let saved = false;
  const result = await trainTranslation(model, { train, valid, srcEos: side.eosId, tgtEos: side.eosId }, spec.train, {
    onStep: (s) => {
      progress.step(s);
      if (s.step % 50 === 0) fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'step', ...s })}\n`);
      // A crash-safe copy of the newest weights (the best-by-validation model stays in --out).
      if (run.checkpointEvery > 0 && s.step % run.checkpointEvery === 0)
        saveChatModel(path.join(out, 'last'), model, side, chat, { step: s.step, epoch: s.epoch });
    },
    onEpoch: (e) => {
      progress.stop();
      fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'epoch', ...e })}\n`);
      const v = e.validLoss === null ? 'no validation' : `valid loss ${e.validLoss.toFixed(4)} ppl ${Math.exp(e.validLoss).toFixed(2)}`;
      log(
        `epoch ${e.epoch}${e.partial ? ' (partial)' : ''}: train loss ${e.trainLoss.toFixed(4)} | ${v} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`,
      );
      if (e.improved || e.validLoss === null) {
        saveChatModel(out, model, side, chat);
        saved = true;
        log(`saved ${out}`);
      }
    },
  });
  progress.stop();
  if (!saved) saveChatModel(out, model, side, chat);
  log(
    `trained in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}, ${Math.round(result.tokens / result.seconds)} response tok/s)`,
  );
  const best = result.bestValidLoss;
  return { validPerplexity: best === null ? null : Math.exp(best), seconds: result.seconds };
}

function trainCommand(): Command {
  const defaults = defaultChatSpec();
  const cmd = new Command('train').description('train an attention encoder–decoder response model on dialogues (one per line, utterances ended by __eou__)');
  addFlags(cmd, CHAT_TRAIN_FLAGS, defaults);
  addFlags(cmd, CHAT_RUN_FLAGS, DEFAULT_CHAT_RUN);
  return cmd.action(async (_o: unknown, c: Command) => {
    const spec = applyFlags(defaults, givenFlags(c, CHAT_TRAIN_FLAGS));
    await runChatTrain(spec, applyFlags(DEFAULT_CHAT_RUN, givenFlags(c, CHAT_RUN_FLAGS)), (s) => console.log(s));
  });
}

/** Reference tokens for the metrics: the response pre-tokenized and lowercased like the model's vocabulary. */
function referenceTokens(text: string): string[] {
  return pretokenize(text.toLowerCase());
}

interface EvalCli {
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

async function runChatEval(o: EvalCli, decode: DecodeSpec): Promise<void> {
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
    decodeOptions(decode),
  );
  const decodeSeconds = (Date.now() - t0) / 1000;
  log(`decoding (${describeDecoding(decode)}): ${decodeSeconds.toFixed(1)}s`);
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
    console.log(JSON.stringify({ model: o.model, decoding: describeDecoding(decode), decodeSeconds, sets }));
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

const EVAL_FLAGS: FlagTable<EvalCli> = [
  required(flag('--model <dir>', 'chat model (rnnlm chat train)', field('model'))),
  required(flag('--test <file>', 'test dialogues (DailyDialog format)', field('test'))),
  flag('--train <file>', 'training dialogues: also report the test set without the dialogues that occur in it', field('train')),
  flag('--lm <dir>', 'LM baseline (rnnlm train on rnnlm chat lm-data text): its response perplexity beside the model', field('lm')),
  flag('--limit <n>', 'only the first n pairs (0 = all)', field('limit'), int(0)),
  flag('--hyp <file>', 'write the responses here, one per line', field('hyp')),
  flag('--samples <n>', 'print n example exchanges spread over the test set', field('samples'), int(0)),
  flag('--json', 'print one JSON object', field('json')),
  flag('--backend <name>', BACKEND_CHOICES.join(' | '), field('backend'), oneOf(BACKEND_CHOICES)),
];

const DEFAULT_EVAL: EvalCli = { model: '', test: '', limit: 0, samples: 5, json: false, backend: 'auto' };

function evalCommand(): Command {
  const cmd = new Command('eval').description(
    'response perplexity, BLEU-1/2, distinct-1/2 and length of a chat model on test dialogues (and of an LM baseline)',
  );
  addFlags(cmd, EVAL_FLAGS, DEFAULT_EVAL);
  return addDecodeOptions(cmd).action(async (_o: unknown, c: Command) => {
    await runChatEval(applyFlags(DEFAULT_EVAL, givenFlags(c, EVAL_FLAGS)), decodeSpecOf(c));
  });
}

/**
 * The terminal chat: each line typed is the user's utterance, the model answers from the
 * conversation so far (its last k utterances). /reset starts over, /quit (or end of input)
 * leaves. Without a terminal it reads stdin line by line and prints one response per line.
 */
async function interactive(o: { model: string; backend: Backend }, decode: DecodeSpec): Promise<void> {
  useBackend(o.backend);
  const m: LoadedChatModel = loadChatModel(o.model);
  const tty = process.stdin.isTTY === true;
  if (tty) console.log(`chat with ${o.model} (${describeDecoding(decode)}); /reset starts over, /quit leaves`);
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
      const dec = decodeOptions(decode);
      if (dec.sample) dec.sample.seed = decode.sampling.seed + turn++; // a new draw each turn, reproducible from --seed
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

interface LmDataSettings {
  model: string;
  out: string;
  train?: string;
  valid?: string;
  test?: string;
}

const LM_DATA_FLAGS: FlagTable<LmDataSettings> = [
  required(flag('--model <dir>', 'chat model whose vocabulary to use', field('model'))),
  required(flag('--out <dir>', 'folder for train.txt / valid.txt / test.txt', field('out'))),
  flag('--train <file>', 'training dialogues', field('train')),
  flag('--valid <file>', 'validation dialogues', field('valid')),
  flag('--test <file>', 'test dialogues', field('test')),
];

function lmDataCommand(): Command {
  const description = "write dialogues as language-model text in a chat model's vocabulary (for the LM baseline: rnnlm train on it, then rnnlm chat eval --lm)";
  return tableCommand('lm-data', description, LM_DATA_FLAGS, { model: '', out: '' }, (o) => {
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

/** The terminal chat's own flags (its decoding ones are DECODE_FLAGS). */
const CHAT_FLAGS: FlagTable<{ model?: string; backend: Backend }> = [
  flag('--model <dir>', 'chat with this model (rnnlm chat train) in the terminal', field('model')),
  flag('--backend <name>', BACKEND_CHOICES.join(' | '), field('backend'), oneOf(BACKEND_CHOICES)),
];

const DEFAULT_CHAT: { model?: string; backend: Backend } = { backend: 'auto' };

export function chatCommandGroup(): Command {
  const cmd = new Command('chat')
    .description('dialogue response model (attention encoder–decoder): train, eval, lm-data; with --model: chat in the terminal')
    .enablePositionalOptions(); // options before a subcommand are the terminal chat's, after it the subcommand's
  addFlags(cmd, CHAT_FLAGS, DEFAULT_CHAT);
  addDecodeOptions(cmd)
    .addCommand(trainCommand())
    .addCommand(evalCommand())
    .addCommand(lmDataCommand())
    .action(async () => {
      const o = applyFlags(DEFAULT_CHAT, givenFlags(cmd, CHAT_FLAGS));
      if (!o.model) {
        cmd.help();
        return;
      }
      await interactive({ model: o.model, backend: o.backend }, decodeSpecOf(cmd));
    });
  return cmd;
}
