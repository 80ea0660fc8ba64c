import type { Job } from 'bullmq';
import type { LoopabullEvent } from './event.js';
import type { ParkingLot } from './parking.js';
import type { JobDetail, JobResult, JobState, JobSummary } from './job-types.js';
import type { UnroutedJobs } from './unrouted.js';
import type { WorkQueue } from './work-queue.js';

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

function summarize(job: Job<LoopabullEvent, JobResult>, state: string): JobSummary {
  const result = job.returnvalue as JobResult | null | undefined;
  return {
    id: job.id!,
    topic: job.name,
    state: state === 'completed' && result?.outcome === 'unrouted' ? 'unrouted' : state,
    attempts: job.attemptsMade,
    created_at: new Date(job.timestamp).toISOString(),
    started_at: iso(job.processedOn),
    finished_at: iso(job.finishedOn),
    file: result?.file ?? null,
    failed_reason: job.failedReason || null,
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

  /** Newest first. A topic filter looks at up to 20× `limit` jobs of the state. */
  async list(opts: {
    state: JobState;
    topic?: string | undefined;
    limit?: number;
  }): Promise<JobSummary[]> {
    const limit = opts.limit ?? 50;
    const window = opts.topic ? limit * 20 : limit;
    let jobs: Array<Job<LoopabullEvent, JobResult> | undefined>;
    if (opts.state === 'unrouted') {
      const ids = await this.unrouted.newest(window);
      jobs = await Promise.all(ids.map((id) => this.queue.getJob(id)));
    } else {
      jobs = await this.queue.getJobs(BULL_STATE[opts.state], 0, window - 1, false);
    }
    return jobs
      .filter(
        (j): j is Job<LoopabullEvent, JobResult> =>
          Boolean(j) && (!opts.topic || j!.name === opts.topic),
      )
      .slice(0, limit)
      .map((j) => summarize(j, opts.state));
  }

  async show(id: string): Promise<JobDetail | null> {
    const job = await this.queue.getJob(id);
    if (!job) return null;
    const state = await job.getState();
    return {
      ...summarize(job, state),
      event: job.data,
      result: (job.returnvalue as JobResult | undefined) ?? null,
    };
  }

  async logs(id: string): Promise<string[] | null> {
    if (!(await this.queue.getJob(id))) return null;
    const { logs } = await this.queue.getJobLogs(id, 0, -1, true);
    return logs;
  }

  /** Puts a failed (or completed) job back to run again. */
  async retry(id: string): Promise<boolean> {
    const job = await this.queue.getJob(id);
    if (!job) return false;
    const state = await job.getState();
    if (state !== 'failed' && state !== 'completed') {
      throw new Error(`job ${id} is ${state}: only failed or completed jobs can be retried`);
    }
    await job.retry(state);
    return true;
  }

  /** Puts every failed job back to run again; returns how many there were. */
  async retryFailed(): Promise<number> {
    const count = await this.queue.getFailedCount();
    await this.queue.retryJobs({ state: 'failed', count: 1000 });
    return count;
  }

  async remove(id: string): Promise<boolean> {
    const job = await this.queue.getJob(id);
    if (!job) return false;
    await job.remove();
    await this.unrouted.forget(id);
    return true;
  }
}
