/**
 * Browser entry point: registers the in-memory browser platform (files come from fetch() or
 * file inputs via browserPlatform.addFile / fetchFile) and the js reference backend, then
 * re-exports the public API. Imports no node:* module, so a bundler targeting the browser
 * takes it as is (apps/web/build.mjs fails the build if anything here ever pulls one in).
 */
import { selectBackend } from './backend/select.js';
import { browserPlatform } from './platform/browser.js';
import { setPlatform } from './platform/platform.js';

export * from './index.js';
export { browserPlatform, createBrowserPlatform, normalizePath, type BrowserPlatform, type BytesSource } from './platform/browser.js';
export { logSoftmaxRow, softmaxInto } from './generate/sample.js';

setPlatform(browserPlatform);
// No candidates: js is the only backend a page has (selectBackend registers it and activates it).
selectBackend('js', []);
