import { UnrecoverableError } from 'bullmq';

/** A failed run. Permanent ones are BullMQ's UnrecoverableError, so the job fails without retries. */
export type RunError = Error & { exitCode: number | null };

export function runError(message: string, exitCode: number | null, permanent: boolean): RunError {
  return Object.assign(permanent ? new UnrecoverableError(message) : new Error(message), {
    exitCode,
  });
}
