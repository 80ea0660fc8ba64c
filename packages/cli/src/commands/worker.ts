import { Command } from 'commander';
import { exitCodesAndExamples } from '@loopabull/core/cli';
import { boundHeapGrowth } from '../memory-bounds.js';
import { positiveInt, withConfig, workerId, type ConfigOpts, type Cli } from '../options.js';

export const workerCommand = (cli: Cli) =>
  withConfig(new Command('worker'))
    .description(
      'run jobs: each topic runs the playbook or handler named after it (systemd: loopabull@N.service)',
    )
    .option(
      '--id <name>',
      "this worker's name in logs, job logs and the dashboard's Workers table (systemd passes %i): 1 to 128 printable ASCII characters, no spaces",
      workerId,
      '1',
    )
    .option(
      '--concurrency <n>',
      'jobs at once in this process (default: workers.concurrency)',
      positiveInt,
    )
    .addHelpText(
      'after',
      `
On SIGTERM it stops taking jobs, lets running ones finish within workers.shutdown_grace
seconds, then cancels the rest so another worker retries them, and exits: a handler that
ignores its aborted ctx.signal ends with the process. With Redis unreachable it
stops all the same, 10 s after the grace, and exits 1: the jobs it had taken stay active in
Redis and run again once their locks expire (workers.lock_timeout). A worker still waiting
for Redis to answer, holding no job, stops at once and exits 0.`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: [
            'stopped by SIGTERM or SIGINT, once running jobs finished or were cancelled to be retried',
          ],
          1: [
            'Redis unreachable when it stops: the state of its jobs is not written',
            'an automation that cannot start, such as one whose database cannot be reached',
            'a second signal while it stops: it exits at once, its playbooks killed',
          ],
          2: [
            'a usage or configuration error, such as',
            'an --id or --concurrency that is not valid',
            'a redis.url database this Redis does not have',
          ],
        },
        [
          'loopabull worker --id 1 -c /etc/loopabull/loopabull.yml',
          'loopabull worker --id laptop --concurrency 4',
        ],
      ),
    )
    .action(async (opts: ConfigOpts & { id: string; concurrency?: number }) => {
      boundHeapGrowth();
      const config = cli.loadConfig(opts);
      const { createLogger } = await import('@loopabull/core');
      const { runParts, workerPart } = await import('../daemons.js');
      const logger = createLogger(`worker@${opts.id}`, config.loglevel);
      await runParts('worker', config, logger, [await workerPart(cli, config, logger, opts)]);
    });
