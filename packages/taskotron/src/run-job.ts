import {
  isHandlerTimeout,
  isPermanent,
  PermanentError,
  TransientError,
  type Handler,
  type HandlerContext,
} from '@loopabull/core';
import { jobArtifactsDir } from './check-layout.js';
import { parseJob, type RunnerJob } from './job.js';
import type { JobEnd, JobLog } from './job-log.js';
import { readJournal, writeJournal } from './journal.js';
import { joinUrl } from './join-url.js';
import { resultsdbPayload } from './report.js';
import { jobEnd, submitAll, type ResultsSink } from './results-sink.js';
import { checkTimeLimit } from './section.js';
import { namespacedSink, type NamespacePolicy } from './namespaces.js';
import { jobOrigin, withCheckDir, type Checkout } from './check-source.js';
import type { GitOptions } from './git.js';
import { ownArtifacts, runCheck, type CheckRun } from './runner.js';

export interface RunJobOptions {
  config: CheckRun['config'];
  /** `taskotron.check_timeout` (the check gets at most `checkTimeLimit` of it). */
  checkTimeout: number;
  /** `taskotron.valid_arches`: the check's `taskotron_supported_arches`. */
  supportedArches: readonly string[];
  tasksDir: string;
  artifactsDir: string;
  artifactsUrl: string;
  jobs: JobLog;
  sink: ResultsSink;
  /** Which checkname namespaces a check may report under. */
  namespaces: NamespacePolicy;
  /** `taskotron.git_timeout`: the clone of a discovered check's repository. */
  git: GitOptions;
}

/** What a `taskotron.job` job returns (`loopabull jobs show`). */
export interface RunJobResult extends JobEnd {
  uuid: string;
  taskname: string;
  item: string;
  artifacts: string;
  results: Array<{
    testcase: string;
    outcome: string;
    ref_url: string;
    /** The result's id in ResultsDB, or why it refused it. */
    id?: number;
    refused?: string;
  }>;
  warnings: string[];
}

/** A job log write that fails is the database being away: another try will do. */
async function logged<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw new TransientError(`job log: ${what}: ${err instanceof Error ? err.message : err}`, {
      cause: err,
    });
  }
}

/**
 * The `taskotron.job` handler: checks the job, runs its check (`<tasks_dir>/<taskname>`, or
 * `<taskname>` in a clone of the job's `git_repo`: check-source.ts), reports
 * each result to the results store, and logs start and end in the job log. A check that fails
 * is a completed job with a NOT_OK end; a store that is down fails the try (TransientError, the
 * retry reports what is left); a bad job body or a missing check fails it for good. A try that
 * fails and is the job's last (`queue.attempts` used up, or a permanent error) ends the job in
 * the log, NOT_OK and parked, with the reason, so that it does not stay "running" for ever.
 */
export function taskotronRun(options: RunJobOptions): Handler {
  return async (event, ctx): Promise<RunJobResult> => {
    const parsed = parseJob(event.body);
    if (!parsed.ok) throw new PermanentError(`taskotron.job ${event.id}: ${parsed.message}`);
    const job: RunnerJob = parsed.job;
    const { uuid } = job;
    const dir = jobArtifactsDir(options.artifactsDir, uuid);
    // Before the job log: the row of the job that owns this uuid must stay as it is.
    await ownArtifacts(dir, ctx.job.id);
    await logged('start', async () => {
      if (!(await options.jobs.get(uuid)))
        await options.jobs.scheduled({
          ...job,
          trigger: { topic: event.topic, msg_id: event.id, rules: [] },
        });
      await options.jobs.started(uuid);
    });
    const from =
      job.git_repo === undefined
        ? ''
        : ` from ${job.git_repo} ${job.git_branch ?? '(default branch)'}${job.git_commit === undefined ? '' : ` at ${job.git_commit}`}`;
    await ctx.log(
      `${job.taskname}${from} on ${job.item_type} ${job.item} (${job.arch}): job ${uuid}`,
    );
    try {
      return await runAndReport(job, dir, options, ctx);
    } catch (err) {
      // A worker that stops gives the job back to the queue: the next try logs its end. A
      // run stopped at its timeout (ansible.timeout) has used up its try like a failed one.
      const timedOut = isHandlerTimeout(ctx.signal.reason);
      const last = isPermanent(err) || ctx.job.attempt >= ctx.config.queue.attempts;
      if (last && (!ctx.signal.aborted || timedOut)) {
        const reason = timedOut
          ? `stopped: the run ${ctx.signal.reason.message} (ansible.timeout)`
          : err instanceof Error
            ? err.message
            : String(err);
        await options.jobs.parked(uuid, reason).catch(async (logErr: unknown) => {
          // The error the queue records is the job's, not the log's.
          await ctx.log(`job log: not marked parked: ${(logErr as Error).message}`);
        });
      }
      throw err;
    }
  };
}

