/**
 * Training curves as a self-contained SVG string: the records of a train-log.jsonl (written by
 * `rnnlm train`) → train loss (per logged step and per epoch) and validation loss vs epoch or
 * step, and the same series as perplexity (= e^loss, on a log scale) in a second panel.
 * Pure functions, no DOM and no dependencies, so the CLI (`rnnlm plot`) and the browser page
 * draw the same picture.
 *
 * Records understood (others are ignored, so the log format can grow):
 *   { kind: 'step',  step, epoch, batch?, batches?, loss, gradNorm? }  loss = mean train loss (nats/token) since the epoch began;
 *                                                               gradNorm = global gradient norm before clipping (optional panel)
 *   { kind: 'epoch', epoch, trainLoss, valid: { loss } | null }
 * A value that is missing, null (JSON's NaN) or infinite drops that point, never the plot.
 */
import { RnnlmError } from '../errors.js';

export type TrainLogRecord = Record<string, unknown>;
export type PlotXAxis = 'epoch' | 'step';

export interface PlotOptions {
  /** 'epoch' places a step at epoch − 1 + batch/batches; 'step' places an epoch at the last step logged before it. Default: epoch when the step records carry batch/batches. */
  x?: PlotXAxis | 'auto';
  width?: number;
  height?: number;
  title?: string;
  /** Add the perplexity panel (default true). */
  perplexity?: boolean;
  /** Add a panel with the global gradient norm before clipping of the logged steps (log scale; default false). */
  gradNorm?: boolean;
}

export interface CurveSeries {
  /** Legend label; also the path's data-series attribute. */
  name: string;
  color: string;
  /** Draw a dot at every point (sparse series). */
  markers: boolean;
  /** Draw the line dashed (e.g. a model at initialisation next to the trained one). */
  dashed?: boolean;
  /** [x, loss] pairs in log order, all finite. */
  points: [number, number][];
}

const COLORS = { trainStep: '#8fb3e3', trainEpoch: '#1f5fbf', valid: '#e8590c' };

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

/** Parses JSONL text (one record per line; blank lines skipped). A malformed line is an error naming its line number. */
export function parseTrainLog(text: string, what = 'training log'): TrainLogRecord[] {
  if (typeof text !== 'string') throw new RnnlmError('invalid_argument', 'parseTrainLog needs the text of a train-log.jsonl');
  const out: TrainLogRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new RnnlmError(
        'invalid_argument',
        `${what}, line ${i + 1}: not valid JSON (${(e as Error).message}); give a train-log.jsonl written by rnnlm train`,
      );
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      throw new RnnlmError('invalid_argument', `${what}, line ${i + 1}: expected a JSON object per line; give a train-log.jsonl written by rnnlm train`);
    }
    out.push(rec as TrainLogRecord);
  }
  return out;
}

/** The x axis 'auto' picks: epoch when every step record has batch/batches (or there are none), else step. */
export function chooseXAxis(records: readonly TrainLogRecord[]): PlotXAxis {
  const steps = records.filter((r) => r.kind === 'step');
  return steps.every((r) => Number.isFinite(num(r.batch)) && num(r.batches) > 0) ? 'epoch' : 'step';
}

/** The three loss series (train per step, train per epoch, valid per epoch) with non-finite points dropped. */
export function trainingSeries(records: readonly TrainLogRecord[], x: PlotXAxis): CurveSeries[] {
  const trainStep: CurveSeries = { name: 'train (logged steps)', color: COLORS.trainStep, markers: false, points: [] };
  const trainEpoch: CurveSeries = { name: 'train (epoch mean)', color: COLORS.trainEpoch, markers: true, points: [] };
  const valid: CurveSeries = { name: 'validation', color: COLORS.valid, markers: true, points: [] };
  let lastStep = NaN;
  const push = (s: CurveSeries, px: number, py: number): void => {
    if (Number.isFinite(px) && Number.isFinite(py)) s.points.push([px, py]);
  };
  for (const r of records) {
    if (r.kind === 'step') {
      const step = num(r.step);
      if (Number.isFinite(step)) lastStep = step;
      // Within-epoch position: the step that ends an epoch lands exactly on that epoch's number.
      const px = x === 'step' ? step : num(r.epoch) - 1 + num(r.batch) / num(r.batches);
      push(trainStep, px, num(r.loss));
    } else if (r.kind === 'epoch') {
      const px = x === 'step' ? lastStep : num(r.epoch);
      push(trainEpoch, px, num(r.trainLoss));
      const v = r.valid;
      if (typeof v === 'object' && v !== null) push(valid, px, num((v as Record<string, unknown>).loss));
    }
  }
  return [trainStep, trainEpoch, valid].filter((s) => s.points.length > 0);
}

