/** Browser stand-in for the node:assert/strict calls the conformance suite makes (ok, equal, fail). */
class AssertionError extends Error {}

const assert = {
  ok(value: unknown, message?: string): void {
    if (!value) throw new AssertionError(message ?? `expected a truthy value, got ${String(value)}`);
  },
  equal(actual: unknown, expected: unknown, message?: string): void {
    if (!Object.is(actual, expected)) throw new AssertionError(message ?? `${String(actual)} !== ${String(expected)}`);
  },
  fail(message?: string): never {
    throw new AssertionError(message ?? 'failed');
  },
};

export default assert;
