/**
 * The platform seam: the only way the engine touches files and clocks. Node registers
 * node.ts; the browser gets browser.ts. Nothing else in src/ imports node:*.
 */
import { RnnlmError } from '../errors.js';

export interface Platform {
  readonly name: 'node' | 'browser';
  /** Whole file as bytes; throws RnnlmError file_not_found / io_error. */
  readFile(path: string): Uint8Array;
  /** Writes via a temporary file + rename, so a crash never leaves a half-written file. */
  writeFileAtomic(path: string, data: Uint8Array | string): void;
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  mkdirp(path: string): void;
  /** Names of the entries of a directory (files and folders), sorted; [] when it does not exist. */
  listDir(path: string): string[];
  /** Moves a file or directory (atomic on one file system: the target holds the old or the new, never a mix). */
  rename(from: string, to: string): void;
  /** Removes a file or a directory with everything in it; nothing when it does not exist. */
  removeAll(path: string): void;
  joinPath(...parts: string[]): string;
  /** Milliseconds, monotonic. */
  now(): number;
  /** This process's id (names staging folders), and whether a process of that id still runs (a page: 0, always). */
  readonly processId: number;
  isProcessAlive(pid: number): boolean;
}

let current: Platform | null = null;

export function setPlatform(p: Platform): void {
  current = p;
}

export function platform(): Platform {
  if (!current) {
    throw new RnnlmError('unsupported', 'no platform registered: import "rnnlm" (node) or "rnnlm/web" (browser)');
  }
  return current;
}

/** Strict UTF-8 decoding: invalid bytes are an error, never silent U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, what = 'input'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    let at = -1;
    // Find the first bad byte so the message can point at it.
    for (let i = 0, n = bytes.length; i < n; ) {
      const b = bytes[i]!;
      const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
      let ok = len > 0 && i + len <= n;
      for (let k = 1; ok && k < len; k++) ok = (bytes[i + k]! & 0xc0) === 0x80;
      if (!ok) {
        at = i;
        break;
      }
      i += len;
    }
    throw new RnnlmError('invalid_utf8', `${what} is not valid UTF-8 (first bad byte at offset ${at}); re-encode it as UTF-8`, {
      offset: at,
    });
  }
}

export function readTextFile(path: string): string {
  return decodeUtf8(platform().readFile(path), path);
}
