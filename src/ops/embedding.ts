/**
 * Embedding lookup, differentiable in the table.
 * Legend: V vocabulary, E embedding size, N looked-up ids.
 */
import { kernelsFor } from '../backend/backend.js';
import { gradBuffer, needsGrad, outputGrad, record } from '../autograd/graph.js';
import { expectShape } from '../tensor/shape.js';
import { Tensor, allocArray } from '../tensor/tensor.js';
import { checkIds } from './util.js';

/** weight [V,E], ids [N] → [N,E]. */
export function embedding(weight: Tensor, ids: Int32Array): Tensor {
  expectShape('embedding: weight', weight.shape, [-1, -1]);
  const [V, E] = weight.shape as [number, number];
  checkIds('embedding', ids, V);
  const k = kernelsFor(weight.data);
  const out = new Tensor(allocArray(weight.dtype, ids.length * E), [ids.length, E]);
  k.embeddingForward(weight.data, ids, E, out.data);
  if (needsGrad(weight)) {
    const idsCopy = ids.slice(); // the caller may reuse its id buffer before backward
    record('embedding', [weight], [out], () => {
      const g = outputGrad(out);
      if (g) k.embeddingBackward(g, idsCopy, E, gradBuffer(weight));
    });
  }
  return out;
}
