import type { Job } from 'bullmq';
import {
  failureSummary,
  PermanentError,
  topicProblem,
  triesMade,
  type Counters,
  type FailureNote,
  type WorkQueue,
  type JobResult,
  type LoopabullEvent,
  isPermanent,
} from '@loopabull/core';
import { RunError } from '@loopabull/playbook';
import { RunLog, type JobLogs } from './job-logs.js';
import { resolveAutomation, type Resolution } from './resolve.js';
import { runAutomation, type RunServices } from './run-automation.js';

export interface JobServices extends RunServices {
  counters: Counters;
  work: WorkQueue;
  logs: JobLogs;
}

export type LoopabullJob = Job<LoopabullEvent, JobResult>;

type Found = NonNullable<Resolution['found']>;

/**
 * A job without an automation: remembered for `loopabull jobs list --state unrouted`, counted,
 * and its log says what was looked for.
 */
async function unrouted(
  services: JobServices,
  job: LoopabullJob,
  resolution: Resolution,
): Promise<JobResult> {
  const topic = job.data.topic;
  await services.work.recordUnrouted(job.id!);
  services.counters.incr('unrouted', topic);
  const skipped = resolution.skipped.length
    ? `; never looked at: ${resolution.skipped.join(', ')}`
    : '';
  await services.logs.append(
    job.id!,
    `loopabull: no automation for topic ${topic}; tried ${resolution.tried.join(', ') || 'nothing'}${skipped}`,
  );
  services.logger.info('job unrouted', { topic, job: job.id, outcome: 'unrouted' });
  return { outcome: 'unrouted' };
}

/** Seconds since `start`, a `performance.now()`. */
const secondsSince = (start: number) => (performance.now() - start) / 1000;

/**
 * A run that failed or was stopped: noted on the job and logged. Returns what to throw for BullMQ
 * to retry or park.
 */
async function failed(
  services: JobServices,
  job: LoopabullJob,
  run: {
    found: Found;
    attempt: number;
    started: number;
    signal: AbortSignal | undefined;
    runLog: RunLog;
  },
  err: Error,
): Promise<Error> {
  const { logger, counters } = services;
  const { found, attempt, signal } = run;
  const topic = job.data.topic;
  const duration = secondsSince(run.started);
  const stopped = signal?.aborted ?? false;
  if (!stopped) counters.observeDuration(topic, duration);
  // The reason's first line ends in a colon that introduces ansible's output: the journal line
  // names ansible's own error line after it, as `jobs list` does, not a colon with nothing after.
  const reason = failureSummary(err.message, { oneLine: true });
  if (!stopped) {
    const exitCode = err instanceof RunError ? err.exitCode : null;
    await noteFailure(services, job, { file: found.relative, exit_code: exitCode });
  }
  // BullMQ retries while its own count is under `queue.attempts`: after a crash, this try may
  // be the last one although that count says otherwise.
  const lastTry = attempt >= services.config.queue.attempts && job.stalledCounter > 0;
  const thrown = lastTry && !stopped && !isPermanent(err) ? new PermanentError(err.message) : err;
  const next = stopped ? 'requeued' : nextAfterFailure(job, thrown);
  logger.warn('job failed', {
    topic,
    job: job.id,
    file: found.relative,
    outcome: stopped ? 'stopped' : 'failed',
    attempt,
    duration: duration.toFixed(3),
    reason,
    next,
  });
  // The log's last line says how the try ended, after its output (which a kill cuts short, and
  // a handler's error is not part of), whatever the log's limits left of it.
  await run.runLog.written();
  await services.logs
    .append(job.id!, `loopabull: attempt ${attempt} ${AFTER_FAILURE[next]}: ${reason}`)
    .catch(logNotWritten(services, job));
  return thrown;
}

/** A job log that cannot be written must not fail the run: it is logged. */
const logNotWritten = (services: JobServices, job: LoopabullJob) => (err: unknown) =>
  services.logger.warn('could not write to the job log', {
    topic: job.data.topic,
    job: job.id,
    error: String(err),
  });

