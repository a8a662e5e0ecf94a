/**
 * Exports a checkpoint directory to ONNX files: a language model to one file, a translation
 * model to `<stem>.encoder.onnx` and `<stem>.decoder.onnx` (see lm.ts and seq2seq.ts).
 */
import { RnnlmError } from '../../errors.js';
import { platform, readTextFile } from '../../platform/platform.js';
import { loadTranslationModel } from '../../translate/io.js';
import { CHECKPOINT_FILES } from '../checkpoint.js';
import { loadLanguageModel } from '../lm.js';
import { type OnnxExportOptions, exportLanguageModelOnnx } from './lm.js';
import { exportTranslationOnnx } from './seq2seq.js';

export interface OnnxExportResult {
  architecture: 'rnnlm' | 'seq2seq';
  /** Files written, with their sizes in bytes. */
  files: { path: string; bytes: number }[];
}

/** The architecture recorded in a checkpoint's config.json ('rnnlm' or 'seq2seq'). */
export function checkpointArchitecture(dir: string): 'rnnlm' | 'seq2seq' {
  const p = platform();
  const path = p.joinPath(dir, CHECKPOINT_FILES.config);
  if (!p.exists(path)) throw new RnnlmError('file_not_found', `${path} not found: --model must be an rnnlm checkpoint directory`);
  let arch: unknown;
  try {
    arch = (JSON.parse(readTextFile(path)) as { model?: { architecture?: unknown } }).model?.architecture;
  } catch (e) {
    throw new RnnlmError('corrupt_checkpoint', `${path} is not valid JSON (${(e as Error).message}); re-save the checkpoint`);
  }
  if (arch !== 'rnnlm' && arch !== 'seq2seq')
    throw new RnnlmError('corrupt_checkpoint', `${path}: unknown architecture ${JSON.stringify(arch)} (expected "rnnlm" or "seq2seq")`);
  return arch;
}

/** `out` without a final `.onnx`, the stem of a translation model's two files. */
export function onnxStem(out: string): string {
  return out.endsWith('.onnx') ? out.slice(0, -'.onnx'.length) : out;
}

/** Loads the checkpoint in `dir` and writes its ONNX file(s) at `out` (see the header). */
export function exportCheckpointToOnnx(dir: string, out: string, opts: OnnxExportOptions = {}): OnnxExportResult {
  if (typeof out !== 'string' || out === '') throw new RnnlmError('invalid_argument', 'give the output path of the .onnx file');
  const p = platform();
  const arch = checkpointArchitecture(dir);
  const written: [string, Uint8Array][] = [];
  if (arch === 'rnnlm') {
    const { model, tokenizer } = loadLanguageModel(dir);
    written.push([out, exportLanguageModelOnnx(model, tokenizer, opts)]);
  } else {
    const { model, src, tgt } = loadTranslationModel(dir);
    const { encoder, decoder } = exportTranslationOnnx(model, { src, tgt }, opts);
    const stem = onnxStem(out);
    written.push([`${stem}.encoder.onnx`, encoder], [`${stem}.decoder.onnx`, decoder]);
  }
  for (const [path, bytes] of written) p.writeFileAtomic(path, bytes);
  return { architecture: arch, files: written.map(([path, bytes]) => ({ path, bytes: bytes.length })) };
}
