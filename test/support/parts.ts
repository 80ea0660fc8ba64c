import { openQueueServices, type Config, type QueueServices } from '@loopabull/core';
import { cleanUpTest } from './cleanup.js';
import { startReady, type CliProcess } from './cli.js';
import type { Undo } from './undo.js';

/**
 * The queue services of a test's config; `undo` closes them and then removes everything the
 * test made with the config (`cleanUpTest`).
 */
export async function openTestQueue(config: Config, undo: Undo): Promise<QueueServices> {
  undo(() => cleanUpTest(config));
  const services = await openQueueServices(config);
  undo(() => services.close());
  return services;
}

const READY = { worker: /taking jobs/, looper: /consuming/ };

/**
 * `loopabull worker` or `looper` on a test's config file, isolated from the host (plus `env`),
 * once it works; `undo` stops it (and SIGKILLs it if it does not stop).
 */
export async function startPart(
  part: keyof typeof READY,
  config: { configPath: string },
  undo: Undo,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<CliProcess> {
  const proc = await startReady([part, ...args, '--config', config.configPath], READY[part], {
    isolated: true,
    env,
  });
  undo(() => proc.stop());
  return proc;
}
