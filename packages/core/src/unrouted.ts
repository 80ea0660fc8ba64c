import type { Redis } from 'ioredis';
import type { Config } from './config/schema.js';
import { loopabullKeys } from './keys.js';

/**
 * Jobs that found no automation for their topic, by time: BullMQ counts them as completed, so
 * `loopabull jobs list --state unrouted` and `queue` read them here. An id is kept as long as
 * its completed job is (`queue.keep_completed`).
 */
export class UnroutedJobs {
  static of(config: Config, redis: Redis): UnroutedJobs {
    return new UnroutedJobs(redis, loopabullKeys(config).unrouted, config.queue.keep_completed);
  }

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly keepSeconds: number,
  ) {}

  async record(jobId: string, now = Date.now()): Promise<void> {
    await this.redis
      .multi()
      .zadd(this.key, now, jobId)
      .zremrangebyscore(this.key, '-inf', now - this.keepSeconds * 1000)
      .exec();
  }

  count(): Promise<number> {
    return this.redis.zcard(this.key);
  }

  /** Job ids, newest first. */
  newest(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.key, 0, limit - 1);
  }

  async forget(jobId: string): Promise<void> {
    await this.redis.zrem(this.key, jobId);
  }
}
