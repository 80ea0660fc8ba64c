import { Command } from 'commander';
import { exitCodesAndExamples } from '@loopabull/core/cli';
import {
  jsonOption,
  printJson,
  withConfig,
  withQueue,
  type ConfigOpts,
  type Cli,
} from '../options.js';

const toggle = (cli: Cli, name: 'pause' | 'resume', description: string, done: string) =>
  withConfig(new Command(name))
    .description(description)
    .addOption(jsonOption())
    .addHelpText(
      'after',
      exitCodesAndExamples(
        { 0: [done], 1: ['Redis cannot be reached'], 2: ['a usage or configuration error'] },
        [`loopabull ${name}`, `loopabull ${name} --json -c /etc/loopabull/loopabull.yml`],
      ),
    )
    .action(async (opts: ConfigOpts & { json?: boolean }) =>
      withQueue(cli, opts, async ({ work }) => {
        await (name === 'pause' ? work.pause() : work.resume());
        if (opts.json) return printJson({ paused: name === 'pause' });
        process.stdout.write(
          name === 'pause'
            ? 'paused: workers finish running jobs and take no new ones; the looper keeps queueing\n'
            : 'resumed: workers take jobs again\n',
        );
      }),
    );

export const pauseCommand = (cli: Cli) =>
  toggle(
    cli,
    'pause',
    'stop every worker taking new jobs (running jobs finish; messages keep queueing)',
    'paused, also when it was already',
  );
export const resumeCommand = (cli: Cli) =>
  toggle(cli, 'resume', 'let workers take jobs again', 'resumed, also when it was not paused');
