/**
 * `rnnlm analyze gradients`: how far back gradients reach. Measures mean ‖∂L_t/∂h_{t−k}‖ (k = 0…K)
 * per layer on windows of a text, for trained checkpoints, for the same checkpoints re-initialised
 * (--at-init), and for fresh models of any cell (--cell), and draws them in one SVG.
 */
import { Command } from 'commander';
import * as path from 'node:path';
import {
  type GradientFlowEntry,
  RNNLM,
  type RecurrentMode,
  RnnlmError,
  type Tokenizer,
  buildTokenizer,
  encodeSplit,
  gradientFlow,
  loadLanguageModel,
  platform,
  readCorpusFile,
  readTextFile,
  renderGradientFlow,
  useBackend,
} from '../../../src/node.js';
import { int, num, oneOf } from '../args.js';
import { BACKEND_CHOICES, type BackendChoice } from '../train-spec.js';

const CELLS: RecurrentMode[] = ['rnn_tanh', 'rnn_relu', 'rnn_sigmoid', 'gru', 'lstm'];

interface GradientsCliOptions {
  model: string[];
  atInit: boolean;
  cell?: string;
  data?: string;
  replot?: string;
  tokenizer: 'word' | 'char';
  emb: number;
  hidden: number;
  layers: number;
  initRange?: number;
  seed: number;
  k: number;
  windows: number;
  batchSize: number;
  out: string;
  json?: string;
  title?: string;
  backend: BackendChoice;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function parseCells(list: string): RecurrentMode[] {
  const cells = list
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const bad = cells.filter((c) => !(CELLS as string[]).includes(c));
  if (cells.length === 0 || bad.length > 0) {
    throw new RnnlmError('invalid_argument', `--cell takes a comma-separated list of ${CELLS.join(', ')}; got "${list}"`);
  }
  return cells as RecurrentMode[];
}

function gradientsCommand(): Command {
  return new Command('gradients')
    .description('plot mean ‖∂L_t/∂h_{t−k}‖ against k per layer: vanishing/exploding gradients of checkpoints or fresh models')
    .option('--data <file>', 'text whose windows are measured (UTF-8), e.g. ptb.valid.txt (required unless --replot)')
    .option('--model <dir>', 'a checkpoint directory (repeat for several)', collect, [])
    .option('--at-init', 'also measure each --model re-initialised (same configuration and seed, untrained)', false)
    .option('--cell <list>', `fresh models of these cells, comma-separated (${CELLS.join(', ')})`)
    .option('--tokenizer <kind>', 'fresh models: vocabulary built from --data: word | char', oneOf(['word', 'char'] as const), 'word')
    .option('--emb <n>', 'fresh models: embedding size', int(1), 200)
    .option('--hidden <n>', 'fresh models: hidden size', int(1), 200)
    .option('--layers <n>', 'fresh models: recurrent layers', int(1), 2)
    .option('--init-range <r>', 'fresh models: embedding/decoder init U(±r) (default PyTorch layer init)', num(0))
    .option('--seed <n>', 'fresh models: random seed', int(0), 1)
    .option('--k <n>', 'look-back: steps k = 0…K measured', int(1), 40)
    .option('--windows <n>', 'windows averaged over (each predicts one token per stream)', int(1), 20)
    .option('--batch-size <n>', 'streams the text is cut into', int(1), 10)
    .option('--out <file>', 'SVG to write', 'gradient-flow.svg')
    .option('--json <file>', 'also write the measured norms as JSON')
    .option('--title <text>', 'plot title')
    .option('--replot <json>', 'redraw the SVG from a --json file written earlier (measures nothing)')
    .option('--backend <name>', BACKEND_CHOICES.join(' | '), oneOf(BACKEND_CHOICES), 'auto')
    .action((o: GradientsCliOptions) => {
      useBackend(o.backend);
      const p = platform();
      const write = (entries: GradientFlowEntry[], what: string): void => {
        const svg = renderGradientFlow(entries, { title: o.title ?? `Gradient flow on ${path.basename(what)}: mean ‖∂L_t/∂h_t−k‖` });
        p.mkdirp(path.dirname(path.resolve(o.out)));
        p.writeFileAtomic(o.out, svg);
        console.log(`wrote ${o.out}`);
      };
      if (o.replot) {
        const saved = JSON.parse(readTextFile(o.replot)) as { data?: string; entries?: GradientFlowEntry[] };
        if (!Array.isArray(saved.entries)) throw new RnnlmError('invalid_argument', `${o.replot} has no "entries"; give a file written by --json`);
        // Files from before the dashed flag: a model at initialisation is labelled "(init)".
        write(
          saved.entries.map((e) => ({ ...e, dashed: e.dashed ?? / \(init\)$/.test(e.label) })),
          saved.data ?? o.replot,
        );
        return;
      }
      if (!o.data) throw new RnnlmError('invalid_argument', 'give --data, the text to measure on (or --replot a saved --json)');
      if (o.model.length === 0 && !o.cell) throw new RnnlmError('invalid_argument', 'give at least one --model checkpoint or --cell list to measure');
      const text = readCorpusFile(o.data);
      const targets: { label: string; model: RNNLM; tokenizer: Tokenizer; dashed: boolean }[] = [];
      for (const dir of o.model) {
        const { model, tokenizer } = loadLanguageModel(dir);
        const name = path.basename(path.resolve(dir));
        if (o.atInit) targets.push({ label: `${name} (init)`, model: new RNNLM({ ...model.config }), tokenizer, dashed: true });
        targets.push({ label: `${name} (trained)`, model, tokenizer, dashed: false });
      }
      if (o.cell) {
        const tokenizer = buildTokenizer(text, { tokenizer: o.tokenizer });
        for (const cell of parseCells(o.cell)) {
          const model = new RNNLM({
            vocabSize: tokenizer.vocabSize,
            embedSize: o.emb,
            hiddenSize: o.hidden,
            numLayers: o.layers,
            cell,
            seed: o.seed,
            ...(o.initRange !== undefined ? { init: o.initRange } : {}),
          });
          targets.push({ label: `${cell} (init)`, model, tokenizer, dashed: true });
        }
      }
      const entries: GradientFlowEntry[] = [];
      for (const t of targets) {
        t.model.eval();
        const ids = encodeSplit(t.tokenizer, text, o.data);
        const result = gradientFlow(t.model, ids, { K: o.k, windows: o.windows, batchSize: o.batchSize });
        entries.push({ label: t.label, result, dashed: t.dashed });
        const last = (l: number): string => result.layers[l]!.meanNorm[o.k]!.toExponential(2);
        const first = (l: number): string => result.layers[l]!.meanNorm[0]!.toExponential(2);
        const layers = result.layers.map((_, l) => `layer ${l + 1}: k=0 ${first(l)} → k=${o.k} ${last(l)}`).join('; ');
        console.log(`${t.label}: ${result.cell}, loss ${result.loss.toFixed(3)} nats; ${layers}`);
      }
      write(entries, o.data);
      if (o.json) {
        const meta = { data: o.data, k: o.k, windows: o.windows, batchSize: o.batchSize };
        p.mkdirp(path.dirname(path.resolve(o.json)));
        p.writeFileAtomic(o.json, `${JSON.stringify({ ...meta, entries }, null, 1)}\n`);
        console.log(`wrote ${o.json}`);
      }
    });
}

export function analyzeCommand(): Command {
  return new Command('analyze').description('look inside models: gradient flow through time').addCommand(gradientsCommand());
}
