/// <reference lib="dom" />
/**
 * The ONNX export in a browser: onnxruntime-web (its WebAssembly backend, the dev dependency's
 * own dist files, nothing downloaded) runs exported language models in Chromium (Debian's
 * /usr/bin/chromium, driven by playwright-core) over two chunks of real text with the state
 * carried, and the logits and states must equal rnnlm's in Node to 1e-5. Skips, saying why,
 * without Chromium or onnxruntime-web.
 */
import '../helpers/backend.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, noChromium } from './chromium.js';
import { noGrad } from '../../src/autograd/graph.js';
import type { RecurrentMode } from '../../src/backend/kernels.js';
import { exportLanguageModelOnnx } from '../../src/io/onnx/index.js';
import { RNNLM } from '../../src/models/rnnlm.js';
import { WordTokenizer } from '../../src/tokenizers/word.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ORT_DIST = path.join(root, 'node_modules/onnxruntime-web/dist');
const skip = noChromium
  ? noChromium
  : !fs.existsSync(path.join(ORT_DIST, 'ort.min.js'))
    ? `onnxruntime-web is not installed (${ORT_DIST}/ort.min.js is missing); run npm ci`
    : false;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};

function serve(mounts: Record<string, string>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const prefix = Object.keys(mounts).find((p) => url.startsWith(p));
    if (!prefix) return void res.writeHead(404).end();
    const dir = mounts[prefix]!;
    const file = path.resolve(dir, `.${url.slice(prefix.length - 1)}`);
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const LINES = fs.readFileSync(path.join(root, 'data/tinyshakespeare/input.txt'), 'utf8').split('\n').slice(0, 200);
const tokenizer = WordTokenizer.fromText(LINES.join('\n'));
const stream = tokenizer.encode(LINES.slice(150).join('\n'));

/** The page: onnxruntime-web's UMD bundle and runLm, which runs a model over chunks carrying the state (plain JS). */
const PAGE = `<!doctype html><meta charset="utf-8"><script src="/ort/ort.min.js"></script>
<script>
async function runLm({ url, chunks, B, L, H, lstm }) {
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(url, { executionProviders: ['wasm'] });
  const zeros = () => new ort.Tensor('float32', new Float32Array(L * B * H), [L, B, H]);
  let feeds = lstm ? { h0: zeros(), c0: zeros() } : { h0: zeros() };
  const outs = [];
  for (const { T, ids } of chunks) {
    const r = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [T, B]), ...feeds });
    feeds = lstm ? { h0: r.hn, c0: r.cn } : { h0: r.hn };
    outs.push({ logits: Array.from(r.logits.data), h: Array.from(r.hn.data), c: lstm ? Array.from(r.cn.data) : null });
  }
  return outs;
}
</script><p>onnxruntime-web</p>`;

const CASES: { cell: RecurrentMode; tied: boolean }[] = [
  { cell: 'lstm', tied: true },
  { cell: 'gru', tied: false },
  { cell: 'rnn_sigmoid', tied: false },
];

describe('ONNX export in onnxruntime-web (Chromium)', { skip }, () => {
  let tmp: string;
  let server: http.Server;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-onnx-web-'));
    fs.writeFileSync(path.join(tmp, 'index.html'), PAGE);
    server = await serve({ '/ort/': ORT_DIST, '/': tmp });
    context = await launchChromium(path.join(tmp, 'profile'));
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
  });

  after(async () => {
    await context?.close();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(`${c.cell}${c.tied ? ' tied' : ''}, 2 layers: two chunks with the state carried equal rnnlm's logits and states`, async () => {
      const L = 2;
      const H = 12;
      const model = new RNNLM({
        vocabSize: tokenizer.vocabSize,
        embedSize: H,
        hiddenSize: H,
        numLayers: L,
        cell: c.cell,
        tieWeights: c.tied,
        init: 0.3,
        seed: 9,
      });
      model.eval();
      fs.writeFileSync(path.join(tmp, `${c.cell}.onnx`), exportLanguageModelOnnx(model, tokenizer));
      const B = 2;
      const chunks = [6, 4].map((T, k) => {
        const ids = new Int32Array(T * B); // [T,B]
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) ids[t * B + b] = stream[k * 20 + b * 40 + t]!;
        return { T, ids: [...ids] };
      });
      // rnnlm in Node.
      let state = model.initState(B);
      const ref = chunks.map(({ T, ids }) => {
        const out = noGrad(() => model.forward(Int32Array.from(ids), T, B, state));
        state = out.state;
        return { logits: out.logits.data, h: out.state.h.data, c: out.state.c?.data ?? null };
      });
      // onnxruntime-web in the page.
      const got = (await page.evaluate((args) => (globalThis as unknown as { runLm: (a: unknown) => Promise<unknown> }).runLm(args), {
        url: `/${c.cell}.onnx`,
        chunks,
        B,
        L,
        H,
        lstm: c.cell === 'lstm',
      })) as { logits: number[]; h: number[]; c: number[] | null }[];
      const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
        assert.equal(a.length, b.length);
        let d = 0;
        for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
        return d;
      };
      got.forEach((g, k) => {
        const r = ref[k]!;
        const d = [maxDiff(g.logits, r.logits), maxDiff(g.h, r.h), g.c && r.c ? maxDiff(g.c, r.c) : 0];
        assert.ok(Math.max(...d) <= 1e-5, `chunk ${k}: max |onnxruntime-web − rnnlm| logits/h/c = ${d.join(' / ')}`);
      });
    });
  }
});
