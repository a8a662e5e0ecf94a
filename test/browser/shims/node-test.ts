/**
 * Browser stand-in for the part of node:test the conformance suite uses (describe, test with an
 * optional { skip }), so test/conformance/suite.ts runs unchanged in a page: tests are collected
 * as the suite registers them, then run() executes them in order and reports each outcome.
 */
type Fn = () => void | Promise<void>;

interface Collected {
  name: string;
  fn: Fn;
  skip: string | boolean | undefined;
}

const collected: Collected[] = [];
const path: string[] = [];

export function describe(name: string, fn: () => void): void {
  path.push(name);
  try {
    fn();
  } finally {
    path.pop();
  }
}

export function test(name: string, a: { skip?: string | boolean } | Fn, b?: Fn): void {
  const fn = typeof a === 'function' ? a : b!;
  const skip = typeof a === 'function' ? undefined : a.skip;
  collected.push({ name: [...path, name].join(' › '), fn, skip });
}

export interface Outcome {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  error?: string;
}

/** Runs every collected test in order. */
export async function run(): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const t of collected) {
    if (t.skip) {
      out.push({ name: t.name, status: 'skip' });
      continue;
    }
    try {
      await t.fn();
      out.push({ name: t.name, status: 'pass' });
    } catch (e) {
      out.push({ name: t.name, status: 'fail', error: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}
