/**
 * `rnnlm serve`: serve a checkpoint over HTTP (apps/server): OpenAI-style /v1/completions
 * (with streaming), /v1/score, /healthz and /metrics. Prints the URL on stdout, logs JSON
 * lines on stderr, and shuts down gracefully on SIGINT/SIGTERM (a second signal forces it).
 */
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { RnnlmError, describeBackend, loadLanguageModel, useBackend } from '../../../src/node.js';
import { DEFAULT_LIMITS, buildServer } from '../../server/app.js';
import { loadChatModel } from '../../../src/chat/index.js';
import { int, num, oneOf } from '../args.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

interface ServeCliOptions {
  model: string;
  chatModel?: string;
  host: string;
  port: number;
  maxConcurrent: number;
  maxTokens: number;
  maxPromptChars: number;
  maxPromptTokens: number;
  maxScoreTexts: number;
  bodyLimit: number;
  timeout: number;
  name?: string;
  logLevel: (typeof LOG_LEVELS)[number];
  backend: 'auto' | 'js' | 'native';
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number 0..65535, got "${v}"`);
  return n;
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
    .option('--max-concurrent <n>', 'generations/scorings at once; more get 429', int(1), d.maxConcurrent)
    .option('--max-tokens <n>', 'ceiling on max_tokens', int(1), d.maxTokens)
    .option('--max-prompt-chars <n>', 'longest prompt or scored text, in characters', int(1), d.maxPromptChars)
    .option('--max-prompt-tokens <n>', 'longest prompt or scored text, in tokens', int(1), d.maxPromptTokens)
    .option('--max-score-texts <n>', 'most texts in one /v1/score request', int(1), d.maxScoreTexts)
    .option('--body-limit <bytes>', 'largest request body; larger get 413', int(1), d.bodyLimit)
    .option('--timeout <seconds>', 'wall-clock limit of one request', num(0.001, 86_400), d.timeoutMs / 1000)
    .option('--name <name>', 'model name in responses (default: the checkpoint directory name)')
    .option('--log-level <level>', LOG_LEVELS.join(' | '), oneOf(LOG_LEVELS), 'info')
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto')
    .action(async (o: ServeCliOptions) => {
      useBackend(o.backend);
      const { model, tokenizer } = loadLanguageModel(o.model);
      const app = buildServer({
        model,
        tokenizer,
        ...(o.chatModel ? { chat: loadChatModel(o.chatModel) } : {}),
        modelName: o.name ?? path.basename(path.resolve(o.model)),
        limits: {
          maxConcurrent: o.maxConcurrent,
          maxTokens: o.maxTokens,
          maxPromptChars: o.maxPromptChars,
          maxPromptTokens: o.maxPromptTokens,
          maxScoreTexts: o.maxScoreTexts,
          bodyLimit: o.bodyLimit,
          timeoutMs: Math.max(1, Math.round(o.timeout * 1000)),
        },
        logger: o.logLevel === 'silent' ? false : { level: o.logLevel, stream: process.stderr },
      });
      try {
        await app.listen({ host: o.host, port: o.port });
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        throw new RnnlmError('io_error', `cannot listen on ${urlOf(o.host, o.port)} (${why}); choose another --port or --host`);
      }
      const addr = app.server.address();
      const actualPort = typeof addr === 'object' && addr ? addr.port : o.port;
      const c = model.config;
      process.stdout.write(
        `rnnlm: serving ${o.model} (${c.cell}, ${c.numLayers}×${c.hiddenSize}, ${tokenizer.kind} vocabulary ${c.vocabSize}) ` +
          `on backend ${describeBackend()} at ${urlOf(o.host, actualPort)}\n`,
      );

      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          process.stderr.write(`rnnlm: ${signal} again: exiting now\n`);
          process.exit(130);
        }
        stopping = true;
        process.stderr.write(`rnnlm: ${signal}: finishing running requests and shutting down\n`);
        // Never hang on shutdown: streams get a few seconds to end.
        const force = setTimeout(() => process.exit(1), 10_000);
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
