import type { Redis } from 'ioredis';
import type { Config } from './config/schema.js';
import { loopabullKeys } from './keys.js';

/**
 * Jobs that found no automation for their topic, by time: BullMQ counts them as completed, so
 * `loopabull jobs list --state unrouted` and `queue` read them here. Only a sample is kept: the
 * newest `queue.keep_unrouted`, for at most `queue.keep_completed` seconds. With `routing_keys:
 * [all]` on a busy bus most messages may be unrouted, and each would otherwise stay a whole job.
 */
export class UnroutedJobs {
  static of(config: Config, redis: Redis): UnroutedJobs {
    const { keep_completed, keep_unrouted } = config.queue;
    return new UnroutedJobs(redis, loopabullKeys(config).unrouted, keep_completed, keep_unrouted);
  }

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly keepSeconds: number,
    private readonly keepCount: number,
  ) {}

  /** Adds a job to the sample; resolves with the ids that fell out of it, whose jobs can go. */
  async record(jobId: string, now = Date.now()): Promise<string[]> {
    const replies = await this.redis
      .multi()
      .zadd(this.key, now, jobId)
      .zremrangebyscore(this.key, '-inf', now - this.keepSeconds * 1000)
      .zrange(this.key, '0', String(-(this.keepCount + 1)))
      .zremrangebyrank(this.key, 0, -(this.keepCount + 1))
      .exec();
    const [err, evicted] = replies?.[2] ?? [null, []];
    if (err) throw err;
    return evicted as string[];
  }

  count(): Promise<number> {
    return this.redis.zcard(this.key);
  }

  /** Whether each of `ids` is a member of the sorted set `key`, in one round trip. */
  private async membersOf(key: string, ids: readonly string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.zscore(key, id);
    return ((await pipeline.exec()) ?? []).map(
      ([, score]) => score !== null && score !== undefined,
    );
  }

  /** The ids among `ids` that are not in the sample (they are in order). */
  async without(ids: readonly string[]): Promise<string[]> {
    const kept = await this.membersOf(this.key, ids);
    return ids.filter((_, i) => !kept[i]);
  }

  /**
   * How many jobs of the sample are still in the sorted set `key` (BullMQ's completed set): the
   * finished jobs that are unrouted rather than completed.
   */
  async countIn(key: string): Promise<number> {
    const ids = await this.redis.zrange(this.key, '0', '-1');
    return (await this.membersOf(key, ids)).filter(Boolean).length;
  }

  /** Job ids, newest first. */
  newest(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.key, 0, limit - 1);
  }

  async forget(jobId: string): Promise<void> {
    await this.redis.zrem(this.key, jobId);
  }
}
