/**
 * GFLOP/s of the native backend's sgemm on the shapes of a 650-unit LSTM LM (batch 20, bptt 35,
 * V = 10000), with 1 and 2 threads, next to the machine's peak:
 *   700×650 · 650×2600     input projection of a window (T·B = 700 rows, 4H = 2600 gates)
 *   20×650 · 650×2600      one recurrent step (B = 20 rows)
 *   700×650 · 650×10000    output layer logits
 *   700×2600 · 2600×650    backward: dx = dG · W_ih
 * plus, with --all, the transposed forms the layers really call (NT projection, TN weight grads).
 *
 * Peak: the clock is measured with a chain of dependent integer adds (1/cycle), the FMA
 * throughput with 12 independent vector FMA chains; theoretical peak = clock × FLOP/cycle
 * (measured FLOP/cycle rounded to a power of two) × threads.
 *
 * Two rates per shape: wall clock (best and median run), and "busy": FLOPs over the CPU time of
 * the busiest kernel thread (each thread's own clock). On a machine shared with other processes
 * the wall clock of 2 threads mostly measures how often both cores were free; the busy rate is
 * what the same run gives with both cores to itself.
 *
 *   node --import tsx bench/gemm.ts [--all] [--isa avx512|avx2|generic] [--ms 800] [--precision bf16] [--threads 1,2]
 *   node --import tsx bench/gemm.ts --backend wasm [--all] [--ms 800] [--threads 1,2]
 *
 * --backend wasm times the same kernels compiled to WebAssembly SIMD128 (one thread unless
 * --threads: the shared build's worker_threads; wall clock only; the relaxed-SIMD build with
 * node --experimental-wasm-relaxed-simd), twice per shape: with operands in JS arrays (copied into wasm memory per call, as the
 * backend does for ordinary tensors) and with operands already in wasm memory (no copy). Its
 * percentages are of the 128-bit SIMD peak of one core, measured by the addon's probes (when it is
 * built): its generic build's multiply + add (SIMD128 has no FMA) and half its AVX2 FMA rate;
 * the addon's own one-thread rates on its generic and best builds are printed beside them.
 *
 * --precision bf16 times the mixed-precision gemm (bf16 operands, float32 sums: vdpbf16ps where the
 * CPU has it); "% peak" stays the float32 FMA peak, which vdpbf16ps can exceed up to 2×.
 */
import { loadNativeBackend, nativeControls, nativeUnavailableReason } from '../src/backend/native/index.js';
import { loadWasmBackend, wasmUnavailableReason } from '../src/backend/wasm/node.js';
import { Rng } from '../src/tensor/random.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ms = Number(opt('--ms') ?? 800);
const precision = opt('--precision') === 'bf16' ? 'bf16' : 'fp32';
const threadList = (opt('--threads') ?? '1,2').split(',').map(Number);

const shapes: [string, boolean, boolean, number, number, number][] = [
  ['700×650 · 650×2600', false, false, 700, 2600, 650],
  ['20×650 · 650×2600', false, false, 20, 2600, 650],
  ['700×650 · 650×10000', false, false, 700, 10000, 650],
  ['700×2600 · 2600×650', false, false, 700, 650, 2600],
];
if (args.includes('--all')) {
  shapes.push(
    ['700×650 · (2600×650)ᵀ', false, true, 700, 2600, 650],
    ['20×650 · (2600×650)ᵀ', false, true, 20, 2600, 650],
    ['(700×2600)ᵀ · 700×650', true, false, 2600, 650, 700],
    ['700×10000 · 10000×650', false, false, 700, 650, 10000],
    ['1×650 · (10000×650)ᵀ', false, true, 1, 10000, 650],
  );
}
const rng = new Rng(1);

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniformRange(-1, 1);
  return a;
}

