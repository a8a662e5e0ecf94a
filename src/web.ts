/**
 * Browser entry point: registers the in-memory browser platform (files come from fetch() or
 * file inputs via browserPlatform.addFile / fetchFile) and the js reference backend, then
 * re-exports the public API. `await useWasmBackend(url)` switches to the wasm backend (the same
 * C++ kernels as the Node addon, WebAssembly SIMD128) before models are built or loaded. Imports no node:* module, so a bundler targeting the browser
 * takes it as is (apps/web/build.mjs fails the build if anything here ever pulls one in).
 */
import { type Selection, selectBackend } from './backend/select.js';
import { loadWasmBackendFrom } from './backend/wasm/browser.js';
import { browserPlatform } from './platform/browser.js';
import { setPlatform } from './platform/platform.js';

export * from './index.js';
export { browserPlatform, createBrowserPlatform, normalizePath, type BrowserPlatform, type BytesSource } from './platform/browser.js';
export { logSoftmaxRow, softmaxInto } from './generate/sample.js';

setPlatform(browserPlatform);
// js until useWasmBackend() has fetched the kernels (selectBackend registers js and activates it).
selectBackend('js', []);

/**
 * Fetches the wasm kernels from `base` (the folder holding rnnlm_kernels*.wasm, as the page build
 * copies them next to main.js) and makes wasm the active backend: wasm → js, so when the module
 * cannot load here js stays active and `skipped` says why. Call it before building or loading a
 * model: a model's parameters live in wasm memory only if created while wasm is active.
 */
export async function useWasmBackend(base: string | URL): Promise<Selection> {
  try {
    const b = await loadWasmBackendFrom(base);
    return selectBackend('auto', [{ name: 'wasm', load: () => b }]);
  } catch (e) {
    return { backend: selectBackend('js', []).backend, skipped: [{ name: 'wasm', reason: (e as Error).message }] };
  }
}
