/**
 * Headless Debian Chromium for the browser tests, through playwright-core (no browser download):
 * CHROMIUM_PATH or /usr/bin/chromium, one persistent profile per test file, flags that keep the
 * browser off the network (no sync, updates, QUIC or background requests).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here (a skip reason), or false when Chromium is installed. */
export const noChromium: string | false = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH to run the browser tests`;

export function launchChromium(profileDir: string, viewport?: { width: number; height: number }, extraArgs: string[] = []): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    ...(viewport ? { viewport } : {}),
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8' };

/**
 * Serves the files of `dir` (flat: the URL's last path segment names the file) on 127.0.0.1 at a
 * free port; with `isolated`, every response carries the headers that make a page cross-origin
 * isolated (COOP same-origin + COEP require-corp: SharedArrayBuffer and wasm threads).
 */
export function serveDir(dir: string, isolated: boolean): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(new URL(req.url ?? '/', 'http://x').pathname) || 'index.html');
    if (!existsSync(file)) return void res.writeHead(404).end();
    const headers: Record<string, string> = { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' };
    if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    res.writeHead(200, headers).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Bundles a page script (`entry`) into `site/main.js` for the browser (ESM, es2022) and writes the
 * `site/index.html` that loads it. `options` adds to the esbuild options (plugins, externals).
 */
export async function bundlePage(entry: string, site: string, options: esbuild.BuildOptions = {}): Promise<void> {
  await esbuild.build({
    entryPoints: { main: entry },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    outdir: site,
    logLevel: 'silent',
    ...options,
  });
  writeFileSync(path.join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="main.js"></script>\n');
}
