/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The page's UI: load a checkpoint (files or ?model=URL-prefix) into the browser platform's
 * virtual file system, generate with streaming tokens and next-token bars, colour a text by
 * surprisal, and draw a training log's curves. Plain DOM, no framework; all model work is in
 * lm.ts and the public API (src/web.ts).
 */
import {
  type RNNLM,
  type Tokenizer,
  browserPlatform,
  describeBackend,
  generateTokens,
  isRnnlmError,
  loadLanguageModel,
  parseTrainLog,
  renderTrainingCurves,
  useWasmBackend,
} from '../../src/web.js';
import { type LoadedTranslationModel, loadTranslationModel } from '../../src/translate/index.js';
import { REQUIRED_PARTS, checkpointArchitecture, findCheckpointFiles, scoreText, topTokens, translateWithAttention, withoutTrainingState } from './lm.js';

const MODEL_DIR = '/model';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

let loaded: { model: RNNLM; tokenizer: Tokenizer } | null = null;
/** Bumped by every model load; a load that finds it changed was overtaken (e.g. the default model by a dropped one) and stops. */
let loadSeq = 0;
/** The model the page opens with: a small character LSTM trained on Tiny Shakespeare, shipped next to main.js. */
const DEFAULT_MODEL = './model/';
/** A translation checkpoint, when that is what was loaded (then `loaded` is null). */
let translator: LoadedTranslationModel | null = null;
let generating = false;
let stopRequested = false;

function message(e: unknown): string {
  if (isRnnlmError(e)) return `${e.message} [${e.code}]`;
  return e instanceof Error ? e.message : String(e);
}

function setStatus(el: HTMLElement, state: string, text: string): void {
  el.dataset.state = state;
  el.textContent = text;
}

/** Whitespace made visible, for token labels. */
function showToken(text: string): string {
  return text.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/^ $/, '␣');
}

/** Lets the browser paint and handle input between tokens. */
function yieldToUI(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// ---------------------------------------------------------------------------------------------
// Loading a model
// ---------------------------------------------------------------------------------------------

function clearModelDir(): void {
  for (const f of browserPlatform.listFiles(MODEL_DIR)) browserPlatform.removeFile(f);
}

/** Loads the checkpoint now in the virtual file system and enables the model tools. */
function activateModel(source: string): void {
  const status = $('model-status');
  loaded = null;
  translator = null;
  setControls();
  const configText = new TextDecoder().decode(browserPlatform.getFile(`${MODEL_DIR}/config.json`) ?? new Uint8Array(0));
  if (checkpointArchitecture(configText) === 'seq2seq') {
    translator = loadTranslationModel(MODEL_DIR);
    const c = translator.model.config;
    setStatus(
      status,
      'loaded',
      `Loaded ${source}: translation model, ${c.numLayers}×${c.hiddenSize} ${c.cell.toUpperCase()} encoder–decoder with ${c.attention} attention, ` +
        `vocabularies ${translator.src.vocabSize} → ${translator.tgt.vocabSize}, ${translator.model.numParameters().toLocaleString('en-US')} parameters. ` +
        'Use the Translate card; generation and surprisal need a language model.',
    );
    setControls();
    return;
  }
  const { model, tokenizer } = loadLanguageModel(MODEL_DIR);
  loaded = { model, tokenizer };
  const c = model.config;
  setStatus(
    status,
    'loaded',
    `Loaded ${source}: ${c.numLayers}×${c.hiddenSize} ${c.cell.toUpperCase()}, embedding ${c.embedSize}, ` +
      `${tokenizer.kind} vocabulary of ${tokenizer.vocabSize}, ${model.numParameters().toLocaleString('en-US')} parameters.`,
  );
  $('legend-max').textContent = `${scaleMax().toFixed(1)} bits = uniform guess`;
  $('surprisal-legend').hidden = false;
  setControls();
  if ($<HTMLTextAreaElement>('surprisal-input').value.trim() !== '') runScore();
}

async function loadFromFiles(files: File[]): Promise<void> {
  const status = $('model-status');
  const seq = ++loadSeq;
  try {
    setStatus(status, 'loading', `Reading ${files.length} file(s)…`);
    // Only small JSON files are read as text to recognise renamed parts.
    const entries = await Promise.all(
      files.map(async (file) => (/\.json$/i.test(file.name) && file.size < 64 << 20 ? { file, text: await file.text() } : { file })),
    );
    if (seq !== loadSeq) return;
    const { parts } = findCheckpointFiles(entries);
    const missing = REQUIRED_PARTS.filter((p) => !parts.has(p));
    if (missing.length > 0) {
      setStatus(
        status,
        'error',
        `Missing ${missing.join(', ')}: pick all three files of a checkpoint directory (model.safetensors, config.json, tokenizer.json).`,
      );
      return;
    }
    clearModelDir();
    for (const name of REQUIRED_PARTS) {
      const file = parts.get(name)!;
      if (name === 'config.json') browserPlatform.addFile(`${MODEL_DIR}/${name}`, withoutTrainingState(await file.text()));
      else await browserPlatform.addFileFrom(`${MODEL_DIR}/${name}`, file);
      if (seq !== loadSeq) return;
    }
    activateModel(parts.get('model.safetensors')!.name);
  } catch (e) {
    setStatus(status, 'error', `Cannot load the model: ${message(e)}`);
  }
}

async function loadFromUrl(prefix: string, label?: string): Promise<void> {
  const status = $('model-status');
  const base = new URL(prefix.endsWith('/') ? prefix : `${prefix}/`, location.href);
  const seq = ++loadSeq;
  // Fetched into a staging folder, moved into MODEL_DIR only if no other load started meanwhile.
  const staging = `/staging/${seq}`;
  try {
    setStatus(status, 'loading', `Fetching the checkpoint from ${base.href}…`);
    await Promise.all(REQUIRED_PARTS.map((name) => browserPlatform.fetchFile(`${staging}/${name}`, new URL(name, base).href)));
    if (seq !== loadSeq) return;
    clearModelDir();
    for (const name of REQUIRED_PARTS) {
      const bytes = browserPlatform.getFile(`${staging}/${name}`) ?? new Uint8Array(0);
      browserPlatform.addFile(`${MODEL_DIR}/${name}`, name === 'config.json' ? withoutTrainingState(new TextDecoder().decode(bytes)) : bytes);
    }
    activateModel(label ?? base.pathname);
  } catch (e) {
    if (seq === loadSeq) setStatus(status, 'error', `Cannot load the model from ${base.href}: ${message(e)}`);
  } finally {
    for (const f of browserPlatform.listFiles(staging)) browserPlatform.removeFile(f);
  }
}

function setupModelInput(): void {
  const input = $<HTMLInputElement>('model-files');
  input.addEventListener('change', () => {
    if (input.files && input.files.length > 0) void loadFromFiles([...input.files]);
    input.value = ''; // picking the same files again reloads them
  });
  const zone = $('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = e.dataTransfer ? [...e.dataTransfer.files] : [];
    if (files.length > 0) void loadFromFiles(files);
  });
}

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

