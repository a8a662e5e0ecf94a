/** `rnnlm eval`: cross-entropy, perplexity, bits per token and accuracy of a checkpoint on a text file. */
import { Command } from 'commander';
import { encodeSplit, evaluate, loadLanguageModel, readCorpusFile, useBackend } from '../../../src/node.js';
import { int, oneOf } from '../args.js';

export function evalCommand(): Command {
  return new Command('eval')
    .description('evaluate a trained model on a text file')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('--data <file>', 'text to evaluate (UTF-8)')
    .option('--batch-size <n>', 'evaluation streams', int(1), 10)
    .option('--bptt <n>', 'window length', int(1), 35)
    .option('--json', 'print one JSON object', false)
    .option('--backend <name>', 'auto | js | native', oneOf(['auto', 'js', 'native'] as const), 'auto')
    .action((o: { model: string; data: string; batchSize: number; bptt: number; json: boolean; backend: 'auto' | 'js' | 'native' }) => {
      useBackend(o.backend);
      const { model, tokenizer } = loadLanguageModel(o.model);
      const ids = encodeSplit(tokenizer, readCorpusFile(o.data), o.data);
      const r = evaluate(model, ids, { batchSize: o.batchSize, bptt: o.bptt, batchSizeName: '--batch-size' });
      if (o.json) console.log(JSON.stringify(r));
      else {
        console.log(`tokens      ${r.tokens}`);
        console.log(`loss        ${r.loss.toFixed(4)} nats/token`);
        console.log(`perplexity  ${r.perplexity.toFixed(2)}`);
        console.log(`bits/token  ${r.bitsPerToken.toFixed(4)}${tokenizer.kind === 'char' ? ' (bits per character)' : ''}`);
        console.log(`accuracy    ${(100 * r.accuracy).toFixed(2)}%`);
      }
    });
}