/** The logged steps' gradient norms (before clipping) as one series; non-finite and non-positive values dropped (log scale). */
export function gradNormSeries(records: readonly TrainLogRecord[], x: PlotXAxis): CurveSeries {
  const s: CurveSeries = { name: 'gradient norm (before clipping)', color: '#2f9e44', markers: false, points: [] };
  for (const r of records) {
    if (r.kind !== 'step') continue;
    const px = x === 'step' ? num(r.step) : num(r.epoch) - 1 + num(r.batch) / num(r.batches);
    const g = num(r.gradNorm);
    if (Number.isFinite(px) && g > 0) s.points.push([px, g]);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Scales and ticks
// ---------------------------------------------------------------------------------------------

export interface Axis {
  lo: number;
  hi: number;
  ticks: number[];
  /** Data value → fraction of the axis length in [0, 1]. */
  frac(v: number): number;
  label(v: number): string;
}

/** 1, 2 or 5 × 10^k closest above `raw`. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function fmt(v: number, step: number): string {
  const decimals = Math.max(0, Math.min(12, -Math.floor(Math.log10(step) + 1e-9)));
  const s = v.toFixed(decimals);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

/** A linear axis widened to whole ticks, so it covers [min, max]; a single value gets a margin around it. */
export function linearAxis(min: number, max: number, count = 6): Axis {
  if (max - min < 1e-12 * Math.max(1, Math.abs(max))) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / count);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; lo + k * step <= hi + step * 1e-6; k++) ticks.push(lo + k * step);
  return { lo, hi, ticks, frac: (v) => (v - lo) / (hi - lo), label: (v) => fmt(v, step) };
}

/** A log10 axis over positive values: ticks at 1, 2, 5 × 10^k (or at linear steps within less than a decade). */
export function logAxis(min: number, max: number): Axis {
  let lo = Math.log10(min);
  let hi = Math.log10(max);
  if (hi - lo < 0.3) {
    // Less than a factor 2: linear ticks read better; keep log positions for consistency.
    const lin = linearAxis(min, max, 4);
    const l0 = lin.lo > 0 ? lin.lo : min / 1.05;
    lo = Math.log10(l0);
    hi = Math.log10(lin.hi);
    return { lo: l0, hi: lin.hi, ticks: lin.ticks.filter((t) => t > 0), frac: (v) => (Math.log10(v) - lo) / (hi - lo), label: lin.label };
  }
  const mantissas = hi - lo > 3 ? [1] : [1, 2, 5];
  // Over many decades (gradient norms), a tick every `every` decades keeps the labels apart.
  const every = Math.max(1, Math.ceil((hi - lo) / 8));
  const cands: number[] = [];
  for (let e = Math.floor(lo / every) * every - every; e <= Math.ceil(hi) + every; e += every) for (const m of mantissas) cands.push(m * 10 ** e);
  // Widen to the nearest candidate ticks on either side so the axis covers the data.
  const below = cands.filter((c) => c <= min * (1 + 1e-9));
  const above = cands.filter((c) => c >= max * (1 - 1e-9));
  const l = below[below.length - 1]!;
  const h = above[0]!;
  lo = Math.log10(l);
  hi = Math.log10(h);
  const ticks = cands.filter((c) => c >= l * (1 - 1e-9) && c <= h * (1 + 1e-9));
  const label = (v: number): string => (v >= 1e5 || v < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(6))));
  return { lo: l, hi: h, ticks, frac: (v) => (Math.log10(v) - lo) / (hi - lo), label };
}

// ---------------------------------------------------------------------------------------------
// SVG
// ---------------------------------------------------------------------------------------------

