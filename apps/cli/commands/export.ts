/**
 * `rnnlm export onnx`: a checkpoint as ONNX file(s) that ONNX Runtime runs (see src/io/onnx):
 * a language model as one graph, a translation model as an encoder and a decoder-step graph.
 */
import { Command } from 'commander';
import { exportCheckpointToOnnx } from '../../../src/node.js';

export interface ExportOnnxOptions {
  model: string;
  out: string;
}

export function runExportOnnx(o: ExportOnnxOptions, write: (s: string) => void): void {
  const r = exportCheckpointToOnnx(o.model, o.out);
  for (const f of r.files) write(`wrote ${f.path} (${(f.bytes / 1e6).toFixed(2)} MB)\n`);
}

export function exportCommand(): Command {
  const onnx = new Command('onnx')
    .description(
      'write a checkpoint as ONNX (opset 14, ONNX LSTM/GRU/RNN operators, the state as explicit inputs/outputs); ' +
        'a translation model becomes <out>.encoder.onnx and <out>.decoder.onnx',
    )
    .requiredOption('--model <dir>', 'checkpoint directory (language or translation model)')
    .requiredOption('--out <file>', 'the .onnx file to write')
    .action((o: ExportOnnxOptions) => runExportOnnx(o, (s) => process.stdout.write(s)));
  return new Command('export').description('convert a checkpoint to another runtime’s format').addCommand(onnx);
}
