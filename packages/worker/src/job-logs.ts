import type { Redis } from 'ioredis';
import { LuaScript } from '@loopabull/core';

/**
 * BullMQ's addLog for many jobs in one call: a line goes to a job's log only while the job
 * exists, so a job removed mid-run leaves no stray log behind.
 * KEYS: job key, logs key, per line; ARGV: the lines.
 */
const APPEND = new LuaScript(`
for i = 1, #ARGV do
  if redis.call('EXISTS', KEYS[2 * i - 1]) == 1 then
    redis.call('RPUSH', KEYS[2 * i], ARGV[i])
  end
end
return #ARGV
`);

interface Pending {
  keys: string[];
  lines: string[];
  done: Promise<void>;
}

/**
 * The job logs of one worker, written together: what every running job appends in one turn of
 * the event loop goes to Redis in one script call, instead of one call per job beside BullMQ's
 * own writes for it.
 */
export class JobLogs {
  private pending: Pending | null = null;

  constructor(
    private readonly redis: Redis,
    /** The job's hash key, as BullMQ names it (`queue.toKey(id)`). */
    private readonly jobKey: (jobId: string) => string,
  ) {}

  /** Resolves once the text is in the job's log; rejects if Redis did not take it. */
  append(jobId: string, text: string): Promise<void> {
    const key = this.jobKey(jobId);
    const batch = (this.pending ??= this.open());
    batch.keys.push(key, `${key}:logs`);
    batch.lines.push(text);
    return batch.done;
  }

  private open(): Pending {
    const batch: Pending = { keys: [], lines: [], done: Promise.resolve() };
    batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      this.pending = null;
      await APPEND.run(this.redis, batch.keys, batch.lines);
    });
    return batch;
  }
}
