/**
 * The language-model task of the wasm benchmarks (bench/wasm-lm.ts in Node, bench/wasm-browser.ts
 * in Chromium): the 2×512 char LSTM of bench/lm-rnnlm.ts (--model char: 65-character vocabulary;
 * random weights, which time the same as trained ones) on the given backend —
 *   generation  batch 1, state carried, sampling included: ms per token after `warm` tokens;
 *   evaluation  evaluate() of 10,000 characters, batch 10, bptt 35: characters per second
 *               (after a 1,000-character warm-up).
 * Platform-neutral (the public API only).
 */
import { type Backend, CharTokenizer, RNNLM, evaluate, generateTokens, registerBackend, setBackend } from '../src/index.js';

export interface LmTaskResult {
  msPerToken: number;
  evalCharsPerSecond: number;
}

export function lmTask(backend: Backend, tokens = 200, warm = 20): LmTaskResult {
  registerBackend(backend);
  setBackend(backend.name);
  try {
    const alphabet = Array.from({ length: 65 }, (_, i) => String.fromCharCode(32 + i)).join('');
    const tok = CharTokenizer.fromText(alphabet);
    const model = new RNNLM({ vocabSize: tok.vocabSize, embedSize: 512, hiddenSize: 512, numLayers: 2, cell: 'lstm', seed: 1 });
    let k = 0;
    let t0 = 0;
    for (const _ of generateTokens(model, tok, { maxTokens: warm + tokens, temperature: 1, seed: 1, stopAtEos: false })) {
      if (++k === warm) t0 = performance.now();
    }
    const msPerToken = (performance.now() - t0) / tokens;
    const text = Array.from({ length: 10_000 }, (_, i) => alphabet[(i * 7 + (i >> 3)) % 65]).join('');
    const ids = Int32Array.from(tok.encode(text));
    evaluate(model, ids.subarray(0, 1000), { batchSize: 10, bptt: 35 });
    const e0 = performance.now();
    evaluate(model, ids, { batchSize: 10, bptt: 35 });
    return { msPerToken, evalCharsPerSecond: ids.length / ((performance.now() - e0) / 1000) };
  } finally {
    setBackend('js');
  }
}
