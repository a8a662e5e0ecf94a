/** `rnnlm plot`: training curves (loss and perplexity vs epoch or step) from a train-log.jsonl, as an SVG file. */
import { Command } from 'commander';
import * as path from 'node:path';
import { RnnlmError, parseTrainLog, platform, readTextFile, renderTrainingCurves } from '../../../src/node.js';
import { int, oneOf } from '../args.js';

interface PlotCliOptions {
  log: string;
  out?: string;
  x: 'auto' | 'epoch' | 'step';
  title?: string;
  width: number;
  height?: number;
  perplexity: boolean;
  gradNorm: boolean;
}

export function plotCommand(): Command {
  return new Command('plot')
    .description('draw the training curves of a run as an SVG image')
    .requiredOption('--log <file>', 'train-log.jsonl written by rnnlm train')
    .option('--out <file>', 'SVG to write (default: curves.svg next to the log)')
    .option('--x <axis>', 'x axis: epoch | step | auto', oneOf(['auto', 'epoch', 'step'] as const), 'auto')
    .option('--title <text>', 'plot title (default: the run directory)')
    .option('--width <px>', 'image width', int(200), 760)
    .option('--height <px>', 'image height (default: 560, or 340 without perplexity)', int(200))
    .option('--no-perplexity', 'no perplexity panel')
    .option('--grad-norm', 'add a panel with the gradient norm before clipping (log scale)', false)
    .action((o: PlotCliOptions) => {
      const records = parseTrainLog(readTextFile(o.log), o.log);
      if (!records.some((r) => r.kind === 'step' || r.kind === 'epoch')) {
        throw new RnnlmError(
          'invalid_argument',
          `${o.log} has no step or epoch records; give the train-log.jsonl that rnnlm train writes into its --out directory`,
        );
      }
      const out = o.out ?? path.join(path.dirname(o.log), 'curves.svg');
      const svg = renderTrainingCurves(records, {
        x: o.x,
        title: o.title ?? `Training curves: ${path.basename(path.dirname(path.resolve(o.log)))}`,
        width: o.width,
        perplexity: o.perplexity,
        gradNorm: o.gradNorm,
        ...(o.height !== undefined ? { height: o.height } : {}),
      });
      const p = platform();
      p.mkdirp(path.dirname(path.resolve(out)));
      p.writeFileAtomic(out, svg);
      console.log(`wrote ${out} (${records.length} records)`);
    });
}