/**
 * A job without git_commit runs what its branch holds when it runs: which commit that was goes
 * in its log and the job log, as the trigger records it for the jobs it pins (replaying the
 * job runs that check again).
 */
async function branchHeadRan(
  job: RunnerJob,
  checkout: Checkout,
  options: RunJobOptions,
  ctx: HandlerContext,
): Promise<void> {
  await ctx.log(`${job.git_repo} ${job.git_branch ?? '(default branch)'} is at ${checkout.commit}`);
  await logged('commit', () => options.jobs.checkedOut(job.uuid, checkout.commit));
}

/** Runs the check (or takes its outcome from the journal of an earlier try) and reports it. */
async function runAndReport(
  job: RunnerJob,
  dir: string,
  options: RunJobOptions,
  ctx: HandlerContext,
): Promise<RunJobResult> {
  const { uuid } = job;
  const sink = namespacedSink(options.sink, jobOrigin(job, options.tasksDir), options.namespaces);
  let journal = await readJournal(dir, ctx.job.id);
  if (journal) {
    await ctx.log(`the check ran in an earlier try: reporting what is left`);
  } else {
    const limit = checkTimeLimit(options.checkTimeout, options.config.ansible.timeout);
    // A clone that takes the check's whole time fails as too slow, rather than leaving
    // the check a second and a "timed out" that blames it.
    const git = {
      ...options.git,
      timeoutSeconds: Math.min(options.git.timeoutSeconds, limit),
      signal: ctx.signal,
    };
    const report = await withCheckDir(
      job,
      options.tasksDir,
      git,
      async (taskDir, spent, checkout) => {
        if (checkout && job.git_commit === undefined)
          await branchHeadRan(job, checkout, options, ctx);
        return runCheck({
          job,
          taskDir,
          within: checkout?.dir,
          artifactsDir: options.artifactsDir,
          config: options.config,
          // A clone's time comes out of the check's: both run inside the handler's timeout.
          timeout: Math.max(1, Math.floor(limit - spent)),
          supportedArches: options.supportedArches,
          owner: ctx.job.id,
          onLine: (line) => void ctx.log(line),
          signal: ctx.signal,
        });
      },
    );
    const { status, results, warnings } = report;
    journal = { owner: ctx.job.id, report: { status, results, warnings }, submitted: [] };
    await writeJournal(dir, journal);
  }
  for (const w of journal.report.warnings) await ctx.log(`results: ${w}`);

  const { results } = journal.report;
  const bodies = results.map((r) => resultsdbPayload(r, job, options.artifactsUrl));
  await submitAll(bodies, sink, journal.submitted, ctx.signal, async (submitted, i) => {
    await writeJournal(dir, journal);
    await ctx.log(
      `${bodies[i]!.outcome} ${bodies[i]!.testcase.name} ${results[i]!.item}: ${submitted.ok ? `result ${submitted.id} in ${sink.name}` : `refused by ${sink.name}: ${submitted.message}`}`,
    );
  });

  const end = jobEnd(journal.report.status, journal.submitted);
  await logged('end', () => options.jobs.finished(uuid, end));
  await ctx.log(`${end.execution_status}: ${end.status}`);
  const submitted = journal.submitted;
  return {
    uuid,
    taskname: job.taskname,
    item: job.item,
    ...end,
    artifacts: joinUrl(options.artifactsUrl, uuid),
    results: bodies.map((b, i) => {
      const s = submitted[i]!;
      return {
        testcase: b.testcase.name,
        outcome: b.outcome,
        ref_url: b.ref_url,
        ...(s.ok ? { id: s.id } : { refused: s.message }),
      };
    }),
    warnings: journal.report.warnings,
  };
}
