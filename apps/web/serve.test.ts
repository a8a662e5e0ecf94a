/**
 * apps/web/serve.mjs, the page's shipped server: every response carries the headers that make a
 * page cross-origin isolated (the wasm backend's shared-memory build and its threads need them),
 * files come with their types, directories with their index.html, and nothing outside the root.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
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
