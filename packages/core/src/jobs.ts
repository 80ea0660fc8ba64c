import type { Job } from 'bullmq';
import type { LoopabullEvent } from './event.js';
import { jobIdFor } from './job-id.js';
import type { ParkedDetail, ParkingLot } from './parking.js';
import { currentAttempt, retryDecision, triesMade } from './retry-policy.js';
import {
  LIST_MAX,
  TOPIC_SCAN,
  type FailureNote,
  type JobDetail,
  type JobResult,
  type JobState,
  type JobSummary,
} from './job-types.js';
import type { UnroutedJobs } from './unrouted.js';
import type { WorkQueue } from './work-queue.js';

/**
 * What `Jobs` refuses to do to an id, and why: a completed job retried, a parked message's log.
 * The API answers it with its message; anything else (Redis away) goes to its error handling.
 */
export class JobRefused extends Error {
  override name = 'JobRefused';
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

function summarize(
  job: Job<LoopabullEvent, JobResult>,
  state: string,
  failure: FailureNote | null,
): JobSummary {
  const result = job.returnvalue as JobResult | null | undefined;
  // A job that completed says what ran in its result; one that failed, in the worker's note.
  const failed = result ? null : failure;
  // A refusal to run a job whose tries crashes used up is no try, though BullMQ counts it.
  const tries = triesMade(job) - (failure?.refusals ?? 0);
  return {
    id: job.id!,
    topic: job.name,
    state: state === 'completed' && result?.outcome === 'unrouted' ? 'unrouted' : state,
    attempts: tries,
    attempt: currentAttempt(tries, state),
    created_at: new Date(job.timestamp).toISOString(),
    started_at: iso(job.processedOn),
    finished_at: iso(job.finishedOn),
    file: result?.file ?? failed?.file ?? null,
    failed_reason: job.failedReason || null,
    exit_code: result?.exit_code ?? failed?.exit_code ?? null,
  };
}

const BULL_STATE: Record<
  Exclude<JobState, 'unrouted'>,
  Array<'wait' | 'prioritized' | 'active' | 'delayed' | 'failed' | 'completed'>
> = {
  waiting: ['wait', 'prioritized'],
  active: ['active'],
  delayed: ['delayed'],
  failed: ['failed'],
  completed: ['completed'],
};

/** Reading and acting on jobs, for `loopabull jobs` and the HTTP API alike. */
export class Jobs {
  constructor(
    private readonly work: WorkQueue,
    readonly parking: ParkingLot,
    private readonly unrouted: UnroutedJobs,
  ) {}

  private get queue() {
    return this.work.queue;
  }

  /**
   * A job by its job id, or by the id of the event it was made from (the message id `publish`
   * prints): the two differ when the event id is not plain (jobIdFor: a character other than
   * letters, digits, `.`, `_`, `-`, all digits, over 128 characters), the job id being a hash of it.
   */
  private async find(id: string): Promise<Job<LoopabullEvent, JobResult> | undefined> {
    const job = (await this.queue.getJob(id)) as Job<LoopabullEvent, JobResult> | undefined;
    if (job) return job;
    const derived = jobIdFor(id);
    return derived === id
      ? undefined
      : ((await this.queue.getJob(derived)) as Job<LoopabullEvent, JobResult> | undefined);
  }

  /**
   * Newest first, at most LIST_MAX. A topic filter looks through the newest TOPIC_SCAN jobs of
   * the state by name alone and loads only those that match: the HTTP API is open, so a list
   * must cost the same with a backlog of millions.
   */
  async list(opts: {
    state: JobState;
    topic?: string | undefined;
    limit?: number;
  }): Promise<JobSummary[]> {
    const limit = Math.min(opts.limit ?? 50, LIST_MAX);
    // Unrouted jobs sit in BullMQ's completed set: looking past as many as there are still
    // finds `limit` completed ones.
    const skipped = opts.state === 'completed' ? await this.unrouted.count() : 0;
    const window = opts.topic ? TOPIC_SCAN : Math.min(limit + skipped, TOPIC_SCAN);
    let ids =
      opts.state === 'unrouted'
        ? await this.unrouted.newest(window)
        : await this.queue.getRanges(BULL_STATE[opts.state], 0, window - 1, false);
    if (skipped > 0) ids = await this.unrouted.without(ids);
    if (opts.topic) {
      const pipeline = this.work.connection.pipeline();
      for (const id of ids) pipeline.hget(this.queue.toKey(id), 'name');
      const names = ((await pipeline.exec()) ?? []).map(([, name]) => name);
      ids = ids.filter((_, i) => names[i] === opts.topic);
    }
    ids = ids.slice(0, limit);
    const [jobs, failures] = await Promise.all([
      Promise.all(ids.map((id) => this.queue.getJob(id))),
      this.work.failureNotes(ids),
    ]);
    return jobs.flatMap((j, i) => (j ? [summarize(j, opts.state, failures[i] ?? null)] : []));
  }