function setControls(): void {
  const ready = loaded !== null;
  $<HTMLButtonElement>('generate').disabled = !ready || generating;
  $<HTMLButtonElement>('stop').disabled = !generating;
  $<HTMLButtonElement>('score').disabled = !ready;
  $<HTMLButtonElement>('translate').disabled = translator === null;
}

/** A number input's value, checked; undefined when the field is empty. */
function readNumber(id: string, what: string, ok: (v: number) => boolean, rule: string): number | undefined {
  const raw = $<HTMLInputElement>(id).value.trim();
  if (raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || !ok(v)) throw new Error(`${what} must be ${rule}, got "${raw}"`);
  return v;
}

function requireNumber(id: string, what: string, ok: (v: number) => boolean, rule: string): number {
  const v = readNumber(id, what, ok, rule);
  if (v === undefined) throw new Error(`${what} is empty; enter ${rule}`);
  return v;
}

function renderNext(logProbs: Float64Array | null, tokenizer: Tokenizer): void {
  const list = $('next-token');
  list.replaceChildren();
  if (!logProbs) return;
  const top = topTokens(logProbs, tokenizer, 10);
  // Bars are scaled to the most probable token so small differences stay visible; the text is exact.
  const full = top[0]?.prob || 1;
  for (const t of top) {
    const li = document.createElement('li');
    const label = document.createElement('span');
    label.className = 'tok';
    label.textContent = showToken(t.text);
    label.title = JSON.stringify(t.text);
    const track = document.createElement('span');
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.display = 'block';
    bar.style.width = `${((100 * t.prob) / full).toFixed(2)}%`;
    track.append(bar);
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = `${(100 * t.prob).toFixed(1)}%`;
    li.append(label, track, pct);
    list.append(li);
  }
}

