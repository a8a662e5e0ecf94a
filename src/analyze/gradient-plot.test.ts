import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRnnlmError } from '../errors.js';
import type { GradientFlowResult } from './gradient-flow.js';
import { gradientFlowSeries, renderGradientFlow } from './gradient-plot.js';

const result = (layers: number[][]): GradientFlowResult => ({
  cell: 'lstm',
  K: layers[0]!.length - 1,
  windows: 1,
  batchSize: 1,
  loss: 1,
  layers: layers.map((meanNorm) => ({ hiddenSize: 2, meanNorm })),
});

test('one panel per layer, one path per model that has the layer; zero and non-finite norms dropped', () => {
  const entries = [
    {
      label: 'a <1>',
      result: result([
        [1, 0.1, 0.01, 1e-3],
        [2, 0.2, 0, Number.NaN],
      ]),
    },
    { label: 'b', result: result([[1, 0.5, 0.25, 0.125]]) },
  ];
  assert.deepEqual(gradientFlowSeries(entries, 1)[0]!.points, [
    [0, 2],
    [1, 0.2],
  ]);
  const svg = renderGradientFlow(entries, { title: 'T' });
  assert.equal((svg.match(/data-panel="layer-1"/g) ?? []).length, 1);
  assert.equal((svg.match(/data-panel="layer-2"/g) ?? []).length, 1);
  assert.equal((svg.match(/<path class="series"/g) ?? []).length, 3);
  assert.ok(svg.includes('data-series="a &lt;1&gt;" data-points="4"') && svg.includes('data-series="a &lt;1&gt;" data-points="2"'));
  assert.ok(!/NaN|Infinity/.test(svg));
  // The shared log axis covers 1e-3 … 2.
  const ticks = [...svg.matchAll(/data-axis="y">([^<]+)</g)].map((m) => Number(m[1]));
  assert.ok(Math.min(...ticks) <= 1e-3 && Math.max(...ticks) >= 2, `ticks ${ticks}`);
  assert.throws(
    () => renderGradientFlow([]),
    (e) => isRnnlmError(e, 'invalid_argument'),
  );
});
