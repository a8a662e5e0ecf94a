/** Node implementation of the platform seam. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RnnlmError } from '../errors.js';
import type { Platform } from './platform.js';

export const nodePlatform: Platform = {
  name: 'node',
  readFile(p: string): Uint8Array {
    try {
      return fs.readFileSync(p);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw new RnnlmError('file_not_found', `file not found: ${p}; check the path`);
      if (err.code === 'EISDIR') throw new RnnlmError('io_error', `${p} is a directory; give a file`);
      throw new RnnlmError('io_error', `cannot read ${p}: ${err.message}`);
    }
  },
  writeFileAtomic(p: string, data: Uint8Array | string): void {
    const tmp = `${p}.tmp-${process.pid}-${Date.now()}`;
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        fs.writeFileSync(fd, data);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, p);
    } catch (e) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        /* the temporary file may not exist */
      }
      throw new RnnlmError('io_error', `cannot write ${p}: ${(e as Error).message}`);
    }
  },
  exists(p: string): boolean {
    return fs.existsSync(p);
  },
  isDirectory(p: string): boolean {
    return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  },
  mkdirp(p: string): void {
    fs.mkdirSync(p, { recursive: true });
  },
  listDir(p: string): string[] {
    try {
      return fs.readdirSync(p).sort();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') return [];
      throw new RnnlmError('io_error', `cannot list ${p}: ${err.message}`);
    }
  },
  rename(from: string, to: string): void {
    try {
      fs.renameSync(from, to);
    } catch (e) {
      throw new RnnlmError('io_error', `cannot move ${from} to ${to}: ${(e as Error).message}`);
    }
  },
  removeAll(p: string): void {
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch (e) {
      throw new RnnlmError('io_error', `cannot remove ${p}: ${(e as Error).message}`);
    }
  },
  joinPath(...parts: string[]): string {
    return path.join(...parts);
  },
  now(): number {
    return performance.now();
  },
  processId: process.pid,
  isProcessAlive(pid: number): boolean {
    try {
      process.kill(pid, 0); // signal 0: only asks whether the process exists
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM'; // it exists, but belongs to someone else
    }
  },
};
