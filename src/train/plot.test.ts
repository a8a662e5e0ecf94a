import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRnnlmError } from '../errors.js';
import { type TrainLogRecord, chooseXAxis, parseTrainLog, renderTrainingCurves, trainingSeries } from './plot.js';

/** A log as `rnnlm train` writes it: step records every `every` steps, one epoch record per epoch. */
function makeLog(epochs: number, batches: number, every = 1): TrainLogRecord[] {
  const out: TrainLogRecord[] = [];
  let step = 0;
  for (let e = 1; e <= epochs; e++) {
    for (let b = 1; b <= batches; b++) {
      step++;
      if (step % every === 0) out.push({ kind: 'step', epoch: e, batch: b, batches, step, loss: 5 / Math.sqrt(step), lr: 1e-3, gradNorm: 0.5 });
    }
    out.push({
      kind: 'epoch',
      epoch: e,
      trainLoss: 5 / Math.sqrt(step) + 0.1,
      valid: { loss: 5 / Math.sqrt(step) + 0.2, perplexity: 0 },
      lr: 1e-3,
      seconds: 1,
    });
  }
  return out;
}

/** Minimal XML well-formedness: balanced, properly nested tags, quoted attributes, escaped text. */
function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  let i = 0;
  let roots = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    assert.ok(!/&(?!amp;|lt;|gt;|quot;|apos;|#\d+;)/.test(text), `unescaped & in text: ${text}`);
    assert.ok(!text.includes('>'), `stray > in text: ${text}`);
    if (text.trim() !== '') assert.ok(stack.length > 0, 'text outside the root element');
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    assert.ok(gt > lt, 'unterminated tag');
    const tag = xml.slice(lt + 1, gt);
    if (tag.startsWith('/')) {
      assert.equal(stack.pop(), tag.slice(1).trim(), `mismatched closing tag </${tag.slice(1)}>`);
    } else {
      const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)$/.exec(tag);
      assert.ok(m, `malformed tag <${tag}>`);
      const names = [...m[2]!.matchAll(/([\w:-]+)=/g)].map((a) => a[1]);
      assert.equal(new Set(names).size, names.length, `duplicate attribute in <${tag}>`);
      if (stack.length === 0) roots++;
      if (m[3] !== '/') stack.push(m[1]!);
    }
    i = gt + 1;
  }
  assert.deepEqual(stack, [], 'unclosed tags');
  assert.equal(roots, 1, 'exactly one root element');
}

interface ParsedPath {
  series: string;
  panel: string;
  points: [number, number][];
}

/** Every series path with its panel and its points (one M/L command per point). */
function seriesPaths(svg: string): ParsedPath[] {
  const out: ParsedPath[] = [];
  for (const p of svg.split('<g class="panel" data-panel="').slice(1)) {
    const panel = p.slice(0, p.indexOf('"'));
    for (const m of p.matchAll(/<path class="series" data-series="([^"]*)"[^>]* d="([^"]*)"/g)) {
      const points = [...m[2]!.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((c) => [Number(c[1]), Number(c[2])] as [number, number]);
      assert.equal(points.length, m[2]!.split(/[ML]/).length - 1, 'every command is a point');
      out.push({ series: m[1]!, panel, points });
    }
  }
  return out;
}

/** The plot-area rectangle of a panel. */
function panelBox(svg: string, panel: string): { x: number; y: number; w: number; h: number } {
  const p = svg.split(`data-panel="${panel}">`)[1]!;
  const m = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(p)!;
  return { x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), h: Number(m[4]) };
}

/** Tick values on one axis of a panel. */
function ticks(svg: string, panel: string, axis: 'x' | 'y'): number[] {
  const p = svg.split(`data-panel="${panel}">`)[1]!.split('</g>\n</g>')[0]!;
  return [...p.matchAll(new RegExp(`data-axis="${axis}">([^<]*)<`, 'g'))].map((m) => Number(m[1]));
}

/** Marker dots drawn in the panels (the legend's sample dots excluded). */
const dots = (svg: string): number => (svg.slice(svg.indexOf('<g class="panel"')).match(/<circle /g) ?? []).length;

