#!/usr/bin/env node
/** The `rnnlm` command line: thin front-end over the public API. */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RnnlmError, describeBackend } from '../../src/node.js';
import { demoCommand } from './commands/demo.js';
import { analyzeCommand } from './commands/analyze.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { generateCommand } from './commands/generate.js';
import { importCommand } from './commands/import.js';
import { ngramCommandGroup } from './commands/ngram.js';
import { rescoreCommand } from './commands/rescore.js';
import { scoreCommand } from './commands/score.js';
import { serveCommand } from './commands/serve.js';
import { plotCommand } from './commands/plot.js';
import { trainCommand } from './commands/train.js';
import { translateCommandGroup } from './commands/translate.js';
import { packageRoot } from './package-root.js';
import { classifyCommandGroup } from './commands/classify.js';
import { chatCommandGroup } from './commands/chat.js';

const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

const program = new Command('rnnlm')
  .description('recurrent neural network language models: train, evaluate, generate')
  .version(`rnnlm ${pkg.version}, backend ${describeBackend()}, node ${process.version}`, '-V, --version')
  .addCommand(trainCommand())
  .addCommand(evalCommand())
  .addCommand(generateCommand())
  .addCommand(scoreCommand())
  .addCommand(rescoreCommand())
  .addCommand(serveCommand())
  .addCommand(plotCommand())
  .addCommand(translateCommandGroup())
  .addCommand(exportCommand())
  .addCommand(importCommand())
  .addCommand(ngramCommandGroup())
  .addCommand(classifyCommandGroup())
  .addCommand(chatCommandGroup())
  .enablePositionalOptions() // `rnnlm chat --model DIR` and `rnnlm chat eval --model DIR` each get their own --model
  .addCommand(analyzeCommand())
  .addCommand(demoCommand())
  .showHelpAfterError();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof RnnlmError) {
    process.stderr.write(`rnnlm: error [${e.code}]: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
