/**
 * NT-ASGD's trigger rule (AWD-LSTM's `val_loss > min(best_val_loss[:-nonmono])`), the running
 * average of the parameters, exact swapping in and out, and its state dict.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import '../../test/helpers/backend.js';
import { isRnnlmError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { NTASGD } from './asgd.js';

const params = (): Tensor[] => [Tensor.from([1, 2, 3]), Tensor.from([10, 20], [1, 2])];

describe('NT-ASGD trigger', () => {
  test('fires only when the loss is worse than the best of all checks but the last nonmono', () => {
    const a = new NTASGD(params(), { nonmono: 2 });
    // Too few checks to compare: even a much worse loss does not fire.
    assert.deepEqual(
      [5, 4, 9].map((l) => a.observe(l)),
      [false, false, false],
    );
    // history [5,4,9]: min of all but the last 2 = 5; 4.5 < 5 → no.
    assert.equal(a.observe(4.5), false);
    // history [5,4,9,4.5]: min([5,4]) = 4; 4.2 > 4 → fires.
    assert.equal(a.observe(4.2), true);
    assert.ok(a.averaging);
    assert.equal(a.observe(100), false, 'once averaging, observe does nothing');
  });

  test('steady improvement never fires; nonmono 0 compares with every earlier check', () => {
    const a = new NTASGD(params(), { nonmono: 1 });
    for (let l = 10; l > 0; l--) assert.equal(a.observe(l), false);
    const b = new NTASGD(params(), { nonmono: 0 });
    assert.equal(b.observe(3), false);
    assert.equal(b.observe(3.1), true);
  });

  test('bad arguments', () => {
    assert.throws(
      () => new NTASGD(params(), { nonmono: -1 }),
      (e: unknown) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => new NTASGD(params()).observe(Number.NaN),
      (e: unknown) => isRnnlmError(e, 'invalid_argument'),
    );
  });
});

describe('NT-ASGD averaging', () => {
  test('nothing is averaged before the trigger; after it the average is the mean of the post-update values', () => {
    const ps = params();
    const a = new NTASGD(ps, { nonmono: 0 });
    a.update();
    assert.equal(a.count, 0);
    assert.equal(a.swapIn(), false, 'no averages to swap in yet');
    a.observe(1);
    a.observe(2); // fires
    const seen: number[][] = [];
    for (const d of [1, -3, 0.5]) {
      ps[0]!.data.forEach((v, i) => (ps[0]!.data[i] = v + d * (i + 1)));
      seen.push(Array.from(ps[0]!.data));
      a.update();
    }
    assert.equal(a.count, 3);
    const raw = Array.from(ps[0]!.data);
    assert.ok(a.swapIn());
    const mean = seen[0]!.map((_, i) => (seen[0]![i]! + seen[1]![i]! + seen[2]![i]!) / 3);
    Array.from(ps[0]!.data).forEach((v, i) => assert.ok(Math.abs(v - mean[i]!) < 1e-5, `${v} vs ${mean[i]}`));
    assert.throws(
      () => a.update(),
      (e: unknown) => isRnnlmError(e, 'invalid_argument'),
      'no updates while swapped',
    );
    a.swapOut();
    assert.deepEqual(Array.from(ps[0]!.data), raw, 'swapOut restores the raw weights exactly');
    assert.equal(
      a.withAveraged(() => ps[1]!.data[0]),
      10,
      'untouched parameters average to themselves',
    );
    assert.deepEqual(Array.from(ps[0]!.data), raw);
    assert.ok(a.adoptAverages());
    Array.from(ps[0]!.data).forEach((v, i) => assert.ok(Math.abs(v - mean[i]!) < 1e-5));
  });

  test('state dict round trip continues identically; mismatches are refused', () => {
    const run = (a: NTASGD, ps: Tensor[], k: number): void => {
      for (let s = 0; s < k; s++) {
        ps[1]!.data[1]! += s + 0.25;
        a.update();
      }
    };
    const p1 = params();
    const a = new NTASGD(p1, { nonmono: 0 });
    a.observe(1);
    a.observe(2);
    run(a, p1, 2);
    const saved = a.stateDict();
    run(a, p1, 3);

    const p2 = params();
    p2[1]!.data[1] = 20 + 0.25 + 1.25; // the raw weights at the time of the save
    const b = new NTASGD(p2, { nonmono: 0 });
    b.loadStateDict({ json: JSON.parse(JSON.stringify(saved.json)) as Record<string, unknown>, tensors: saved.tensors }); // through JSON, as on disk
    assert.ok(b.averaging);
    assert.equal(b.count, 2);
    run(b, p2, 3);
    assert.deepEqual(b.stateDict().tensors['1.ax']!.toArray(), a.stateDict().tensors['1.ax']!.toArray());

    assert.throws(
      () => new NTASGD(params(), { nonmono: 3 }).loadStateDict(saved),
      (e: unknown) => isRnnlmError(e, 'checkpoint_mismatch'),
    );
    assert.throws(
      () => new NTASGD([Tensor.zeros([3]), Tensor.zeros([2, 1])], { nonmono: 0 }).loadStateDict(saved),
      (e: unknown) => isRnnlmError(e, 'checkpoint_mismatch'),
    );
    assert.throws(
      () => b.loadStateDict({ json: { ...saved.json, format: 9 }, tensors: {} }),
      (e: unknown) => isRnnlmError(e, 'corrupt_checkpoint'),
    );
  });
});
