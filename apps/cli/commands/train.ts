/** `rnnlm train`: build a tokenizer and model from text files, train with TBPTT, save the best checkpoint. */
import { Command } from 'commander';
import { defaultLmSpec } from '../../../src/node.js';
import { addFlags, applyFlags, attributeName, givenFlags } from '../flags.js';
import { runTrain } from '../train-session.js';
import { DEFAULT_RUN, RUN_FLAGS, TRAIN_FLAGS, describePresets, resolveTrainRun } from '../train-spec.js';

export function trainCommand(): Command {
  const cmd = new Command('train').description('train a language model on a text file');
  addFlags(cmd, TRAIN_FLAGS, defaultLmSpec());
  addFlags(cmd, RUN_FLAGS, DEFAULT_RUN);
  return cmd.action(async (_raw: unknown, c: Command) => {
    const runGiven = givenFlags(c, RUN_FLAGS);
    const settings = applyFlags(DEFAULT_RUN, runGiven);
    if (settings.listPresets) {
      console.log(describePresets());
      return;
    }
    const run = resolveTrainRun(givenFlags(c, TRAIN_FLAGS), settings, new Set(runGiven.map((g) => attributeName(g.flag))));
    const outcome = await runTrain(run, (s) => console.log(s));
    if (outcome.stoppedBy === 'interrupted') process.exitCode = 130;
  });
}
