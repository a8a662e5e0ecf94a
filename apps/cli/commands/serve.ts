/**
 * `rnnlm serve`: serve a checkpoint over HTTP (apps/server): OpenAI-style /v1/completions
 * (with streaming), /v1/score, /healthz and /metrics; a classifier checkpoint gets POST /v1/classify
 * instead of the language-model routes (the checkpoint's kind picks the route set). Prints the URL on stdout, logs JSON lines on stderr, and shuts down
 * gracefully on SIGINT/SIGTERM: new and queued requests are refused, running ones get
 * --shutdown-grace seconds to finish, then are stopped (a second signal exits at once).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { CLASSIFIER_ARCHITECTURE, EXACT_ROW_GROUP, RnnlmError, describeBackend, loadClassifier, loadLanguageModel, useBackend } from '../../../src/node.js';
import { DEFAULT_LIMITS, DEFAULT_SHUTDOWN_GRACE_MS, type ShutdownEvent, buildServer } from '../../server/app.js';
import { loadChatModel } from '../../../src/chat/index.js';
import { BACKEND_CHOICES, type BackendChoice, int, num, oneOf } from '../args.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface ServeCliOptions {
  model: string;
  chatModel?: string;
  host: string;
  port: number;
  maxConcurrent: number;
  maxQueue: number;
  batchRowGroup: number;
  maxLogprobs: number;
  shutdownGrace: number;
  apiKey?: string;
  cors: string[];
  maxTokens: number;
  maxPromptChars: number;
  maxPromptTokens: number;
  maxScoreTexts: number;
  bodyLimit: number;
  timeout: number;
  name?: string;
  logLevel: (typeof LOG_LEVELS)[number];
  backend: BackendChoice;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number 0..65535, got "${v}"`);
  return n;
}

/** config.json's model.architecture of a checkpoint directory (null when unreadable: the loader then says why). */
function checkpointArchitecture(dir: string): string | null {
  try {
    const arch = (JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { model?: { architecture?: unknown } }).model?.architecture;
    return typeof arch === 'string' ? arch : null;
  } catch {
    return null;
  }
}

/** http://host:port, with IPv6 addresses in brackets. */
function urlOf(host: string, p: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
}

