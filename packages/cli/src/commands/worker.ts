import { Command, InvalidArgumentError } from 'commander';
import { createLogger } from '@loopabull/core';
import { LoopabullWorker } from '@loopabull/worker';
import { shippedHandlers } from '../automations.js';
import { runUntilSignal } from '../lifecycle.js';
import { configFrom, withConfig, type ConfigOpts } from '../options.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a whole number of 1 or more');
  return n;
}

export const workerCommand = () =>
  withConfig(new Command('worker'))
    .description(
      'run jobs: each topic runs the playbook or handler named after it (systemd: loopabull@N.service)',
    )
    .option(
      '--id <n>',
      "this worker's name in logs and in `loopabull queue` (systemd passes %i)",
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
seconds, then cancels the rest so another worker retries them.`,
    )
    .action(async (opts: ConfigOpts & { id: string; concurrency?: number }) => {
      const config = configFrom(opts);
      const logger = createLogger(`worker@${opts.id}`, config.loglevel);
      const worker = new LoopabullWorker({
        config,
        id: opts.id,
        concurrency: opts.concurrency,
        logger,
        automations: shippedHandlers,
      });
      await worker.start();
      logger.info(
        `taking jobs from ${config.queue.name}, playbooks in ${config.ansible.playbooks_dir}`,
      );
      await runUntilSignal('worker', logger, () => worker.stop());
    });
