/**
 * rnnlm vs TensorFlow.js on the same 2×512 character LSTM (bench/tfjs-lm.ts: the weight
 * conversion, TF.js's `layers` and `ops` formulations and the tasks), in Node or in headless
 * Chromium (Debian's /usr/bin/chromium through playwright-core, test/browser/chromium.ts).
 *
 *   node --import tsx bench/tfjs.ts [--env node|chromium] [--sides a,b] [--tasks check,generate,eval,train]
 *        [--gen 200] [--eval-chars 10000] [--eval-batch 10] [--train-batch 32] [--train-bptt 100]
 *        [--train-warmup 1] [--train-windows 2] [--formulations layers,ops] [--json out.json]
 *
 * Sides — node: tfjs-wasm tfjs-cpu rnnlm-wasm rnnlm-js rnnlm-native-1 rnnlm-native-2;
 * chromium: tfjs-wasm tfjs-cpu rnnlm-wasm rnnlm-js. In Node every side runs in its own process
 * (RNNLM_BACKEND / RNNLM_THREADS are read at import); in Chromium every side gets a fresh page of a
 * cross-origin isolated site (COOP/COEP, so TF.js's threaded wasm build can run). A TF.js side runs
 * both formulations; before timing each must give rnnlm's (js) log-probabilities on the first
 * characters of Tiny Shakespeare to CHECK_TOL, or the run exits with status 1 after its table.
 * `--merge a.json,b.json` prints one table (ratios against the fastest TF.js row of them all) from
 * the --json files of runs split to keep each short; it runs nothing.
 * Legend: V vocabulary (65 characters).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type * as TF from '@tensorflow/tfjs';
import { CHECK_TOL, DEFAULTS, FORMULATIONS, type BenchOptions, type Formulation, type SideResult, TASKS, type Task } from './tfjs-lm.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '..');
const NODE_SIDES = ['tfjs-wasm', 'tfjs-cpu', 'rnnlm-wasm', 'rnnlm-js', 'rnnlm-native-1', 'rnnlm-native-2'];
const CHROMIUM_SIDES = ['tfjs-wasm', 'tfjs-cpu', 'rnnlm-wasm', 'rnnlm-js'];

/** What one side reports: its rows plus how it ran (versions, backend, threads). */
export interface SideReport {
  side: string;
  rows: SideResult[];
  info: Record<string, unknown>;
  error?: string;
}

const { values: a } = parseArgs({
  options: {
    env: { type: 'string', default: 'node' },
    sides: { type: 'string' },
    tasks: { type: 'string', default: TASKS.join(',') },
    gen: { type: 'string', default: String(DEFAULTS.genTokens) },
    'eval-chars': { type: 'string', default: String(DEFAULTS.evalChars) },
    'eval-batch': { type: 'string', default: String(DEFAULTS.evalBatch) },
    'train-batch': { type: 'string', default: String(DEFAULTS.trainBatch) },
    'train-bptt': { type: 'string', default: String(DEFAULTS.trainBptt) },
    'train-warmup': { type: 'string', default: String(DEFAULTS.trainWarmup) },
    'train-windows': { type: 'string', default: String(DEFAULTS.trainWindows) },
    formulations: { type: 'string', default: FORMULATIONS.join(',') },
    data: { type: 'string', default: path.join(REPO, '..', 'shared', 'data') },
    json: { type: 'string' },
    merge: { type: 'string' },
    worker: { type: 'string' },
    opts: { type: 'string' },
  },
});

function fail(msg: string): never {
  process.stderr.write(`tfjs bench: ${msg}\n`);
  process.exit(2);
}

const textFile = path.join(a.data!, 'tinyshakespeare', 'input.txt');

if (a.worker) {
  // One Node side, in this process; RNNLM_BACKEND / RNNLM_THREADS came from the parent.
  const { CharTokenizer, describeBackend, readTextFile } = await import('../src/node.js');
  const { runSide } = await import('./tfjs-lm.js');
  const opts = JSON.parse(a.opts!) as BenchOptions;
  const text = readTextFile(textFile);
  const tokenizer = CharTokenizer.fromText(text, { unk: false });
  const ids = tokenizer.encode(text);
  const info: Record<string, unknown> = { rnnlm: describeBackend(), node: process.version };
  let tf: typeof TF | undefined;
  if (a.worker.startsWith('tfjs-')) {
    tf = (await import('@tensorflow/tfjs')) as typeof TF;
    if (a.worker === 'tfjs-wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) fail('TF.js wasm backend did not initialise');
      await tf.ready();
      Object.assign(info, {
        tfThreads: wasm.getThreadsCount(),
        simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
        multithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      });
    } else await tf.setBackend('cpu');
    await tf.ready();
    Object.assign(info, { tfjs: tf.version.tfjs, tfBackend: tf.getBackend() });
  }
  const rows = await runSide(a.worker, tokenizer, ids, opts, tf);
  process.stdout.write(`RESULT ${JSON.stringify({ side: a.worker, rows, info } satisfies SideReport)}\n`);
  process.exit(0);
}

