/// <reference lib="dom" />
/**
 * The browser page end to end, in a real Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core; no browser is ever downloaded): build the page with esbuild, train a tiny
 * character LSTM in Node and save it, serve both from a local HTTP server, open the page with
 * ?model=…, and check that generation and surprisal in the browser (on the wasm backend, as the
 * page picks it) equal the same computations on the wasm backend in Node, and that a training log
 * draws its curves. Without Chromium these tests skip (the
 * bundle checks still run). RNNLM_UPDATE_SCREENSHOT=1 also refreshes docs/screenshot.png.
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
import { setFlagsFromString } from 'node:v8';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, noChromium } from './chromium.js';
import { buildWeb } from '../../apps/web/build.mjs';
import { registerBackend, setBackend } from '../../src/backend/backend.js';
import { relaxedSimd } from '../../src/backend/wasm/abi.js';
import { loadWasmBackend } from '../../src/backend/wasm/node.js';
import { CharTokenizer, RNNLM, type Tokenizer, generate, loadLanguageModel, noGrad, saveLanguageModel, trainLanguageModel } from '../../src/index.js';
import { logSoftmaxRow } from '../../src/generate/sample.js';
import { Seq2Seq, TranslationSide, attendSentence, loadTranslationModel, saveTranslationModel } from '../../src/translate/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const skipBrowser = noChromium;

describe('browser bundle', () => {
  test('src/web.ts bundles for the browser and pulls in no Node built-in', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-web-bundle-'));
    try {
      const r = await buildWeb({ entry: path.join(root, 'src/web.ts'), outdir: out, sourcemap: false });
      assert.ok(r.inputs.includes('src/web.ts') && r.inputs.includes('src/io/lm.ts'), 'the bundle holds the engine');
      assert.deepEqual(
        r.inputs.filter((f) => f.startsWith('node:') || f.includes('platform/node')),
        [],
      );
      const js = fs.readFileSync(path.join(out, 'main.js'), 'utf8');
      assert.ok(!/\bfrom\s*["']node:|require\(["']node:|\bprocess\.env\b/.test(js), 'no node: import or process.env in the bundle');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('a Node built-in anywhere in the bundle fails the build, naming the importer', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-web-bad-'));
    try {
      for (const spec of ['node:fs', 'path', 'fs/promises']) {
        const entry = path.join(dir, 'entry.ts');
        fs.writeFileSync(entry, `import '${path.join(root, 'src/web.ts').replace(/\\/g, '/')}';\nimport * as x from '${spec}';\nconsole.log(x);\n`);
        await assert.rejects(buildWeb({ entry, outdir: path.join(dir, 'out') }), (e: { errors?: { text: string }[] }) => {
          const text = (e.errors ?? []).map((x) => x.text).join('\n');
          return text.includes(`"${spec}" is a Node built-in`) && text.includes('entry.ts');
        });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.map': 'application/json',
};

// Chromium runs relaxed SIMD, so the page loads a relaxed build (its gemm multiply-add fuses); Node
// 20 validates relaxed SIMD only behind a V8 flag, turned on here (before the module is compiled)
// so that Node computes with the same kernels.
if (!relaxedSimd()) setFlagsFromString('--experimental-wasm-relaxed-simd');

/** fn() on the wasm backend, as the page runs it (the same kernels give the same numbers in Node and Chromium). */
function onWasm<T>(fn: () => T): T {
  const wasm = loadWasmBackend();
  if (!wasm) throw new Error('the wasm backend does not load in Node');
  assert.equal(wasm.controls.relaxedSimd, true, 'Node loads the relaxed build, as Chromium does');
  registerBackend(wasm);
  setBackend('wasm');
  try {
    return fn();
  } finally {
    setBackend('js');
  }
}

