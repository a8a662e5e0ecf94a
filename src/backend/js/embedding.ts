/**
 * Embedding lookup and its gradient for the js reference backend.
 *
 * Dimension legend: V vocabulary, E embedding size, N looked-up ids (usually T·B).
 * weight [V, E], ids [N], out / dOut [N, E].
 */
import { RnnlmError } from '../../errors.js';
import type { F } from '../kernels.js';
import { checkSizes, needLength, sameDtype } from './checks.js';

/** out[n, :] = weight[ids[n], :]. */
export function embeddingForward(weight: F, ids: Int32Array, E: number, out: F): void {
  const N = ids.length;
  checkEmbedding('embeddingForward', weight, ids, E, out, 'out');
  for (let n = 0; n < N; n++) {
    const src = ids[n]! * E; // weight[ids[n], 0]
    out.set(weight.subarray(src, src + E), n * E); // out[n, :]
  }
}

/** dWeight[ids[n], :] += dOut[n, :] (accumulates; a repeated id adds up all its rows). */
export function embeddingBackward(dOut: F, ids: Int32Array, E: number, dWeight: F): void {
  const N = ids.length;
  checkEmbedding('embeddingBackward', dWeight, ids, E, dOut, 'dOut');
  for (let n = 0; n < N; n++) {
    const dst = ids[n]! * E; // dWeight[ids[n], 0]
    const src = n * E; // dOut[n, 0]
    for (let e = 0; e < E; e++) dWeight[dst + e]! += dOut[src + e]!;
  }
}

/** Sizes, dtypes, and every id in [0, V): an id past the table would silently read undefined. */
export function checkEmbedding(kernel: string, table: F, ids: Int32Array, E: number, rows: F, rowsName: string): void {
  checkSizes(kernel, { E });
  sameDtype(kernel, table, rows);
  needLength(kernel, rowsName, rows, ids.length * E);
  if (E === 0) return;
  const V = Math.floor(table.length / E);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V) {
      throw new RnnlmError(
        'invalid_argument',
        `${kernel}: token id ${id} at position ${n} is outside the vocabulary [0, ${V}); check the tokenizer and vocabulary size`,
      );
    }
  }
}
