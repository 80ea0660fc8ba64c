import { Command } from 'commander';
import type { CommandEnv } from '@loopabull/core/cli';
import { pruneCommand } from './cli-prune.js';
import { replayCommand } from './cli-replay.js';
import { runtaskCommand } from './cli-runtask.js';
import type { CliIo } from './runtask.js';

/**
 * `loopabull taskotron …`: one subcommand per module (`cli-<name>.ts`), so that each can be
 * added without touching the others.
 */
export function taskotronCommand(env: CommandEnv, io?: CliIo): Command {
  return new Command('taskotron')
    .description('run Taskotron checks locally, schedule them again, prune their git cache')
    .addCommand(runtaskCommand(env, io))
    .addCommand(replayCommand(env))
    .addCommand(pruneCommand(env));
}
