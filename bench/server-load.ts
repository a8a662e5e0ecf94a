/**
 * Load benchmark of `rnnlm serve` on loopback with autocannon: aggregate generated tokens/s
 * and request latency (p50, p99) at 1, 4, 16 and 64 concurrent clients, for two servers side
 * by side (e.g. the previous commit's build and this one), alternating A and B at each level.
 * Every request is a 64-token completion of the same char model, so tokens/s is counted from
 * the servers' own rnnlm_generated_tokens_total. Bounded: each run stops after `amount`
 * requests. Besides wall-clock tokens/s it reports tokens per CPU-second of the server process
 * (utime + stime from /proc), which a shared, busy machine disturbs far less than wall time.
 *
 *   node --import tsx bench/server-load.ts --model DIR --a OLD/dist/apps/cli/main.js --b dist/apps/cli/main.js \
 *     [--levels 1,4,16,64] [--tokens 64] [--seconds 12] [--per-stream 3] [--a-args "…"] [--b-args "…"]
 *
 * --per-stream: requests per client at each level (at least 6 in all). The last columns are
 * each server's tokens/s (wall and per CPU-second) over its own 1-stream figure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' },
    a: { type: 'string' },
    b: { type: 'string' },
    'a-args': { type: 'string', default: '' },
    'b-args': { type: 'string', default: '' },
    levels: { type: 'string', default: '1,4,16,64' },
    tokens: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '12' },
    'per-stream': { type: 'string', default: '3' },
  },
});
if (!o.model || !o.a || !o.b) throw new Error('give --model DIR --a CLI --b CLI');
const TOKENS = Number(o.tokens);
const SECONDS = Number(o.seconds);
const PER_STREAM = Number(o['per-stream']);

interface Server {
  name: string;
  url: string;
  child: ChildProcess;
}

async function start(name: string, cli: string, extra: string): Promise<Server> {
  const args = [
    cli,
    'serve',
    '--model',
    o.model!,
    '--port',
    '0',
    '--log-level',
    'silent',
    '--max-concurrent',
    '64',
    '--max-tokens',
    String(TOKENS),
    ...extra.split(' ').filter(Boolean),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 60_000;
  for (;;) {
    const m = /at (http:\/\/[\d.]+:\d+)/.exec(out);
    if (m) return { name, url: m[1]!, child };
    if (Date.now() > until || child.exitCode !== null) throw new Error(`${name} did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU seconds (user + system) the process has used, from /proc/PID/stat (Linux). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function tokensSoFar(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^rnnlm_generated_tokens_total (\S+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

interface Row {
  server: string;
  streams: number;
  requests: number;
  errors: number;
  tokensPerSec: number;
  tokensPerCpuSec: number;
  p50: number;
  p99: number;
}

async function run(s: Server, streams: number, seedBase: number): Promise<Row> {
  const amount = Math.max(6, streams * PER_STREAM);
  const t0 = await tokensSoFar(s.url);
  const c0 = cpuSeconds(s.child.pid!);
  let seed = seedBase;
  const started = performance.now();
  const opts: autocannon.Options = {
    url: `${s.url}/v1/completions`,
    method: 'POST',
    connections: streams,
    amount,
    duration: SECONDS,
    timeout: 120,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ prompt: 'ROMEO:', max_tokens: TOKENS, seed: seed++ }) }) }],
  };
  // Wall time up to the last response: autocannon itself ends on its 1-second tick, which made
  // short runs (1 stream) look up to a second longer than they were.
  let last = started;
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    run.on('response', () => (last = performance.now()));
  });
  const secs = (last - started) / 1000;
  const tokens = (await tokensSoFar(s.url)) - t0;
  const cpu = cpuSeconds(s.child.pid!) - c0;
  return {
    server: s.name,
    streams,
    requests: r.requests.total,
    errors: r.errors + r.non2xx,
    tokensPerSec: tokens / secs,
    tokensPerCpuSec: tokens / cpu,
    p50: r.latency.p50,
    p99: r.latency.p99,
  };
}

const a = await start('A', o.a, o['a-args']!);
const b = await start('B', o.b, o['b-args']!);
const rows: Row[] = [];
try {
  for (const s of [a, b]) await run(s, 1, 1); // warm-up
  for (const streams of o.levels!.split(',').map(Number)) {
    for (const s of streams % 2 ? [a, b] : [b, a]) {
      const row = await run(s, streams, 1000 * streams);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  a.child.kill('SIGINT');
  b.child.kill('SIGINT');
}
console.log(
  '\n| streams | server | requests | errors | tokens/s (wall) | tokens per CPU-s | p50 ms | p99 ms | × 1 stream (wall) | × 1 stream (CPU) |\n|---|---|---|---|---|---|---|---|---|---|',
);
for (const r of rows) {
  const one = rows.find((x) => x.server === r.server && x.streams === 1);
  const times = (v: number, base: number | undefined) => (base ? `${(v / base).toFixed(1)}×` : '');
  console.log(
    `| ${r.streams} | ${r.server} | ${r.requests} | ${r.errors} | ${r.tokensPerSec.toFixed(0)} | ${r.tokensPerCpuSec.toFixed(0)} | ${r.p50} | ${r.p99} | ` +
      `${times(r.tokensPerSec, one?.tokensPerSec)} | ${times(r.tokensPerCpuSec, one?.tokensPerCpuSec)} |`,
  );
}
