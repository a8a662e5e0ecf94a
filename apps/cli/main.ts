#!/usr/bin/env node
/** The `rnnlm` command line: thin front-end over the public API. */
import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RnnlmError, describeBackend } from '../../src/node.js';
import { analyzeCommand } from './commands/analyze.js';
import { demoCommand, packageRoot } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { generateCommand } from './commands/generate.js';
import { rescoreCommand } from './commands/rescore.js';
import { scoreCommand } from './commands/score.js';
import { serveCommand } from './commands/serve.js';
import { plotCommand } from './commands/plot.js';
import { trainCommand } from './commands/train.js';
import { translateCommandGroup } from './commands/translate.js';

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
