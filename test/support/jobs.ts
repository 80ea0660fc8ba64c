import type { Job, Queue } from 'bullmq';
import type { ParkedMessage, ParkInput, ParkingLot } from '@loopabull/core';

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

/**
 * Parks a message as the looper parks a body that is not JSON (`fields` change any part) and
 * returns it as the parking lot lists it, with its id.
 */
export async function parkMessage(
  lot: ParkingLot,
  fields: Partial<ParkInput> = {},
): Promise<ParkedMessage> {
  await lot.park({
    reason: 'not-json',
    detail: 'body is not JSON',
    topic: 'org.example.bad',
    exchange: 'amq.topic',
    routing_key: 'org.example.bad',
    message_id: 'bad-1',
    received_at: new Date().toISOString(),
    content: Buffer.from('{nope'),
    ...fields,
  });
  const [parked] = await lot.list(1);
  return parked!;
}
