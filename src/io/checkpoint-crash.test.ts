/**
 * A save killed at any point (kill -9: no cleanup runs) leaves a folder that loads as the old
 * checkpoint or the new one, never a mix; the next save or run start (recoverCheckpointDir,
 * recoverRunDir) finishes a committed save and removes what killed processes left behind.
 * The kill is simulated: a platform that stops working after its n-th change to the disk, n = 0, 1, …
 * until a save goes through, with the killed process's id one that no longer runs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nodePlatform } from '../platform/node.js';
import { type Platform, setPlatform } from '../platform/platform.js';
import { Tensor } from '../tensor/tensor.js';
import { recoverRunDir } from '../train/resume.js';
import { type Checkpoint, isCheckpointDir, loadCheckpoint, recoverCheckpointDir, saveCheckpoint } from './checkpoint.js';

let root = '';
before(() => {
  setPlatform(nodePlatform);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rnnlm-crash-'));
});
after(() => {
  setPlatform(nodePlatform);
  fs.rmSync(root, { recursive: true, force: true });
});

/** The id of a process that has ended. */
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;

class Killed extends Error {}

/** nodePlatform as a process `deadPid` that is killed just before its (n+1)-th change to the disk. */
function killedAfter(n: number): Platform & { killed: () => boolean } {
  let left = n;
  let dead = false;
  const change = (): void => {
    if (dead || left-- === 0) {
      dead = true;
      throw new Killed('killed');
    }
  };
  return {
    ...nodePlatform,
    processId: deadPid,
    killed: () => dead,
    writeFileAtomic(p, data) {
      if (!dead && left === 0) fs.writeFileSync(`${p}.tmp-${deadPid}-1`, String(data).slice(0, 3)); // killed mid-file
      change();
      nodePlatform.writeFileAtomic(p, data);
    },
    rename(a, b) {
      change();
      nodePlatform.rename(a, b);
    },
    removeAll(p) {
      change();
      nodePlatform.removeAll(p);
    },
    mkdirp(p) {
      change();
      nodePlatform.mkdirp(p);
    },
  };
}

const checkpoint = (v: number, withTraining: boolean): Checkpoint => ({
  stateDict: { w: Tensor.from([v, v, v], [3]) },
  config: { version: v },
  tokenizer: { v },
  ...(withTraining ? { trainingState: { json: { step: v }, tensors: { m: Tensor.from([v], [1]) } } } : {}),
});

const versionOf = (dir: string): number => {
  const ck = loadCheckpoint(dir);
  assert.equal(ck.stateDict.w!.data[0], ck.config.version, 'weights and config come from the same save');
  assert.deepEqual(ck.tokenizer, { v: ck.config.version });
  if (ck.trainingState) assert.equal(ck.trainingState.json.step, ck.config.version);
  return ck.config.version as number;
};

const leftovers = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.startsWith('.') || f.includes('.tmp-'));

describe('a save killed at any point', () => {
  for (const [oldTraining, newTraining] of [
    [true, false],
    [false, true],
  ] as const) {
    test(`old ${oldTraining ? 'with' : 'without'} training state → new ${newTraining ? 'with' : 'without'}: old or new, never a mix; recovery cleans up`, () => {
      let completed = false;
      for (let n = 0; !completed; n++) {
        assert.ok(n < 100, 'the save never completes');
        const dir = path.join(root, `n${n}-${oldTraining}`);
        saveCheckpoint(dir, checkpoint(1, oldTraining));
        fs.writeFileSync(path.join(dir, 'train-log.jsonl'), 'kept\n'); // a run folder holds more than the checkpoint
        const p = killedAfter(n);
        setPlatform(p);
        try {
          saveCheckpoint(dir, checkpoint(2, newTraining));
        } catch (e) {
          if (!p.killed()) throw e; // a real failure, not the simulated kill
        } finally {
          setPlatform(nodePlatform);
        }
        completed = !p.killed();
        const seen = versionOf(dir);
        assert.ok(seen === 1 || seen === 2, `kill after ${n} changes`);
        assert.ok(isCheckpointDir(dir));
        recoverCheckpointDir(dir); // the next run, another process
        assert.equal(versionOf(dir), seen, `kill after ${n} changes: recovery keeps what was visible`);
        assert.deepEqual(leftovers(dir), [], `kill after ${n} changes: nothing left behind`);
        assert.equal(loadCheckpoint(dir).trainingState !== null, seen === 2 ? newTraining : oldTraining, 'the training state of the save that is visible');
        assert.equal(fs.readFileSync(path.join(dir, 'train-log.jsonl'), 'utf8'), 'kept\n');
        if (completed) assert.equal(seen, 2);
      }
    });
  }
});

test('recoverRunDir removes what killed runs left (OUT, OUT/resume, old-style resume.tmp-PID), not what live ones are writing', () => {
  const out = path.join(root, 'run');
  saveCheckpoint(path.join(out, 'resume'), checkpoint(1, true));
  const live = process.ppid; // a process that runs
  const stale = [`.staging-${deadPid}`, `resume.tmp-${deadPid}`, `model.safetensors.tmp-${deadPid}-5`, path.join('resume', `.staging-${deadPid}`)];
  const kept = [`.staging-${live}`, `resume.tmp-${live}`];
  for (const d of [...stale, ...kept]) {
    if (d.includes('.tmp-') && !d.startsWith('resume.tmp')) fs.writeFileSync(path.join(out, d), 'x');
    else fs.mkdirSync(path.join(out, d, 'sub'), { recursive: true });
  }
  recoverRunDir(out);
  for (const d of stale) assert.equal(fs.existsSync(path.join(out, d)), false, d);
  for (const d of kept) assert.equal(fs.existsSync(path.join(out, d)), true, d);
  assert.equal(versionOf(path.join(out, 'resume')), 1);
});
