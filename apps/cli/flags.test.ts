/** The flag table: options registered with defaults from the spec, given flags applied over a base, names. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { int } from './args.js';
import { type FlagTable, addFlags, applyFlags, at, attributeName, field, flag, flagName, givenFlags, required, tableCommand } from './flags.js';

interface Spec {
  data: { train: string };
  model: { hiddenSize: number; tied: boolean };
  train: { lr: number; maxSeconds?: number };
}
const DEFAULTS: Spec = { data: { train: '' }, model: { hiddenSize: 200, tied: false }, train: { lr: 0.1 } };
const FLAGS: FlagTable<Spec> = [
  flag('--train <file>', 'training text', at('data', 'train')),
  flag('--hidden <n>', 'hidden size', at('model', 'hiddenSize'), int(1)),
  flag('--tied', 'tie weights', at('model', 'tied')),
  flag(
    '--max-minutes <m>',
    'time budget',
    { get: (s: Spec) => (s.train.maxSeconds ?? 0) / 60, set: (s: Spec, m: number) => void (s.train.maxSeconds = m * 60) },
    Number,
  ),
];

function parse(args: string[]): { spec: Spec; cmd: Command } {
  let out: { spec: Spec; cmd: Command } | null = null;
  const cmd = addFlags(new Command('t').exitOverride().configureOutput({ writeErr: () => {} }), FLAGS, DEFAULTS).action((_o, c: Command) => {
    out = { spec: applyFlags(DEFAULTS, givenFlags(c, FLAGS)), cmd: c };
  });
  cmd.parse(args, { from: 'user' });
  assert.ok(out);
  return out;
}

describe('flag tables', () => {
  test('only the flags given change the base; values are parsed; unit changes go through set', () => {
    const { spec } = parse(['--hidden', '64', '--tied', '--max-minutes', '1.5']);
    assert.deepEqual(spec, { data: { train: '' }, model: { hiddenSize: 64, tied: true }, train: { lr: 0.1, maxSeconds: 90 } });
    assert.deepEqual(DEFAULTS.model, { hiddenSize: 200, tied: false }, 'the base is not modified');
  });

  test('defaults come from the spec and are shown in --help, but do not count as given', () => {
    const { cmd } = parse([]);
    assert.equal(cmd.opts().hidden, 200);
    assert.deepEqual(givenFlags(cmd, FLAGS), []);
    assert.match(cmd.helpInformation(), /--hidden <n>\s+hidden size \(default: 200\)/);
  });

  test('a bad value is refused by the parser', () => {
    assert.throws(() => parse(['--hidden', '0']), /expected an integer ≥ 1/);
  });

  test('names', () => {
    const f = flag('--no-progress', 'no bar', { get: (s: { progress: boolean }) => s.progress, set: (s, v: boolean) => void (s.progress = v) });
    assert.equal(attributeName(f), 'progress');
    assert.equal(flagName(f), '--no-progress');
    assert.equal(flagName(FLAGS[3]!), '--max-minutes');
  });

  test('tableCommand: flat settings from field() places; a required() flag must be given', () => {
    interface Settings {
      model: string;
      json: boolean;
    }
    const table: FlagTable<Settings> = [required(flag('--model <dir>', 'model', field('model'))), flag('--json', 'JSON', field('json'))];
    const seen: Settings[] = [];
    const make = (): Command =>
      tableCommand('x', 'a command', table, { model: '', json: false }, (o) => void seen.push(o))
        .exitOverride()
        .configureOutput({ writeErr: () => {} });
    make().parse(['--model', 'm', '--json'], { from: 'user' });
    make().parse(['--model', 'n'], { from: 'user' });
    assert.deepEqual(seen, [
      { model: 'm', json: true },
      { model: 'n', json: false },
    ]);
    assert.throws(() => make().parse([], { from: 'user' }), /required option '--model <dir>' not specified/);
  });
});
