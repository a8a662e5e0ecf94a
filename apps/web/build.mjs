#!/usr/bin/env node
/**
 * Builds the browser page into dist/web/ (index.html, style.css, main.js and the wasm backend's
 * kernels): esbuild bundles apps/web/main.ts with the engine for platform 'browser'. Any Node built-in reaching the
 * bundle (node:fs, path, …) fails the build, naming the file that imports it, so src/web.ts
 * stays browser-safe. `node apps/web/build.mjs [--minify] [--outdir DIR]`, or import buildWeb().
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VARIANTS } from '../../scripts/build-wasm.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
const STATIC_FILES = ['index.html', 'style.css'];
/** The wasm backend's kernels (every build: memory kinds, relaxed SIMD), served next to main.js (src/backend/wasm/browser.ts). */
const WASM_FILES = VARIANTS.map((v) => path.join(repoRoot, 'native', 'wasm', v.file));

/** Fails resolution of every Node built-in, with the importer in the message. */
export const noNodeBuiltins = {
  name: 'no-node-builtins',
  setup(build) {
    const builtins = new Set(builtinModules);
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const bare = args.path.startsWith('node:') ? args.path.slice(5) : args.path;
      if (!args.path.startsWith('node:') && !builtins.has(bare.split('/')[0]) && !builtins.has(bare)) return undefined;
      return {
        errors: [
          {
            text: `"${args.path}" is a Node built-in and cannot run in a browser (imported by ${path.relative(repoRoot, args.importer) || args.importer}); keep node:* behind the platform seam (src/platform/node.ts)`,
          },
        ],
      };
    });
  },
};

/**
 * Bundles `entry` (default: the page) for the browser. Returns the output directory, the
 * written files and every source file the bundle holds (from esbuild's metafile).
 */
export async function buildWeb(options = {}) {
  const outdir = path.resolve(options.outdir ?? path.join(repoRoot, 'dist', 'web'));
  const entry = options.entry ?? path.join(here, 'main.ts');
  fs.mkdirSync(outdir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: { main: entry },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    outdir,
    sourcemap: options.sourcemap ?? true,
    minify: options.minify ?? false,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: repoRoot,
    plugins: [noNodeBuiltins],
  });
  const files = [path.join(outdir, 'main.js')];
  if (options.entry === undefined) {
    for (const f of STATIC_FILES) {
      fs.copyFileSync(path.join(here, f), path.join(outdir, f));
      files.push(path.join(outdir, f));
    }
    for (const f of WASM_FILES) {
      fs.copyFileSync(f, path.join(outdir, path.basename(f)));
      files.push(path.join(outdir, path.basename(f)));
    }
    // The model the page opens with (scripts/make-web-model.ts writes it).
    fs.mkdirSync(path.join(outdir, 'model'), { recursive: true });
    for (const f of fs.readdirSync(path.join(here, 'model'))) {
      fs.copyFileSync(path.join(here, 'model', f), path.join(outdir, 'model', f));
      files.push(path.join(outdir, 'model', f));
    }
  }
  return { outdir, files, inputs: Object.keys(result.metafile.inputs), warnings: result.warnings.map((w) => w.text) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outdir');
  try {
    const r = await buildWeb({ minify: args.includes('--minify'), ...(at >= 0 ? { outdir: args[at + 1] } : {}) });
    const kb = (fs.statSync(path.join(r.outdir, 'main.js')).size / 1024).toFixed(0);
    console.log(
      `built ${path.relative(process.cwd(), r.outdir) || '.'}/ (main.js ${kb} KiB from ${r.inputs.length} sources); serve it with any static file server`,
    );
  } catch (e) {
    for (const err of e.errors ?? []) console.error(`error: ${err.text}${err.location ? ` (${err.location.file}:${err.location.line})` : ''}`);
    if (!e.errors) console.error(e);
    process.exit(1);
  }
}
