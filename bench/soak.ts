/**
 * Soak test of `rnnlm serve` with random client disconnects: C clients loop for D minutes,
 * each sending a random completion (streamed or not, random length, some with logprobs/echo)
 * and abandoning about half of them at a random moment (mid-stream or while queued). The
 * server's RSS is sampled from /metrics every few seconds. Reports requests done, abandoned
 * and failed (any 5xx or a broken stream counts as failed), the RSS trend (first minute vs
 * last minute) and that nothing is left running at the end.
 *
 *   node --import tsx bench/soak.ts --cli dist/apps/cli/main.js --model DIR [--minutes 10] [--clients 24]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({
  options: {
    cli: { type: 'string' },
    model: { type: 'string' },
    minutes: { type: 'string', default: '10' },
    clients: { type: 'string', default: '24' },
    'server-args': { type: 'string', default: '' },
  },
});
if (!o.cli || !o.model) throw new Error('give --cli dist/apps/cli/main.js --model DIR');
const until = Date.now() + Number(o.minutes) * 60_000;

const child = spawn(
  process.execPath,
  [
    o.cli,
    'serve',
    '--model',
    o.model,
    '--port',
    '0',
    '--log-level',
    'error',
    '--max-concurrent',
    '16',
    '--max-queue',
    '16',
    ...o['server-args']!.split(' ').filter(Boolean),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let out = '';
child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
let url = '';
for (const t0 = Date.now(); !url; ) {
  url = /at (http:\/\/[\d.]+:\d+)/.exec(out)?.[1] ?? '';
  if (Date.now() - t0 > 60_000) throw new Error(`server did not start: ${out}`);
  await new Promise((r) => setTimeout(r, 100));
}

const metric = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
const scrape = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();

const counts = { done: 0, abandoned: 0, refused429: 0, failed: 0 };
const failures: string[] = [];
let seed = 1;
const rand = (n: number): number => Math.floor(Math.random() * n);

async function client(): Promise<void> {
  while (Date.now() < until) {
    const stream = Math.random() < 0.6;
    const abandon = Math.random() < 0.5;
    const ac = new AbortController();
    const body = {
      prompt: ['ROMEO:', 'First Citizen:\n', ''][rand(3)],
      max_tokens: 1 + rand(200),
      seed: seed++,
      stream,
      ...(Math.random() < 0.2 ? { logprobs: 3, echo: true } : {}),
    };
    const timer = abandon ? setTimeout(() => ac.abort(), rand(400)) : null;
    try {
      const res = await fetch(`${url}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: ac.signal,
      });
      const text = await res.text();
      if (res.status === 429) counts.refused429++;
      else if (res.status !== 200) throw new Error(`${res.status}: ${text.slice(0, 200)}`);
      else if (stream && !text.endsWith('data: [DONE]\n\n')) throw new Error(`stream without [DONE]: ${text.slice(-200)}`);
      else if (stream && text.includes('"error"')) throw new Error(`error event: ${text.slice(-300)}`);
      else counts.done++;
    } catch (e) {
      if (ac.signal.aborted) counts.abandoned++;
      else {
        counts.failed++;
        if (failures.length < 5) failures.push(String(e));
      }
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

const samples: { t: number; rssMB: number; heapMB: number }[] = [];
const t0 = Date.now();
const sampler = setInterval(() => {
  void scrape().then((m) =>
    samples.push({
      t: (Date.now() - t0) / 1000,
      rssMB: metric(m, 'process_resident_memory_bytes') / 2 ** 20,
      heapMB: metric(m, 'nodejs_heap_used_bytes') / 2 ** 20,
    }),
  );
}, 5000);
await Promise.all(Array.from({ length: Number(o.clients) }, client));
clearInterval(sampler);
await new Promise((r) => setTimeout(r, 1000));
const end = await scrape();
child.kill('SIGTERM');

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const span = (Number(o.minutes) * 60) / 5;
const firstMin = samples.filter((s) => s.t > 10 && s.t <= 70).map((s) => s.rssMB);
const lastMin = samples.filter((s) => s.t > (until - t0) / 1000 - 60).map((s) => s.rssMB);
console.log(
  JSON.stringify(
    {
      minutes: Number(o.minutes),
      clients: Number(o.clients),
      ...counts,
      generatedTokens: metric(end, 'rnnlm_generated_tokens_total'),
      heapMB: {
        afterWarmup: +mean(samples.filter((s) => s.t > 10 && s.t <= 70).map((s) => s.heapMB)).toFixed(1),
        lastMinute: +mean(samples.filter((s) => s.t > (until - t0) / 1000 - 60).map((s) => s.heapMB)).toFixed(1),
      },
      rssMB: {
        afterWarmup: +mean(firstMin).toFixed(1),
        lastMinute: +mean(lastMin).toFixed(1),
        max: +Math.max(...samples.map((s) => s.rssMB)).toFixed(1),
        samples: samples.length,
        expected: span,
      },
      leftRunning: {
        jobs: metric(end, 'rnnlm_active_jobs'),
        queued: metric(end, 'rnnlm_queued_jobs'),
        batch: metric(end, 'rnnlm_batch_sequences'),
        streams: metric(end, 'rnnlm_active_streams'),
      },
      failures,
    },
    null,
    1,
  ),
);
