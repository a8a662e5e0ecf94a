#!/usr/bin/env node
/**
 * Builds the native backend (native/, a C++ N-API addon) with node-gyp, then checks that the
 * result loads. It never fails an install: on ANY problem (no compiler, no headers, a compile
 * error, an addon that will not load) it prints one warning that the fast backend is unavailable
 * and the wasm backend (the same kernels, prebuilt) will be used, and exits 0.
 *
 * node-gyp comes from npm itself: $npm_config_node_gyp when npm runs this script, else the copy
 * bundled with npm next to this node, else `npm exec --yes=false node-gyp`. Node's own headers
 * (<prefix>/include/node, shipped with Debian's and NodeSource's nodejs) are used when present,
 * so no download is needed.
 *
 * Usage: node scripts/build-native.mjs [--verbose]   (RNNLM_SKIP_NATIVE=1 skips the build)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const addonPath = join(nativeDir, 'build', 'Release', 'rnnlm_native.node');
const verbose = process.argv.includes('--verbose');

function warn(why, output = '') {
  if (output) {
    const tail = output.trim().split('\n').slice(-25).join('\n');
    console.warn(tail);
  }
  console.warn(`rnnlm: warning: the fast native backend is unavailable (${why}); the wasm backend (same kernels as WebAssembly, one thread) will be used.`);
  process.exit(0);
}

/** [command, args] that run node-gyp with the given arguments. */
function nodeGyp(args) {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, [fromNpm, ...args]];
  const candidates = [
    // npm's own copy, found from the npm that runs us or from this node's install prefix
    process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  for (const c of candidates) if (existsSync(c)) return [process.execPath, [c, ...args]];
  return ['npm', ['exec', '--yes=false', 'node-gyp', '--', ...args]];
}

/** --nodedir for headers that ship with this node (avoids a download), unless npm already set one. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

if (process.env.RNNLM_SKIP_NATIVE) {
  console.log('rnnlm: RNNLM_SKIP_NATIVE is set; not building the native backend (the wasm backend will be used).');
  process.exit(0);
}

try {
  const jobs = String(Math.max(1, cpus().length));
  const [cmd, args] = nodeGyp(['rebuild', '-j', jobs, ...nodedirArgs()]);
  console.log('rnnlm: building the native backend (C++ addon in native/)…');
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: nativeDir, encoding: 'utf8', stdio: verbose ? 'inherit' : 'pipe' });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error) warn(`could not run node-gyp: ${r.error.message}`);
  if (r.status !== 0) warn('node-gyp failed; install a C++ compiler, make and python3 to get it', output);
  if (!existsSync(addonPath)) warn('node-gyp produced no addon', output);

  // Load it in a separate process: a broken addon must not take this script down.
  const probe = spawnSync(
    process.execPath,
    ['-e', `const a = require(${JSON.stringify(addonPath)}); const i = a.info(); console.log(i.isa + ', ' + i.threads + ' threads');`],
    { encoding: 'utf8' },
  );
  if (probe.status !== 0) warn('the built addon does not load', `${probe.stdout}${probe.stderr}`);
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  console.log(`rnnlm: native backend built in ${secs} s (${probe.stdout.trim()}).`);
} catch (e) {
  warn(e instanceof Error ? e.message : String(e));
}
