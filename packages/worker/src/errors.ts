import { UnrecoverableError } from 'bullmq';
import { isPermanent, redactUrl } from '@loopabull/core';
import { RunError } from '@loopabull/playbook';

/** What BullMQ understands: a permanent failure fails the job at once, without retries. */
export function forQueue(err: unknown): unknown {
  if (err instanceof RunError && err.permanent)
    return Object.assign(new UnrecoverableError(err.message), { exitCode: err.exitCode });
  if (isPermanent(err) && !(err instanceof UnrecoverableError))
    return new UnrecoverableError((err as Error).message);
  return err;
}

/**
 * A worker stopped after giving up on Redis: the results of the jobs it had taken, or their
 * return to the queue, were not written. They stay active there until their locks expire
 * (`workers.lock_timeout`), then another worker runs them again.
 */
export class StateNotWritten extends Error {
  override name = 'StateNotWritten';
  constructor(url: string) {
    super(
      `the worker stopped without writing the state of its jobs: Redis at ${redactUrl(url)} did not answer; the jobs it had taken run again once their locks expire`,
    );
  }
}
