/** `rnnlm eval`: cross-entropy, perplexity, bits per token and accuracy of a checkpoint on a text file. */
import { Command } from 'commander';
import {
  PRECISIONS,
  type Precision,
  describePrecision,
  encodeSplit,
  evaluate,
  loadLanguageModel,
  mixedPerplexities,
  ngramStreamLogProbs,
  readCorpusFile,
  rnnStreamLogProbs,
  useBackend,
} from '../../../src/node.js';
import { int, oneOf } from '../args.js';
import { type NgramMixOptions, resolveNgramMix, withNgramOptions } from './ngram.js';
import { BACKEND_CHOICES, type BackendChoice } from '../train-spec.js';

export function evalCommand(): Command {
  return withNgramOptions(new Command('eval'))
    .description('evaluate a trained model on a text file')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('--data <file>', 'text to evaluate (UTF-8)')
    .option('--batch-size <n>', 'evaluation streams', int(1), 10)
    .option('--bptt <n>', 'window length', int(1), 35)
    .option('--json', 'print one JSON object', false)
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--precision <p>', "matrix products: fp32 | bf16 (default: the model's own, from its config.json)", oneOf(PRECISIONS))
    .action(
      (
        o: {
          model: string;
          data: string;
          batchSize: number;
          bptt: number;
          json: boolean;
          backend: BackendChoice;
          precision?: Precision;
        } & NgramMixOptions,
      ) => {
        useBackend(o.backend);
        const { model, tokenizer } = loadLanguageModel(o.model, o.precision ? { precision: o.precision } : {});
        if (!o.json) console.log(`precision   ${describePrecision(model.config.precision)}`);
        const ids = encodeSplit(tokenizer, readCorpusFile(o.data), o.data);
        const mixed = resolveNgramMix(model, tokenizer, o, { batchSize: o.batchSize, bptt: o.bptt });
        if (mixed) {
          // RNN alone, n-gram alone and their mixture over the same predicted tokens.
          const p = mixedPerplexities(
            rnnStreamLogProbs(model, ids, { batchSize: o.batchSize, bptt: o.bptt }),
            ngramStreamLogProbs(mixed.mix, ids),
            mixed.mix.weight,
          );
          if (o.json) console.log(JSON.stringify(p));
          else {
            console.log(mixed.note);
            console.log(`tokens              ${p.tokens}`);
            console.log(`perplexity RNN      ${p.rnn.toFixed(2)}`);
            console.log(`perplexity n-gram   ${p.ngram.toFixed(2)}`);
            console.log(`perplexity mixed    ${p.mixed.toFixed(2)}  (λ = ${p.weight.toFixed(4)})`);
          }
          return;
        }
        const r = evaluate(model, ids, { batchSize: o.batchSize, bptt: o.bptt, batchSizeName: '--batch-size' });
        if (o.json) console.log(JSON.stringify(r));
        else {
          console.log(`tokens      ${r.tokens}`);
          console.log(`loss        ${r.loss.toFixed(4)} nats/token`);
          console.log(`perplexity  ${r.perplexity.toFixed(2)}`);
          console.log(`bits/token  ${r.bitsPerToken.toFixed(4)}${tokenizer.kind === 'char' ? ' (bits per character)' : ''}`);
          console.log(`accuracy    ${(100 * r.accuracy).toFixed(2)}%`);
        }
      },
    );
}
