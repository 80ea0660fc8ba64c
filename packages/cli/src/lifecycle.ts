import type { Logger } from '@loopabull/core';

/**
 * Keeps a long-running part alive until SIGTERM or SIGINT, then stops it once. A second signal
 * while stopping exits at once, for an operator who does not want to wait. Once stopped, the
 * process exits: a handler that ignored its aborted `ctx.signal` (a timer, a poll loop) would
 * otherwise keep a stopped worker alive and run on beside the retry of the job it gave back.
 *
 * `started` is a start still under way (`daemons.ts`, `startParts`: waiting for Redis or the
 * bus): the signals stop it all the same. Its rejection ends this as a failed start always has,
 * unless a signal came first, when the stop's outcome is what counts.
 */
export function runUntilSignal(
  name: string,
  logger: Logger,
  stop: () => Promise<void>,
  started?: Promise<void>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const begin = (why: string) => {
      stopping = true;
      logger.info(`${why}: stopping ${name}`);
      stop().then(() => {
        resolve();
        // After the promise's reactions: the caller's `await` ends first, as without this. No
        // code given: one the stop set (process.exitCode) stands.
        setImmediate(() => process.exit());
      }, reject);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      if (!stopping) return begin(signal);
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Started by `loopabull up`, with an IPC channel: stop as on SIGTERM once `up` is gone.
    if (process.channel) {
      process.channel.unref();
      process.once('disconnect', () => stopping || begin('the parent process is gone'));
    }
    started?.catch((err: unknown) => {
      if (!stopping) reject(err);
    });
  });
}