describe('renderTrainingCurves', () => {
  test('a full log: well-formed SVG, one path per series per panel, one point per record', () => {
    const log = makeLog(3, 8);
    const svg = renderTrainingCurves(log);
    assertWellFormed(svg);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const paths = seriesPaths(svg);
    const nStep = log.filter((r) => r.kind === 'step').length;
    const nEpoch = log.filter((r) => r.kind === 'epoch').length;
    const expected: Record<string, number> = { 'train (logged steps)': nStep, 'train (epoch mean)': nEpoch, validation: nEpoch };
    for (const panel of ['loss', 'perplexity']) {
      const inPanel = paths.filter((p) => p.panel === panel);
      assert.deepEqual(inPanel.map((p) => p.series).sort(), Object.keys(expected).sort(), `series of the ${panel} panel`);
      for (const p of inPanel) assert.equal(p.points.length, expected[p.series], `${panel}/${p.series} points`);
    }
    // The legend names every series.
    for (const name of Object.keys(expected)) assert.ok(svg.includes(`>${name}</text>`), `legend has ${name}`);
  });

  test('every point lies inside its panel, and the tick range covers the data', () => {
    const log = makeLog(4, 10, 3);
    const svg = renderTrainingCurves(log);
    for (const panel of ['loss', 'perplexity']) {
      const b = panelBox(svg, panel);
      for (const p of seriesPaths(svg).filter((q) => q.panel === panel)) {
        for (const [x, y] of p.points) {
          assert.ok(x >= b.x - 0.01 && x <= b.x + b.w + 0.01, `${panel} ${p.series}: x ${x} outside [${b.x}, ${b.x + b.w}]`);
          assert.ok(y >= b.y - 0.01 && y <= b.y + b.h + 0.01, `${panel} ${p.series}: y ${y} outside [${b.y}, ${b.y + b.h}]`);
        }
      }
    }
    const losses = log.flatMap((r) => [r.loss, r.trainLoss, (r.valid as { loss: number } | undefined)?.loss]).filter((v): v is number => typeof v === 'number');
    const yt = ticks(svg, 'loss', 'y');
    assert.ok(
      Math.min(...yt) <= Math.min(...losses) && Math.max(...yt) >= Math.max(...losses),
      `loss ticks ${yt} cover [${Math.min(...losses)}, ${Math.max(...losses)}]`,
    );
    const pt = ticks(svg, 'perplexity', 'y');
    assert.ok(Math.min(...pt) <= Math.exp(Math.min(...losses)) && Math.max(...pt) >= Math.exp(Math.max(...losses)), `perplexity ticks ${pt}`);
    const xt = ticks(svg, 'loss', 'x');
    // Epoch axis: the first logged step (step 3 of 10) sits at 0.3, the last epoch at 4.
    assert.ok(Math.min(...xt) <= 0.3 && Math.max(...xt) >= 4, `x ticks ${xt}`);
  });

  test('--grad-norm: a third panel with the logged gradient norms, inside its box and covered by its ticks', () => {
    const log = makeLog(2, 6).map((r, i) => (r.kind === 'step' ? { ...r, gradNorm: i === 3 ? null : 0.1 * (i + 1) } : r));
    const svg = renderTrainingCurves(log, { gradNorm: true });
    assertWellFormed(svg);
    const g = seriesPaths(svg).filter((p) => p.panel === 'grad-norm');
    assert.equal(g.length, 1);
    const norms = log.filter((r) => r.kind === 'step' && typeof r.gradNorm === 'number').map((r) => r.gradNorm as number);
    assert.equal(g[0]!.points.length, norms.length, 'one point per finite norm (the null one dropped)');
    const b = panelBox(svg, 'grad-norm');
    for (const [x, y] of g[0]!.points) assert.ok(x >= b.x - 0.01 && x <= b.x + b.w + 0.01 && y >= b.y - 0.01 && y <= b.y + b.h + 0.01);
    const yt = ticks(svg, 'grad-norm', 'y');
    assert.ok(Math.min(...yt) <= Math.min(...norms) && Math.max(...yt) >= Math.max(...norms), `grad-norm ticks ${yt}`);
    assert.ok(!renderTrainingCurves(log).includes('grad-norm'), 'off by default');
  });

  test('the x axis: epochs when steps carry batch/batches, else steps; epoch records sit at the last logged step', () => {
    const log = makeLog(2, 5);
    assert.equal(chooseXAxis(log), 'epoch');
    const byEpoch = trainingSeries(log, 'epoch');
    assert.deepEqual(
      byEpoch.find((s) => s.name === 'validation')!.points.map((p) => p[0]),
      [1, 2],
    );
    assert.deepEqual(byEpoch[0]!.points.map((p) => p[0]).slice(0, 2), [0.2, 0.4]);
    const bare = log.map((r) => (r.kind === 'step' ? { kind: 'step', step: r.step, epoch: r.epoch, loss: r.loss } : r));
    assert.equal(chooseXAxis(bare), 'step');
    const bySteps = trainingSeries(bare, 'step');
    assert.deepEqual(
      bySteps.find((s) => s.name === 'validation')!.points.map((p) => p[0]),
      [5, 10],
    );
    assert.match(renderTrainingCurves(bare), />step<\/text>/);
  });

  test('a single record draws a dot, and its axes still have a range', () => {
    const svg = renderTrainingCurves([{ kind: 'epoch', epoch: 1, trainLoss: 2.5, valid: null }]);
    assertWellFormed(svg);
    const paths = seriesPaths(svg);
    assert.deepEqual(
      paths.map((p) => [p.panel, p.series, p.points.length]),
      [
        ['loss', 'train (epoch mean)', 1],
        ['perplexity', 'train (epoch mean)', 1],
      ],
    );
    const yt = ticks(svg, 'loss', 'y');
    assert.ok(Math.min(...yt) < 2.5 && Math.max(...yt) > 2.5, `ticks ${yt} around the value`);
    const xt = ticks(svg, 'loss', 'x');
    assert.ok(Math.min(...xt) < 1 && Math.max(...xt) > 1, `x ticks ${xt} around epoch 1`);
    assert.equal(dots(svg), 2, 'one dot per panel');
    // A lone step record (no markers otherwise) also gets a dot.
    const one = renderTrainingCurves([{ kind: 'step', step: 7, epoch: 1, batch: 7, batches: 10, loss: 3 }], { perplexity: false });
    assert.equal(dots(one), 1);
  });

  test('non-finite values are dropped point by point, never poisoning the scale', () => {
    const log: TrainLogRecord[] = [
      { kind: 'step', step: 1, epoch: 1, batch: 1, batches: 4, loss: 4 },
      { kind: 'step', step: 2, epoch: 1, batch: 2, batches: 4, loss: null }, // NaN as JSON writes it
      { kind: 'step', step: 3, epoch: 1, batch: 3, batches: 4, loss: Infinity },
      { kind: 'step', step: 4, epoch: 1, batch: 4, batches: 4, loss: 3 },
      { kind: 'epoch', epoch: 1, trainLoss: 3.5, valid: { loss: null } },
      { kind: 'epoch', epoch: 2, trainLoss: 'x', valid: { loss: 2.9 } },
      { kind: 'test', loss: 100 }, // unknown kinds are ignored
    ];
    const svg = renderTrainingCurves(log);
    assertWellFormed(svg);
    assert.ok(!/NaN|Infinity/.test(svg), 'no NaN or Infinity in the SVG');
    const counts = Object.fromEntries(
      seriesPaths(svg)
        .filter((p) => p.panel === 'loss')
        .map((p) => [p.series, p.points.length]),
    );
    assert.deepEqual(counts, { 'train (logged steps)': 2, 'train (epoch mean)': 1, validation: 1 });
    assert.ok(Math.max(...ticks(svg, 'loss', 'y')) < 10, 'the ignored record (loss 100) does not stretch the axis');
  });

  test('a loss whose perplexity overflows stays in the loss panel only', () => {
    const svg = renderTrainingCurves([
      { kind: 'epoch', epoch: 1, trainLoss: 800, valid: null },
      { kind: 'epoch', epoch: 2, trainLoss: 3, valid: null },
    ]);
    assert.ok(!/NaN|Infinity/.test(svg));
    const counts = seriesPaths(svg).map((p) => [p.panel, p.points.length]);
    assert.deepEqual(counts, [
      ['loss', 2],
      ['perplexity', 1],
    ]);
  });

  test('nothing to plot gives a small SVG that says so; bad options are clear errors', () => {
    const svg = renderTrainingCurves([{ kind: 'step', step: 1, loss: null }]);
    assertWellFormed(svg);
    assert.match(svg, /no finite loss values/);
    assert.equal(seriesPaths(svg).length, 0);
    assert.throws(
      () => renderTrainingCurves(makeLog(1, 2), { width: 10 }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
    assert.throws(
      () => renderTrainingCurves(makeLog(1, 2), { x: 'time' as 'step' }),
      (e) => isRnnlmError(e, 'invalid_argument'),
    );
  });

  test('the title is escaped', () => {
    const svg = renderTrainingCurves(makeLog(1, 3), { title: 'a < b & "c"' });
    assertWellFormed(svg);
    assert.ok(svg.includes('a &lt; b &amp; &quot;c&quot;'));
  });
});

describe('parseTrainLog', () => {
  test('reads JSONL, skipping blank lines', () => {
    const log = makeLog(1, 2);
    const text = `${log.map((r) => JSON.stringify(r)).join('\n')}\n\n`;
    assert.deepEqual(parseTrainLog(text), log);
    assert.deepEqual(parseTrainLog(''), []);
  });

  test('a malformed line is an error naming the line', () => {
    assert.throws(
      () => parseTrainLog('{"kind":"step"}\n{"kind":\n', 'runs/x/train-log.jsonl'),
      (e) => isRnnlmError(e, 'invalid_argument') && /runs\/x\/train-log.jsonl, line 2/.test(e.message),
    );
    assert.throws(
      () => parseTrainLog('[1,2]\n'),
      (e) => isRnnlmError(e, 'invalid_argument') && /line 1: expected a JSON object/.test(e.message),
    );
  });
});
