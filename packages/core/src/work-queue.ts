import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { addJobs, JobOptionsJson } from './add-jobs.js';
import type { Config } from './config/schema.js';
import type { LoopabullEvent } from './event.js';
import { jobIdFor } from './job-id.js';
import { DEPTH_SAMPLE, type FailureNote, type JobResult, type QueueDepth } from './job-types.js';
import { loopabullKeys } from './keys.js';
import { LuaScript } from './lua-script.js';
import { UnroutedJobs } from './unrouted.js';

/** The job hash fields `noteFailure` writes; BullMQ's own are short names without `lb_`. */
const FAILURE_FIELDS = {
  file: 'lb_file',
  exit_code: 'lb_exit_code',
  refusals: 'lb_refusals',
} as const;

/** HSET on a job that still exists: a job removed meanwhile must not come back as a stray hash. */
const NOTE_FAILURE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], '${FAILURE_FIELDS.file}', ARGV[1], '${FAILURE_FIELDS.exit_code}', ARGV[2])
  if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], '${FAILURE_FIELDS.refusals}', 1) end
end
return 0
`);

/** An event's job once Redis has it. */
export interface Enqueued {
  id: string;
  /** The job was there already (a redelivery, or the same message published again): nothing new runs. */
  repeated: boolean;
}

/** The BullMQ queue of events, with the options every producer must use. */
export class WorkQueue {
  readonly queue: Queue<LoopabullEvent, JobResult>;
  private readonly keys: ReturnType<typeof loopabullKeys>;

  readonly unrouted: UnroutedJobs;
  private readonly storedOptions: JobOptionsJson;

  /**
   * `readOnly`: for a look that must change nothing (`loopabull doctor`). BullMQ's Queue otherwise
   * writes its meta hash (`<prefix>:<queue>:meta`) on creation, leaving a key behind in a Redis
   * where the queue did not exist yet.
   */
  constructor(
    private readonly config: Config,
    readonly connection: Redis,
    { readOnly = false }: { readOnly?: boolean } = {},
  ) {
    this.queue = new Queue(config.queue.name, {
      connection,
      prefix: config.redis.prefix,
      skipMetasUpdate: readOnly,
    });
    this.keys = loopabullKeys(config);
    this.unrouted = UnroutedJobs.of(config, connection);
    this.storedOptions = new JobOptionsJson(this.sharedOptions());
  }

  /** Workers finish their running jobs and take no new ones; the looper keeps queueing. */
  pause(): Promise<void> {
    return this.queue.pause();
  }

  resume(): Promise<void> {
    return this.queue.resume();
  }

  isPaused(): Promise<boolean> {
    return this.queue.isPaused();
  }

  /** The worker connections Redis knows, with the name each worker gave (`--id`). */
  workers(): Promise<Array<Record<string, string>>> {
    return this.queue.getWorkers();
  }

  workerCount(): Promise<number> {
    return this.queue.getWorkersCount();
  }

  /**
   * Notes, on a job whose attempt failed, which file ran and its exit code: BullMQ keeps only the
   * error's message. Fields of our own in the job's hash, which BullMQ leaves alone. `refused`:
   * the job was not run, its tries used up (counted apart, see FailureNote.refusals).
   */
  async noteFailure(
    jobId: string,
    note: Omit<FailureNote, 'refusals'>,
    { refused = false } = {},
  ): Promise<void> {
    await NOTE_FAILURE.run(
      this.connection,
      [this.queue.toKey(jobId)],
      [note.file, note.exit_code ?? '', refused ? '1' : '0'],
    );
  }

  /** What `noteFailure` noted on each job, or null. */
  async failureNotes(jobIds: readonly string[]): Promise<Array<FailureNote | null>> {
    if (jobIds.length === 0) return [];
    const pipeline = this.connection.pipeline();
    for (const id of jobIds) pipeline.hmget(this.queue.toKey(id), ...Object.values(FAILURE_FIELDS));
    return ((await pipeline.exec()) ?? []).map(([, fields]) => {
      const [file, exit, refusals] = (fields ?? []) as Array<string | null>;
      if (!file) return null;
      return { file, exit_code: exit ? Number(exit) : null, refusals: Number(refusals ?? 0) };
    });
  }

  /** Notes a job that found no automation; the oldest beyond the kept sample are removed. */
  async recordUnrouted(jobId: string): Promise<void> {
    for (const id of await this.unrouted.record(jobId)) await this.queue.remove(id);
  }

  jobOptions(event: LoopabullEvent): JobsOptions {
    return { jobId: jobIdFor(event.id), ...this.sharedOptions() };
  }

  private sharedOptions(): Omit<JobsOptions, 'jobId'> {
    const q = this.config.queue;
    return {
      attempts: q.attempts,
      backoff: { type: 'exponential', delay: q.backoff * 1000 },
      removeOnComplete: { age: q.keep_completed },
      removeOnFail: { count: q.keep_failed },
    };
  }

  /** Resolves once Redis has the job; a redelivered event maps to the job already there. */
  async enqueue(event: LoopabullEvent): Promise<string> {
    const [job] = await this.enqueueAll([event]);
    return job!.id;
  }

  /**
   * Enqueues an event to run after `delayMs`, once per `dedupId` while it waits: another event
   * with the same `dedupId` in that time adds nothing and gets the waiting job. Returns that
   * job's id and when it runs (epoch ms).
   */
  async enqueueDelayed(
    event: LoopabullEvent,
    delayMs: number,
    dedupId: string,
  ): Promise<{ id: string; runsAt: number }> {
    const added = await this.queue.add(event.topic, event, {
      ...this.jobOptions(event),
      delay: delayMs,
      deduplication: { id: dedupId, ttl: delayMs },
    });
    const waiting = await this.queue.getJob(added.id!);
    return {
      id: added.id!,
      runsAt: waiting ? waiting.timestamp + waiting.delay : Date.now() + delayMs,
    };
  }

  /**
   * `enqueue` for many events in one script call (add-jobs.ts): throws if it failed, and then
   * the events before the one at fault may have been stored, which a retry maps to their jobs.
   */
  async enqueueAll(events: readonly LoopabullEvent[]): Promise<Enqueued[]> {
    const jobs = events.map((event) => ({
      id: jobIdFor(event.id),
      name: event.topic,
      data: JSON.stringify(event),
    }));
    const added = await addJobs(this.connection, this.queue, this.storedOptions, jobs);
    return jobs.map((job, i) => ({ id: job.id, repeated: !added[i] }));
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
    const [ids, prioritized, unrouted, unroutedFinished, parked, paused] = await Promise.all([
      client.lrange(this.queue.keys.wait!, -DEPTH_SAMPLE, -1),
      client.zrange(this.queue.keys.prioritized!, '0', String(DEPTH_SAMPLE - 1)),
      this.unrouted.count(),
      // BullMQ keeps unrouted jobs in its completed set: they are counted as unrouted only.
      this.unrouted.countIn(this.queue.keys.completed!),
      client.xlen(this.keys.parked),
      this.isPaused(),
    ]);
    const pipeline = client.pipeline();
    for (const id of [...ids, ...prioritized].slice(0, DEPTH_SAMPLE))
      pipeline.hmget(this.queue.toKey(id), 'name', 'timestamp', 'processedOn');
    // Topics come from messages: "constructor" or "__proto__" must count like any other.
    const byTopic: Record<string, number> = Object.create(null);
    let counted = 0;
    let oldest = Infinity;
    for (const [, fields] of (await pipeline.exec()) ?? []) {
      const [name, created, started] = fields as [string | null, string | null, string | null];
      if (name === null) continue;
      counted += 1;
      byTopic[name] = (byTopic[name] ?? 0) + 1;
      // A job back in the queue after a try (retried, or its worker died) waits since that try
      // began at the earliest, not since it was created hours of retries ago.
      oldest = Math.min(oldest, Math.max(Number(created), Number(started ?? 0)));
    }
    return {
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      completed: Math.max(0, (counts.completed ?? 0) - unroutedFinished),
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
