import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ and our own keys. Reconnects forever with a capped backoff;
 * `maxRetriesPerRequest: null` is what BullMQ workers need to block on the queue.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 10_000,
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 6), 5_000),
    lazyConnect: false,
    ...opts,
  });
}

/** For producers: fail fast while Redis is down instead of queueing commands in memory. */
export function createProducerRedis(url: string): Redis {
  return createRedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
}
