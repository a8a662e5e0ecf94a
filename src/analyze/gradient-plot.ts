/**
 * Gradient-flow curves as an SVG string: mean ‖∂L_t/∂h_{t−k}‖ against the look-back k, one panel
 * per recurrent layer, one series per measured model (e.g. each cell at initialisation and after
 * training), on a log scale shared by all panels so layers compare too. Built from the pieces
 * of the training-curve plot (train/plot.ts), so both look alike. Pure: no DOM, no dependencies.
 */
import { RnnlmError } from '../errors.js';
import { type Box, type CurveSeries, extent, legend, linearAxis, logAxis, panel, svgOpen } from '../train/plot.js';
import type { GradientFlowResult } from './gradient-flow.js';

export interface GradientFlowEntry {
  /** Legend label, e.g. "lstm (trained)". */
  label: string;
  result: GradientFlowResult;
  /** Dashed line (e.g. the model at initialisation). */
  dashed?: boolean;
}

export interface GradientPlotOptions {
  title?: string;
  width?: number;
  height?: number;
}

const PALETTE = ['#1f5fbf', '#e8590c', '#2f9e44', '#c2255c', '#7048e8', '#1098ad', '#f08c00', '#495057', '#8fb3e3', '#f4a3a8'];
const CELL_COLORS: Record<string, string> = { lstm: '#1f5fbf', gru: '#2f9e44', rnn_tanh: '#e8590c', rnn_relu: '#c2255c', rnn_sigmoid: '#7048e8' };

/** One colour per cell, so a cell's dashed (init) and solid (trained) lines pair up; the palette when a cell/dash pair repeats. */
function colors(entries: readonly GradientFlowEntry[]): string[] {
  const key = (e: GradientFlowEntry): string => `${e.result.cell}/${e.dashed === true}`;
  const unique = new Set(entries.map(key)).size === entries.length;
  return entries.map((e, i) => (unique ? (CELL_COLORS[e.result.cell] ?? PALETTE[i % PALETTE.length]!) : PALETTE[i % PALETTE.length]!));
}

/** One series per entry for layer l (entries with fewer layers have none); zero or non-finite norms are dropped (log scale). */
export function gradientFlowSeries(entries: readonly GradientFlowEntry[], l: number): CurveSeries[] {
  const out: CurveSeries[] = [];
  const color = colors(entries);
  entries.forEach((e, i) => {
    const layer = e.result.layers[l];
    if (!layer) return;
    const points: [number, number][] = [];
    layer.meanNorm.forEach((v, k) => {
      if (Number.isFinite(v) && v > 0) points.push([k, v]);
    });
    if (points.length > 0) out.push({ name: e.label, color: color[i]!, markers: false, dashed: e.dashed === true, points });
  });
  return out;
}

export function renderGradientFlow(entries: readonly GradientFlowEntry[], opts: GradientPlotOptions = {}): string {
  if (!Array.isArray(entries) || entries.length === 0) throw new RnnlmError('invalid_argument', 'renderGradientFlow needs at least one measured model');
  const L = Math.max(...entries.map((e) => e.result.layers.length));
  const W = opts.width ?? 760;
  const H = opts.height ?? 100 + 250 * L;
  for (const [k, v] of [
    ['width', W],
    ['height', H],
  ] as const) {
    if (!(Number.isFinite(v) && v >= 200 && v <= 10000))
      throw new RnnlmError('invalid_argument', `plot ${k} must be a number of pixels in [200, 10000], got ${v}`);
  }
  const title = opts.title ?? 'Gradient flow through time';
  const out = svgOpen(W, H, title);
  const color = colors(entries);
  const all: CurveSeries[] = entries.map((e, i) => ({ name: e.label, color: color[i]!, markers: false, dashed: e.dashed === true, points: [] }));
  const legendEnd = legend(out, all, 42, W);
  const perLayer = Array.from({ length: L }, (_, l) => gradientFlowSeries(entries, l));
  const flat = perLayer.flat();
  if (flat.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#57606a">no non-zero gradient norms to plot</text>`);
    out.push('</svg>');
    return out.join('\n');
  }
  const [, kMax] = extent(flat, (p) => p[0]);
  const [gMin, gMax] = extent(flat, (p) => p[1]);
  const xAxis = linearAxis(0, Math.max(1, kMax));
  const yAxis = logAxis(gMin, gMax);
  const left = 72;
  const top = legendEnd + 18;
  const gap = 56;
  const bottomSpace = 44;
  const plotH = (H - top - bottomSpace - gap * (L - 1)) / L;
  for (let l = 0; l < L; l++) {
    const box: Box = { x: left, y: top + l * (plotH + gap), w: W - left - 20, h: plotH };
    const xTitle = l === L - 1 ? 'k (steps back from the predicted token)' : '';
    panel(out, box, perLayer[l]!, xAxis, yAxis, (v) => v, `layer-${l + 1}`, `mean ‖∂L_t/∂h_t−k‖, layer ${l + 1} (log)`, xTitle);
  }
  out.push('</svg>');
  return out.join('\n');
}
