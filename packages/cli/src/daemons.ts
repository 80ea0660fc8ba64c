import {
  AutomationHost,
  checkRedisDatabase,
  redactUrl,
  type Config,
  type Logger,
} from '@loopabull/core';
import type { RunningServer } from '@loopabull/server';
import { runUntilSignal } from './lifecycle.js';
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
 * One long-running part of a process, as `startParts` starts and stops it. Its steps may wait for
 * good (for the bus, for Redis), so `stop` may come while one is under way: it ends that wait, or
 * waits for a step that cannot be cut short (automations starting) and stops what it started.
 */
export interface Part {
  /** Run in turn; none begins once the process is stopping. */
  steps: Array<() => unknown>;
  stop: Stop;
}

/**
 * Starts `parts` in turn, after the check of Redis's database number (core's
 * `checkRedisDatabase`: a wrong one exits 2), and stops them in the same order. It returns before
 * anything connects, so that the caller takes the signals first (`runUntilSignal`): a stop may
 * come while Redis does not answer the check (up to 10 s) or a part waits for the bus or Redis,
 * and ends that wait.
 */
export function startParts(config: Config, parts: Part[]): Starting {
  const stopping = new AbortController();
  const started = (async () => {
    await checkRedisDatabase(config.redis.url, { signal: stopping.signal });
    for (const step of parts.flatMap((part) => part.steps)) {
      if (stopping.signal.aborted) return;
      await step();
    }
  })();
  return {
    started,
    async stop() {
      stopping.abort();
      for (const part of parts) await part.stop();
    },
  };
}

/**
 * Runs `parts` as the process's daemon, `name` in its log lines: started by `startParts`, stopped
 * by the first SIGTERM or SIGINT (`runUntilSignal`).
 */
export function runParts(
  name: string,
  config: Config,
  logger: Logger,
  parts: Part[],
): Promise<void> {
  const { started, stop } = startParts(config, parts);
  return runUntilSignal(name, logger, stop, started);
}

/** The looper of `loopabull looper` (and of a 0.0.7 command line). */
export async function looperPart(config: Config, logger: Logger): Promise<Part> {
  const { Looper } = await import('@loopabull/looper');
  const looper = new Looper({ config, logger });
  logger.info(
    `starting: bus ${redactUrl(config.bus.url)} queue ${config.bus.queue} (${config.bus.preset}), redis ${redactUrl(config.redis.url)}`,
  );
  return { steps: [() => looper.start()], stop: () => looper.stop() };
}

/**
 * Stops a part, then the automations it runs with: also when the part's stop rejects (a worker
 * that gave up on Redis rejects once stopped), so the automations always close.
 */
const thenAutomations =
  (stop: Stop, automations: AutomationHost): Stop =>
  async () => {
    try {
      await stop();
    } finally {
      await automations.stop();
    }
  };

/** A worker of `loopabull worker` (and of a 0.0.7 command line) with its automations. */
export async function workerPart(
  cli: Cli,
  config: Config,
  logger: Logger,
  opts: { id: string; concurrency?: number | undefined },
): Promise<Part> {
  const { LoopabullWorker } = await import('@loopabull/worker');
  const automations = new AutomationHost(config, cli.automations, logger);
  const worker = new LoopabullWorker({
    config,
    id: opts.id,
    concurrency: opts.concurrency,
    logger,
    automation: (name, key) => automations.handler(name, key),
    automationBatch: (name, key) => automations.batchHandler(name, key),
  });
  return {
    steps: [
      () => automations.start(),
      () => worker.start(),
      () =>
        logger.info(
          `taking jobs from ${config.queue.name}, playbooks in ${config.ansible.playbooks_dir}`,
        ),
    ],
    stop: thenAutomations(() => worker.stop(), automations),
  };
}

/** The HTTP server of `loopabull serve` with its automations' routes. */
export async function serverPart(cli: Cli, config: Config, logger: Logger): Promise<Part> {
  const { startServer } = await import('@loopabull/server');
  const automations = new AutomationHost(config, cli.automations, logger);
  let server: RunningServer | undefined;
  return {
    steps: [
      () => automations.start(),
      async () => {
        server = await startServer(config, automations);
      },
    ],
    stop: thenAutomations(async () => server?.close(), automations),
  };
}
