#!/usr/bin/env node
/**
 * A static file server for the page that makes it cross-origin isolated: every response carries
 * Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (plus
 * Cross-Origin-Resource-Policy: same-origin), so the page gets SharedArrayBuffer, the wasm
 * backend's shared-memory build and its Web Worker threads (src/backend/wasm/README.md).
 * Serves the repository root by default, so `?model=/runs/char/` finds checkpoints beside it.
 *
 *   npm run serve:web -- [--port 8000] [--host 127.0.0.1] [--root DIR]
 *   → open http://127.0.0.1:8000/dist/web/   (after npm run build:web)
 *
 * GET and HEAD only; paths that leave the root are 403, directories serve their index.html.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The headers that make a page cross-origin isolated (and let its own resources load under COEP). */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Starts the server on `port` (0: any free port); resolves once it listens. */
export function serveWeb({ root = repoRoot, port = 8000, host = '127.0.0.1' } = {}) {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    const headers = { ...ISOLATION_HEADERS };
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, headers).end();
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return void res.writeHead(400, headers).end();
    }
    let file = path.join(base, rel);
    if (file !== base && !file.startsWith(base + path.sep)) return void res.writeHead(403, headers).end();
    try {
      if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      const body = fs.readFileSync(file);
      res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, headers).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '8000' }, host: { type: 'string', default: '127.0.0.1' }, root: { type: 'string' } },
  });
  const server = await serveWeb({ root: values.root, port: Number(values.port), host: values.host });
  const { port } = server.address();
  console.log(`rnnlm: serving ${values.root ?? repoRoot} cross-origin isolated (COOP same-origin, COEP require-corp) at http://${values.host}:${port}/`);
  console.log(`       the page: http://${values.host}:${port}/dist/web/   (npm run build:web first)`);
}
