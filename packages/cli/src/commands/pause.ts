import { Command } from 'commander';
import { withConfig, withQueue, type ConfigOpts } from '../options.js';

const toggle = (name: 'pause' | 'resume', description: string) =>
  withConfig(new Command(name))
    .description(description)
    .action(async (opts: ConfigOpts) =>
      withQueue(opts, async ({ work }) => {
        await (name === 'pause' ? work.queue.pause() : work.queue.resume());
        process.stdout.write(
          name === 'pause'
            ? 'paused: workers finish running jobs and take no new ones; the looper keeps queueing\n'
            : 'resumed: workers take jobs again\n',
        );
      }),
    );

export const pauseCommand = () =>
  toggle(
    'pause',
    'stop every worker taking new jobs (running jobs finish; messages keep queueing)',
  );
export const resumeCommand = () => toggle('resume', 'let workers take jobs again');