const tasks = a.tasks!.split(',') as Task[];
for (const t of tasks) if (!TASKS.includes(t)) fail(`unknown task ${t}; tasks: ${TASKS.join(', ')}`);
const opts: BenchOptions = {
  ...DEFAULTS,
  tasks,
  genTokens: Number(a.gen),
  evalChars: Number(a['eval-chars']),
  evalBatch: Number(a['eval-batch']),
  trainBatch: Number(a['train-batch']),
  trainBptt: Number(a['train-bptt']),
  trainWarmup: Number(a['train-warmup']),
  trainWindows: Number(a['train-windows']),
  formulations: a.formulations!.split(',') as Formulation[],
};
for (const f of opts.formulations!) if (!FORMULATIONS.includes(f)) fail(`unknown formulation ${f}; formulations: ${FORMULATIONS.join(', ')}`);
if (a.env !== 'node' && a.env !== 'chromium') fail('--env must be node or chromium');
const allSides = a.env === 'node' ? NODE_SIDES : CHROMIUM_SIDES;
const sides = a.sides ? a.sides.split(',') : allSides;
for (const s of sides) if (!allSides.includes(s)) fail(`unknown ${a.env} side ${s}; sides: ${allSides.join(', ')}`);
if (!fs.existsSync(textFile)) fail(`no Tiny Shakespeare at ${textFile} (--data)`);

function runNodeSide(side: string): SideReport {
  const env: NodeJS.ProcessEnv = { ...process.env, RNNLM_BACKEND: 'js' };
  if (side === 'rnnlm-wasm') env.RNNLM_BACKEND = 'wasm';
  if (side.startsWith('rnnlm-native-')) Object.assign(env, { RNNLM_BACKEND: 'native', RNNLM_THREADS: side.slice('rnnlm-native-'.length) });
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', side, '--data', a.data!, '--opts', JSON.stringify(opts)],
    {
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) return { side, rows: [], info: {}, error: `exit ${r.status}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}` };
  return JSON.parse(line.slice(7)) as SideReport;
}

