import type { Job, Queue } from 'bullmq';

/**
 * The job once it has completed, read after its state says so: a job object fetched before
 * would lack the return value the worker stored in between.
 */
export async function completedJob<T extends Job>(
  queue: Pick<Queue, 'getJob' | 'getJobState'>,
  id: string,
): Promise<T | null> {
  if ((await queue.getJobState(id)) !== 'completed') return null;
  return ((await queue.getJob(id)) as T | undefined) ?? null;
}

/**
 * Every job the queue holds, in any state: to count runs of one message, however many jobs it
 * wrongly became.
 */
export function allJobs<Q extends Pick<Queue, 'getJobs'>>(queue: Q): ReturnType<Q['getJobs']> {
  return queue.getJobs([
    'wait',
    'prioritized',
    'active',
    'delayed',
    'waiting-children',
    'completed',
    'failed',
  ]) as ReturnType<Q['getJobs']>;
}