/** Best and median wall-clock GFLOP/s of `run` (2·M·N·K FLOPs) over runs lasting at least `ms`. */
function wallRates(run: () => void, flops: number): { best: number; median: number } {
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  const t0 = performance.now();
  do {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  } while (performance.now() - t0 < ms || times.length < 5);
  times.sort((a, b) => a - b);
  const gf = (t: number): number => flops / (t * 1e6);
  return { best: gf(times[0]!), median: gf(times[Math.floor(times.length / 2)]!) };
}

if (opt('--backend') === 'wasm') {
  const wasm = loadWasmBackend();
  if (!wasm) {
    console.error(`bench/gemm: ${wasmUnavailableReason()}`);
    process.exit(1);
  }
  const native = loadNativeBackend();
  const ctl = nativeControls();
  const best = ctl?.info().isa;
  // 128-bit peaks from the addon's probes: its generic build is the same 4-wide SIMD without FMA
  // (multiply + add, as SIMD128 has), and half its AVX2 FMA rate is what 128-bit FMA would give.
  ctl?.setIsa('generic');
  const mulAdd = ctl ? ctl.fmaPeakGflops(300) : wasm.controls.fmaPeakGflops(300);
  const fma128 = ctl?.setIsa('avx2') ? ctl.fmaPeakGflops(300) / 2 : null;
  if (best) ctl?.setIsa(best);
  ctl?.setThreads(1);
  const wasmThreads = opt('--threads') ? threadList : [1];
  console.log(`wasm backend: ${wasm.description}; precision ${precision}; threads ${wasmThreads.join(', ')}`);
  console.log(
    `128-bit peak of one core: ${mulAdd.toFixed(1)} GFLOP/s multiply + add (${ctl ? "the addon's generic probe" : "the module's own probe"}, "%mad")` +
      `${fma128 ? `, ${fma128.toFixed(1)} GFLOP/s with FMA (half the AVX2 probe, "%fma")` : ''}; wasm memory ops copied or in place\n`,
  );
  const cols = ['threads', 'wasm copied', '%mad', '%fma', 'in place', '%mad', '%fma', 'native generic', `native ${best ?? '-'}`];
  console.log(`${'shape'.padEnd(24)}${cols.map((c) => c.padStart(c.startsWith('%') ? 6 : c === 'threads' ? 8 : 15)).join('')}`);
  // Percentages are of one core's peak times the threads.
  const pct = (g: number, peak: number | null): string => (peak ? `${((100 * g) / (peak * threads)).toFixed(0)}%` : '-').padStart(6);
  let threads = 1;
  for (const want of wasmThreads) {
    wasm.controls.setThreads(want);
    threads = await wasm.controls.threadsReady(20_000);
    for (const [label, ta, tb, M, N, K] of shapes) {
      const A = rand(M * K);
      const B = rand(K * N);
      const C = rand(M * N);
      const flops = 2 * M * N * K;
      const copied = wallRates(() => wasm.kernels.gemm(ta, tb, M, N, K, 1, A, B, 0, C, precision), flops);
      // One block, allocated after the copied runs grew the kernels' scratch: the memory does not
      // grow again, so these views stay valid (a grown memory detaches every view of it).
      const block = wasm.controls.allocResident(A.length + B.length + C.length);
      const rA = block.subarray(0, A.length);
      const rB = block.subarray(A.length, A.length + B.length);
      const rC = block.subarray(A.length + B.length);
      rA.set(A);
      rB.set(B);
      rC.set(C);
      const inPlace = wallRates(() => wasm.kernels.gemm(ta, tb, M, N, K, 1, rA, rB, 0, rC, precision), flops);
      const onIsa = (isa: string): string => {
        if (!native || !ctl?.setIsa(isa) || threads !== 1) return '-'.padStart(15);
        const r = wallRates(() => native.kernels.gemm(ta, tb, M, N, K, 1, A, B, 0, C, precision), flops);
        ctl.setIsa(best!);
        return r.best.toFixed(1).padStart(15);
      };
      console.log(
        `${label.padEnd(24)}${String(threads).padStart(8)}${copied.best.toFixed(1).padStart(15)}${pct(copied.best, mulAdd)}${pct(copied.best, fma128)}` +
          `${inPlace.best.toFixed(1).padStart(15)}${pct(inPlace.best, mulAdd)}${pct(inPlace.best, fma128)}${onIsa('generic')}${onIsa(best ?? '')}`,
      );
    }
  }
  console.log('(GFLOP/s, best of runs over --ms each; "native" columns: the addon on one thread, with the one-thread wasm rows)');
  process.exit(0);
}

