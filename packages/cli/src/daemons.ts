import { AutomationHost, redactUrl, type Config, type Logger } from '@loopabull/core';
import type { Cli } from './options.js';

/** A long-running part once started: what stops it. */
export type Stop = () => Promise<void>;

/** A long-running part whose start is under way: `stop` may be called before `started` settles. */
export interface Starting {
  /** Resolves once it runs (or once stopped before that), rejects if it could not start. */
  started: Promise<void>;
  stop: Stop;
}

/**
 * The looper of `loopabull looper` (and of a 0.0.7 command line), starting: it waits for the bus
 * and Redis, retrying for as long as they are away, so its stop must not wait for `started`.
 */
export async function startLooper(config: Config, logger: Logger): Promise<Starting> {
  const { Looper } = await import('@loopabull/looper');
  const looper = new Looper({ config, logger });
  logger.info(
    `starting: bus ${redactUrl(config.bus.url)} queue ${config.bus.queue} (${config.bus.preset}), redis ${redactUrl(config.redis.url)}`,
  );
  return { started: looper.start(), stop: () => looper.stop() };
}

/** A worker of `loopabull worker` (and of a 0.0.7 command line) with its automations, started. */
export async function startWorker(
  cli: Cli,
  config: Config,
  logger: Logger,
  opts: { id: string; concurrency?: number | undefined },
): Promise<Stop> {
  const { LoopabullWorker } = await import('@loopabull/worker');
  const automations = await new AutomationHost(config, cli.automations, logger).start();
  const worker = new LoopabullWorker({
    config,
    id: opts.id,
    concurrency: opts.concurrency,
    logger,
    automation: (name, key) => automations.handler(name, key),
    automationBatch: (name, key) => automations.batchHandler(name, key),
  });
  await worker.start();
  logger.info(
    `taking jobs from ${config.queue.name}, playbooks in ${config.ansible.playbooks_dir}`,
  );
  return async () => {
    // A worker that gave up on Redis rejects once stopped: the automations still close.
    try {
      await worker.stop();
    } finally {
      await automations.stop();
    }
  };
}
