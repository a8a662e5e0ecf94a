/**
 * apps/web/serve.mjs, the page's shipped server: every response carries the headers that make a
 * page cross-origin isolated (the wasm backend's shared-memory build and its threads need them),
 * files come with their types, directories with their index.html, and nothing outside the root;
 * in Chromium, the built page it serves is cross-origin isolated and runs the wasm backend's
 * shared-memory build on Web Worker threads (skipped without Chromium).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, noChromium } from '../../test/browser/chromium.js';
import { buildWeb } from './build.mjs';
import { ISOLATION_HEADERS, serveWeb } from './serve.mjs';

let root: string;
let base: string;
let close: () => Promise<void>;

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-serve-'));
  root = path.join(dir, 'site');
  fs.mkdirSync(path.join(root, 'web'), { recursive: true });
  fs.writeFileSync(path.join(root, 'web', 'index.html'), '<!doctype html>');
  fs.writeFileSync(path.join(root, 'web', 'k.wasm'), new Uint8Array([0, 97, 115, 109]));
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'no');
  const server = await serveWeb({ root, port: 0 });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});
after(async () => {
  await close?.();
  fs.rmSync(path.dirname(root), { recursive: true, force: true });
});

test('COOP same-origin and COEP require-corp on every response, with content types', async () => {
  assert.equal(ISOLATION_HEADERS['cross-origin-opener-policy'], 'same-origin');
  assert.equal(ISOLATION_HEADERS['cross-origin-embedder-policy'], 'require-corp');
  for (const [url, status, type] of [
    ['/web/', 200, 'text/html; charset=utf-8'],
    ['/web/k.wasm', 200, 'application/wasm'],
    ['/web/missing.js', 404, null],
  ] as const) {
    const r = await fetch(base + url);
    assert.equal(r.status, status, url);
    if (type) assert.equal(r.headers.get('content-type'), type);
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) assert.equal(r.headers.get(k), v, `${url}: ${k}`);
  }
});

test('paths that leave the root are refused', async () => {
  const r = await fetch(`${base}/web/%2e%2e/%2e%2e/secret.txt`);
  assert.ok(r.status === 403 || r.status === 404, `status ${r.status}`);
  assert.notEqual(await r.text(), 'no');
});

test('the page it serves is cross-origin isolated and runs the wasm kernels on threads', { skip: noChromium }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-serve-page-'));
  const server = await serveWeb({ root: dir, port: 0 });
  const context = await launchChromium(path.join(dir, 'profile'));
  try {
    await buildWeb({ outdir: path.join(dir, 'web') });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/web/`);
    await page.waitForFunction(() => /Backend: wasm/.test(document.querySelector('#backend')?.textContent ?? ''), undefined, { timeout: 60_000 });
    assert.equal(await page.evaluate('crossOriginIsolated'), true);
    const backend = (await page.textContent('#backend'))!;
    assert.match(backend, /parameters in shared wasm memory/);
    // One thread per logical CPU (the page's and Web Workers).
    const cpus = (await page.evaluate('navigator.hardwareConcurrency')) as number;
    if (cpus > 1) assert.match(backend, new RegExp(`${Math.min(cpus, 64)} threads \\(workers\\)`));
  } finally {
    await context.close();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
