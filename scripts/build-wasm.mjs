#!/usr/bin/env node
/**
 * Builds the WebAssembly backend: the same kernel sources as the native addon (the
 * 'rnnlm_kernel_sources' list of native/binding.gyp, in its portable "generic" form: GCC/clang
 * vector extensions of 4 floats, here lowered to SIMD128) plus native/wasm/ (the C ABI and a
 * pool stand-in), compiled by clang for wasm32-wasi and linked by wasm-ld, four times (VARIANTS):
 *   native/wasm/rnnlm_kernels.wasm         plain memory: runs everywhere (any page)
 *   native/wasm/rnnlm_kernels.shared.wasm  shared memory (a SharedArrayBuffer): Node, and pages that
 *                                          are cross-origin isolated. Views of a shared memory stay
 *                                          valid when it grows, so arrays can live in it for good
 *                                          (src/backend/wasm: model parameters do, never copied).
 *   native/wasm/rnnlm_kernels.relaxed.wasm, rnnlm_kernels.shared.relaxed.wasm
 *                                          the same two with relaxed SIMD (-mrelaxed-simd): the
 *                                          gemm's multiply-add is f32x4.relaxed_madd (common.h
 *                                          RNNLM_MADD), an FMA where the CPU has one. The loaders
 *                                          take them where the engine validates relaxed SIMD
 *                                          (Chromium; Node 20 only with --experimental-wasm-relaxed-simd).
 * The plain builds are single-threaded (pool_single.cc); the shared ones run the kernels' parallel
 * regions on Web Workers / worker_threads sharing their memory (pool_threads.cc, src/backend/wasm/threads.ts).
 *
 * The .wasm is committed and shipped in the package, so users need no compiler: this script is
 * for developers who change native/. Next to it, rnnlm_kernels.wasm.json records a hash of the
 * sources and flags they were built from; test/wasm-build.test.ts fails when the sources change
 * and the .wasm files were not rebuilt.
 *
 * Toolchain (Debian 12): apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 \
 *                          clang-16 lld-16 libclang-rt-16-dev-wasm32
 * (no libc++ for wasm32 is needed: native/wasm/include stands in for the three C++ headers used).
 * Relaxed SIMD needs clang ≥ 16: clang 14 emits the proposal's pre-standard opcodes, which engines
 * now reject. The two other builds use the first clang found, as before.
 *
 * Usage: node scripts/build-wasm.mjs [--check]   (--check: only say whether the .wasm is current)
 *        RNNLM_CLANG=/path/to/clang++ picks the compiler (default: clang++, then clang++-14…19);
 *        RNNLM_CLANG_RELAXED the one of the relaxed builds (default: the first clang ≥ 16 of
 *        clang++, clang++-16…19).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const wasmDir = join(nativeDir, 'wasm');
export const manifestPath = join(wasmDir, 'rnnlm_kernels.wasm.json');

// Same spirit as binding.gyp's rnnlm_kernel_cflags: -ffp-contract=fast is harmless (SIMD128 has no
// FMA), the rest keep libm errno and C++ runtime machinery out of a module that has no libc++.
const CFLAGS = [
  '--target=wasm32-wasi',
  '-msimd128',
  '-O3',
  // A 4×8 gemm register tile (matmul.h): V8's 6×8 tile spills; 4×8 measured 1.5× faster (plain
  // SIMD128) and 1.9× (relaxed) in Node 20, with the same sums in the same order.
  '-DRNNLM_GEMM_MR=4',
  '-ffp-contract=fast',
  '-fno-math-errno',
  '-fno-trapping-math',
  '-fno-exceptions',
  '-fno-rtti',
  '-fno-threadsafe-statics',
  '-fvisibility=hidden',
  '-DRNNLM_ISA=generic',
];
// A reactor (no main; _initialize runs the constructors), 1 MiB of stack (wasm-ld's default is
// 64 KiB), memory that grows on demand up to wasm32's 4 GiB.
const LDFLAGS = ['--target=wasm32-wasi', '-mexec-model=reactor', '-nostdlib++', '-Wl,--strip-all', '-Wl,-z,stack-size=1048576', '-Wl,--max-memory=4294967296'];
// Shared memory needs the atomics and bulk-memory features. The shared builds run threads
// (pool_threads.cc: workers instantiate the same module on the same memory), so the memory is
// imported (the JS side makes it: 4 MiB to start, SHARED_MEMORY_PAGES in src/backend/wasm/abi.ts)
// and __stack_pointer is exported (each worker sets its own stack; mutable-globals). wasi-libc's
// objects (malloc, memcpy) are built without atomics, which is safe because pool_threads.cc
// serialises every malloc and free under a lock, so the linker's feature check is turned off.
const SHARED_CFLAGS = ['-matomics', '-mbulk-memory', '-mmutable-globals', '-DRNNLM_WASM_THREADS'];
const SHARED_LDFLAGS = [
  '-Wl,--shared-memory',
  '-Wl,--no-check-features',
  '-Wl,--import-memory',
  '-Wl,--initial-memory=4194304',
  '-Wl,--export=__stack_pointer',
];
/** The pool stand-in of each memory kind (the other one is left out of the build). */
const POOL = { plain: 'pool_single.cc', shared: 'pool_threads.cc' };
// Relaxed SIMD: f32x4.relaxed_madd in the gemm (common.h RNNLM_MADD) and the throughput probe.
const RELAXED_CFLAGS = ['-mrelaxed-simd', '-DRNNLM_RELAXED_MADD'];
const RELAXED_MIN_CLANG = 16;

