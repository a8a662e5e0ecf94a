/**
 * Reverse-mode autograd over fused ops. Each op that produces a tensor from tensors that
 * require grad attaches a GradNode to its outputs; backward() orders the nodes topologically
 * and runs each once. Ops are coarse (a whole recurrent layer over T steps is one node), so
 * the graph of one BPTT window has tens of nodes, not T × layers × gates.
 * The graph is single-use: backward frees it, as PyTorch does without retain_graph.
 */
import { RnnlmError } from '../errors.js';
import { kernelsFor } from '../backend/backend.js';
import { type FloatArray, type GradNode, Tensor, allocArray } from '../tensor/tensor.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording a graph (evaluation, generation, finite differences). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True when an op on these inputs must record a node. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t?.requiresGrad) return true;
  return false;
}

export interface Node extends GradNode {
  readonly outputs: readonly Tensor[];
}

/** Records `backward` as the producer of `outputs`. */
export function record(name: string, inputs: readonly Tensor[], outputs: readonly Tensor[], run: () => void): void {
  const node: Node = { name, inputs, outputs, backward: run };
  for (const o of outputs) {
    o.requiresGrad = true;
    o.gradFn = node;
  }
}

/**
 * Hands `write` a buffer for t's gradient. If t has no gradient yet, the buffer IS the new
 * gradient (so kernels that overwrite need no extra copy); otherwise write goes to scratch
 * that is then added in. Does nothing when t does not require grad.
 */
export function accumulateGrad(t: Tensor, write: (buf: FloatArray) => void): void {
  if (!t.requiresGrad) return;
  if (t.grad === null) {
    const g = new Tensor(t.gradStorage(false), t.shape);
    write(g.data);
    t.grad = g;
    return;
  }
  const tmp = allocArray(t.dtype, t.size);
  write(tmp);
  kernelsFor(tmp).axpy(1, tmp, t.grad.data);
}

/**
 * For kernels with a beta (out = beta·out + …): `write(buf, 0)` into new storage when t has no
 * gradient yet, else `write(t.grad, 1)` onto it, so neither zeroing nor scratch is needed.
 */
export function writeGrad(t: Tensor, write: (buf: FloatArray, beta: 0 | 1) => void): void {
  if (!t.requiresGrad) return;
  if (t.grad !== null) {
    write(t.grad.data, 1);
    return;
  }
  const g = new Tensor(t.gradStorage(false), t.shape);
  write(g.data, 0);
  t.grad = g;
}

/** Adds `buf`, a gradient the caller computed and hands over, to t's gradient (it becomes it when t has none). */
export function addGrad(t: Tensor, buf: FloatArray): void {
  if (!t.requiresGrad) return;
  if (t.grad === null) t.grad = new Tensor(buf, t.shape);
  else kernelsFor(buf).axpy(1, buf, t.grad.data);
}

/** Gradient buffer of t that kernels may ACCUMULATE into (zeros when t had none). */
export function gradBuffer(t: Tensor): FloatArray {
  if (t.grad === null) t.grad = new Tensor(t.gradStorage(true), t.shape);
  return t.grad.data;
}

/** The gradient flowing into an op's output, or null when the output did not influence the loss. */
export function outputGrad(t: Tensor): FloatArray | null {
  return t.grad === null ? null : t.grad.data;
}

/**
 * Back-propagates from `root` (a one-element loss, or any tensor with an explicit `grad`),
 * accumulating into the `.grad` of every leaf tensor that requires grad.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) {
    throw new RnnlmError('invalid_argument', 'backward() on a tensor that does not require grad: no parameter reached it (was it computed under noGrad?)');
  }
  if (grad) {
    if (grad.size !== root.size) throw new RnnlmError('shape_mismatch', 'backward(): grad must have the shape of the root tensor');
    root.grad = grad.clone();
  } else {
    if (root.size !== 1) {
      throw new RnnlmError('shape_mismatch', `backward() without a gradient needs a one-element loss, got ${root.toString()}`);
    }
    root.grad = new Tensor(allocArray(root.dtype, 1).fill(1), root.shape);
  }
  const start = root.gradFn as Node | null;
  if (!start) return; // a leaf: its grad is set above

  // Iterative post-order DFS gives a topological order (inputs before the nodes that use them).
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: [Node, number][] = [[start, 0]];
  seen.add(start);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.inputs.length) {
      top[1] = i + 1;
      const child = node.inputs[i]!.gradFn as Node | null;
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    node.backward();
    // Free the graph as we go: non-leaf gradients and links are no longer needed.
    for (const o of node.outputs) {
      o.grad = null;
      o.gradFn = null;
    }
  }
}
