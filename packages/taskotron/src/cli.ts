import { Command } from 'commander';
import type { CommandEnv } from '@loopabull/core';
import { replayCommand } from './replay.js';

/** `loopabull taskotron`: the group, one subcommand per module. */
export function taskotronCommand(env: CommandEnv): Command {
  return new Command('taskotron')
    .description('Taskotron: trigger rules over Fedora messages, checks and their results')
    .addCommand(replayCommand(env));
}
