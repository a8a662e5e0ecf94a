/**
 * The wasm backend in a real Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
 * the conformance suite (test/conformance/suite.ts, unchanged, through small node:test and
 * node:assert stand-ins in shims/) runs in a page on the kernels the page loads itself — once
 * cross-origin isolated (COOP/COEP headers: the shared-memory build) and once not (the plain
 * build), each in its relaxed-SIMD form (Chromium validates relaxed SIMD); the isolated page runs
 * it on two threads (the page's and a Web Worker, threads.ts). Skips without Chromium.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { VARIANTS } from '../../scripts/build-wasm.mjs';
import { bundlePage, launchChromium, noChromium, serveDir } from './chromium.js';
import type { Outcome } from './shims/node-test.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const skip = noChromium;

interface Report {
  error?: string;
  description?: string;
  shared?: boolean;
  relaxedSimd?: boolean;
  threads?: number;
  threadsAfter?: number;
  isolated?: boolean;
  outcomes?: Outcome[];
}

describe('wasm backend conformance in Chromium', { skip }, () => {
  let tmp: string;
  let context: BrowserContext;
  const servers: http.Server[] = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-wasm-page-'));
    const site = path.join(tmp, 'site');
    const shims: Record<string, string> = { 'node:test': 'node-test.ts', 'node:assert/strict': 'node-assert.ts' };
    await bundlePage(path.join(here, 'wasm-conformance-page.ts'), site, {
      plugins: [
        {
          name: 'node-test-shims',
          setup: (b) => b.onResolve({ filter: /^node:(test|assert\/strict)$/ }, (a) => ({ path: path.join(here, 'shims', shims[a.path]!) })),
        },
      ],
    });
    for (const { file } of VARIANTS) fs.copyFileSync(path.join(root, 'native', 'wasm', file), path.join(site, file));
    for (const isolated of [false, true]) servers.push(await serveDir(site, isolated));
    context = await launchChromium(path.join(tmp, 'profile'));
  });

  after(async () => {
    await context?.close();
    for (const s of servers) await new Promise((r) => s.close(r));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const isolated of [false, true]) {
    test(`the suite passes on the ${isolated ? 'shared-memory build on two threads (cross-origin isolated page)' : 'plain build (ordinary page)'}`, async () => {
      const page = await context.newPage();
      try {
        await page.goto(`http://127.0.0.1:${(servers[isolated ? 1 : 0]!.address() as AddressInfo).port}/`);
        await page.waitForFunction('window.__conformance !== undefined', undefined, { timeout: 120_000 });
        const r = (await page.evaluate('window.__conformance')) as Report;
        assert.equal(r.error, undefined, `the page failed: ${r.error}`);
        assert.equal(r.isolated, isolated);
        assert.equal(r.shared, isolated, 'an isolated page gets shared memory, any other the plain build');
        assert.match(r.description!, /WebAssembly SIMD128/);
        // Chromium runs relaxed SIMD, so the page takes the relaxed build (gemm multiply-add may fuse: the suite's tolerances allow both).
        assert.equal(r.relaxedSimd, true, 'Chromium validates relaxed SIMD, so the relaxed build loads');
        assert.match(r.description!, /relaxed-SIMD multiply-add/);
        // Isolated: the shared build runs the suite on the page's thread and a Web Worker.
        assert.equal(r.threads, isolated ? 2 : 1, 'threads online when the suite started');
        assert.equal(r.threadsAfter, r.threads);
        const failed = r.outcomes!.filter((o) => o.status === 'fail');
        assert.deepEqual(failed, [], failed.map((f) => `${f.name}: ${f.error}`).join('\n'));
        assert.ok(r.outcomes!.filter((o) => o.status === 'pass').length >= 30, `${r.outcomes!.length} tests ran`);
      } finally {
        await page.close();
      }
    });
  }
});
