/** `rnnlm generate`: stream a continuation of a prompt from a checkpoint. */
import { Command } from 'commander';
import { PRECISIONS, type Precision, beamSearch, generateTokens, loadLanguageModel, topCandidates, useBackend } from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';
import { BACKEND_CHOICES, type BackendChoice } from '../train-spec.js';

interface GenerateCliOptions {
  model: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed?: number;
  greedy: boolean;
  beam?: number;
  lengthPenalty: number;
  candidates?: number;
  backend: BackendChoice;
  precision?: Precision;
}

export function generateCommand(): Command {
  return new Command('generate')
    .description('generate text from a trained model')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .option('--prompt <text>', 'text to continue', '')
    .option('--max-tokens <n>', 'tokens to generate', int(0), 200)
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', num(0), 1)
    .option('--top-k <k>', 'sample from the k most likely tokens (0 = all)', int(0), 0)
    .option('--top-p <p>', 'nucleus sampling mass (1 = off)', num(0.000001, 1), 1)
    .option('--seed <n>', 'random seed (default: time)', int(0))
    .option('--greedy', 'always take the most likely token', false)
    .option('--beam <n>', 'beam search with n hypotheses (deterministic; sampling options are ignored)', int(1))
    .option('--length-penalty <a>', 'beam search: GNMT length penalty exponent α, score = logp / ((5+len)/6)^α', num(0), 0)
    .option('--candidates <k>', 'instead of generating, list the k most probable next tokens after the prompt with their probabilities', int(1))
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .option('--precision <p>', "matrix products: fp32 | bf16 (default: the model's own, from its config.json)", oneOf(PRECISIONS))
    .action((o: GenerateCliOptions) => {
      useBackend(o.backend);
      const { model, tokenizer } = loadLanguageModel(o.model, o.precision ? { precision: o.precision } : {});
      if (o.candidates !== undefined) {
        // The distribution the first generated token is drawn from is p(· | prompt).
        const [first] = generateTokens(model, tokenizer, { prompt: o.prompt, maxTokens: 1, temperature: 0 });
        const top = topCandidates(first!.logProbs, o.candidates);
        const shown = (id: number): string => (id === tokenizer.eosId ? '<eos>' : JSON.stringify(tokenizer.tokenText(id)).slice(1, -1));
        const width = Math.max(5, ...top.map((c) => shown(c.id).length));
        console.log(`next token after ${o.prompt ? JSON.stringify(o.prompt) : 'the start of a text'}:`);
        top.forEach((c, i) => {
          const pct = (100 * Math.exp(c.logProb)).toFixed(2).padStart(6);
          console.log(`${String(i + 1).padStart(3)}  ${shown(c.id).padEnd(width)}  ${pct}%  log p ${c.logProb.toFixed(3)}`);
        });
        return;
      }
      const sep = tokenizer.kind === 'word' ? ' ' : '';
      // A BPE prompt's last word is closed by the tokenizer, so the continuation starts a new word.
      process.stdout.write(o.prompt + (o.prompt && tokenizer.kind === 'bpe' ? ' ' : ''));
      if (o.beam !== undefined) {
        const [best] = beamSearch(model, tokenizer, { prompt: o.prompt, beamSize: o.beam, maxTokens: o.maxTokens, lengthPenalty: o.lengthPenalty });
        const text = best?.text ?? '';
        process.stdout.write(`${o.prompt && text && tokenizer.kind === 'word' ? ' ' : ''}${text}\n`);
        return;
      }
      for (const t of generateTokens(model, tokenizer, {
        prompt: o.prompt,
        maxTokens: o.maxTokens,
        temperature: o.greedy ? 0 : o.temperature,
        topK: o.topK,
        topP: o.topP,
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
      })) {
        process.stdout.write(t.id === tokenizer.eosId ? '\n' : sep + t.text);
      }
      process.stdout.write('\n');
    });
}