/** The builds: file name in native/wasm/, shared memory, relaxed SIMD. */
export const VARIANTS = [
  { file: 'rnnlm_kernels.wasm', shared: false, relaxed: false },
  { file: 'rnnlm_kernels.shared.wasm', shared: true, relaxed: false },
  { file: 'rnnlm_kernels.relaxed.wasm', shared: false, relaxed: true },
  { file: 'rnnlm_kernels.shared.relaxed.wasm', shared: true, relaxed: true },
];

function flagsOf(v) {
  return {
    cflags: [...CFLAGS, ...(v.shared ? SHARED_CFLAGS : []), ...(v.relaxed ? RELAXED_CFLAGS : [])],
    ldflags: [...LDFLAGS, ...(v.shared ? SHARED_LDFLAGS : [])],
  };
}

/** The kernel sources, read from binding.gyp so the addon and the wasm build share one list. */
export function kernelSources() {
  const gyp = readFileSync(join(nativeDir, 'binding.gyp'), 'utf8');
  const m = /'rnnlm_kernel_sources'\s*:\s*\[([^\]]*)\]/.exec(gyp);
  if (!m) throw new Error('native/binding.gyp: no rnnlm_kernel_sources list');
  return [...m[1].matchAll(/'([^']+)'/g)].map((x) => join(nativeDir, x[1]));
}

/** Everything the .wasm is built from: kernel sources, shared headers, native/wasm's sources and include/. */
export function wasmInputs() {
  const headers = readdirSync(nativeDir)
    .filter((f) => f.endsWith('.h'))
    .map((f) => join(nativeDir, f));
  const own = readdirSync(wasmDir)
    .filter((f) => f.endsWith('.cc'))
    .map((f) => join(wasmDir, f));
  const shims = readdirSync(join(wasmDir, 'include')).map((f) => join(wasmDir, 'include', f));
  return [...kernelSources(), ...headers, ...own, ...shims].sort();
}

