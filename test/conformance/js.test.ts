/** The js reference backend against the conformance suite, in both dtypes, plus its input checks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsBackend } from '../../src/backend/js/index.js';
import type { UnaryOp } from '../../src/backend/kernels.js';
import { type ErrorCode, isRnnlmError } from '../../src/errors.js';
import { runBackendSuite } from './suite.js';

runBackendSuite('js', jsBackend.kernels, { dtypes: ['float64', 'float32'] });

describe('js backend input checks', () => {
  const k = jsBackend.kernels;
  const throwsCode = (fn: () => void, code: ErrorCode, mentions: RegExp): void => {
    assert.throws(fn, (e: unknown) => isRnnlmError(e, code) && mentions.test(e.message));
  };

  test('declares itself as the float64-capable reference', () => {
    assert.equal(jsBackend.name, 'js');
    assert.equal(jsBackend.float64, true);
  });

  test('gemm rejects short operands and mixed dtypes', () => {
    const a = new Float32Array(6);
    throwsCode(() => k.gemm(false, false, 2, 2, 3, 1, a, new Float32Array(5), 0, new Float32Array(4)), 'shape_mismatch', /B has 5 elements but needs 6/);
    throwsCode(() => k.gemm(false, false, 2, 2, 3, 1, a, new Float64Array(6), 0, new Float32Array(4)), 'dtype_mismatch', /mixes/);
    throwsCode(() => k.gemm(false, false, -1, 2, 3, 1, a, a, 0, a), 'invalid_argument', /M = -1/);
  });

  test('elementwise kernels reject length mismatches and unknown ops', () => {
    throwsCode(() => k.add(new Float64Array(3), new Float64Array(2), new Float64Array(3)), 'shape_mismatch', /b has 2/);
    const x = new Float64Array(2);
    throwsCode(() => k.unary('cube' as UnaryOp, x, x), 'invalid_argument', /unknown unary op "cube"/);
  });

  test('embedding rejects ids outside the vocabulary', () => {
    const weight = new Float32Array(4 * 3); // V=4, E=3
    throwsCode(() => k.embeddingForward(weight, Int32Array.from([1, 4]), 3, new Float32Array(6)), 'invalid_argument', /token id 4 at position 1/);
    throwsCode(() => k.embeddingBackward(new Float32Array(3), Int32Array.from([-1]), 3, weight), 'invalid_argument', /token id -1/);
  });

  test('softmax-xent rejects targets outside [0, V) unless ignored', () => {
    const logits = new Float32Array(2 * 3);
    const lse = new Float32Array(2);
    const losses = new Float32Array(2);
    throwsCode(() => k.softmaxXentForward(logits, Int32Array.from([0, 3]), 2, 3, -100, lse, losses), 'invalid_argument', /target 3 at row 1/);
    // The ignore index itself is fine even though it is outside [0, V).
    k.softmaxXentForward(logits, Int32Array.from([0, -100]), 2, 3, -100, lse, losses);
    assert.equal(losses[1], 0);
  });

  test('recurrentForward needs c0/cT for an LSTM and a big enough workspace', () => {
    const desc = { mode: 'lstm' as const, T: 2, B: 1, inputSize: 2, hiddenSize: 3 };
    const w = { weightIh: new Float64Array(24), weightHh: new Float64Array(36), biasIh: null, biasHh: null };
    const x = new Float64Array(4);
    const h = new Float64Array(3);
    const y = new Float64Array(6);
    throwsCode(() => k.recurrentForward({ desc, w, x, h0: h, c0: null, y, hT: h, cT: null, workspace: null }), 'invalid_argument', /needs c0 and cT/);
    const short = new Float64Array(k.recurrentWorkspaceSize(desc) - 1);
    throwsCode(
      () => k.recurrentForward({ desc, w, x, h0: h, c0: h, y, hT: new Float64Array(3), cT: new Float64Array(3), workspace: short }),
      'shape_mismatch',
      /workspace/,
    );
    throwsCode(() => k.recurrentWorkspaceSize({ ...desc, mode: 'rnn' as never }), 'invalid_argument', /unknown mode "rnn"/);
  });

  test('optimizers reject a missing momentum buffer and a step count below 1', () => {
    const p = new Float32Array(2);
    const sgd = { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true };
    throwsCode(() => k.sgdStep(p, p.slice(), null, sgd), 'invalid_argument', /momentum buffer/);
    const adam = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, decoupled: false, step: 0 };
    throwsCode(() => k.adamStep(p, p.slice(), p.slice(), p.slice(), adam), 'invalid_argument', /1-based/);
  });
});
