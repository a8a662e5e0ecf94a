/**
 * Side-by-side benchmark, rnnlm vs PyTorch CPU: runs every configuration R times, each run in
 * its own process (bench/lm-rnnlm.ts and bench/lm_torch.py; for train-translate
 * bench/translate-rnnlm.ts and bench/translate_torch.py), alternating which side goes first,
 * and prints medians with [min–max] ranges and the ratio. Before timing, a cross-check loads
 * PyTorch's initial weights into rnnlm and compares the first losses, so both sides are known
 * to compute the same thing.
 *
 *   npm run bench -- --repeats 3 --json bench-results.json
 *   npm run bench -- --quick            # R=1, a few windows: checks the harness end to end
 *
 * Options (defaults in brackets):
 *   --repeats R [5]          runs per configuration and side
 *   --only LIST              comma list of configurations (train-small, train-medium, eval-small,
 *                            eval-medium, generate-char, train-translate) [all]
 *   --warmup W               untimed windows before timing, train and eval [3]
 *   --train-windows N        timed training windows [small 50, medium 20; translate 30 steps]
 *   --eval-windows N         timed eval windows [small 100, medium 40]
 *   --gen-warmup W [20]  --gen-tokens N [500]   generation warm-up and timed tokens
 *   --set LIST               per-configuration warm-up and timed count, e.g.
 *                            train-medium=2+5,eval-medium=2+10 (W+N; "id=N" keeps W)
 *   --quick                  R=1, warmup 1, 3 train / 5 eval windows, 100 tokens
 *   --no-check               skip the weight-sharing loss cross-check
 *   --check-windows K [2]    training windows (translation: steps) compared by the cross-check
 *   --threads T [2]          PyTorch threads (torch.set_num_threads, OPENBLAS_NUM_THREADS) and
 *                            rnnlm's native threads (RNNLM_THREADS, unless set already)
 *   --python PATH [/usr/bin/python3]
 *   --torch-lib-path DIR     prepended to LD_LIBRARY_PATH for PyTorch (e.g. an OpenBLAS libblas.so.3)
 *   --precision P [fp32]     rnnlm's matrix-product precision for the timed runs (fp32 | bf16);
 *                            the cross-check always runs fp32
 *   --torch-precision P [fp32]  PyTorch's precision for the training configurations: bf16 runs its
 *                            forward under torch.autocast('cpu', bfloat16) (oneDNN bf16 kernels)
 *   --openblas-coretype C    OPENBLAS_CORETYPE for the PyTorch process only [auto: SkylakeX where the
 *                            CPU has AVX-512, the strongest OpenBLAS kernels; "default": OpenBLAS's own pick]
 *   --json FILE              write every raw result
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(BENCH, '..');

type Side = 'rnnlm' | 'pytorch';
type Task = 'train' | 'eval' | 'generate';

interface Config {
  id: string;
  task: Task;
  model: 'small' | 'medium' | 'char' | 'translate';
  warmup: number;
  windows: number;
}

/** One child's RESULT line (the fields both sides share). */
interface RunResult {
  side: Side;
  task: string;
  model: string;
  vocab: number;
  config: Record<string, number>;
  tokensPerSecond?: number;
  msPerToken?: number;
  firstLoss?: number;
  loss?: number;
  evalLoss?: number;
  trainLosses?: number[];
  baseRssMB: number;
  maxRssMB: number;
  seconds?: number;
  info: Record<string, unknown>;
}