const backend = loadNativeBackend();
const controls = nativeControls();
if (!backend || !controls) {
  console.error(`bench/gemm: ${nativeUnavailableReason()}`);
  process.exit(1);
}
const isa = opt('--isa');
if (isa && !controls.setIsa(isa)) {
  console.error(`bench/gemm: this CPU cannot run the ${isa} build (available: ${controls.info().isas.join(', ')})`);
  process.exit(1);
}
const k = backend.kernels;

/** Best and median wall-clock GFLOP/s and best busy-time GFLOP/s over runs lasting at least `ms`. */
function measure(ta: boolean, tb: boolean, M: number, N: number, K: number): { best: number; median: number; busy: number } {
  const A = rand(M * K);
  const B = rand(K * N);
  const C = rand(M * N);
  const run = (): void => k.gemm(ta, tb, M, N, K, 1, A, B, 0, C, precision);
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  let busyBest = Infinity;
  const t0 = performance.now();
  controls!.setAccounting(true);
  do {
    controls!.takeBusySeconds();
    const t = performance.now();
    run();
    times.push(performance.now() - t);
    busyBest = Math.min(busyBest, Math.max(...controls!.takeBusySeconds()) * 1e3);
  } while (performance.now() - t0 < ms || times.length < 5);
  controls!.setAccounting(false);
  times.sort((a, b) => a - b);
  const gf = (t: number): number => (2 * M * N * K) / (t * 1e6);
  return { best: gf(times[0]!), median: gf(times[Math.floor(times.length / 2)]!), busy: gf(busyBest) };
}

const info = controls.info();
const ghz = controls.cpuGhz(300);
const fma1 = controls.fmaPeakGflops(300);
const flopsPerCycle = 2 ** Math.round(Math.log2(fma1 / ghz));
const peak1 = ghz * flopsPerCycle;
console.log(`native backend: ${backend.description}; precision ${precision}`);
console.log(
  `clock ≈ ${ghz.toFixed(2)} GHz; measured FMA throughput ${fma1.toFixed(1)} GFLOP/s per core ` +
    `(${(fma1 / ghz).toFixed(1)} FLOP/cycle → ${flopsPerCycle} with ${info.isa});`,
);
console.log(`theoretical peak ≈ ${peak1.toFixed(0)} GFLOP/s per core, ${(2 * peak1).toFixed(0)} on 2 cores\n`);

const header =
  `${'shape'.padEnd(24)}${'threads'.padStart(8)}${'wall best'.padStart(11)}${'median'.padStart(9)}` +
  `${'% peak'.padStart(8)}${'busy GF/s'.padStart(11)}${'% peak'.padStart(8)}`;
console.log(header);
console.log('(GF/s = GFLOP/s; "busy" = FLOPs / CPU time of the busiest kernel thread, see the header comment)');
for (const threads of threadList) {
  const used = controls.setThreads(threads);
  for (const [label, ta, tb, M, N, K] of shapes) {
    const r = measure(ta, tb, M, N, K);
    const pct = (g: number): string => `${((100 * g) / (peak1 * used)).toFixed(0)}%`.padStart(8);
    console.log(
      `${label.padEnd(24)}${String(used).padStart(8)}${r.best.toFixed(1).padStart(11)}${r.median.toFixed(1).padStart(9)}` +
        `${pct(r.best)}${r.busy.toFixed(1).padStart(11)}${pct(r.busy)}`,
    );
  }
}
controls.setThreads(info.threads);
