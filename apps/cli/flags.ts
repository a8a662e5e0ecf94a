/**
 * Declarative command-line flags that fill a typed spec. A command declares, once, a table of
 * flags: the commander syntax, the help line, the parser, and where the value goes in the spec.
 * The same table registers the options (with defaults shown from the default spec), turns the
 * flags given on the command line into spec values over a base spec (defaults, a preset or a
 * resumed run's saved spec), and names the flag behind a spec value in error messages.
 *
 * A new task declares its spec type and its table, e.g. a classifier:
 *
 *   interface ClassifySpec { data: { train: string }; model: { hiddenSize: number }; train: { lr: number } }
 *   const FLAGS: FlagTable<ClassifySpec> = [
 *     flag('--train <file>', 'training examples, one per line', at('data', 'train')),
 *     flag('--hidden <n>', 'hidden size', at('model', 'hiddenSize'), int(1)),
 *     flag('--lr <lr>', 'learning rate', at('train', 'lr'), num(0)),
 *   ];
 *   const cmd = addFlags(new Command('train'), FLAGS, defaultSpec).action((_o, c: Command) => {
 *     const spec = applyFlags(defaultSpec, givenFlags(c, FLAGS));   // defaults + what the user typed
 *   });
 *
 * A flag that is not a plain field (a unit change, two fields at once) gives its own get/set
 * instead of at(); see apps/cli/train-spec.ts. A flat settings record (what a run does beyond its
 * spec: --out, --backend, or a command with no spec at all) uses field(); a mandatory flag is
 * required(flag(...)); tableCommand() makes a whole command of one table.
 */
import { Command, Option } from 'commander';

/** Where a flag's value lives in a spec S: read it (for defaults and messages) and write it into a draft. */
export interface Place<S, V> {
  get(spec: S): V | undefined;
  set(spec: S, value: V): void;
}

export interface Flag<S> {
  /** commander syntax: '--hidden <n>' (a value), '--tied' (true when given), '--no-progress' (false when given). */
  syntax: string;
  help: string;
  parse: ((raw: string) => unknown) | undefined;
  /** commander's mandatory option: the command stops with "required option … not specified" without it. */
  required?: boolean;
  get(spec: S): unknown;
  set(spec: S, value: unknown): void;
}

export type FlagTable<S> = readonly Flag<S>[];

/** One flag: its syntax, help, where its value goes, and the parser of its text (none: a string or a switch). */
export function flag<S, V>(syntax: string, help: string, place: Place<S, V>, parse?: (raw: string) => V): Flag<S> {
  return { syntax, help, parse, get: (s) => place.get(s), set: (s, v) => place.set(s, v as V) };
}

/** The same flag, mandatory (commander's requiredOption). */
export function required<S>(f: Flag<S>): Flag<S> {
  return { ...f, required: true };
}

/** The place settings[key] of a flat settings record (what a run does beyond its spec: --out, --backend, …). */
export function field<S, K extends keyof S>(key: K): Place<S, S[K]> {
  return {
    get: (s) => s[key],
    set: (s, v) => {
      s[key] = v;
    },
  };
}

/** The place spec[section][key]. */
export function at<S, K extends keyof S, F extends keyof S[K]>(section: K, key: F): Place<S, S[K][F]> {
  return {
    get: (s) => s[section][key],
    set: (s, v) => {
      s[section][key] = v;
    },
  };
}

/** --max-minutes: the run spec's train.maxSeconds, in minutes. */
export function maxMinutes<S extends { train: { maxSeconds?: number } }>(): Place<S, number> {
  return {
    get: (s) => (s.train.maxSeconds === undefined ? undefined : s.train.maxSeconds / 60),
    set: (s, m) => void (s.train.maxSeconds = m * 60),
  };
}

/** --seed where one seed drives both the model's initialisation and the training loop (shuffling). */
export function modelAndTrainSeed<S extends { model: { seed?: number }; train: { seed: number } }>(): Place<S, number> {
  return {
    get: (s) => s.train.seed,
    set: (s, v) => {
      s.model.seed = v;
      s.train.seed = v;
    },
  };
}

/** --init-range: the encoder–decoder's init, U(±r) for r > 0, PyTorch's layer defaults for 0. */
export function initRange<S extends { model: { init?: 'torch' | number } }>(): Place<S, number> {
  return {
    get: (s) => (typeof s.model.init === 'number' ? s.model.init : 0),
    set: (s, r) => void (s.model.init = r > 0 ? r : 'torch'),
  };
}

/** commander's attribute name of a flag ('--max-vocab <n>' → maxVocab, '--no-progress' → progress). */
export function attributeName(f: Flag<unknown>): string {
  return new Option(f.syntax).attributeName();
}

/** The flag as typed: '--max-vocab' ('--no-progress' for a negated switch). */
export function flagName(f: Flag<unknown>): string {
  return f.syntax.split(/[ ,]/)[0] ?? f.syntax;
}

/** Registers the table's options on `cmd`; defaults are read from `defaults` (shown in --help). */
export function addFlags<S>(cmd: Command, table: FlagTable<S>, defaults: S): Command {
  for (const f of table) {
    const opt = new Option(f.syntax, f.help);
    if (f.parse) opt.argParser(f.parse);
    if (f.required) opt.makeOptionMandatory();
    const d = f.get(defaults);
    // A value flag shows its default; a switch's default is its absence.
    if (d !== undefined && d !== '' && /[<[]/.test(f.syntax)) opt.default(d);
    cmd.addOption(opt);
  }
  return cmd;
}

/** A flag given on the command line, with its parsed value. */
export interface GivenFlag<S> {
  flag: Flag<S>;
  value: unknown;
}

/** The table's flags given on the command line (not defaults), in table order. */
export function givenFlags<S>(cmd: Command, table: FlagTable<S>): GivenFlag<S>[] {
  const values = cmd.opts();
  return table.filter((f) => cmd.getOptionValueSource(attributeName(f)) === 'cli').map((f) => ({ flag: f, value: values[attributeName(f)] }));
}

/** A copy of `base` with the given flags written in (table order, so a later flag wins where two touch one field). */
export function applyFlags<S>(base: S, given: readonly GivenFlag<S>[]): S {
  const spec = structuredClone(base);
  for (const g of given) g.flag.set(spec, g.value);
  return spec;
}

/** A command whose options are `table` (defaults from `defaults`); its action gets the settings the given flags make. */
export function tableCommand<S>(
  name: string,
  description: string,
  table: FlagTable<S>,
  defaults: S,
  action: (settings: S, cmd: Command) => void | Promise<void>,
): Command {
  const cmd = addFlags(new Command(name).description(description), table, defaults);
  return cmd.action((_o: unknown, c: Command) => action(applyFlags(defaults, givenFlags(c, table)), c));
}
