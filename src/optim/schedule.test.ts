import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isRnnlmError } from '../errors.js';
import { DecayAfter, ReduceLROnPlateau, StepDecay, WarmupCosine, type LrSchedule } from './schedule.js';

const invalid = (f: () => unknown, what: string) => assert.throws(f, (e) => isRnnlmError(e, 'invalid_argument'), what);

/** lr after each step(metric). */
function lrs(sched: ReduceLROnPlateau, target: { lr: number }, metrics: number[]): number[] {
  return metrics.map((m) => (sched.step(m), target.lr));
}

describe('ReduceLROnPlateau', () => {
  test('reduces after more than `patience` epochs without improvement', () => {
    const t = { lr: 1 };
    const s = new ReduceLROnPlateau(t, { factor: 0.5, patience: 2 });
    // best 3 at epoch 1; epochs 2, 3 bad (patience 2 tolerated), epoch 4 bad → halve, counter reset
    assert.deepEqual(lrs(s, t, [3, 3, 3.5, 3.1, 4, 4, 2.9]), [1, 1, 1, 0.5, 0.5, 0.5, 0.5]);
    assert.equal(s.best, 2.9);
  });

  test('relative threshold: improvements smaller than threshold·best do not count', () => {
    const t = { lr: 1 };
    const s = new ReduceLROnPlateau(t, { patience: 0, threshold: 0.1, factor: 0.5 });
    s.step(10);
    s.step(9.5); // needs < 9: bad → reduce (patience 0)
    assert.equal(t.lr, 0.5);
    s.step(8.9); // < 9: improvement
    assert.equal(t.lr, 0.5);
    assert.equal(s.best, 8.9);
  });

  test('cooldown ignores bad epochs; minLr is a floor; no change smaller than eps', () => {
    const t = { lr: 1 };
    const s = new ReduceLROnPlateau(t, { patience: 0, cooldown: 2, factor: 0.1, minLr: 0.05 });
    assert.deepEqual(lrs(s, t, [1, 2, 2, 2, 2, 2, 2, 2]), [1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05]);
  });

  test('mode max treats larger metrics as better', () => {
    const t = { lr: 1 };
    const s = new ReduceLROnPlateau(t, { mode: 'max', patience: 0, factor: 0.5 });
    assert.deepEqual(lrs(s, t, [0.5, 0.6, 0.55]), [1, 1, 0.5]);
  });

  test('state dict round-trips through JSON (including the initial infinite best)', () => {
    const metrics = [5, 4, 4, 4, 4, 3, 3, 3, 3, 3];
    const ta = { lr: 1 };
    const a = new ReduceLROnPlateau(ta, { patience: 1, cooldown: 1, factor: 0.5 });
    const full = lrs(a, ta, metrics);

    const tb = { lr: 1 };
    const b = new ReduceLROnPlateau(tb, { patience: 1, cooldown: 1, factor: 0.5 });
    const fresh = JSON.parse(JSON.stringify(b.stateDict())) as Record<string, unknown>;
    const first = lrs(b, tb, metrics.slice(0, 4));
    const saved = JSON.parse(JSON.stringify(b.stateDict())) as Record<string, unknown>;
    const tc = { lr: tb.lr };
    const c = new ReduceLROnPlateau(tc, { patience: 1, cooldown: 1, factor: 0.5 });
    c.step(100); // state that the load must overwrite
    c.loadStateDict(saved);
    assert.deepEqual([...first, ...lrs(c, tc, metrics.slice(4))], full);

    c.loadStateDict(fresh);
    assert.equal(c.best, Infinity);
    assert.throws(
      () => c.loadStateDict(new StepDecay({ lr: 1 }, { stepSize: 1 }).stateDict()),
      (e) => isRnnlmError(e, 'checkpoint_mismatch'),
    );
  });

  test('validates options', () => {
    const t = { lr: 1 };
    invalid(() => new ReduceLROnPlateau(t, { factor: 1 }), 'factor 1');
    invalid(() => new ReduceLROnPlateau(t, { factor: -0.5 }), 'negative factor');
    invalid(() => new ReduceLROnPlateau(t, { patience: 1.5 }), 'fractional patience');
    invalid(() => new ReduceLROnPlateau(t, { mode: 'up' as 'min' }), 'mode');
    invalid(() => new ReduceLROnPlateau(t, { minLr: -1 }), 'minLr');
  });
});

describe('StepDecay', () => {
  test('multiplies by gamma every stepSize epochs', () => {
    const t = { lr: 8 };
    const s = new StepDecay(t, { stepSize: 2, gamma: 0.5 });
    const seen = Array.from({ length: 6 }, () => (s.step(), t.lr));
    assert.deepEqual(seen, [8, 4, 4, 2, 2, 1]);
    invalid(() => new StepDecay(t, { stepSize: 0 }), 'stepSize 0');
    invalid(() => new StepDecay(t, { stepSize: 2, gamma: 1.5 }), 'gamma > 1');
  });
});

describe('DecayAfter (Zaremba)', () => {
  test('keeps lr for startEpoch epochs, then multiplies by factor before every later epoch', () => {
    const t = { lr: 1 };
    const s = new DecayAfter(t, { startEpoch: 4, factor: 0.5 });
    const perEpoch = [t.lr]; // lr used by epoch 1
    for (let e = 1; e < 8; e++) {
      s.step(); // end of epoch e
      perEpoch.push(t.lr); // lr used by epoch e + 1
    }
    assert.deepEqual(perEpoch, [1, 1, 1, 1, 0.5, 0.25, 0.125, 0.0625]);
  });

  test('factor must be in (0, 1] (a divisor like 2 is rejected with a hint)', () => {
    assert.throws(() => new DecayAfter({ lr: 1 }, { startEpoch: 4, factor: 2 }), /1\/1\.2/);
    invalid(() => new DecayAfter({ lr: 1 }, { startEpoch: 4, factor: 0 }), 'factor 0');
    invalid(() => new DecayAfter({ lr: 1 }, { startEpoch: -1, factor: 0.5 }), 'negative start');
  });
});

describe('WarmupCosine', () => {
  test('linear warmup, cosine to minLr, then flat', () => {
    const t = { lr: 1 };
    const s = new WarmupCosine(t, { warmupSteps: 4, totalSteps: 8, minLr: 0.1 });
    const seen = [t.lr];
    for (let k = 0; k < 9; k++) {
      s.step();
      seen.push(t.lr);
    }
    const cos = (q: number) => 0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * q));
    const expected = [0.25, 0.5, 0.75, 1, cos(0), cos(0.25), cos(0.5), cos(0.75), 0.1, 0.1];
    seen.forEach((lr, k) => assert.ok(Math.abs(lr - expected[k]!) < 1e-15, `step ${k}: ${lr} vs ${expected[k]}`));
  });

  test('resumes from its state dict even when built after the optimizer lr was restored', () => {
    const t = { lr: 2 };
    const s = new WarmupCosine(t, { warmupSteps: 2, totalSteps: 10 });
    for (let k = 0; k < 5; k++) s.step();
    const saved = JSON.parse(JSON.stringify(s.stateDict())) as Record<string, unknown>;
    const t2 = { lr: t.lr }; // the optimizer state restored the scheduled lr
    const s2: LrSchedule & { step(): void } = new WarmupCosine(t2, { warmupSteps: 2, totalSteps: 10 });
    s2.loadStateDict(saved);
    s.step();
    s2.step();
    assert.equal(t2.lr, t.lr);
  });
});