/** sha256 over the inputs' paths and bytes and the flags: what rnnlm_kernels.wasm.json records. */
export function sourceHash() {
  const h = createHash('sha256');
  for (const f of wasmInputs()) {
    h.update(`${relative(root, f)}\n`);
    h.update(readFileSync(f));
    h.update('\n');
  }
  h.update(JSON.stringify([VARIANTS.map((v) => [v.file, flagsOf(v)]), POOL]));
  return h.digest('hex');
}

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The first of `names` that runs and is clang ≥ min: { cmd, version }, or null. */
function findClang(names, min) {
  for (const n of names) {
    const r = spawnSync(n, ['--version'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const version = r.stdout.split('\n')[0].trim();
    if (Number(/clang version (\d+)/.exec(version)?.[1] ?? 0) >= min) return { cmd: n, version };
  }
  return null;
}

function build() {
  const env = process.env;
  const clang = findClang(env.RNNLM_CLANG ? [env.RNNLM_CLANG] : ['clang++', ...[14, 15, 16, 17, 18, 19].map((v) => `clang++-${v}`)], 0);
  if (!clang) throw new Error('no clang++ found; on Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 (or set RNNLM_CLANG)');
  const relaxed = findClang(
    env.RNNLM_CLANG_RELAXED ? [env.RNNLM_CLANG_RELAXED] : ['clang++', ...[16, 17, 18, 19].map((v) => `clang++-${v}`)],
    RELAXED_MIN_CLANG,
  );
  if (!relaxed) {
    throw new Error(
      `the relaxed-SIMD builds need clang ≥ ${RELAXED_MIN_CLANG}; on Debian: apt-get install clang-16 lld-16 libclang-rt-16-dev-wasm32 (or set RNNLM_CLANG_RELAXED)`,
    );
  }
  const obj = mkdtempSync(join(tmpdir(), 'rnnlm-wasm-'));
  const wasm = {};
  let bytes = 0;
  try {
    const own = wasmInputs().filter((f) => f.startsWith(wasmDir) && f.endsWith('.cc'));
    for (const v of VARIANTS) {
      const skip = join(wasmDir, v.shared ? POOL.plain : POOL.shared);
      const sources = [...kernelSources(), ...own.filter((f) => f !== skip)];
      const { cflags, ldflags } = flagsOf(v);
      const cc = v.relaxed ? relaxed : clang;
      const out = join(wasmDir, v.file);
      const objects = sources.map((src, i) => {
        const o = join(obj, `${i}.o`);
        run(cc.cmd, [...cflags, `-I${join(wasmDir, 'include')}`, '-c', src, '-o', o]);
        return o;
      });
      run(cc.cmd, [...ldflags, ...objects, '-o', out]);
      wasm[v.file] = sha256(out);
      bytes += statSync(out).size;
    }
  } finally {
    rmSync(obj, { recursive: true, force: true });
  }
  const manifest = {
    sourceHash: sourceHash(),
    wasm,
    compiler: clang.version,
    relaxedCompiler: relaxed.version,
    note: 'written by scripts/build-wasm.mjs; test/wasm-build.test.ts checks sourceHash against native/',
  };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return { bytes, compiler: clang.version === relaxed.version ? clang.version : `${clang.version}; relaxed SIMD: ${relaxed.version}` };
}

/** Whether the committed .wasm matches the sources: { current, reason }. */
export function checkCurrent() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    return { current: false, reason: `${relative(root, manifestPath)} is missing` };
  }
  for (const v of VARIANTS) {
    const path = join(wasmDir, v.file);
    const want = manifest.wasm?.[v.file];
    let got = null;
    try {
      got = sha256(path);
    } catch {}
    if (got !== want) return { current: false, reason: `${relative(root, path)} is missing or not the file the manifest describes; run "npm run build:wasm"` };
  }
  if (sourceHash() !== manifest.sourceHash) {
    return { current: false, reason: 'native/ sources changed since the .wasm was built; run "npm run build:wasm" and commit the result' };
  }
  return { current: true, reason: '' };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--check')) {
    const c = checkCurrent();
    console.log(c.current ? 'rnnlm: native/wasm/rnnlm_kernels.wasm is current.' : `rnnlm: ${c.reason}`);
    process.exit(c.current ? 0 : 1);
  }
  const started = Date.now();
  const r = build();
  console.log(
    `rnnlm: built ${VARIANTS.length} modules in ${relative(root, wasmDir)} (${(r.bytes / 1024).toFixed(0)} KiB, ${r.compiler}) in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  );
}
