/**
 * The engine's dependency direction (README, Layout: errors/platform → tensor → backend → autograd →
 * ops → nn → models/optim → io → train/generate; front-ends in apps/ on top), checked on the
 * import statements of src/:
 * the engine never imports a front-end, only the platform seam (and the native loader)
 * touch node:*, and tokenizers/data stay tensor-free so servers and browsers can tokenize
 * without a backend.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** [file relative to src/, import specifier] for every static or dynamic import. */
function imports(): [string, string][] {
  const out: [string, string][] = [];
  for (const file of sources(path.join(root, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'([^']+)'/g)) out.push([path.relative(path.join(root, 'src'), file), m[1]!]);
  }
  return out;
}

/** The src/ folder a relative import lands in ('' for src/ itself). */
function target(file: string, spec: string): string {
  const abs = path.resolve(path.join(root, 'src', path.dirname(file)), spec);
  return path.relative(path.join(root, 'src'), abs).split(path.sep)[0]!;
}

const all = imports();

test('the scan finds the imports it checks', () => {
  assert.ok(all.length > 100, `only ${all.length} imports found: is the regex broken?`);
});

test('src/ never imports a front-end (apps/)', () => {
  const bad = all.filter(([f, s]) => s.startsWith('.') && target(f, s).startsWith('..'));
  assert.deepEqual(bad, []);
});

test('only the platform seam and the Node loaders of the native and wasm backends import node:*', () => {
  const allowed = (f: string): boolean =>
    f.startsWith(`platform${path.sep}node.ts`) || f.startsWith(`backend${path.sep}native`) || f === path.join('backend', 'wasm', 'node.ts') || f === 'node.ts';
  const bad = all.filter(([f, s]) => s.startsWith('node:') && !allowed(f));
  assert.deepEqual(bad, []);
});

test('tokenizers and data are tensor-free', () => {
  const forbidden = new Set(['backend', 'autograd', 'ops', 'nn', 'models', 'optim', 'train', 'generate', 'io']);
  const bad = all.filter(([f, s]) => {
    const dir = f.split(path.sep)[0]!;
    if (dir !== 'tokenizers' && dir !== 'data') return false;
    if (!s.startsWith('.')) return false;
    const t = target(f, s);
    return forbidden.has(t) || (t === 'tensor' && !s.endsWith('random.js'));
  });
  assert.deepEqual(bad, []);
});

test('lower layers do not import higher ones', () => {
  // layer rank: a module may import only modules of lower or equal rank.
  const rank: Record<string, number> = {
    'errors.ts': 0,
    platform: 0,
    tensor: 1,
    backend: 2,
    autograd: 3,
    ops: 4,
    nn: 5,
    tokenizers: 1,
    data: 2,
    models: 6,
    optim: 6,
    io: 7,
    train: 8,
    generate: 8,
    ngram: 2,
    analyze: 8,
  };
  const bad = all.filter(([f, s]) => {
    if (!s.startsWith('.')) return false;
    const from = f.split(path.sep)[0]!;
    const to = target(f, s);
    return from in rank && to in rank && rank[to]! > rank[from]!;
  });
  assert.deepEqual(bad, []);
});

test('front-ends (apps/) import only the public entry points of src/', () => {
  const PUBLIC = new Set(['node.js', 'web.js', 'index.js', 'translate/index.js', 'chat/index.js']);
  const bad: [string, string][] = [];
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
    });
  for (const file of walk(path.join(root, 'apps'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) continue;
      const rel = path.relative(path.join(root, 'src'), path.resolve(path.dirname(file), spec));
      if (!rel.startsWith('..') && !PUBLIC.has(rel.split(path.sep).join('/'))) bad.push([path.relative(root, file), spec]);
    }
  }
  assert.deepEqual(bad, []);
});

test('no module of src/ or apps/ imports itself back at run time (no import cycle)', () => {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
    });
  // Run-time edges only: `import type` is erased, so a type shared both ways is no cycle.
  const edges = new Map<string, string[]>();
  for (const file of [...walk(path.join(root, 'src')), ...walk(path.join(root, 'apps'))]) {
    const text = fs.readFileSync(file, 'utf8');
    const to = [...text.matchAll(/^(?:import|export)\s+(?!type\s)[^']*?from\s+'(\.[^']+)'/gm)].map((m) =>
      path.relative(root, path.resolve(path.dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
    );
    edges.set(path.relative(root, file), to);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, trail: string[]): void => {
    if (state.get(f) === 'done' || !edges.has(f)) return;
    if (state.get(f) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const t of edges.get(f)!) visit(t, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of edges.keys()) visit(f, []);
  assert.ok(edges.size > 100, `only ${edges.size} modules found`);
  assert.deepEqual(cycles, []);
});