const opts = parseArgs({
  options: {
    repeats: { type: 'string', default: '5' },
    only: { type: 'string' },
    warmup: { type: 'string' },
    'train-windows': { type: 'string' },
    'eval-windows': { type: 'string' },
    'gen-warmup': { type: 'string' },
    'gen-tokens': { type: 'string' },
    set: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'no-check': { type: 'boolean', default: false },
    'check-windows': { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'torch-lib-path': { type: 'string' },
    'openblas-coretype': { type: 'string', default: 'auto' },
    precision: { type: 'string', default: 'fp32' },
    'torch-precision': { type: 'string', default: 'fp32' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
}).values;

function die(msg: string): never {
  process.stderr.write(`compare: ${msg}\n`);
  process.exit(2);
}

function intOpt(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) die(`--${name} must be an integer >= ${min}, got ${v}`);
  return n;
}

if (opts.help) {
  const src = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8');
  process.stdout.write(`${src.slice(src.indexOf('/**') + 3, src.indexOf('*/')).replace(/^ \* ?/gm, '')}\n`);
  process.exit(0);
}

const quick = opts.quick;
const repeats = intOpt('repeats', quick && !process.argv.includes('--repeats') ? '1' : opts.repeats, 1)!;
const warmup = intOpt('warmup', opts.warmup, 0) ?? (quick ? 1 : 3);
const trainWin = intOpt('train-windows', opts['train-windows'], 1);
const evalWin = intOpt('eval-windows', opts['eval-windows'], 1);
const genWarmup = intOpt('gen-warmup', opts['gen-warmup'], 1) ?? (quick ? 5 : 20);
const genTokens = intOpt('gen-tokens', opts['gen-tokens'], 1) ?? (quick ? 100 : 500);
const checkWindows = intOpt('check-windows', opts['check-windows'], 1)!;
const threads = intOpt('threads', opts.threads, 1)!;

const ALL: Config[] = [
  { id: 'train-small', task: 'train', model: 'small', warmup, windows: trainWin ?? (quick ? 3 : 50) },
  { id: 'train-medium', task: 'train', model: 'medium', warmup, windows: trainWin ?? (quick ? 3 : 20) },
  { id: 'eval-small', task: 'eval', model: 'small', warmup, windows: evalWin ?? (quick ? 5 : 100) },
  { id: 'eval-medium', task: 'eval', model: 'medium', warmup, windows: evalWin ?? (quick ? 5 : 40) },
  { id: 'generate-char', task: 'generate', model: 'char', warmup: genWarmup, windows: genTokens },
  // One training step of RESULTS.md's Multi30k en→de model; "windows" are steps (batches of 64 pairs).
  { id: 'train-translate', task: 'train', model: 'translate', warmup, windows: trainWin ?? (quick ? 3 : 30) },
];
const only = opts.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const id of only ?? []) if (!ALL.some((c) => c.id === id)) die(`unknown configuration ${id}; use ${ALL.map((c) => c.id).join(', ')}`);
for (const item of opts.set
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean) ?? []) {
  const m = /^([a-z-]+)=(?:(\d+)\+)?(\d+)$/.exec(item);
  const c = m ? ALL.find((x) => x.id === m[1]) : undefined;
  if (!m || !c) die(`--set ${item}: give id=N or id=W+N with id one of ${ALL.map((x) => x.id).join(', ')}`);
  if (m[2] !== undefined) c.warmup = intOpt('set', m[2], c.task === 'generate' ? 1 : 0)!;
  c.windows = intOpt('set', m[3], 1)!;
}
const configs = only ? ALL.filter((c) => only.includes(c.id)) : ALL;

// ---- running one side ----------------------------------------------------------------------

/** OPENBLAS_CORETYPE for PyTorch: --openblas-coretype, with auto = SkylakeX on an AVX-512 CPU; null = OpenBLAS's own choice. */
if (opts.precision !== 'fp32' && opts.precision !== 'bf16') die('--precision must be fp32 or bf16');
if (opts['torch-precision'] !== 'fp32' && opts['torch-precision'] !== 'bf16') die('--torch-precision must be fp32 or bf16');

