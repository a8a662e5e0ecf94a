/** Option parsers for commander that fail with a clear message instead of producing NaN, and the choices many commands share. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_PREFERENCES, type BackendPreference } from '../../src/node.js';

export function int(min = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}, got "${v}"`);
    return n;
  };
}

export function num(min = -Infinity, max = Infinity) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number in [${min}, ${max}], got "${v}"`);
    return n;
  };
}

export function oneOf<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}, got "${v}"`);
    return v as T;
  };
}

/** The --backend choices of every command that runs a model. */
export const BACKEND_CHOICES: readonly BackendChoice[] = BACKEND_PREFERENCES;
export type BackendChoice = BackendPreference;

/**
 * Keeps a renamed value flag working: `oldSyntax` ('--length-penalty <a>') is listed as the old
 * name of `newFlag` and writes its value there, so the command reads the new name only.
 */
export function withOldFlagName(cmd: Command, oldSyntax: string, newFlag: string, parse: (raw: string) => unknown): Command {
  const old = new Option(oldSyntax, `old name of ${newFlag} (still accepted)`).argParser(parse);
  const to = new Option(newFlag).attributeName();
  cmd.addOption(old);
  cmd.on(`option:${old.name()}`, (raw: string) => cmd.setOptionValueWithSource(to, parse(raw), 'cli'));
  return cmd;
}