async function runGeneration(): Promise<void> {
  if (!loaded || generating) return;
  const { model, tokenizer } = loaded;
  const status = $('gen-status');
  // biome-ignore lint/suspicious/noImplicitAnyLet: typed by its one assignment below (control-flow typing)
  let opts;
  try {
    const int0 = (v: number): boolean => Number.isInteger(v) && v >= 0;
    const seed = readNumber('seed', 'Seed', int0, 'an integer ≥ 0');
    opts = {
      prompt: $<HTMLTextAreaElement>('prompt').value,
      maxTokens: requireNumber('max-tokens', 'Max tokens', (v) => int0(v) && v <= 100000, 'an integer in [0, 100000]'),
      temperature: requireNumber('temperature', 'Temperature', (v) => v >= 0, 'a number ≥ 0 (0 = greedy)'),
      topK: readNumber('top-k', 'Top-k', int0, 'an integer ≥ 0 (0 = off)') ?? 0,
      topP: readNumber('top-p', 'Top-p', (v) => v > 0 && v <= 1, 'a number in (0, 1] (1 = off)') ?? 1,
      seed: seed ?? Math.floor(Math.random() * 2 ** 31),
    };
  } catch (e) {
    setStatus(status, 'error', message(e));
    return;
  }
  generating = true;
  stopRequested = false;
  setControls();
  const out = $('gen-output');
  $('gen-prompt').textContent = opts.prompt;
  $('gen-sep').textContent = tokenizer.kind === 'word' && opts.prompt.trim() !== '' ? ' ' : '';
  out.textContent = '';
  setStatus(status, 'running', 'Generating…');
  const ids: number[] = [];
  let nats = 0;
  const t0 = performance.now();
  try {
    for (const token of generateTokens(model, tokenizer, opts)) {
      ids.push(token.id);
      nats -= token.logProb;
      out.textContent = tokenizer.decode(ids);
      // The distribution this token was drawn from: what the model offered at this step.
      renderNext(token.logProbs, tokenizer);
      await yieldToUI();
      if (stopRequested) break;
    }
    const secs = (performance.now() - t0) / 1000;
    const bits = ids.length > 0 ? nats / Math.LN2 / ids.length : 0;
    setStatus(
      status,
      'done',
      `${stopRequested ? 'Stopped after' : 'Generated'} ${ids.length} tokens in ${secs.toFixed(2)} s (seed ${opts.seed}, ${bits.toFixed(2)} bits/token as sampled).`,
    );
  } catch (e) {
    setStatus(status, 'error', message(e));
  } finally {
    generating = false;
    setControls();
  }
}

// ---------------------------------------------------------------------------------------------
// Surprisal
// ---------------------------------------------------------------------------------------------

/** Top of the colour scale: the surprisal of a uniform guess, log2 V. */
function scaleMax(): number {
  return loaded ? Math.log2(Math.max(2, loaded.tokenizer.vocabSize)) : 8;
}

/** Green (expected) → yellow → red (surprising, ≥ log2 V). */
function surprisalColor(bits: number): string {
  const t = Math.min(1, Math.max(0, bits / scaleMax()));
  return `hsl(${(120 * (1 - t)).toFixed(1)} 75% 80%)`;
}

function runScore(): void {
  if (!loaded) return;
  const { model, tokenizer } = loaded;
  const outEl = $('surprisal-output');
  const summary = $('surprisal-summary');
  try {
    const text = $<HTMLTextAreaElement>('surprisal-input').value;
    const r = scoreText(model, tokenizer, text);
    const frag = document.createDocumentFragment();
    r.tokens.forEach((t, i) => {
      if (i > 0 && tokenizer.kind === 'word' && r.tokens[i - 1]!.id !== tokenizer.eosId) frag.append(' ');
      const span = document.createElement('span');
      span.className = 'tok';
      span.textContent = t.text === '\n' ? '↵\n' : t.text;
      span.style.background = surprisalColor(t.bits);
      span.title = `${JSON.stringify(t.text)}: ${t.bits.toFixed(4)} bits (p = ${(2 ** -t.bits).toPrecision(4)})`;
      span.dataset.bits = String(t.bits);
      frag.append(span);
    });
    outEl.replaceChildren(frag);
    outEl.dataset.totalBits = String(r.totalBits);
    outEl.dataset.tokens = String(r.tokens.length);
    outEl.dataset.state = 'done';
    setStatus(
      summary,
      'done',
      r.tokens.length === 0
        ? 'Type some text to score.'
        : `${r.tokens.length} tokens · total ${r.totalBits.toFixed(2)} bits · ${r.bitsPerToken.toFixed(3)} bits/token · perplexity ${(2 ** r.bitsPerToken).toFixed(2)}`,
    );
  } catch (e) {
    outEl.replaceChildren();
    outEl.dataset.state = 'error';
    setStatus(summary, 'error', message(e));
  }
}

