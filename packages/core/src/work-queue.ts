import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from './config/schema.js';
import type { LoopabullEvent } from './event.js';
import { jobIdFor } from './job-id.js';
import { JOB_STATES } from './jobs.js';
import { loopabullKeys } from './keys.js';

/** What a job returns when it completes. */
export interface JobResult {
  outcome: 'ran' | 'unrouted';
  /** The automation that ran, relative to the playbooks directory. */
  file?: string;
  kind?: 'playbook' | 'handler';
  exit_code?: number;
  /** A handler's return value. */
  value?: unknown;
}

/** The counts `loopabull queue` shows, in the order it shows them: job states and parked messages. */
export const DEPTH_STATES = [...JOB_STATES, 'parked'] as const;

/** `loopabull queue --json`: the spec fixes these keys. */
export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  unrouted: number;
  parked: number;
  paused: boolean;
  /** Waiting jobs by topic, among the next `by_topic_counted` to run. */
  by_topic: Record<string, number>;
  /** How many waiting jobs `by_topic` and `oldest_waiting_seconds` looked at: `waiting` or fewer. */
  by_topic_counted: number;
  oldest_waiting_seconds: number;
}

/**
 * Most waiting jobs one `depth()` reads: it serves open HTTP requests (`/`, `/api/queue`,
 * `/metrics`), so its cost must not grow with the backlog. The next jobs to run are the ones
 * read, which is where a flood of one topic shows.
 */
export const DEPTH_SAMPLE = 1000;

/** The BullMQ queue of events, with the options every producer must use. */
export class WorkQueue {
  readonly queue: Queue<LoopabullEvent, JobResult>;
  private readonly keys: ReturnType<typeof loopabullKeys>;

  constructor(
    private readonly config: Config,
    readonly connection: Redis,
  ) {
    this.queue = new Queue(config.queue.name, { connection, prefix: config.redis.prefix });
    this.keys = loopabullKeys(config);
  }

  jobOptions(event: LoopabullEvent): JobsOptions {
    const q = this.config.queue;
    return {
      jobId: jobIdFor(event.id),
      attempts: q.attempts,
      backoff: { type: 'exponential', delay: q.backoff * 1000 },
      removeOnComplete: { age: q.keep_completed },
      removeOnFail: { count: q.keep_failed },
    };
  }

  /** Resolves once Redis has the job; a redelivered event maps to the job already there. */
  async enqueue(event: LoopabullEvent): Promise<string> {
    const job = await this.queue.add(event.topic, event, this.jobOptions(event));
    return job.id!;
  }

  async depth(): Promise<QueueDepth> {
    const client = this.connection;
    const counts = await this.queue.getJobCounts(
      'wait',
      'prioritized',
      'active',
      'delayed',
      'failed',
      'completed',
    );
    // Workers take from the wait list's tail, then from the prioritized set's head.
    const [ids, prioritized, unrouted, parked, paused] = await Promise.all([
      client.lrange(this.queue.keys.wait!, -DEPTH_SAMPLE, -1),
      client.zrange(this.queue.keys.prioritized!, '0', String(DEPTH_SAMPLE - 1)),
      client.zcard(this.keys.unrouted),
      client.xlen(this.keys.parked),
      this.queue.isPaused(),
    ]);
    const pipeline = client.pipeline();
    for (const id of [...ids, ...prioritized].slice(0, DEPTH_SAMPLE))
      pipeline.hmget(this.queue.toKey(id), 'name', 'timestamp');
    // Topics come from messages: "constructor" or "__proto__" must count like any other.
    const byTopic: Record<string, number> = Object.create(null);
    let counted = 0;
    let oldest = Infinity;
    for (const [, fields] of (await pipeline.exec()) ?? []) {
      const [name, timestamp] = fields as [string | null, string | null];
      if (name === null) continue;
      counted += 1;
      byTopic[name] = (byTopic[name] ?? 0) + 1;
      oldest = Math.min(oldest, Number(timestamp));
    }
    return {
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      completed: counts.completed ?? 0,
      unrouted,
      parked,
      paused,
      by_topic: { ...byTopic },
      by_topic_counted: counted,
      oldest_waiting_seconds: Number.isFinite(oldest)
        ? Math.max(0, (Date.now() - oldest) / 1000)
        : 0,
    };
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
