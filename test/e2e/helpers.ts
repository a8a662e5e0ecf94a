/**
 * Helpers for the end-to-end CLI tests: run the real `rnnlm` command line in a child process
 * (`node --import tsx apps/cli/main.ts ...`), make throw-away directories, write tiny corpora,
 * and rewrite checkpoint files the way a crash or a hand edit would.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this file), where the CLI is run from. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `rnnlm ...args` with the js backend; fails loudly if the process hangs or cannot start. */
export function runCli(args: readonly string[], timeoutMs = 20_000): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps', 'cli', 'main.ts'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, RNNLM_BACKEND: 'js', NO_COLOR: '1' },
  });
  if (r.error) throw new Error(`rnnlm ${args.join(' ')}: ${r.error.message}`);
  if (r.signal) throw new Error(`rnnlm ${args.join(' ')} was killed by ${r.signal} (timeout ${timeoutMs} ms?)\n${r.stderr}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Readable dump of a CLI run, for assertion messages. */
export function show(r: CliResult): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function makeTmpDir(prefix = 'rnnlm-e2e-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A small deterministic word corpus (a toy grammar, about `lines` lines of 3-8 words), so
 * the char and word tokenizers both see a real, repetitive language.
 */
export function toyCorpus(lines = 120, seed = 1): string {
  const subjects = ['the cat', 'a dog', 'the bird', 'my friend', 'the old man'];
  const verbs = ['sat on', 'looked at', 'ran to', 'jumped over', 'saw'];
  const objects = ['the mat', 'a tree', 'the house', 'the red ball', 'a small box'];
  let s = seed >>> 0;
  const next = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0; // LCG: deterministic across runs
    return (s >>> 16) % n;
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`${subjects[next(5)]} ${verbs[next(5)]} ${objects[next(5)]}`);
  return `${out.join('\n')}\n`;
}

/** Options for a tiny, fast training run (add --train, --tokenizer, --out). */
export const TINY_TRAIN = [
  '--layers',
  '1',
  '--emb',
  '8',
  '--hidden',
  '16',
  '--batch-size',
  '4',
  '--bptt',
  '8',
  '--max-steps',
  '20',
  '--backend',
  'js',
  '--no-progress',
] as const;

/** Every `rnnlm: error [code]` line printed on stderr. */
export function errorCodes(stderr: string): string[] {
  return [...stderr.matchAll(/^rnnlm: error \[([a-z0-9_]+)\]: .+$/gm)].map((m) => m[1]!);
}

/** True when the text looks like a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+(\(|:\d+:\d+)/m.test(text) || /\.ts:\d+:\d+/.test(text);
}

/** Deep-copies a checkpoint directory (flat: it holds files only). */
export function copyCheckpoint(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

/**
 * Drops `file`'s size/CRC record from config.json, as the corrupt_checkpoint message tells a
 * user to do to accept a replaced file: the file is then checked only by its own contents.
 */
export function acceptReplacedFile(dir: string, file: string): void {
  const p = path.join(dir, 'config.json');
  const cfg = JSON.parse(fs.readFileSync(p, 'utf8')) as { files?: Record<string, unknown> };
  if (!cfg.files || !(file in cfg.files)) throw new Error(`${p} has no record of ${file}`);
  delete cfg.files[file];
  fs.writeFileSync(p, JSON.stringify(cfg, null, 2));
}