export function serveCommand(): Command {
  const d = DEFAULT_LIMITS;
  return new Command('serve')
    .description('serve a trained model over HTTP (OpenAI-style completions, scoring, health, metrics)')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .option('--chat-model <dir>', 'also serve a dialogue model (rnnlm chat train) at POST /v1/chat/completions')
    .option('--host <addr>', 'address to listen on (0.0.0.0 exposes the server to the network)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', port, 8080)
    .option('--max-concurrent <n>', 'generations (rows of the shared batch) and scorings at once; more wait in the queue', int(1), d.maxConcurrent)
    .option('--max-queue <n>', 'requests waiting for a slot; more get 429 (0 = no queue)', int(0), d.maxQueue)
    .option(
      '--batch-row-group <n>',
      `rows per batched model step: up to ${EXACT_ROW_GROUP} = each request exactly as alone; more = last-bit float differences`,
      int(1),
      d.batchRowGroup,
    )
    .option('--max-logprobs <n>', 'most top alternatives per token (logprobs)', int(1), d.maxLogprobs)
    .option(
      '--shutdown-grace <seconds>',
      'on SIGTERM/SIGINT, how long running requests may finish before they are stopped',
      num(0, 3600),
      DEFAULT_SHUTDOWN_GRACE_MS / 1000,
    )
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" on /v1/* and /metrics (default: $RNNLM_API_KEY; unset = open)')
    .option(
      '--cors <origin>',
      "allow browser requests from this origin (repeatable; '*' = any); default: CORS off",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--max-tokens <n>', 'ceiling on max_tokens', int(1), d.maxTokens)
    .option('--max-prompt-chars <n>', 'longest prompt or scored text, in characters', int(1), d.maxPromptChars)
    .option('--max-prompt-tokens <n>', 'longest prompt or scored text, in tokens', int(1), d.maxPromptTokens)
    .option('--max-score-texts <n>', 'most texts in one /v1/score request', int(1), d.maxScoreTexts)
    .option('--body-limit <bytes>', 'largest request body; larger get 413', int(1), d.bodyLimit)
    .option('--timeout <seconds>', 'wall-clock limit of one request', num(0.001, 86_400), d.timeoutMs / 1000)
    .option('--name <name>', 'model name in responses (default: the checkpoint directory name)')
    .option('--log-level <level>', LOG_LEVELS.join(' | '), oneOf(LOG_LEVELS), 'info')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .action(async (o: ServeCliOptions) => {
      useBackend(o.backend);
      const classifier = checkpointArchitecture(o.model) === CLASSIFIER_ARCHITECTURE ? loadClassifier(o.model) : null;
      const common = {
        modelName: o.name ?? path.basename(path.resolve(o.model)),
        limits: {
          maxConcurrent: o.maxConcurrent,
          maxQueue: o.maxQueue,
          batchRowGroup: o.batchRowGroup,
          maxLogprobs: o.maxLogprobs,
          maxTokens: o.maxTokens,
          maxPromptChars: o.maxPromptChars,
          maxPromptTokens: o.maxPromptTokens,
          maxScoreTexts: o.maxScoreTexts,
          bodyLimit: o.bodyLimit,
          timeoutMs: Math.max(1, Math.round(o.timeout * 1000)),
        },
        logger: o.logLevel === 'silent' ? false : ({ level: o.logLevel, stream: process.stderr } as const),
        access: { apiKey: o.apiKey ?? (process.env.RNNLM_API_KEY || null), corsOrigins: o.cors }, // never a commander default: --help would print the key
      };
      if (classifier && o.chatModel) {
        throw new RnnlmError('invalid_argument', `--chat-model needs a language model for --model; ${o.model} holds a classifier`);
      }
      const lm = classifier ? null : loadLanguageModel(o.model);
      const served = classifier ? { classifier } : { model: lm!.model, tokenizer: lm!.tokenizer, ...(o.chatModel ? { chat: loadChatModel(o.chatModel) } : {}) };
      const app = buildServer({
        ...served,
        ...common,
        shutdownGraceMs: Math.round(o.shutdownGrace * 1000),
        onShutdown: (e: ShutdownEvent) => {
          const say = (m: string): boolean => process.stderr.write(`rnnlm: ${m}\n`);
          if (e.phase === 'begin') {
            say(
              `shutting down: new requests get 503; ${e.queued} queued request(s) refused with 503; ` +
                `${e.running} running request(s) get up to ${e.graceMs / 1000} s to finish, then are stopped (their clients get a server_shutting_down error)`,
            );
          } else {
            say(`${e.finished} request(s) finished within the grace period, ${e.stopped} stopped at its end`);
          }
        },
      });
      try {
        await app.listen({ host: o.host, port: o.port });
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new RnnlmError('io_error', `cannot listen on ${urlOf(o.host, o.port)} (${why}); choose another --port or --host`);
      }
      const addr = app.server.address();
      const actualPort = typeof addr === 'object' && addr ? addr.port : o.port;
      const c = (classifier?.model ?? lm!.model).config;
      const what = classifier ? `classifier of ${classifier.labels.names.join('/')}, POST /v1/classify, vocabulary` : `${lm!.tokenizer.kind} vocabulary`;
      process.stdout.write(
        `rnnlm: serving ${o.model} (${c.cell}, ${c.numLayers}×${c.hiddenSize}, ${what} ${c.vocabSize}) ` +
          `on backend ${describeBackend()} at ${urlOf(o.host, actualPort)}\n`,
      );

      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          process.stderr.write(`rnnlm: ${signal} again: exiting now, running requests are cut off\n`);
          process.exit(130);
        }
        stopping = true;
        process.stderr.write(`rnnlm: ${signal} received\n`);
        // Never hang on shutdown: the grace period, then a few seconds for the last events.
        const force = setTimeout(
          () => {
            process.stderr.write('rnnlm: shutdown did not finish in time: exiting\n');
            process.exit(1);
          },
          Math.round(o.shutdownGrace * 1000) + 10_000,
        );
        force.unref();
        app.close().then(
          () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            process.stdout.write('rnnlm: server stopped\n');
          },
          (e: unknown) => {
            process.stderr.write(`rnnlm: error while shutting down: ${(e as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
