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
import { type OptimizerName, type RecurrentMode, describeBackend, readTextFile, useBackend } from '../../../src/node.js';
import { type Dialogue, buildDialogueSide, dialoguePairs, encodeDialoguePairs, parseDialogues, saveChatModel } from '../../../src/chat/index.js';
import { ATTENTION_KINDS, type AttentionKind, Seq2Seq, trainTranslation } from '../../../src/translate/index.js';
import { int, num, oneOf } from '../args.js';
import { createProgress } from '../progress.js';

type Backend = 'auto' | 'js' | 'native';
const BACKENDS = ['auto', 'js', 'native'] as const;
const CELLS: RecurrentMode[] = ['lstm', 'gru', 'rnn_tanh', 'rnn_relu'];
const OPTIMIZERS: OptimizerName[] = ['sgd', 'adam', 'adamw', 'adagrad', 'rmsprop'];

function readDialogues(file: string): Dialogue[] {
  return parseDialogues(readTextFile(file), file);
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
        if (o.checkpointEvery > 0 && s.step % o.checkpointEvery === 0) saveChatModel(path.join(o.out, 'last'), model, side, chat, { step: s.step, epoch: s.epoch });
      },
      onEpoch: (e) => {
        progress.stop();
        fs.appendFileSync(logPath, `${JSON.stringify({ kind: 'epoch', ...e })}\n`);
        const v = e.validLoss === null ? 'no validation' : `valid loss ${e.validLoss.toFixed(4)} ppl ${Math.exp(e.validLoss).toFixed(2)}`;
        log(`epoch ${e.epoch}${e.partial ? ' (partial)' : ''}: train loss ${e.trainLoss.toFixed(4)} | ${v} | lr ${e.lr.toPrecision(3)} | ${e.seconds.toFixed(1)}s`);
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
  log(`trained in ${result.seconds.toFixed(1)}s (${result.steps} steps, stopped by ${result.stoppedBy}, ${Math.round(result.tokens / result.seconds)} response tok/s)`);
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

export function chatCommandGroup(): Command {
  return new Command('chat').description('dialogue response model (attention encoder–decoder): train').addCommand(trainCommand());
}
