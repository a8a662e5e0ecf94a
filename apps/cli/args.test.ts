/** Option parsers and the old name of a renamed flag. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { num, withOldFlagName } from './args.js';

function cmd(): Command {
  const c = new Command('x').exitOverride().option('--gnmt-alpha <a>', 'GNMT α', num(0), 0);
  return withOldFlagName(c, '--length-penalty <a>', '--gnmt-alpha', num(0));
}

describe('withOldFlagName', () => {
  test('the old name sets the new one, parsed; the default stays without either', () => {
    assert.equal(cmd().parse(['--length-penalty', '0.6'], { from: 'user' }).opts().gnmtAlpha, 0.6);
    assert.equal(cmd().parse(['--gnmt-alpha', '0.8'], { from: 'user' }).opts().gnmtAlpha, 0.8);
    assert.equal(cmd().parse([], { from: 'user' }).opts().gnmtAlpha, 0);
  });

  test('the old name is in the help as such and is parsed like the new one', () => {
    assert.match(cmd().helpInformation(), /--length-penalty <a>\s+old name of --gnmt-alpha/);
    assert.throws(
      () =>
        cmd()
          .configureOutput({ writeErr: () => {} })
          .parse(['--length-penalty', '-1'], { from: 'user' }),
      /expected a number/,
    );
  });
});
