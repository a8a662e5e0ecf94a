/** linearCrossEntropy (decoder fused into the loss) against linear + crossEntropy, and its scratch buffer. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { backward, noGrad } from '../autograd/graph.js';
import { gradcheck } from '../autograd/gradcheck.js';
import { Rng } from '../tensor/random.js';
import { ScratchBuffer } from '../tensor/scratch.js';
import type { Tensor } from '../tensor/tensor.js';
import { randTensor } from '../../test/helpers/tensors.js';
import { sum } from './elementwise.js';
import { linear } from './linear.js';
import { type CrossEntropyOptions, crossEntropy, linearCrossEntropy } from './loss.js';

const rng = new Rng(11);
const rand = (shape: number[]): Tensor => randTensor(rng, shape, -1, 1);
const [N, I, V] = [6, 4, 7];
const targets = Int32Array.from([0, 6, 3, 3, 1, 5]);
const ignored = Int32Array.from([0, -100, 3, -100, 1, 5]);
const TOL = 1e-6;

type Loss = (x: Tensor, w: Tensor, b: Tensor) => Tensor;
const fused =
  (tg: Int32Array, o: CrossEntropyOptions & { scratch?: ScratchBuffer } = {}): Loss =>
  (x, w, b) =>
    linearCrossEntropy(x, w, b, tg, o);
const twoOps =
  (tg: Int32Array, o: CrossEntropyOptions = {}): Loss =>
  (x, w, b) =>
    crossEntropy(linear(x, w, b), tg, o);

/** The loss values and the gradients of x, w and b, from fresh gradients. */
function run(f: Loss, x: Tensor, w: Tensor, b: Tensor): number[][] {
  for (const t of [x, w, b]) t.grad = null;
  const loss = f(x, w, b);
  const value = Array.from(loss.data);
  backward(loss.size === 1 ? loss : sum(loss));
  return [value, ...[x, w, b].map((t) => Array.from(t.grad!.data))];
}

function assertClose(a: number[][], b: number[][], what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i]!.length, b[i]!.length, `${what}: part ${i} length`);
    for (let j = 0; j < a[i]!.length; j++) {
      assert.ok(Math.abs(a[i]![j]! - b[i]![j]!) <= 1e-12 * (1 + Math.abs(b[i]![j]!)), `${what}: part ${i}[${j}] ${a[i]![j]} vs ${b[i]![j]}`);
    }
  }
}

describe('linearCrossEntropy', () => {
  test('gradcheck w.r.t. input, weight and bias, every reduction and ignored rows (float64)', () => {
    for (const [name, tg, o] of [
      ['mean', targets, {}],
      ['sum', targets, { reduction: 'sum' }],
      ['none', targets, { reduction: 'none' }],
      ['ignore', ignored, {}],
    ] as const) {
      const r = gradcheck((x, w, b) => fused(tg, o)(x!, w!, b!), [rand([N, I]), rand([V, I]), rand([V])]);
      assert.equal(r.perInput.length, 3, name);
      assert.ok(r.maxRelError < TOL, `${name}: relative error ${r.maxRelError.toExponential(2)}`);
    }
  });

  test('the same loss and gradients as linear followed by crossEntropy', () => {
    const [x, w, b] = [rand([N, I]), rand([V, I]), rand([V])];
    for (const [name, tg, o] of [
      ['mean', targets, {}],
      ['sum', ignored, { reduction: 'sum' }],
      ['none', targets, { reduction: 'none' }],
    ] as const) {
      assertClose(run(fused(tg, o), x, w, b), run(twoOps(tg, o), x, w, b), name);
    }
  });

  test('a scratch buffer is reused step after step, and a second forward before backward gets its own block', () => {
    const [x, w, b] = [rand([N, I]), rand([V, I]), rand([V])];
    const want = run(twoOps(targets), x, w, b);
    const scratch = new ScratchBuffer();
    const withScratch = fused(targets, { scratch });
    for (let step = 0; step < 3; step++) assertClose(run(withScratch, x, w, b), want, `step ${step}`);

    // Two graphs alive at once: the first holds the scratch; the second (other logits) must not overwrite it.
    const x2 = rand([N, I]);
    const want2 = run(twoOps(ignored), x2, w, b);
    for (const t of [x, w, b]) t.grad = null;
    const first = withScratch(x, w, b);
    const other = fused(ignored, { scratch })(x2, w, b);
    backward(first);
    const got = [Array.from(first.data), ...[x, w, b].map((t) => Array.from(t.grad!.data))];
    assertClose(got, want, 'first of two live graphs');
    for (const t of [x2, w, b]) t.grad = null;
    backward(other);
    assertClose([Array.from(other.data), ...[x2, w, b].map((t) => Array.from(t.grad!.data))], want2, 'second');

    // Without a graph the block is given back at once.
    const before = scratch.take('float64', N * V);
    assert.ok(before, 'the scratch is free after both backwards');
    scratch.release(before);
    noGrad(() => withScratch(x, w, b));
    assert.equal(scratch.take('float64', N * V), before, 'the same block, free again after a no-grad forward');
  });

  test('bad shapes and ids are clear errors that leave the scratch free', () => {
    const scratch = new ScratchBuffer();
    const [x, w, b] = [rand([N, I]), rand([V, I]), rand([V])];
    assert.throws(() => linearCrossEntropy(x, rand([V, I + 1]), b, targets, { scratch }), /linearCrossEntropy: input/);
    assert.throws(() => linearCrossEntropy(x, w, b, targets.subarray(1), { scratch }), /5 targets for 6 rows/);
    assert.throws(() => linearCrossEntropy(x, w, b, Int32Array.from([0, 1, 2, 3, 4, V]), { scratch }), /outside the vocabulary/);
    assert.ok(scratch.take('float64', N * V), 'still free');
  });
});

describe('ScratchBuffer', () => {
  test('one holder at a time; a new size or dtype gets a new block', () => {
    const s = new ScratchBuffer();
    const a = s.take('float32', 8)!;
    assert.ok(a instanceof Float32Array && a.length === 8);
    assert.equal(s.take('float32', 8), null, 'held');
    s.release(new Float32Array(8)); // not ours: ignored
    assert.equal(s.take('float32', 8), null, 'still held');
    s.release(a);
    assert.equal(s.take('float32', 8), a, 'the same block again');
    s.release(a);
    const c = s.take('float64', 8)!;
    assert.ok(c instanceof Float64Array && c !== (a as unknown));
    s.release(c);
    assert.equal(s.take('float64', 5)!.length, 5);
  });
});
