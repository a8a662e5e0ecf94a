/** The Prometheus text rendering: counters by label set, cumulative histogram buckets, escaping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry } from './metrics.js';

test('counters keep one series per label set, in any key order', () => {
  const c = new Counter('reqs_total', 'requests');
  c.inc({ route: '/a', status: '200' });
  c.inc({ status: '200', route: '/a' }, 2);
  c.inc({ route: '/b', status: '404' });
  assert.equal(c.get({ route: '/a', status: '200' }), 3);
  assert.equal(c.get({ route: '/c', status: '200' }), 0);
  const lines = c.render().split('\n');
  assert.deepEqual(lines, [
    '# HELP reqs_total requests',
    '# TYPE reqs_total counter',
    'reqs_total{route="/a",status="200"} 3',
    'reqs_total{route="/b",status="404"} 1',
  ]);
});

test('histogram buckets are cumulative and end with +Inf = count', () => {
  const h = new Histogram('dur_seconds', 'duration', [1, 0.1]); // unsorted on purpose
  for (const v of [0.05, 0.1, 0.5, 3]) h.observe({ route: '/x' }, v);
  assert.deepEqual(h.render().split('\n').slice(2), [
    'dur_seconds_bucket{route="/x",le="0.1"} 2',
    'dur_seconds_bucket{route="/x",le="1"} 3',
    'dur_seconds_bucket{route="/x",le="+Inf"} 4',
    'dur_seconds_sum{route="/x"} 3.65',
    'dur_seconds_count{route="/x"} 4',
  ]);
});

test('label values are escaped; a registry renders every metric and ends with a newline', () => {
  const r = new Registry();
  r.add(new Counter('c_total', 'c')).inc({ path: 'a"b\\c\nd' });
  r.add(new Gauge('g', 'g', () => 7));
  const text = r.render();
  assert.ok(text.includes('c_total{path="a\\"b\\\\c\\nd"} 1'), text);
  assert.ok(text.endsWith('# TYPE g gauge\ng 7\n'), text);
});
