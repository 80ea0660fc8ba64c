import type { JobResult } from './job-types.js';

/**
 * What `jobs retry ID` does with a job: the BullMQ set it is put back from, and whether its tries
 * start again, or why not.
 */
export type RetryDecision =
  { ok: true; from: 'failed' | 'completed'; freshTries: boolean } | { ok: false; error: string };

/**
 * Which jobs an operator retries: a failed one (fixed since), and an unrouted one (its playbook
 * may have been dropped in since; BullMQ keeps it among the completed). A job that ran to
 * completion is refused, so that a mistyped id does not run an automation a second time; nor is
 * a job that has not finished, which will run anyway.
 */
export function retryDecision(
  id: string,
  state: string,
  result: Pick<JobResult, 'outcome'> | null | undefined,
): RetryDecision {
  // A failed job gets one more try (the last runs alone: docs/automations.md).
  if (state === 'failed') return { ok: true, from: 'failed', freshTries: false };
  // Unrouted is no try of its automation: it gets all of queue.attempts, from its first, where
  // BullMQ counted the completion as one and the automation had a try less for each.
  if (state === 'completed' && result?.outcome === 'unrouted')
    return { ok: true, from: 'completed', freshTries: true };
  if (state === 'completed')
    return {
      ok: false,
      error: `job ${id} completed: only failed and unrouted jobs are retried; to run its automation again, \`loopabull jobs show ${id} --body | loopabull run TOPIC --file -\``,
    };
  return {
    ok: false,
    error: `job ${id} is ${state}, not finished: only failed and unrouted jobs are retried`,
  };
}

/**
 * The tries a job has made: the runs that failed and those whose worker died (killed, or its
 * lock lost), which BullMQ counts apart (`stalledCounter`, not `attemptsMade`).
 */
export const triesMade = (job: { attemptsMade: number; stalledCounter: number }): number =>
  job.attemptsMade + job.stalledCounter;

/** The states of a job whose last try is over. */
const ENDED = new Set(['completed', 'failed', 'unrouted']);

/**
 * The try a job with `tries` made (`triesMade`) is on, as its worker numbers it (`triesMade + 1`
 * when it starts): the one running or waiting to run, or, once the job has ended, its last.
 */
export const currentAttempt = (tries: number, state: string): number =>
  ENDED.has(state) ? tries : tries + 1;
