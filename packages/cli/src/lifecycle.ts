import type { Logger } from '@loopabull/core';

/**
 * Keeps a long-running part alive until SIGTERM or SIGINT, then stops it once. A second signal
 * while stopping exits at once, for an operator who does not want to wait.
 */
export function runUntilSignal(
  name: string,
  logger: Logger,
  stop: () => Promise<void>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn(`${signal} again: exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      logger.info(`${signal}: stopping ${name}`);
      stop().then(resolve, reject);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
