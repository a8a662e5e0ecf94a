/**
 * A labelled heatmap as a self-contained SVG string, for attention maps: one column per source
 * token, one row per target token, each cell shaded by its weight in [0, 1] (darker = more
 * attention) with the value in its tooltip. Pure: no DOM, so the CLI and the page draw the same.
 * Legend: R rows (target tokens), C columns (source tokens).
 */
import { RnnlmError } from '../errors.js';
import { esc, r2, svgOpen } from '../train/plot.js';

export interface HeatmapData {
  /** R row labels (drawn left). */
  rows: readonly string[];
  /** C column labels (drawn on top, slanted). */
  cols: readonly string[];
  /** [R,C] row-major, each in [0, 1]. */
  values: ArrayLike<number>;
}

export interface HeatmapOptions {
  title?: string;
  /** Side of one cell in pixels (default 28). */
  cell?: number;
  /** Axis captions. */
  rowTitle?: string;
  colTitle?: string;
}

const clip = (s: string, n = 14): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function renderHeatmap(d: HeatmapData, opts: HeatmapOptions = {}): string {
  const R = d.rows.length;
  const C = d.cols.length;
  if (R === 0 || C === 0) throw new RnnlmError('invalid_argument', 'a heatmap needs at least one row and one column');
  if (d.values.length !== R * C) throw new RnnlmError('shape_mismatch', `heatmap: ${d.values.length} values for ${R} rows × ${C} columns`);
  const cell = opts.cell ?? 28;
  if (!(Number.isFinite(cell) && cell >= 8 && cell <= 200))
    throw new RnnlmError('invalid_argument', `heatmap cell size must be in [8, 200] pixels, got ${cell}`);
  const longest = (ls: readonly string[]): number => Math.max(...ls.map((l) => clip(l).length));
  const left = 40 + 7 * longest(d.rows);
  const top = 70 + 5.5 * longest(d.cols); // slanted labels need height
  const W = Math.max(320, left + C * cell + 60);
  const H = top + R * cell + 40;
  const title = opts.title ?? 'Attention';
  const out = svgOpen(W, H, title);
  out.push('<g class="col-labels" fill="#24292f">');
  d.cols.forEach((label, c) => {
    const x = left + (c + 0.5) * cell;
    const y = top - 8;
    out.push(`<text x="${r2(x)}" y="${r2(y)}" transform="rotate(-50 ${r2(x)} ${r2(y)})" data-col="${c}">${esc(clip(label))}</text>`);
  });
  out.push('</g><g class="row-labels" fill="#24292f">');
  d.rows.forEach((label, r) => {
    out.push(`<text x="${r2(left - 8)}" y="${r2(top + (r + 0.5) * cell + 4)}" text-anchor="end" data-row="${r}">${esc(clip(label))}</text>`);
  });
  out.push('</g><g class="cells">');
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const raw = d.values[r * C + c]!;
      const v = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0;
      const tip = `${d.rows[r]} ← ${d.cols[c]}: ${raw.toFixed(3)}`;
      out.push(
        `<rect x="${r2(left + c * cell)}" y="${r2(top + r * cell)}" width="${cell}" height="${cell}" fill="#1f5fbf" fill-opacity="${v.toFixed(3)}" ` +
          `stroke="#e6e9ee" data-row="${r}" data-col="${c}" data-weight="${raw.toFixed(4)}"><title>${esc(tip)}</title></rect>`,
      );
    }
  }
  out.push('</g>');
  if (opts.colTitle) out.push(`<text x="${r2(left + (C * cell) / 2)}" y="44" text-anchor="middle" fill="#57606a">${esc(opts.colTitle)}</text>`);
  if (opts.rowTitle) {
    const cy = top + (R * cell) / 2;
    out.push(`<text x="14" y="${r2(cy)}" transform="rotate(-90 14 ${r2(cy)})" text-anchor="middle" fill="#57606a">${esc(opts.rowTitle)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
