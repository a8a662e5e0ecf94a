/**
 * `rnnlm import pytorch`: a PyTorch word_language_model state dict (saved as safetensors) and its
 * vocabulary become an rnnlm checkpoint directory (see src/io/torch-import.ts).
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import {
  RECURRENT_MODES,
  RnnlmError,
  type RecurrentMode,
  type Tokenizer,
  WordTokenizer,
  decodeSafetensors,
  languageModelFromTorch,
  readTextFile,
  saveLanguageModel,
  tokenizerFromJSON,
} from '../../../src/node.js';
import { oneOf } from '../args.js';

export interface ImportTorchOptions {
  weights: string;
  vocab?: string;
  tokenizer?: string;
  cell?: RecurrentMode;
  out: string;
}

/** A vocabulary file: one token per line, line k = id k (PyTorch's Dictionary.idx2word). */
export function vocabTokens(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function runImportTorch(o: ImportTorchOptions, write: (s: string) => void): void {
  if (!o.vocab === !o.tokenizer)
    throw new RnnlmError('invalid_argument', 'give the vocabulary: --vocab FILE (one word per line) or --tokenizer tokenizer.json');
  if (!fs.existsSync(o.weights)) throw new RnnlmError('file_not_found', `${o.weights} not found: give the safetensors file of the state dict`);
  const tokenizer: Tokenizer = o.vocab ? new WordTokenizer(vocabTokens(readTextFile(o.vocab))) : tokenizerFromJSON(JSON.parse(readTextFile(o.tokenizer!)));
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(o.weights)));
  const model = languageModelFromTorch(tensors, tokenizer, o.cell ? { cell: o.cell } : {});
  saveLanguageModel(o.out, model, tokenizer);
  const c = model.config;
  write(`imported ${c.cell} L=${c.numLayers} V=${c.vocabSize} E=${c.embedSize} H=${c.hiddenSize}${c.tieWeights ? ' tied' : ''} → ${o.out}\n`);
}

export function importCommand(): Command {
  const torch = new Command('pytorch')
    .description('a PyTorch word_language_model state dict (safetensors) + its vocabulary → an rnnlm checkpoint directory')
    .requiredOption('--weights <file>', 'the state dict as .safetensors (encoder.weight, rnn.weight_ih_l0, …, decoder.weight, decoder.bias)')
    .option('--vocab <file>', 'vocabulary, one word per line in id order (Dictionary.idx2word); must hold <eos> and <unk>')
    .option('--tokenizer <file>', 'an rnnlm tokenizer.json instead of --vocab')
    .option('--cell <name>', `${RECURRENT_MODES.join(' | ')} (needed for plain RNNs)`, oneOf(RECURRENT_MODES))
    .requiredOption('--out <dir>', 'checkpoint directory to write')
    .action((o: ImportTorchOptions) => runImportTorch(o, (s) => process.stdout.write(s)));
  return new Command('import').description('convert another runtime’s model to an rnnlm checkpoint').addCommand(torch);
}
