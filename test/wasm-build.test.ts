/**
 * The committed WebAssembly kernels (native/wasm/rnnlm_kernels*.wasm) must be built from the
 * current native/ sources: their manifest records a hash of every input (scripts/build-wasm.mjs),
 * so changing a kernel without `npm run build:wasm` fails here, not silently in a browser.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { VARIANTS, checkCurrent, kernelSources, manifestPath, wasmInputs } from '../scripts/build-wasm.mjs';

test('native/wasm/rnnlm_kernels*.wasm are built from the current native/ sources', () => {
  const c = checkCurrent();
  assert.ok(c.current, c.reason);
});

test('the manifest covers every build: plain and shared memory, each with and without relaxed SIMD', () => {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { wasm: Record<string, string> };
  assert.deepEqual(Object.keys(manifest.wasm).sort(), VARIANTS.map((v) => v.file).sort());
  for (const shared of [false, true])
    for (const relaxed of [false, true])
      assert.ok(
        VARIANTS.some((v) => v.shared === shared && v.relaxed === relaxed),
        `shared ${shared}, relaxed ${relaxed}`,
      );
});

test('the hash covers every kernel source of the addon and the wasm-only sources', () => {
  const inputs = wasmInputs();
  const sources = kernelSources();
  assert.ok(sources.length >= 7, 'binding.gyp lists the kernel sources');
  for (const f of sources) assert.ok(inputs.includes(f), `${f} is hashed`);
  for (const f of ['exports.cc', 'pool_single.cc', 'pool_threads.cc', 'common.h', 'vmath.h', 'kernels.h', 'matmul.h']) {
    assert.ok(
      inputs.some((i) => i.endsWith(`/${f}`)),
      `${f} is hashed`,
    );
  }
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('native'), 'the package ships native/ (and so the .wasm)');
});
