/**
 * The wasm backend in Chromium (Debian's /usr/bin/chromium through playwright-core, as the browser
 * tests run it): bundles bench/wasm-browser-page.ts with esbuild, serves it with the wasm builds
 * (cross-origin isolated with --isolated: COOP same-origin + COEP require-corp, which the shared
 * builds and threads need), and prints what the page measured for each build.
 *
 *   node --import tsx bench/wasm-browser.ts [--task gemm|lm] [--files a.wasm,b.wasm] [--isolated]
 *        [--threads 1,2] [--ms 800] [--tokens 200] [--js-flags "V8 flags"]
 *
 * Default files: the plain and relaxed builds of the memory kind the page gets (shared when
 * isolated). gemm: GFLOP/s, operands in wasm memory, with the module's own multiply-add probe
 * (SIMD128 multiply + add, or relaxed madd in a relaxed build). lm: 2×512 char LSTM, generation
 * ms/token (batch 1) and evaluation characters/s (batch 10, bptt 35).
 */
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { VARIANTS } from '../scripts/build-wasm.mjs';
import { bundlePage, launchChromium, noChromium, serveDir } from '../test/browser/chromium.js';

const { values: a } = parseArgs({
  options: {
    task: { type: 'string', default: 'gemm' },
    files: { type: 'string' },
    isolated: { type: 'boolean', default: false },
    threads: { type: 'string', default: '1' },
    ms: { type: 'string', default: '800' },
    tokens: { type: 'string', default: '200' },
    'js-flags': { type: 'string' },
  },
});
if (noChromium) {
  console.error(`bench/wasm-browser: ${noChromium}`);
  process.exit(1);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const files = a.files ? a.files.split(',') : VARIANTS.filter((v) => v.shared === a.isolated).map((v) => v.file);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-wasm-bench-'));
const site = path.join(tmp, 'site');
await bundlePage(path.join(here, 'wasm-browser-page.ts'), site);
for (const { file } of VARIANTS) fs.copyFileSync(path.join(root, 'native', 'wasm', file), path.join(site, file));

const server = await serveDir(site, a.isolated === true);
const context = await launchChromium(path.join(tmp, 'profile'), undefined, a['js-flags'] ? [`--js-flags=${a['js-flags']}`] : []);
try {
  const port = (server.address() as AddressInfo).port;
  console.log(`Chromium ${context.browser()?.version() ?? ''}; ${a.isolated ? 'cross-origin isolated' : 'not isolated'}; task ${a.task}`);
  for (const file of files) {
    const page = await context.newPage();
    const qs = new URLSearchParams({ file, task: a.task!, threads: a.threads!, ms: a.ms!, tokens: a.tokens! });
    await page.goto(`http://127.0.0.1:${port}/?${qs}`);
    await page.waitForFunction('window.__bench !== undefined', undefined, { timeout: 170_000, polling: 500 });
    const r = (await page.evaluate('window.__bench')) as {
      error?: string;
      description: string;
      fmaPeak: number;
      rows: { threads: number; shape?: string; gflops?: number; msPerToken?: number; evalCharsPerSecond?: number }[];
    };
    await page.close();
    if (r.error) throw new Error(`${file}: ${r.error}`);
    console.log(`\n${file}: ${r.description}\n  module's multiply-add probe: ${r.fmaPeak.toFixed(1)} GFLOP/s`);
    for (const row of r.rows) {
      if (row.shape) console.log(`  ${row.shape.padEnd(24)} threads ${row.threads}  ${row.gflops!.toFixed(1).padStart(6)} GFLOP/s`);
      else console.log(`  threads ${row.threads}  generate ${row.msPerToken!.toFixed(2)} ms/token  eval ${row.evalCharsPerSecond!.toFixed(0)} chars/s`);
    }
  }
} finally {
  await context.close();
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