function openblasCoretype(): string | null {
  const o = opts['openblas-coretype']!;
  if (o === 'default') return null;
  if (o !== 'auto') return o;
  let flags = '';
  try {
    flags = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
  return /\bavx512f\b/.test(flags) ? 'SkylakeX' : null;
}

/** The two scripts of each benchmark: the word/char language models, and the translation step. */
type Bench = 'lm' | 'translate';
const SCRIPTS: Record<Bench, Record<Side, string>> = {
  lm: { rnnlm: 'lm-rnnlm.ts', pytorch: 'lm_torch.py' },
  translate: { rnnlm: 'translate-rnnlm.ts', pytorch: 'translate_torch.py' },
};
const benchOf = (c: Config): Bench => (c.model === 'translate' ? 'translate' : 'lm');

function command(side: Side, args: string[], bench: Bench): { cmd: string; argv: string[]; env: NodeJS.ProcessEnv } {
  if (side === 'rnnlm') {
    // The native backend's thread pool reads RNNLM_THREADS (js is single-threaded and ignores it).
    const env = { ...process.env, RNNLM_THREADS: process.env.RNNLM_THREADS ?? String(threads) };
    return { cmd: process.execPath, argv: ['--import', 'tsx', path.join(BENCH, SCRIPTS[bench].rnnlm), ...args], env };
  }
  const env = { ...process.env };
  if (opts['torch-lib-path']) env.LD_LIBRARY_PATH = [opts['torch-lib-path'], env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  // An OpenBLAS picked up through the alternative (or --torch-lib-path) gets the same thread count.
  env.OPENBLAS_NUM_THREADS ??= String(threads);
  const core = openblasCoretype();
  if (core) env.OPENBLAS_CORETYPE = core;
  else delete env.OPENBLAS_CORETYPE;
  return { cmd: opts.python!, argv: [path.join(BENCH, SCRIPTS[bench].pytorch), '--threads', String(threads), ...args], env };
}

function run(side: Side, args: string[], bench: Bench = 'lm'): RunResult {
  const { cmd, argv, env } = command(side, args, bench);
  const p = spawnSync(cmd, argv, { cwd: REPO, env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const line = p.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (p.status !== 0 || !line) {
    die(`${side} ${args.join(' ')} failed (exit ${p.status ?? p.signal}):\n${(p.stderr || p.stdout || String(p.error)).slice(-3000)}`);
  }
  return JSON.parse(line.slice('RESULT '.length)) as RunResult;
}

/**
 * The translation batches both sides train on: translate-rnnlm.ts writes them once (rnnlm's own
 * batching of Multi30k), translate_torch.py reads them.
 */
const translateBatches = path.join(os.tmpdir(), `rnnlm-bench-${process.pid}-translate-batches.json`);
process.on('exit', () => fs.rmSync(translateBatches, { force: true }));

function configArgs(c: Config, side: Side): string[] {
  if (c.model === 'translate') {
    const args = ['--task', c.task, '--warmup', String(c.warmup), '--steps', String(c.windows)];
    if (side === 'rnnlm') return [...args, '--precision', opts.precision!];
    return [...args, '--precision', opts['torch-precision']!, '--batches', translateBatches];
  }
  const args = ['--task', c.task, '--model', c.model, '--warmup', String(c.warmup), '--windows', String(c.windows)];
  if (side === 'rnnlm') return [...args, '--precision', opts.precision!];
  return c.task === 'train' ? [...args, '--precision', opts['torch-precision']!] : args;
}

/** Both sides must have built the same model on the same vocabulary. */
function sameModel(a: RunResult, b: RunResult): void {
  if (a.vocab !== b.vocab || JSON.stringify(a.config) !== JSON.stringify(b.config)) {
    die(`the two sides built different models: ${a.side} V=${a.vocab} ${JSON.stringify(a.config)} vs ${b.side} V=${b.vocab} ${JSON.stringify(b.config)}`);
  }
}

// ---- cross-check ---------------------------------------------------------------------------

/** evalLoss is null for the translation check (it compares training steps only). */
interface CheckResult {
  model: string;
  torch: { evalLoss: number | null; trainLosses: number[] };
  rnnlm: { evalLoss: number | null; trainLosses: number[] };
  maxAbsDiff: number;
  ok: boolean;
}

/** Loss agreement needed on identical weights (float32 both sides; sums run in different orders). */
const CHECK_TOL = 1e-4;

/**
 * Language models: PyTorch writes its initial weights and rnnlm loads them. Translation: rnnlm
 * writes its initial weights and its first batches, and PyTorch loads both.
 */
function crossCheck(model: 'small' | 'medium' | 'translate'): CheckResult {
  const file = path.join(os.tmpdir(), `rnnlm-bench-${process.pid}-${model}.safetensors`);
  const batches = path.join(os.tmpdir(), `rnnlm-bench-${process.pid}-check-batches.json`);
  try {
    let t: RunResult;
    let r: RunResult;
    if (model === 'translate') {
      const common = ['--task', 'check', '--check-steps', String(checkWindows)];
      r = run('rnnlm', [...common, '--export-init', file, '--export-batches', batches], 'translate');
      t = run('pytorch', [...common, '--init-from', file, '--batches', batches], 'translate');
    } else {
      const common = ['--task', 'check', '--model', model, '--check-windows', String(checkWindows)];
      t = run('pytorch', [...common, '--export-init', file]);
      r = run('rnnlm', [...common, '--init-from', file]);
    }
    sameModel(t, r);
    const evalLoss = (x: RunResult): number | null => x.evalLoss ?? null;
    const diffs = t.trainLosses!.map((l, i) => Math.abs(l - r.trainLosses![i]!));
    if (evalLoss(t) !== null) diffs.push(Math.abs(t.evalLoss! - r.evalLoss!));
    const maxAbsDiff = Math.max(...diffs);
    return {
      model,
      torch: { evalLoss: evalLoss(t), trainLosses: t.trainLosses! },
      rnnlm: { evalLoss: evalLoss(r), trainLosses: r.trainLosses! },
      maxAbsDiff,
      ok: maxAbsDiff <= CHECK_TOL,
    };
  } finally {
    fs.rmSync(file, { force: true });
    fs.rmSync(batches, { force: true });
  }
}

// ---- statistics and table ------------------------------------------------------------------

interface Stat {
  median: number;
  min: number;
  max: number;
}

function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}

function fmt(x: number): string {
  if (x >= 1000) return Math.round(x).toLocaleString('en-US');
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const fmtStat = (s: Stat): string => `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`;

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ')} |`;
  return [line(head), `|${w.map((n, i) => (i === 0 ? ':' : '') + '-'.repeat(n + 1) + (i === 0 ? '' : ':')).join('|')}|`, ...rows.map(line)].join('\n');
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return `${m[1]!.trim()} (${os.cpus().length} logical CPUs)`;
  } catch {
    /* not Linux: fall back to os.cpus() */
  }
  return `${os.cpus()[0]?.model ?? 'unknown'} (${os.cpus().length} logical CPUs)`;
}

/** Environment variables that change what either side runs (printed so a table can be reproduced). */
const ENV_KEYS = [
  'RNNLM_BACKEND',
  'RNNLM_THREADS',
  'RNNLM_NATIVE_ISA',
  'OMP_NUM_THREADS',
  'OMP_WAIT_POLICY',
  'GOMP_SPINCOUNT',
  'OPENBLAS_NUM_THREADS',
  'LD_LIBRARY_PATH',
];
const envSet = (): Record<string, string> => Object.fromEntries(ENV_KEYS.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));

const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

// ---- main ------------------------------------------------------------------------------------

const started = new Date();
const loadStart = loadavg();
const log = (s: string): void => void process.stderr.write(`${s}\n`);
log(`rnnlm vs PyTorch: ${configs.map((c) => c.id).join(', ')}; R=${repeats}; load average ${loadStart}`);

const checks: CheckResult[] = [];
if (!opts['no-check']) {
  for (const m of ['small', 'medium', 'translate'] as const) {
    if (!configs.some((c) => c.model === m)) continue;
    log(
      m === 'translate'
        ? `cross-check translate: rnnlm initial weights and batches → PyTorch, ${checkWindows} training losses (dropout off)`
        : `cross-check ${m}: PyTorch initial weights → rnnlm, eval loss + ${checkWindows} training losses (dropout off)`,
    );
    const c = crossCheck(m);
    checks.push(c);
    const losses = (x: CheckResult['torch']): string =>
      `${x.evalLoss === null ? '' : `eval ${x.evalLoss.toFixed(6)} `}train ${x.trainLosses.map((l) => l.toFixed(6)).join(' ')}`;
    log(`  PyTorch ${losses(c.torch)}`);
    log(`  rnnlm   ${losses(c.rnnlm)}`);
    log(`  max |diff| ${c.maxAbsDiff.toExponential(2)} ${c.ok ? 'OK' : `EXCEEDS ${CHECK_TOL}`}`);
  }
}

const translateConfig = configs.find((c) => c.model === 'translate');
if (translateConfig) {
  const { warmup: w, windows: n } = translateConfig;
  log(`translation batches: the first ${w + n} of rnnlm's epoch-1 batching of Multi30k → ${translateBatches}`);
  run('rnnlm', ['--task', 'batches', '--warmup', String(w), '--steps', String(n), '--export-batches', translateBatches], 'translate');
}

const runs: RunResult[] = [];
const total = repeats * configs.length * 2;
for (let r = 0; r < repeats; r++) {
  configs.forEach((c, ci) => {
    // Alternate which side goes first so slow drift (thermal, other load) hits both alike.
    const order: Side[] = (r + ci) % 2 === 0 ? ['rnnlm', 'pytorch'] : ['pytorch', 'rnnlm'];
    for (const side of order) {
      const res = run(side, configArgs(c, side), benchOf(c));
      if (runs.length % 2 === 1) sameModel(runs[runs.length - 1]!, res);
      runs.push(res);
      const what = c.task === 'generate' ? `${fmt(res.msPerToken!)} ms/token` : `${fmt(res.tokensPerSecond!)} tokens/s`;
      log(`[${runs.length}/${total}] ${c.id} ${side}: ${what}, peak RSS ${fmt(res.maxRssMB)} MB (${fmt(res.seconds ?? 0)} s timed)`);
    }
  });
}
const loadEnd = loadavg();

const pick = (c: Config, side: Side): RunResult[] => runs.filter((x) => x.side === side && x.task === c.task && x.model === c.model);
const rnnlmInfo = runs.find((x) => x.side === 'rnnlm')?.info ?? {};
const torchInfo = runs.find((x) => x.side === 'pytorch')?.info ?? {};

const speedRows: string[][] = [];
const memRows: string[][] = [];
const summary: Record<string, unknown>[] = [];
for (const c of configs) {
  const latency = c.task === 'generate';
  const metric = (x: RunResult): number => (latency ? x.msPerToken! : x.tokensPerSecond!);
  const a = stat(pick(c, 'rnnlm').map(metric));
  const b = stat(pick(c, 'pytorch').map(metric));
  // Ratio > 1 always means rnnlm is better: throughput rnnlm/PyTorch, latency PyTorch/rnnlm.
  const ratio = latency ? b.median / a.median : a.median / b.median;
  const unit = latency ? 'ms/token' : 'tokens/s';
  const counted = latency ? `${c.windows} tokens after ${c.warmup}` : `${c.windows} ${c.model === 'translate' ? 'steps' : 'windows'} after ${c.warmup}`;
  speedRows.push([`${c.id} (${unit}, ${counted})`, fmtStat(a), fmtStat(b), `${ratio.toFixed(2)}×`]);
  const ma = stat(pick(c, 'rnnlm').map((x) => x.maxRssMB));
  const mb = stat(pick(c, 'pytorch').map((x) => x.maxRssMB));
  const ba = stat(pick(c, 'rnnlm').map((x) => x.baseRssMB));
  const bb = stat(pick(c, 'pytorch').map((x) => x.baseRssMB));
  memRows.push([c.id, fmt(ma.median), fmt(mb.median), `${(ma.median / mb.median).toFixed(2)}×`, fmt(ba.median), fmt(bb.median)]);
  summary.push({ id: c.id, unit, rnnlm: a, pytorch: b, ratio, peakRssMB: { rnnlm: ma, pytorch: mb }, baseRssMB: { rnnlm: ba, pytorch: bb } });
}

const blas = (torchInfo.blas ?? {}) as { config?: Record<string, string>; cpuCapability?: string; libraries?: string[]; openblasCore?: string | null };
const out: string[] = [];
out.push(`rnnlm vs PyTorch (CPU), ${started.toISOString()}`);
out.push(`CPU: ${cpuModel()}; load average at start ${loadStart}, at end ${loadEnd}`);
out.push(`rnnlm: backend ${String(rnnlmInfo.backend)}, Node ${String(rnnlmInfo.node)}, precision ${opts.precision!}`);
out.push(
  `PyTorch ${String(torchInfo.torch)}: torch.get_num_threads() = ${String(torchInfo.threads)}, ` +
    `BLAS_INFO=${blas.config?.BLAS_INFO ?? '?'}, ${blas.cpuCapability ?? ''}; mapped: ${(blas.libraries ?? []).join(', ')}; ` +
    `OpenBLAS kernels: ${blas.openblasCore ?? 'none (no OpenBLAS mapped)'} (OPENBLAS_CORETYPE=${openblasCoretype() ?? 'unset'}); ` +
    `training precision ${opts['torch-precision']!}${opts['torch-precision'] === 'bf16' ? " (torch.autocast('cpu', bfloat16))" : ''}`,
);
out.push(`Medians of ${repeats} run(s) per side, [min–max]; each run a fresh process. Word LM: PTB, LSTM 2×200 (small, dropout 0) /`);
out.push(`2×650 (medium, dropout 0.5), V=10000, train B=20 bptt=35 SGD lr 20 clip 0.25, eval B=10; generation: char LSTM 2×512,`);
out.push(`emb 512, V=65, B=1 T=1, sampling included. Ratio > 1 means rnnlm is faster (throughput rnnlm/PyTorch, latency PyTorch/rnnlm).`);
if (translateConfig) {
  const t = runs.find((x) => x.model === 'translate')!;
  out.push(
    `Translation: Multi30k en→de, Vs=${t.config.srcVocab} Vt=${t.vocab}, emb ${t.config.emb}, bidirectional LSTM encoder ${t.config.hidden} per direction, ` +
      `LSTM decoder ${t.config.hidden},`,
  );
  out.push('Luong general attention, dropout 0.3, Adam lr 1e-3, clip 5, batches of 64 length-sorted pairs (the same ids on both sides);');
  out.push('tokens/s counts target tokens (padding not counted).');
}
const env = Object.entries(envSet()).map(([k, v]) => `${k}=${v}`);
out.push(
  `Environment: ${env.length ? env.join(' ') : '(none of the tuning variables set)'}${opts['torch-lib-path'] ? `; PyTorch LD_LIBRARY_PATH += ${opts['torch-lib-path']}` : ''}`,
);
if (checks.length) {
  out.push(
    `Cross-check (same initial weights, dropout off): ${checks.map((c) => `${c.model} max |Δloss| ${c.maxAbsDiff.toExponential(1)} ${c.ok ? 'OK' : 'FAILED'}`).join('; ')}`,
  );
}
out.push('');
out.push(table(['configuration', 'rnnlm', 'PyTorch', 'ratio'], speedRows));
out.push('');
out.push(table(['peak RSS, MB (median)', 'rnnlm', 'PyTorch', 'rnnlm/PyTorch', 'rnnlm after data load', 'PyTorch after data load'], memRows));
process.stdout.write(`${out.join('\n')}\n`);

if (opts.json) {
  const doc = {
    date: started.toISOString(),
    cpu: cpuModel(),
    loadAverage: { start: loadStart, end: loadEnd },
    settings: { repeats, threads, configs, checkWindows, torchLibPath: opts['torch-lib-path'] ?? null, env: envSet() },
    rnnlm: rnnlmInfo,
    pytorch: torchInfo,
    checks,
    summary,
    runs,
  };
  fs.writeFileSync(opts.json, `${JSON.stringify(doc, null, 2)}\n`);
  log(`raw results written to ${opts.json}`);
}
if (checks.some((c) => !c.ok)) process.exitCode = 1;
