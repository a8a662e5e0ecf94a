import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isRnnlmError } from '../errors.js';
import { createBrowserPlatform, normalizePath } from './browser.js';
import { readTextFile, setPlatform } from './platform.js';
import { nodePlatform } from './node.js';

/** The node platform with a fresh temporary root, for comparing behaviour. */
function nodeTmp(): typeof nodePlatform & { root: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-platform-'));
  return { ...nodePlatform, root };
}

function throwsCode(fn: () => unknown, code: string, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isRnnlmError(e), `expected RnnlmError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (msg) assert.match(e.message, msg);
    return true;
  });
}

describe('browser platform', () => {
  test('normalizePath and joinPath', () => {
    assert.equal(normalizePath(''), '.');
    assert.equal(normalizePath('a//b/./c/'), 'a/b/c');
    assert.equal(normalizePath('a/../..//b'), '../b');
    assert.equal(normalizePath('/x/../../y'), '/y');
    assert.equal(normalizePath('/'), '/');
    const p = createBrowserPlatform();
    assert.equal(p.joinPath('runs', 'ck', 'config.json'), 'runs/ck/config.json');
    assert.equal(p.joinPath('/runs/', '', './ck'), '/runs/ck');
    assert.equal(p.joinPath(), '.');
  });

  test('listDir, rename (a folder with everything in it) and removeAll, as on a disk', () => {
    for (const p of [createBrowserPlatform(), nodeTmp()]) {
      const root = p.name === 'node' ? (p as ReturnType<typeof nodeTmp>).root : 'runs';
      const j = (...xs: string[]): string => p.joinPath(root, ...xs);
      p.mkdirp(j('a', 'sub'));
      p.writeFileAtomic(j('a', 'x.json'), '1');
      p.writeFileAtomic(j('a', 'sub', 'y.bin'), 'yy');
      assert.deepEqual(p.listDir(j('a')), ['sub', 'x.json']);
      assert.deepEqual(p.listDir(j('none')), []);
      p.rename(j('a'), j('b'));
      assert.ok(!p.exists(j('a')) && !p.exists(j('a', 'x.json')));
      assert.equal(new TextDecoder().decode(p.readFile(j('b', 'sub', 'y.bin'))), 'yy');
      assert.deepEqual(p.listDir(root), ['b']);
      p.removeAll(j('b'));
      p.removeAll(j('b')); // nothing there: no error
      assert.deepEqual(p.listDir(root), []);
    }
  });

  test('addFile / readFile / getFile copy bytes in and out', () => {
    const p = createBrowserPlatform();
    const src = new Uint8Array([1, 2, 3]);
    p.addFile('data/train.txt', src);
    src[0] = 99;
    const a = p.readFile('./data/train.txt');
    assert.deepEqual(a, new Uint8Array([1, 2, 3]));
    a[1] = 77;
    assert.deepEqual(p.getFile('data/train.txt'), new Uint8Array([1, 2, 3]));
    assert.ok(p.exists('data'));
    assert.ok(p.exists('data/train.txt'));
    assert.equal(p.getFile('nope'), undefined);
    p.addFile('s.txt', 'héllo');
    p.addFile('ab.bin', new Uint8Array([5, 6]).buffer);
    assert.deepEqual(p.readFile('ab.bin'), new Uint8Array([5, 6]));
    setPlatform(p);
    try {
      assert.equal(readTextFile('s.txt'), 'héllo');
    } finally {
      setPlatform(nodePlatform);
    }
  });

  test('missing files and directories give file_not_found / io_error', () => {
    const p = createBrowserPlatform();
    throwsCode(() => p.readFile('x.txt'), 'file_not_found', /x\.txt/);
    p.mkdirp('d/e');
    throwsCode(() => p.readFile('d'), 'io_error', /directory/);
    throwsCode(() => p.writeFileAtomic('d/e', 'x'), 'io_error', /is a directory/);
    p.addFile('f', 'x');
    throwsCode(() => p.mkdirp('f/g'), 'io_error', /f is a file/);
    assert.equal(p.exists('f/g'), false);
  });

  test('writeFileAtomic needs the directory; a failed write leaves nothing', () => {
    const p = createBrowserPlatform();
    throwsCode(() => p.writeFileAtomic('out/ck/model.safetensors', new Uint8Array([1])), 'io_error', /directory out\/ck does not exist/);
    assert.deepEqual(p.listFiles(), []);
    assert.equal(p.exists('out'), false);
    p.mkdirp('out/ck');
    p.writeFileAtomic('out/ck/model.safetensors', new Uint8Array([1]));
    p.writeFileAtomic('out/ck/model.safetensors', 'over');
    assert.deepEqual(p.listFiles('out'), ['out/ck/model.safetensors']);
    assert.equal(new TextDecoder().decode(p.readFile('out/ck/model.safetensors')), 'over');
    p.writeFileAtomic('top.txt', 'root dir always exists');
    p.writeFileAtomic('/abs.txt', 'so does /');
    assert.deepEqual(p.listFiles(), ['/abs.txt', 'out/ck/model.safetensors', 'top.txt']);
    assert.deepEqual(p.listFiles('/'), ['/abs.txt']);
    assert.ok(p.removeFile('top.txt'));
    assert.equal(p.removeFile('top.txt'), false);
    assert.equal(p.exists('top.txt'), false);
  });

  test('addFileFrom a Blob and fetchFile from a data: URL', async () => {
    const p = createBrowserPlatform();
    await p.addFileFrom('in/blob.bin', new Blob([new Uint8Array([9, 8, 7])]));
    assert.deepEqual(p.readFile('in/blob.bin'), new Uint8Array([9, 8, 7]));
    await p.fetchFile('in/url.txt', 'data:text/plain;base64,aGk=');
    assert.equal(new TextDecoder().decode(p.readFile('in/url.txt')), 'hi');
    await assert.rejects(p.fetchFile('in/bad', 'not a url'), (e: unknown) => isRnnlmError(e, 'io_error'));
    assert.equal(p.exists('in/bad'), false);
  });

  test('now() is monotonic milliseconds', () => {
    const p = createBrowserPlatform();
    const a = p.now();
    const b = p.now();
    assert.equal(p.name, 'browser');
    assert.ok(typeof a === 'number' && b >= a);
  });
});