  async show(id: string): Promise<JobDetail | null> {
    let job = await this.find(id);
    if (!job) return null;
    const [state, [failure]] = await Promise.all([
      job.getState(),
      this.work.failureNotes([job.id!]),
    ]);
    // The job was read before its state: one that finished in between was read without its
    // result, and would show as completed with none (an unrouted one as completed). BullMQ
    // writes the result with the state, so reading it again after the state has it.
    if ((state === 'completed' || state === 'failed') && !job.finishedOn)
      job = (await this.find(job.id!)) ?? job;
    return {
      ...summarize(job, state, failure ?? null),
      event: job.data,
      result: (job.returnvalue as JobResult | undefined) ?? null,
    };
  }

  /**
   * A job as `show` gives it or, for an id that is a parked message's, that message: the looper
   * parks what never became a job, and operators find both ids in the same lists.
   */
  async showOrParked(id: string): Promise<JobDetail | ParkedDetail | null> {
    const job = await this.show(id);
    if (job) return job;
    const parked = await this.parking.get(id);
    return parked && { ...parked, state: 'parked' };
  }

  /**
   * `none` for an id that is no job's; throws for a parked message's id, saying what it is: the
   * ids of both are listed side by side, and it never ran, so it `cannot`.
   */
  private async noJob<T>(id: string, cannot: string, none: T, more = ''): Promise<T> {
    const parked = await this.parking.get(id);
    if (!parked) return none;
    throw new JobRefused(
      `${id} is a message the looper parked (${parked.reason}), not a job: it never ran, so it ${cannot}; its reason, detail and body are in \`loopabull jobs show ${id}\`${more}`,
    );
  }

  /**
   * A job's log lines; null for no such job. Throws for a parked message's id, saying what it
   * is: it never became a job, so it has no log.
   */
  async logs(id: string): Promise<string[] | null> {
    const job = await this.find(id);
    if (!job) return this.noJob(id, 'has no log', null);
    const { logs } = await this.queue.getJobLogs(job.id!, 0, -1, true);
    return logs;
  }

  /**
   * Puts a failed or unrouted job back to run again (retry-policy.ts); false for no such job.
   * Throws naming the state for any other job: a completed one is not run a second time.
   */
  async retry(id: string): Promise<boolean> {
    const job = await this.find(id);
    if (!job) {
      const more = `; publish it again once its publisher is fixed, and \`loopabull jobs remove ${id}\` deletes it`;
      return this.noJob(id, 'cannot be retried', false, more);
    }
    const decision = retryDecision(id, await job.getState(), job.returnvalue as JobResult | null);
    if (!decision.ok) throw new JobRefused(decision.error);
    await job.retry(decision.from, { resetAttemptsMade: decision.freshTries });
    // Waiting again: no longer one of the unrouted sample, or it would be counted twice.
    await this.unrouted.forget(job.id!);
    return true;
  }

  /** Puts every failed job back to run again; returns how many there were. */
  async retryFailed(): Promise<number> {
    const count = await this.queue.getFailedCount();
    await this.queue.retryJobs({ state: 'failed', count: 1000 });
    return count;
  }

  /**
   * Deletes a job and its log, or a parked message; false for neither. Throws for a job a worker
   * is running: BullMQ keeps a job whose lock is held, and the worker would finish it anyway.
   */
  async remove(id: string): Promise<boolean> {
    const job = await this.find(id);
    if (!job) return this.parking.remove(id);
    if ((await this.queue.remove(job.id!)) === 0) {
      throw new JobRefused(
        `job ${id} is active: a worker is running it, so it cannot be removed until it has finished (\`loopabull jobs show ${id}\`)`,
      );
    }
    await this.unrouted.forget(job.id!);
    return true;
  }
}
