import type { Redis } from 'ioredis';
import type { Config } from './config/schema.js';
import { Counters } from './counters.js';
import { Jobs } from './jobs.js';
import { loopabullKeys } from './keys.js';
import { ParkingLot } from './parking.js';
import { createRedis } from './redis.js';
import { WorkQueue } from './work-queue.js';

/** Everything that reads or changes the queue's state, on one Redis connection. */
export interface QueueServices {
  redis: Redis;
  work: WorkQueue;
  parking: ParkingLot;
  counters: Counters;
  jobs: Jobs;
  close(): Promise<void>;
}

export function queueServices(config: Config, redis: Redis): QueueServices {
  const keys = loopabullKeys(config);
  const work = new WorkQueue(config, redis);
  const parking = new ParkingLot(redis, keys.parked);
  return {
    redis,
    work,
    parking,
    counters: new Counters(redis, keys),
    jobs: new Jobs(work, parking, keys.unrouted),
    async close() {
      await work.close();
      redis.disconnect();
    },
  };
}

/**
 * For commands: connects once and fails with a clear message when Redis does not answer,
 * instead of retrying forever as the long-running processes do.
 */
export async function openQueueServices(config: Config): Promise<QueueServices> {
  const redis = createRedis(config.redis.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 2 ? null : 200),
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `cannot reach Redis at ${redactUrl(config.redis.url)}: ${(err as Error).message}`,
    );
  }
  return queueServices(config, redis);
}

/** URLs may carry passwords; logs and messages must not. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