async function runChromium(): Promise<SideReport[]> {
  const { bundlePage, launchChromium, noChromium, serveDir } = await import('../test/browser/chromium.js');
  if (noChromium) fail(noChromium);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-tfjs-bench-'));
  const site = path.join(tmp, 'site');
  // Not apps/web/build.mjs's buildWeb: its no-Node-built-ins guard rejects the Emscripten glue of
  // tfjs-backend-wasm, which requires fs, path, os, … on its Node-only branch; they stay external.
  await bundlePage(path.join(here, 'tfjs-page.ts'), site, {
    external: ['fs', 'path', 'os', 'worker_threads', 'perf_hooks', 'crypto', 'util'],
  });
  const tfWasm = path.join(REPO, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of fs.readdirSync(tfWasm).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(tfWasm, f), path.join(site, f));
  for (const f of ['rnnlm_kernels.wasm', 'rnnlm_kernels.shared.wasm']) fs.copyFileSync(path.join(REPO, 'native', 'wasm', f), path.join(site, f));
  fs.copyFileSync(textFile, path.join(site, 'input.txt'));
  const server = await serveDir(site, true);
  const context = await launchChromium(path.join(tmp, 'profile'));
  const port = (server.address() as import('node:net').AddressInfo).port;
  const reports: SideReport[] = [];
  try {
    for (const side of sides) {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${port}/?side=${side}&opts=${encodeURIComponent(JSON.stringify(opts))}`);
      await page.waitForFunction(() => (globalThis as { __report?: unknown }).__report !== undefined, null, { timeout: 0, polling: 500 });
      const r = (await page.evaluate(() => (globalThis as { __report?: unknown }).__report)) as SideReport;
      Object.assign(r.info, { browser: context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent)) });
      reports.push(r);
      await page.close();
    }
  } finally {
    await context.close();
    await new Promise((r) => server.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return reports;
}

const fmt = (x: number | undefined, digits: number): string =>
  x === undefined ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

interface RunFile {
  env: string;
  started: string;
  opts: BenchOptions;
  reports: SideReport[];
  /** 1-minute load average at the start and the end. */
  load?: [number, number];
}

let started = new Date().toISOString();
const load0 = os.loadavg()[0]!;
const reports: SideReport[] = [];
if (a.merge) {
  const runs = a.merge.split(',').map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as RunFile);
  started = runs.map((r) => `${r.started}${r.load ? ` (load ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)})` : ''}`).join(', ');
  for (const r of runs) reports.push(...r.reports.map((x) => ({ ...x, rows: x.rows.map((row) => ({ ...row, opts: r.opts })) })));
} else if (a.env === 'node') {
  for (const s of sides) {
    process.stderr.write(`${s} …\n`);
    reports.push(runNodeSide(s));
  }
} else reports.push(...(await runChromium()));

// Merged runs: one row per side and formulation, the tasks of its runs side by side.
const rows: (SideResult & { opts?: BenchOptions })[] = [];
for (const row of reports.flatMap((r) => r.rows) as (SideResult & { opts?: BenchOptions })[]) {
  const same = a.merge ? rows.find((x) => x.side === row.side && x.formulation === row.formulation) : undefined;
  if (!same) {
    rows.push({ ...row });
    continue;
  }
  for (const [k, v] of Object.entries(row)) {
    // A row's opts note its training settings, so they come from the run that trained.
    if (v !== undefined && (k !== 'opts' || row.trainTokensPerSecond !== undefined)) Object.assign(same, { [k]: v });
  }
}
// The fastest TF.js configuration per task is the reference of every ratio.
const tfRows = rows.filter((r) => r.formulation);
const bestGen = Math.min(...tfRows.map((r) => r.genMsPerToken ?? Number.POSITIVE_INFINITY));
const bestEval = Math.max(...tfRows.map((r) => r.evalCharsPerSecond ?? 0));
const bestTrain = Math.max(...tfRows.map((r) => r.trainTokensPerSecond ?? 0));
const ratio = (x: number | undefined, best: number, inverse: boolean): string =>
  x === undefined || !Number.isFinite(best) || best === 0 ? '' : ` (${(inverse ? best / x : x / best).toFixed(2)}×)`;

const out: string[] = [];
const load1 = os.loadavg()[0]!;
out.push(`rnnlm vs TensorFlow.js, ${a.env}; ${started}${a.merge ? '' : `; load ${load0.toFixed(2)} → ${load1.toFixed(2)}`}`);
out.push(
  `generation: B = 1, ${opts.genTokens} tokens after ${opts.genWarmup}; evaluation: ${opts.evalChars} characters, B = ${opts.evalBatch}, windows of ${opts.evalBptt}, state carried; ` +
    `training: B = ${opts.trainBatch} × T = ${opts.trainBptt}, ${opts.trainWindows} windows after ${opts.trainWarmup}, SGD, no clipping. Ratios: against the fastest TF.js row.`,
);
for (const r of reports) out.push(`  ${r.side}: ${r.error ? `ERROR ${r.error}` : JSON.stringify(r.info)}`);
out.push('');
out.push('| side | check max abs diff | generation ms/token | evaluation chars/s | eval loss | training tokens/s |');
out.push('| --- | --- | --- | --- | --- | --- |');
const notes = (r: SideResult & { opts?: BenchOptions }): string => {
  if (!r.opts) return '';
  const d: string[] = [];
  if (r.trainTokensPerSecond !== undefined && (r.opts.trainWarmup !== opts.trainWarmup || r.opts.trainWindows !== opts.trainWindows))
    d.push(`training: ${r.opts.trainWindows} window(s) after ${r.opts.trainWarmup}`);
  return d.length ? ` (${d.join('; ')})` : '';
};
for (const r of rows) {
  out.push(
    `| ${r.side}${r.formulation ? ` ${r.formulation}` : ''}${notes(r)} | ${r.checkMaxAbsDiff === undefined ? '–' : r.checkMaxAbsDiff.toExponential(1)} | ` +
      `${fmt(r.genMsPerToken, 3)}${ratio(r.genMsPerToken, bestGen, true)} | ${fmt(r.evalCharsPerSecond, 0)}${ratio(r.evalCharsPerSecond, bestEval, false)} | ` +
      `${fmt(r.evalLoss, 4)} | ${fmt(r.trainTokensPerSecond, 0)}${ratio(r.trainTokensPerSecond, bestTrain, false)} |`,
  );
}
process.stdout.write(`${out.join('\n')}\n`);
if (a.json && !a.merge) fs.writeFileSync(a.json, JSON.stringify({ env: a.env, started, opts, reports, load: [load0, load1] } satisfies RunFile, null, 2));

const bad = rows.filter((r) => r.checkMaxAbsDiff !== undefined && !(r.checkMaxAbsDiff <= CHECK_TOL));
if (bad.length || reports.some((r) => r.error)) {
  for (const r of bad) process.stderr.write(`CHECK FAILED: ${r.side} ${r.formulation} differs from rnnlm by ${r.checkMaxAbsDiff} > ${CHECK_TOL}\n`);
  process.exit(1);
}
