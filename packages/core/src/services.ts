import type { Redis } from 'ioredis';
import type { Config } from './config/schema.js';
import { Counters } from './counters.js';
import { Jobs } from './jobs.js';
import { loopabullKeys } from './keys.js';
import { ParkingLot } from './parking.js';
import { closeRedis, connectRedisOnce } from './redis.js';
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

export function queueServices(
  config: Config,
  redis: Redis,
  opts: { readOnly?: boolean } = {},
): QueueServices {
  const keys = loopabullKeys(config);
  const work = new WorkQueue(config, redis, opts);
  const parking = new ParkingLot(redis, keys.parked);
  return {
    redis,
    work,
    parking,
    counters: new Counters(redis, keys),
    jobs: new Jobs(work, parking, work.unrouted),
    async close() {
      await work.close();
      closeRedis(redis);
    },
  };
}

/**
 * For commands: the queue services on a connection that fails fast when Redis is away.
 * `readOnly` for those that only look (doctor): opening them then writes nothing to Redis.
 */
export async function openQueueServices(
  config: Config,
  opts: { readOnly?: boolean } = {},
): Promise<QueueServices> {
  return queueServices(config, await connectRedisOnce(config.redis.url), opts);
}
