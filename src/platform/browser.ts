/**
 * Browser implementation of the platform seam: an in-memory virtual file system
 * (Map<path, bytes> plus a set of directories). The page fills it from fetch() or from
 * File/Blob objects (file inputs, drag and drop) and reads results back with getFile()
 * to offer them as downloads. Paths are POSIX-style; "a/./b/../c" and "a/c" name the same file.
 */
import { RnnlmError } from '../errors.js';
import type { Platform } from './platform.js';

/** Anything with the bytes behind it: File, Blob, Response. */
export interface BytesSource {
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface BrowserPlatform extends Platform {
  readonly name: 'browser';
  /** Puts a file into the virtual file system (a copy of `data`), creating its parent directories. */
  addFile(path: string, data: Uint8Array | ArrayBuffer | string): void;
  /** addFile with the contents of a File, Blob or Response. */
  addFileFrom(path: string, source: BytesSource): Promise<void>;
  /** addFile with the body fetched from `url`; throws io_error on a network or HTTP error. */
  fetchFile(path: string, url: string): Promise<void>;
  /** A copy of a file's bytes, or undefined when there is none (e.g. to download a saved checkpoint). */
  getFile(path: string): Uint8Array | undefined;
  /** Paths of all files, sorted; only those inside directory `dir` when given. */
  listFiles(dir?: string): string[];
  /** Deletes a file; false when there was none. */
  removeFile(path: string): boolean;
}

/** Collapses ".", ".." and repeated slashes; "" is ".". */
export function normalizePath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..'); // above the root of an absolute path stays at the root
      continue;
    }
    out.push(seg);
  }
  const body = out.join('/');
  return abs ? `/${body}` : body || '.';
}

function parentOf(p: string): string | null {
  if (p === '/' || p === '.' || p === '..' || p.endsWith('/..')) return null;
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : p.slice(0, i);
}

export function createBrowserPlatform(): BrowserPlatform {
  const files = new Map<string, Uint8Array>();
  const dirs = new Set<string>(['.', '/']);

  const mkdirp = (path: string): void => {
    const chain: string[] = [];
    for (let d: string | null = normalizePath(path); d !== null && !dirs.has(d); d = parentOf(d)) chain.push(d);
    for (const d of chain) {
      if (files.has(d)) throw new RnnlmError('io_error', `cannot create directory ${path}: ${d} is a file`);
    }
    for (const d of chain) dirs.add(d);
  };

  const toBytes = (data: Uint8Array | ArrayBuffer | string): Uint8Array => {
    if (typeof data === 'string') return new TextEncoder().encode(data);
    if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
    if (data instanceof Uint8Array) return new Uint8Array(data); // a copy even for a Node Buffer, whose slice() is a view
    throw new RnnlmError('invalid_argument', 'file data must be a Uint8Array, ArrayBuffer or string');
  };

  const addFile = (path: string, data: Uint8Array | ArrayBuffer | string): void => {
    const p = normalizePath(path);
    if (dirs.has(p)) throw new RnnlmError('io_error', `cannot add file ${path}: it is a directory`);
    const parent = parentOf(p);
    if (parent !== null) mkdirp(parent);
    files.set(p, toBytes(data));
  };

  return {
    name: 'browser',

    readFile(path: string): Uint8Array {
      const p = normalizePath(path);
      const bytes = files.get(p);
      if (bytes) return bytes.slice(); // callers own what they get, as with fs.readFileSync
      if (dirs.has(p)) throw new RnnlmError('io_error', `${path} is a directory; give a file`);
      throw new RnnlmError('file_not_found', `file not found: ${path}; add it to the page's virtual file system first (addFile / fetchFile)`);
    },

    writeFileAtomic(path: string, data: Uint8Array | string): void {
      // One Map.set is all-or-nothing, so there is no temporary file to clean up.
      const p = normalizePath(path);
      if (dirs.has(p)) throw new RnnlmError('io_error', `cannot write ${path}: it is a directory`);
      const parent = parentOf(p);
      if (parent !== null && !dirs.has(parent)) {
        throw new RnnlmError('io_error', `cannot write ${path}: directory ${parent} does not exist (create it with mkdirp first)`);
      }
      files.set(p, toBytes(data));
    },

    exists(path: string): boolean {
      const p = normalizePath(path);
      return files.has(p) || dirs.has(p);
    },

    isDirectory(path: string): boolean {
      return dirs.has(normalizePath(path));
    },

    mkdirp,

    listDir(path: string): string[] {
      const d = normalizePath(path);
      const names = new Set<string>();
      for (const p of [...files.keys(), ...dirs]) if (p !== d && parentOf(p) === d) names.add(p.slice(d === '/' ? 1 : d === '.' ? 0 : d.length + 1));
      return [...names].sort();
    },

    rename(from: string, to: string): void {
      const f = normalizePath(from);
      const t = normalizePath(to);
      if (!files.has(f) && !dirs.has(f)) throw new RnnlmError('file_not_found', `cannot move ${from}: it does not exist`);
      const parent = parentOf(t);
      if (parent !== null && !dirs.has(parent)) throw new RnnlmError('io_error', `cannot move ${from} to ${to}: directory ${parent} does not exist`);
      const under = (p: string): string | null => (p === f ? t : p.startsWith(`${f}/`) ? t + p.slice(f.length) : null);
      for (const [p, bytes] of [...files]) {
        const q = under(p);
        if (q !== null) {
          files.delete(p);
          files.set(q, bytes);
        }
      }
      for (const p of [...dirs]) {
        const q = under(p);
        if (q !== null) {
          dirs.delete(p);
          dirs.add(q);
        }
      }
    },

    removeAll(path: string): void {
      const d = normalizePath(path);
      for (const p of [...files.keys()]) if (p === d || p.startsWith(`${d}/`)) files.delete(p);
      for (const p of [...dirs]) if (p === d || p.startsWith(`${d}/`)) dirs.delete(p);
    },

    joinPath(...parts: string[]): string {
      return normalizePath(parts.filter((s) => s !== '').join('/'));
    },

    now(): number {
      return globalThis.performance.now();
    },

    // One page, one writer: there are no other processes whose leftovers could be found.
    processId: 0,
    isProcessAlive: () => true,

    addFile,

    async addFileFrom(path: string, source: BytesSource): Promise<void> {
      addFile(path, new Uint8Array(await source.arrayBuffer()));
    },

    async fetchFile(path: string, url: string): Promise<void> {
      let res: Response;
      try {
        res = await globalThis.fetch(url);
      } catch (e) {
        throw new RnnlmError('io_error', `cannot fetch ${url}: ${(e as Error).message}; check the URL and your connection`);
      }
      if (!res.ok) throw new RnnlmError('io_error', `cannot fetch ${url}: HTTP ${res.status} ${res.statusText}`);
      addFile(path, new Uint8Array(await res.arrayBuffer()));
    },

    getFile(path: string): Uint8Array | undefined {
      return files.get(normalizePath(path))?.slice();
    },

    listFiles(dir?: string): string[] {
      const all = [...files.keys()].sort();
      if (dir === undefined) return all;
      const d = normalizePath(dir);
      const prefix = d === '/' ? '/' : `${d}/`;
      return d === '.' ? all.filter((f) => !f.startsWith('/')) : all.filter((f) => f.startsWith(prefix));
    },

    removeFile(path: string): boolean {
      return files.delete(normalizePath(path));
    },
  };
}

/** The page's shared virtual file system; register it with setPlatform(browserPlatform). */
export const browserPlatform: BrowserPlatform = createBrowserPlatform();