const AFTER_FAILURE = {
  retry: 'failed, to be retried',
  parked: 'failed, the job is parked in the failed set',
  requeued: 'stopped (the worker is stopping), the job is back in the queue',
} as const;

/**
 * What BullMQ does with a job whose try failed with `err`: the journal's line says whether the job
 * now waits for an operator in the failed set, which the attempt number alone does not (a job
 * retried by hand has one more).
 */
function nextAfterFailure(job: LoopabullJob, err: Error): 'retry' | 'parked' {
  const permanent = isPermanent(err) || (err instanceof RunError && err.permanent);
  return permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1) ? 'parked' : 'retry';
}

/** The worker's note on a failed job (WorkQueue.noteFailure); one that cannot be written is logged. */
async function noteFailure(
  services: JobServices,
  job: LoopabullJob,
  note: Omit<FailureNote, 'refusals'>,
  opts: { refused?: boolean } = {},
): Promise<void> {
  await services.work.noteFailure(job.id!, note, opts).catch((noteErr: unknown) =>
    services.logger.warn('could not note the failure on the job', {
      topic: job.data.topic,
      job: job.id,
      error: String(noteErr),
    }),
  );
}

/**
 * One attempt of one job: find the automation for its topic now and run it. No automation is
 * an outcome, not an error. Failures are thrown for BullMQ to retry or park.
 */
export async function processJob(
  services: JobServices,
  job: LoopabullJob,
  signal?: AbortSignal,
): Promise<JobResult> {
  const { logger, counters } = services;
  const event = job.data;
  const topic = event.topic;
  const problem = typeof topic === 'string' ? topicProblem(topic) : 'the job has no topic';
  if (problem !== null) throw new PermanentError(`bad job: ${problem}`);
  const started = performance.now();

  const resolution = resolveAutomation(services.config, topic);
  const found = resolution.found;
  if (!found) return unrouted(services, job, resolution);

  // A run whose worker died is a try too, as the docs promise.
  const attempt = triesMade(job) + 1;
  // BullMQ gives a job back after a crash while `stalledCounter` is under maxStalledCount, its
  // failed tries aside: one whose last try crashed would run again, try queue.attempts + 1. A
  // job retried by hand (`jobs retry`, which clears failedReason; a failed try always sets it)
  // is not refused: it has its one more try.
  const { attempts } = services.config.queue;
  const retriedByHand = job.attemptsMade > 0 && !job.failedReason;
  if (job.stalledCounter > 0 && attempt > attempts && !retriedByHand) {
    const why = `its ${attempts} tries are used up, the last on a worker that died (killed, or its lock lost)`;
    await services.logs.append(job.id!, `loopabull: not run again: ${why}`);
    await noteFailure(services, job, { file: found.relative, exit_code: null }, { refused: true });
    // Logged here, as every other last failure is where it is handled: the worker that died
    // logged nothing, and this one runs nothing that would.
    logger.warn('job failed', {
      topic,
      job: job.id,
      outcome: 'failed',
      attempt,
      reason: why,
      next: 'parked',
    });
    throw new PermanentError(why);
  }
  const { log_max_lines: maxLines, log_max_bytes: maxBytes } = services.config.workers;
  const runLog = new RunLog(
    services.logs,
    job.id!,
    `loopabull: running ${found.kind} ${found.relative} (${found.why}), attempt ${attempt}, worker ${services.workerId}`,
    { maxLines, maxBytes },
    logNotWritten(services, job),
  );
  try {
    const result = await runAutomation(services, {
      found,
      event,
      job: { id: job.id!, attempt },
      log: (text) => runLog.line(text),
      signal,
    });
    const duration = secondsSince(started);
    counters.observeDuration(topic, duration);
    if (logger.isInfoEnabled())
      logger.info('job ran', {
        topic,
        job: job.id,
        file: found.relative,
        outcome: 'ran',
        duration: duration.toFixed(3),
      });
    return { outcome: 'ran', file: found.relative, kind: found.kind, ...result };
  } catch (err) {
    throw await failed(services, job, { found, attempt, started, signal, runLog }, err as Error);
  } finally {
    await runLog.written();
  }
}
