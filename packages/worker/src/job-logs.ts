import type { Redis } from 'ioredis';
import { LuaScript, TurnBatch } from '@loopabull/core';
import { LineSink, type LogLimits } from '@loopabull/playbook';

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

/**
 * The job logs of one worker, written together: what every running job appends in one turn of
 * the event loop goes to Redis in one script call, instead of one call per job beside BullMQ's
 * own writes for it.
 */
export class JobLogs {
  private readonly lines: TurnBatch<{ key: string; text: string }, void>;

  constructor(
    redis: Redis,
    /** The job's hash key, as BullMQ names it (`queue.toKey(id)`). */
    private readonly jobKey: (jobId: string) => string,
  ) {
    this.lines = new TurnBatch(async (lines) => {
      const keys: string[] = [];
      for (const { key } of lines) keys.push(key, `${key}:logs`);
      await APPEND.run(
        redis,
        keys,
        lines.map(({ text }) => text),
      );
      return [];
    });
  }

  /** Resolves once the text is in the job's log; rejects if Redis did not take it. */
  append(jobId: string, text: string): Promise<void> {
    return this.lines.add({ key: this.jobKey(jobId), text });
  }
}

/**
 * One run's log: its first line (what runs, and why) written at once, and a sink for the lines
 * that follow made when the first of them comes; most handlers write none. A log that cannot be
 * written must not fail the run: errors go to `onError`.
 */
export class RunLog {
  private sink: LineSink | null = null;
  /** The first line written, or its error handed to `onError`: it never rejects. */
  private readonly header: Promise<void>;

  constructor(
    private readonly logs: JobLogs,
    private readonly jobId: string,
    private readonly first: string,
    private readonly limits: LogLimits,
    private readonly onError: (err: unknown) => void,
  ) {
    this.header = logs.append(jobId, first).catch(onError);
  }

  /** Resolves once the line is written (or could not be). */
  line(text: string): Promise<void> {
    if (!this.sink) {
      this.sink = new LineSink((t) => this.logs.append(this.jobId, t), this.onError, this.limits);
      this.sink.counted(this.first);
    }
    this.sink.push(text);
    return this.sink.flush();
  }

  /**
   * Resolves once every line so far is written (or could not be). Not an async function: for
   * the many runs that write no line of their own, it is the first line's promise as it is.
   */
  written(): Promise<void> {
    const { sink } = this;
    return sink ? this.header.then(() => sink.flush()) : this.header;
  }
}
