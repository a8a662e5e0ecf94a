/**
 * The TF.js side of bench/tfjs.ts stays honest: rnnlm's weights converted to TF.js (bench/tfjs-lm.ts,
 * both the tf.layers.lstm and the ops formulation, on TF.js's cpu backend) give rnnlm's
 * log-probabilities, its evaluation loss with the state carried across windows, and the gradients
 * of one training window (the training forward takes other ops than inference). A tiny model with its weights scaled up, so the log-probabilities are far from
 * uniform and a wrong gate order or bias would show. Skips where @tensorflow/tfjs (a dev
 * dependency) is not installed.
 */
import '../helpers/backend.js';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { FORMULATIONS, buildTfLM, evaluateSpeed, logProbs, makeModel, maxAbsDiff, trainingLoss } from '../../bench/tfjs-lm.js';
import { backward, noGrad } from '../../src/autograd/index.js';
import { batchify, getBatch } from '../../src/data/batchify.js';
import type { RNNLM } from '../../src/models/rnnlm.js';

let tf: typeof TF | null = null;
try {
  tf = await import('@tensorflow/tfjs');
} catch {}
const skip = tf ? false : '@tensorflow/tfjs is not installed (npm ci installs the dev dependencies)';

const V = 11;
const SIZE = { embedSize: 6, hiddenSize: 8, numLayers: 2 };
const ids = Int32Array.from({ length: 130 }, (_, i) => (i * 7 + ((i * i) % 5)) % V);

function model(): RNNLM {
  const m = makeModel(V, SIZE, 3);
  noGrad(() => {
    for (const p of m.parameters()) for (let i = 0; i < p.data.length; i++) p.data[i]! *= 3;
  });
  return m;
}

describe('rnnlm weights in TF.js (bench/tfjs-lm.ts)', { skip }, () => {
  before(async () => {
    await tf!.setBackend('cpu');
  });

  for (const f of FORMULATIONS) {
    test(`${f}: log-probabilities, carried-state evaluation and one SGD step match rnnlm`, async () => {
      const m = model();
      const ref = await logProbs({ kind: 'rnnlm', model: m }, ids.subarray(0, 41));
      let mean = 0;
      for (const x of ref) mean += x / ref.length;
      assert.ok(mean < Math.log(1 / V) - 0.2, `log-probabilities far from uniform (mean ${mean})`);
      const lm = buildTfLM(tf!, m, f);
      const side = { kind: 'tfjs', tf: tf!, lm } as const;
      try {
        const diff = maxAbsDiff(ref, await logProbs(side, ids.subarray(0, 41)));
        assert.ok(diff < 1e-5, `max abs log-prob difference ${diff}`);
        const e = await evaluateSpeed(side, ids.subarray(0, 124), 4, 7); // 30 rows: windows of 7, state carried
        const r = await evaluateSpeed({ kind: 'rnnlm', model: m }, ids.subarray(0, 124), 4, 7);
        assert.ok(Math.abs(e.loss - r.loss) < 1e-5, `evaluation loss ${e.loss} vs ${r.loss}`);
        // One training window (B = 3, T = 5): the loss and every gradient, in TF.js's layout.
        const w = getBatch(batchify(ids, 3), 0, 5);
        const { loss } = m.train().forwardLoss(w.input, w.target, 5, 3, null);
        m.zeroGrad();
        backward(loss);
        const { value, grads } = tf!.variableGrads(() => trainingLoss(tf!, lm, w.input, w.target, 5, 3), lm.trainable);
        assert.ok(Math.abs(value.dataSync()[0]! - loss.data[0]!) < 1e-5, `training loss ${value.dataSync()[0]} vs ${loss.data[0]}`);
        const sd = m.stateDict();
        const g = (name: string, transpose: boolean): Float32Array => {
          const t = sd[name]!.grad!;
          const out = new Float32Array(t.data.length);
          const [r, c] = [t.shape[0]!, t.shape[1] ?? 1];
          for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[transpose ? j * r + i : i * c + j] = t.data[i * c + j]!;
          return out;
        };
        // lm.trainable: embedding, decoder W, decoder b, then per layer kernel, recurrent kernel, bias.
        const expect = [g('encoder.weight', false), g('decoder.weight', true), g('decoder.bias', false)];
        for (let k = 0; k < SIZE.numLayers; k++) expect.push(g(`rnn.weight_ih_l${k}`, true), g(`rnn.weight_hh_l${k}`, true), g(`rnn.bias_ih_l${k}`, false));
        lm.trainable.forEach((v, i) => {
          const d = maxAbsDiff(expect[i]!, grads[v.name]!.dataSync() as Float32Array);
          assert.ok(d < 1e-5, `gradient of ${v.name} (rnnlm parameter ${i}) differs by ${d}`);
        });
        assert.ok(Math.max(...expect[3]!.map(Math.abs)) > 1e-3, 'the layer-0 kernel has a gradient');
      } finally {
        lm.dispose();
      }
    });
  }
});
