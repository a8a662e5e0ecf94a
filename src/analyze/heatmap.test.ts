import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRnnlmError } from '../errors.js';
import { renderHeatmap } from './heatmap.js';

test('one cell per (row, column), shaded by its weight, labels escaped; bad input is a clear error', () => {
  const svg = renderHeatmap({ rows: ['der', '</s>'], cols: ['the', '<b>', '</s>'], values: [0.7, 0.2, 0.1, 0, 0.25, 0.75] }, { title: 'A & B' });
  const cells = [...svg.matchAll(/<rect [^>]*data-row="(\d)" data-col="(\d)" data-weight="([\d.]+)"/g)];
  assert.equal(cells.length, 6);
  assert.deepEqual(
    cells.map((c) => Number(c[3])),
    [0.7, 0.2, 0.1, 0, 0.25, 0.75],
  );
  assert.ok(/fill-opacity="0.750"[^>]*data-row="1" data-col="2"/.test(svg), 'opacity = weight');
  assert.ok(svg.includes('&lt;b&gt;') && svg.includes('&lt;/s&gt;') && svg.includes('A &amp; B'));
  assert.equal((svg.match(/<text [^>]*data-col=/g) ?? []).length, 3);
  assert.equal((svg.match(/<text [^>]*data-row=/g) ?? []).length, 2);
  assert.throws(
    () => renderHeatmap({ rows: ['a'], cols: ['b'], values: [0.1, 0.2] }),
    (e) => isRnnlmError(e, 'shape_mismatch'),
  );
  assert.throws(
    () => renderHeatmap({ rows: [], cols: ['b'], values: [] }),
    (e) => isRnnlmError(e, 'invalid_argument'),
  );
});