function setupSurprisal(): void {
  const scale = $('surprisal-legend').querySelector<HTMLElement>('.scale')!;
  scale.style.background = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((t) => `hsl(${120 * (1 - t)} 75% 80%)`).join(', ')})`;
  $('score').addEventListener('click', runScore);
  let timer: ReturnType<typeof setTimeout> | undefined;
  $('surprisal-input').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(runScore, 400);
  });
}

// ---------------------------------------------------------------------------------------------
// Translation and attention
// ---------------------------------------------------------------------------------------------

function runTranslate(): void {
  if (!translator) return;
  const status = $('translate-status');
  const mapEl = $('attention-map');
  try {
    const sentence = $<HTMLTextAreaElement>('translate-input').value.trim();
    if (sentence === '') {
      setStatus(status, 'error', 'Type a sentence to translate.');
      return;
    }
    const { map, svg } = translateWithAttention(translator, sentence);
    $('translate-output').textContent = map.translation;
    // renderHeatmap escapes every text it writes, so its output is safe markup.
    mapEl.innerHTML = svg;
    setStatus(status, 'done', `${map.target.length} target × ${map.source.length} source tokens; darker = more attention (hover a cell for its weight).`);
  } catch (e) {
    mapEl.replaceChildren();
    setStatus(status, 'error', message(e));
  }
}

// ---------------------------------------------------------------------------------------------
// Training curves
// ---------------------------------------------------------------------------------------------

let logText: { name: string; text: string } | null = null;

function drawPlot(): void {
  if (!logText) return;
  const status = $('plot-status');
  const plot = $('plot');
  try {
    const records = parseTrainLog(logText.text, logText.name);
    const x = $<HTMLSelectElement>('plot-x').value as 'auto' | 'epoch' | 'step';
    // renderTrainingCurves escapes every text it writes, so its output is safe markup.
    plot.innerHTML = renderTrainingCurves(records, { x, title: logText.name });
    const epochs = records.filter((r) => r.kind === 'epoch');
    const valid = epochs.map((r) => (r.valid as { loss?: number } | null)?.loss).filter((v): v is number => typeof v === 'number');
    const best = valid.length > 0 ? Math.min(...valid) : null;
    setStatus(
      status,
      'done',
      `${records.length} records, ${epochs.length} epochs${best !== null ? `; best validation loss ${best.toFixed(4)} (perplexity ${Math.exp(best).toFixed(2)})` : ''}`,
    );
  } catch (e) {
    plot.replaceChildren();
    setStatus(status, 'error', message(e));
  }
}

function setupPlot(): void {
  const input = $<HTMLInputElement>('log-file');
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    logText = { name: file.name, text: await file.text() };
    drawPlot();
  });
  $('plot-x').addEventListener('change', drawPlot);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  // The wasm kernels sit next to main.js (apps/web/build.mjs copies them); until they load, js runs.
  const sel = await useWasmBackend(new URL('./', import.meta.url));
  const skipped = sel.skipped.map((s) => ` (${s.name} unavailable: ${s.reason})`).join('');
  $('backend').textContent = `Backend: ${describeBackend()}${skipped}.`;
  setupModelInput();
  setupSurprisal();
  setupPlot();
  $('generate').addEventListener('click', () => void runGeneration());
  $('translate').addEventListener('click', runTranslate);
  $('stop').addEventListener('click', () => {
    stopRequested = true;
  });
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void runGeneration();
  });
  setControls();
  const params = new URLSearchParams(location.search);
  // ?model=DIR loads that checkpoint; otherwise the shipped one (?model= with no value: none).
  const model = params.get('model');
  if (model) void loadFromUrl(model);
  else if (model === null) void loadFromUrl(DEFAULT_MODEL, 'the shipped model (2×256 character LSTM trained on Tiny Shakespeare)');
  const log = params.get('log');
  if (log) {
    fetch(new URL(log, location.href))
      .then(async (res) => {
        if (!res.ok) throw new Error(`cannot fetch ${log}: HTTP ${res.status}`);
        logText = { name: log.split('/').pop() || log, text: await res.text() };
        drawPlot();
      })
      .catch((e: unknown) => setStatus($('plot-status'), 'error', message(e)));
  }
}

void main();
