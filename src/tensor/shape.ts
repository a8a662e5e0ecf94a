/** Shape helpers: sizes, equality and readable shape errors. */
import { RnnlmError } from '../errors.js';

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeEquals(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Throws `shape_mismatch` naming `what` unless `actual` equals `expected` (-1 matches any size). */
export function expectShape(what: string, actual: Shape, expected: Shape): void {
  const ok = actual.length === expected.length && expected.every((d, i) => d === -1 || d === actual[i]);
  if (!ok) {
    throw new RnnlmError(
      'shape_mismatch',
      `${what} has shape ${fmtShape(actual)} but ${fmtShape(expected.map((d) => (d === -1 ? '*' : d)) as never)} was expected`,
    );
  }
}

export function checkShape(shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RnnlmError('shape_mismatch', `invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`);
    }
  }
}