/** [min, max] of f over every point (a loop: spreading a long log into Math.min can overflow the stack). */
export function extent(series: readonly CurveSeries[], f: (p: [number, number]) => number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    for (const p of s.points) {
      const v = f(p);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return [lo, hi];
}

export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const r2 = (v: number): string => String(Math.round(v * 100) / 100);

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Draws one framed panel: grid, tick labels, axis titles and one path per series (y = map(point's value)). */
export function panel(
  out: string[],
  box: Box,
  series: CurveSeries[],
  xAxis: Axis,
  yAxis: Axis,
  map: (loss: number) => number,
  id: string,
  yTitle: string,
  xTitle: string,
): void {
  const X = (v: number): number => box.x + xAxis.frac(v) * box.w;
  const Y = (v: number): number => box.y + box.h - yAxis.frac(v) * box.h;
  out.push(`<g class="panel" data-panel="${id}">`);
  out.push(`<rect x="${r2(box.x)}" y="${r2(box.y)}" width="${r2(box.w)}" height="${r2(box.h)}" fill="#fafbfc" stroke="#d0d7de"/>`);
  // Grid lines and tick labels.
  out.push('<g class="axis-y" stroke="#e6e9ee">');
  for (const t of yAxis.ticks) out.push(`<line x1="${r2(box.x)}" x2="${r2(box.x + box.w)}" y1="${r2(Y(t))}" y2="${r2(Y(t))}"/>`);
  out.push('</g><g class="axis-x" stroke="#e6e9ee">');
  for (const t of xAxis.ticks) out.push(`<line x1="${r2(X(t))}" x2="${r2(X(t))}" y1="${r2(box.y)}" y2="${r2(box.y + box.h)}"/>`);
  out.push('</g><g class="tick-labels" fill="#57606a">');
  for (const t of yAxis.ticks) {
    out.push(`<text x="${r2(box.x - 6)}" y="${r2(Y(t) + 4)}" text-anchor="end" data-axis="y">${esc(yAxis.label(t))}</text>`);
  }
  for (const t of xAxis.ticks) {
    out.push(`<text x="${r2(X(t))}" y="${r2(box.y + box.h + 16)}" text-anchor="middle" data-axis="x">${esc(xAxis.label(t))}</text>`);
  }
  out.push('</g>');
  const cy = box.y + box.h / 2;
  out.push(
    `<text x="${r2(box.x - 46)}" y="${r2(cy)}" transform="rotate(-90 ${r2(box.x - 46)} ${r2(cy)})" text-anchor="middle" fill="#24292f">${esc(yTitle)}</text>`,
  );
  if (xTitle) out.push(`<text x="${r2(box.x + box.w / 2)}" y="${r2(box.y + box.h + 34)}" text-anchor="middle" fill="#24292f">${esc(xTitle)}</text>`);
  // One path per series: "M x,y L x,y …", one command per record.
  for (const s of series) {
    const d = s.points.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${r2(X(px))},${r2(Y(map(py)))}`).join(' ');
    const width = s.markers ? 2 : 1.5;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<path class="series" data-series="${esc(s.name)}" data-points="${s.points.length}" d="${d}" fill="none" stroke="${s.color}" stroke-width="${width}" stroke-linejoin="round"${dash}/>`,
    );
    // A lone point draws no line: give it a dot whatever the series.
    if (s.markers || s.points.length === 1) {
      out.push(`<g class="markers" fill="${s.color}">`);
      for (const [px, py] of s.points) out.push(`<circle cx="${r2(X(px))}" cy="${r2(Y(map(py)))}" r="3"/>`);
      out.push('</g>');
    }
  }
  out.push('</g>');
}

/** The opening of a plot's SVG document: root element, title, white background, heading. */
export function svgOpen(W: number, H: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12" role="img" aria-label="${esc(title)}">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600" fill="#24292f">${esc(title)}</text>`,
  ];
}

/** Legend entries in rows from y (wrapping at width W); returns the y of the last row. */
export function legend(out: string[], series: readonly CurveSeries[], y: number, W: number): number {
  out.push('<g class="legend">');
  let lx = 70;
  for (const s of series) {
    const w = 36 + 7 * s.name.length;
    if (lx > 70 && lx + w > W) {
      lx = 70;
      y += 18;
    }
    out.push(
      `<line x1="${lx}" x2="${lx + 22}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="${s.markers ? 2 : 1.5}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    if (s.markers) out.push(`<circle cx="${lx + 11}" cy="${y}" r="3" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 28}" y="${y + 4}" fill="#24292f">${esc(s.name)}</text>`);
    lx += w;
  }
  out.push('</g>');
  return y;
}

/**
 * Renders the curves of a training log as an SVG document (a string). Records with no finite
 * values give a small SVG that says so instead of an error, so a page can show any log.
 */
export function renderTrainingCurves(records: readonly TrainLogRecord[], opts: PlotOptions = {}): string {
  if (!Array.isArray(records)) throw new RnnlmError('invalid_argument', 'renderTrainingCurves needs an array of training-log records (see parseTrainLog)');
  const W = opts.width ?? 760;
  const withPpl = opts.perplexity ?? true;
  const withGrad = opts.gradNorm ?? false;
  const nPanels = 1 + (withPpl ? 1 : 0) + (withGrad ? 1 : 0);
  const H = opts.height ?? [340, 560, 780][nPanels - 1]!;
  for (const [k, v] of [
    ['width', W],
    ['height', H],
  ] as const) {
    if (!(Number.isFinite(v) && v >= 200 && v <= 10000))
      throw new RnnlmError('invalid_argument', `plot ${k} must be a number of pixels in [200, 10000], got ${v}`);
  }
  const xKind = !opts.x || opts.x === 'auto' ? chooseXAxis(records) : opts.x;
  if (xKind !== 'epoch' && xKind !== 'step') throw new RnnlmError('invalid_argument', `plot x axis must be epoch, step or auto, got ${String(opts.x)}`);
  const series = trainingSeries(records, xKind);
  const title = opts.title ?? 'Training curves';
  const out = svgOpen(W, H, title);
  if (series.length === 0) {
    out.push(
      `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#57606a">no finite loss values to plot (the log has no step or epoch records with a loss)</text>`,
    );
    out.push('</svg>');
    return out.join('\n');
  }

  legend(out, series, 42, W);

  const [xMin, xMax] = extent(series, (p) => p[0]);
  const [lMin, lMax] = extent(series, (p) => p[1]);
  const xAxis = linearAxis(xMin, xMax);
  const xTitle = xKind === 'epoch' ? 'epoch' : 'step';
  const left = 72;
  const right = 20;
  const top = 58;
  const gap = 56;
  const bottomSpace = 44;
  const plotH = (H - top - bottomSpace - gap * (nPanels - 1)) / nPanels;
  const lossBox: Box = { x: left, y: top, w: W - left - right, h: plotH };
  panel(out, lossBox, series, xAxis, linearAxis(lMin, lMax, 5), (l) => l, 'loss', 'loss (nats/token)', nPanels > 1 ? '' : xTitle);
  if (withPpl) {
    // exp() of a finite loss can overflow: those points stay in the loss panel only.
    const pplSeries = series.map((s) => ({ ...s, points: s.points.filter(([, l]) => Number.isFinite(Math.exp(l))) })).filter((s) => s.points.length > 0);
    if (pplSeries.length > 0) {
      const [pMin, pMax] = extent(pplSeries, (p) => Math.exp(p[1]));
      const pplBox: Box = { x: left, y: top + plotH + gap, w: lossBox.w, h: plotH };
      panel(out, pplBox, pplSeries, xAxis, logAxis(pMin, pMax), Math.exp, 'perplexity', 'perplexity (log scale)', withGrad ? '' : xTitle);
    }
  }
  if (withGrad) {
    const g = gradNormSeries(records, xKind);
    const gradBox: Box = { x: left, y: top + (nPanels - 1) * (plotH + gap), w: lossBox.w, h: plotH };
    if (g.points.length > 0) {
      const [gMin, gMax] = extent([g], (p) => p[1]);
      panel(out, gradBox, [g], xAxis, logAxis(gMin, gMax), (v) => v, 'grad-norm', 'gradient norm (log)', xTitle);
    } else {
      out.push(
        `<text x="${r2(gradBox.x + gradBox.w / 2)}" y="${r2(gradBox.y + gradBox.h / 2)}" text-anchor="middle" fill="#57606a">no gradient norms in this log</text>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