/** Static files: URL prefix → directory. Paths that leave their directory are 403. */
function serve(mounts: Record<string, string>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const prefix = Object.keys(mounts)
      .sort((a, b) => b.length - a.length)
      .find((p) => url.startsWith(p));
    if (!prefix) return void res.writeHead(404).end();
    const dir = mounts[prefix]!;
    let file = path.resolve(dir, `.${url.slice(prefix.length - 1)}`);
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Sum of −log2 p(token | prefix) over `text`, read after the start token, computed here in Node. */
function nodeSurprisal(model: RNNLM, tokenizer: Tokenizer, text: string): { tokens: number; totalBits: number } {
  const ids = tokenizer.encode(text, { addEos: false });
  const start = tokenizer.eosId ?? tokenizer.vocab.idOf('\n') ?? 0;
  const input = Int32Array.from([start, ...ids.subarray(0, ids.length - 1)]);
  const V = model.config.vocabSize;
  const logits = noGrad(() => model.forward(input, input.length, 1, null).logits.data);
  let bits = 0;
  for (let t = 0; t < ids.length; t++) bits -= logSoftmaxRow(logits.slice(t * V, (t + 1) * V), new Float64Array(V))[ids[t]!]! / Math.LN2;
  return { tokens: ids.length, totalBits: bits };
}

describe('the page in Chromium', { skip: skipBrowser }, () => {
  let tmp: string;
  let server: http.Server;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let epochs = 0;
  const pageErrors: string[] = [];

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-web-'));
    const site = path.join(tmp, 'site');
    await buildWeb({ outdir: site });

    // A tiny character LSTM, trained for a few seconds so its predictions mean something.
    const text = fs.readFileSync(path.join(root, 'data/tinyshakespeare/input.txt'), 'utf8').slice(0, 8000);
    const tokenizer = CharTokenizer.fromText(text);
    const ids = tokenizer.encode(text);
    const cut = Math.floor(ids.length * 0.9);
    const model = new RNNLM({ vocabSize: tokenizer.vocabSize, embedSize: 16, hiddenSize: 48, numLayers: 1, cell: 'lstm', seed: 1 });
    const runDir = path.join(tmp, 'runs', 'tiny');
    fs.mkdirSync(runDir, { recursive: true });
    const log: string[] = [];
    await trainLanguageModel(
      model,
      { train: ids.subarray(0, cut), valid: ids.subarray(cut) },
      { batchSize: 16, bptt: 32, epochs: 3, optimizer: 'adam', lr: 2e-2, clip: 1, plateauFactor: 1, plateauPatience: 0, evalBatchSize: 4 },
      {
        // The records rnnlm train writes (steps every 3 here, every 50 there).
        onStep: (s) => void (s.step % 3 === 0 && log.push(JSON.stringify({ kind: 'step', ...s }))),
        onEpoch: (e) => {
          epochs++;
          log.push(JSON.stringify({ kind: 'epoch', epoch: e.epoch, trainLoss: e.trainLoss, valid: e.valid, lr: e.lr, seconds: e.seconds }));
        },
      },
    );
    saveLanguageModel(runDir, model, tokenizer);
    fs.writeFileSync(path.join(runDir, 'train-log.jsonl'), `${log.join('\n')}\n`);

    server = await serve({ '/runs/': path.join(tmp, 'runs'), '/': site });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    context = await launchChromium(path.join(tmp, 'profile'), { width: 1100, height: 900 });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => void (m.type() === 'error' && pageErrors.push(`console: ${m.text()}`)));
  });

  after(async () => {
    await context?.close();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Waits until `#id` has a data-state among `states`; returns it (fails with the element's text on 'error'). */
  async function waitState(id: string, states: string[]): Promise<string> {
    const all = [...states, 'error'];
    await page.waitForSelector(all.map((s) => `#${id}[data-state="${s}"]`).join(', '));
    const state = (await page.getAttribute(`#${id}`, 'data-state'))!;
    if (!states.includes(state)) assert.fail(`#${id} reports an error: ${await page.textContent(`#${id}`)}`);
    return state;
  }

  test('loads the checkpoint from ?model= and generates exactly what Node generates', async () => {
    await page.goto(`${base}/?model=/runs/tiny/`);
    await waitState('model-status', ['loaded']);
    assert.match((await page.textContent('#model-status'))!, /1×48 LSTM.*char vocabulary of \d+/);
    // Not cross-origin isolated: the plain-memory build, operands copied per call.
    assert.match((await page.textContent('#backend'))!, /Backend: wasm \(WebAssembly SIMD128.*operands copied/);

    const opts = { prompt: 'ROMEO:', maxTokens: 80, temperature: 0.8, topK: 20, topP: 0.95, seed: 42 };
    await page.fill('#prompt', opts.prompt);
    await page.fill('#max-tokens', String(opts.maxTokens));
    await page.fill('#temperature', String(opts.temperature));
    await page.fill('#top-k', String(opts.topK));
    await page.fill('#top-p', String(opts.topP));
    await page.fill('#seed', String(opts.seed));
    // Record every state the output goes through: tokens must arrive one by one, not all at once.
    await page.evaluate(`(() => {
      const el = document.getElementById('gen-output');
      window.__seen = new Set();
      new MutationObserver(() => window.__seen.add(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
    })()`);
    await page.click('#generate');
    await waitState('gen-status', ['done']);
    const got = (await page.textContent('#gen-output'))!;

    const { model, tokenizer } = loadLanguageModel(path.join(tmp, 'runs', 'tiny'));
    const expected = onWasm(() => generate(model, tokenizer, opts));
    assert.ok(got.length > 0, 'the page generated text');
    assert.equal(got, expected, 'the browser and Node generate the same text for the same seed');
    assert.equal(await page.textContent('#gen-prompt'), opts.prompt);
    const seen = (await page.evaluate('window.__seen.size')) as number;
    assert.ok(seen >= opts.maxTokens / 2, `the output was updated token by token (${seen} distinct states for ${opts.maxTokens} tokens)`);

    // The next-token panel: ten bars, most probable first.
    const pcts = (await page.$$eval('#next-token li .pct', (els) => els.map((e) => e.textContent ?? ''))).map((s) => parseFloat(s));
    assert.equal(pcts.length, 10);
    for (let i = 1; i < pcts.length; i++) assert.ok(pcts[i]! <= pcts[i - 1]!, `bars sorted: ${pcts}`);
    assert.ok(pcts.reduce((a, b) => a + b, 0) <= 100.5);
  });

  test('surprisal: one coloured span per token, total bits equal to Node', async () => {
    const text = 'ROMEO:\nBut soft, what light through yonder window breaks?';
    await page.fill('#surprisal-input', text);
    await page.click('#score');
    await waitState('surprisal-output', ['done']);
    const { model, tokenizer } = loadLanguageModel(path.join(tmp, 'runs', 'tiny'));
    const ref = onWasm(() => nodeSurprisal(model, tokenizer, text));
    const spans = await page.$$eval('#surprisal-output span.tok', (els) =>
      els.map((e) => ({ text: e.textContent ?? '', bg: e.getAttribute('style') ?? '', title: e.getAttribute('title') ?? '' })),
    );
    assert.equal(spans.length, ref.tokens);
    assert.ok(
      spans.every((s) => /background: (rgb|hsl)/.test(s.bg)),
      `every token span is coloured: ${spans[0]?.bg}`,
    );
    assert.ok(new Set(spans.map((s) => s.bg)).size > 3, 'colours vary with surprisal');
    assert.match(spans[0]!.title, /^"R": \d+\.\d{4} bits \(p = /);
    const total = Number(await page.getAttribute('#surprisal-output', 'data-total-bits'));
    assert.ok(Math.abs(total - ref.totalBits) < 1e-4, `total bits: page ${total}, node ${ref.totalBits}`);
    const summary = (await page.textContent('#surprisal-summary'))!;
    assert.ok(summary.includes(`${ref.tokens} tokens`) && summary.includes(`total ${ref.totalBits.toFixed(2)} bits`), summary);
    assert.ok(summary.includes(`${(ref.totalBits / ref.tokens).toFixed(3)} bits/token`), summary);
  });

  test('training dashboard draws the log, and the page looks right', async () => {
    await page.setInputFiles('#log-file', path.join(tmp, 'runs', 'tiny', 'train-log.jsonl'));
    await page.waitForSelector('#plot svg path.series');
    const series = await page.$$eval('#plot svg path.series', (els) => els.map((e) => `${e.getAttribute('data-series')}:${e.getAttribute('data-points')}`));
    assert.equal(series.length, 6, `three series in two panels: ${series}`);
    assert.ok(series.includes(`validation:${epochs}`), `one validation point per epoch: ${series}`);
    assert.match((await page.textContent('#plot-status'))!, new RegExp(`${epochs} epochs; best validation loss`));

    // Something to look at in the generation panel for the screenshot.
    await page.fill('#max-tokens', '240');
    await page.click('#generate');
    await waitState('gen-status', ['done']);
    const shot = path.join(os.tmpdir(), 'rnnlm-web-screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 10_000, 'a real screenshot');
    if (process.env.RNNLM_UPDATE_SCREENSHOT === '1') {
      fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
      fs.copyFileSync(shot, path.join(root, 'docs', 'screenshot.png'));
    }
    assert.deepEqual(pageErrors, [], 'no errors in the page');
  });

  test('opens with the shipped model ready (bf16 weights) and generates what Node generates with it', async () => {
    await page.goto(`${base}/`);
    await waitState('model-status', ['loaded']);
    assert.match((await page.textContent('#model-status'))!, /the shipped model .*2×256 LSTM.*char vocabulary/);
    const opts = { prompt: 'ROMEO:', maxTokens: 40, temperature: 0.8, topK: 20, topP: 0.95, seed: 7 };
    await page.fill('#prompt', opts.prompt);
    await page.fill('#max-tokens', String(opts.maxTokens));
    await page.fill('#temperature', String(opts.temperature));
    await page.fill('#top-k', String(opts.topK));
    await page.fill('#top-p', String(opts.topP));
    await page.fill('#seed', String(opts.seed));
    await page.click('#generate');
    await waitState('gen-status', ['done']);
    const { model, tokenizer } = loadLanguageModel(path.join(root, 'apps', 'web', 'model'));
    assert.equal(
      (await page.textContent('#gen-output'))!,
      onWasm(() => generate(model, tokenizer, opts)),
    );
  });

  test('?log= draws a served log; dropped or picked files load a model; Stop interrupts a long generation', async () => {
    await page.goto(`${base}/?model=&log=/runs/tiny/train-log.jsonl`); // ?model= (empty): no model at first
    await page.waitForSelector('#plot svg path.series');
    assert.equal(await page.locator('#plot svg path.series').count(), 6);
    assert.equal(await page.getAttribute('#model-status', 'data-state'), 'empty');
    assert.ok(await page.isDisabled('#generate'), 'nothing to generate with before a model is loaded');

    const dir = path.join(tmp, 'runs', 'tiny');
    await page.setInputFiles('#model-files', [path.join(dir, 'model.safetensors'), path.join(dir, 'config.json')]);
    await page.waitForSelector('#model-status[data-state="error"]');
    assert.match((await page.textContent('#model-status'))!, /Missing tokenizer\.json/);

    // Drag and drop: the same three files, renamed as a browser's downloads folder might have them.
    await page.evaluate(`(async () => {
      const dt = new DataTransfer();
      for (const [url, name] of [['model.safetensors', 'weights (1).safetensors'], ['config.json', 'config (1).json'], ['tokenizer.json', 'tokenizer (1).json']]) {
        const bytes = await (await fetch('/runs/tiny/' + url)).arrayBuffer();
        dt.items.add(new File([bytes], name));
      }
      document.getElementById('drop-zone').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    await waitState('model-status', ['loaded']);
    assert.match((await page.textContent('#model-status'))!, /Loaded weights \(1\)\.safetensors/);

    const text = 'JULIET:\nO Romeo, Romeo!';
    await page.fill('#surprisal-input', text);
    await page.click('#score');
    await waitState('surprisal-output', ['done']);
    const { model, tokenizer } = loadLanguageModel(dir);
    const ref = onWasm(() => nodeSurprisal(model, tokenizer, text));
    assert.equal(await page.locator('#surprisal-output span.tok').count(), ref.tokens);
    const total = Number(await page.getAttribute('#surprisal-output', 'data-total-bits'));
    assert.ok(Math.abs(total - ref.totalBits) < 1e-4, `total bits: page ${total}, node ${ref.totalBits}`);

    // The page keeps handling clicks while it generates: Stop ends a 100000-token run early.
    await page.fill('#max-tokens', '100000');
    await page.fill('#seed', '3');
    await page.click('#generate');
    await page.waitForFunction(`document.getElementById('gen-output').textContent.length >= 20`);
    await page.click('#stop');
    await waitState('gen-status', ['done']);
    const m = /Stopped after (\d+) tokens/.exec((await page.textContent('#gen-status'))!);
    assert.ok(m, 'the status says it stopped');
    const n = Number(m[1]);
    assert.ok(n >= 20 && n < 100000, `stopped after ${n} tokens`);
    const out = (await page.textContent('#gen-output'))!;
    assert.equal(
      out,
      generate(model, tokenizer, { prompt: '', maxTokens: n, temperature: 0.8, topK: 0, topP: 1, seed: 3 }),
      'what was shown is the seeded sequence',
    );
    assert.ok(!(await page.isDisabled('#generate')) && (await page.isDisabled('#stop')), 'ready for the next run');
    assert.deepEqual(pageErrors, [], 'no errors in the page');
  });

  test('a translation checkpoint: the page translates as Node does and draws the attention heatmap', async () => {
    const src = TranslationSide.fromLines(['the cat sat', 'a dog ran'], { kind: 'word', lowercase: false });
    const tgt = TranslationSide.fromLines(['die katze sass', 'ein hund lief'], { kind: 'word', lowercase: false });
    const mt = new Seq2Seq({
      srcVocabSize: src.vocabSize,
      tgtVocabSize: tgt.vocabSize,
      embedSize: 6,
      hiddenSize: 8,
      numLayers: 1,
      cell: 'gru',
      attention: 'general',
      seed: 3,
      init: 1,
    });
    const dir = path.join(tmp, 'runs', 'mt');
    saveTranslationModel(dir, mt, src, tgt);
    await page.goto(`${base}/?model=/runs/mt/`);
    await waitState('model-status', ['loaded']);
    assert.match((await page.textContent('#model-status'))!, /translation model, 1×8 GRU/);
    assert.ok(await page.isDisabled('#generate'), 'no generation with a translation model');
    await page.fill('#translate-input', 'the dog sat');
    await page.click('#translate');
    await waitState('translate-status', ['done']);
    const ref = attendSentence(loadTranslationModel(dir), 'the dog sat', { beam: 5 });
    assert.equal(await page.textContent('#translate-output'), ref.translation);
    const weights = await page.$$eval('#attention-map svg rect[data-weight]', (els) => els.map((e) => Number(e.getAttribute('data-weight'))));
    assert.equal(weights.length, ref.source.length * ref.target.length);
    weights.forEach((w, i) => assert.ok(Math.abs(w - ref.weights[i]!) < 1e-4, `cell ${i}: page ${w}, node ${ref.weights[i]}`));
    assert.deepEqual(pageErrors, [], 'no errors in the page');
  });
});
