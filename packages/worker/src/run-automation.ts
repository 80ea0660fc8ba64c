import type { Redis } from 'ioredis';
import {
  PermanentError,
  type BatchContext,
  type Config,
  type HandlerContext,
  type JobResult,
  type Logger,
  type LoopabullEvent,
} from '@loopabull/core';
import { JobBatches, playbookBatch, runsAlone } from './job-batches.js';
import { runHandler, type HandlerRun } from './handler-runner.js';
import type { Resolution } from './resolve.js';
import {
  checkVars,
  renderBatchVars,
  renderVars,
  runPlaybook,
  withVarsFile,
} from '@loopabull/playbook';

/** What a run may use, shared by every job of a worker (or made for one `loopabull run`). */
export interface RunServices {
  config: Config;
  logger: Logger;
  workerId: string;
  redis: Redis;
  publish(topic: string, body: unknown): Promise<void>;
  automation: AutomationLookup;
  automationBatch: BatchLookup;
  /** Where the jobs of batch handlers gather; without it, each runs as a batch of one. */
  batches?: JobBatches;
}

export type AutomationLookup = HandlerContext['automation'];
export type BatchLookup = BatchContext['automationBatch'];

const noneStarted = (name: string) =>
  new PermanentError(`no automation named ${JSON.stringify(name)} (none is started)`);

/** For a worker started without any automations. */
export const noAutomations: AutomationLookup = (name) => {
  throw noneStarted(name);
};
export const noBatchAutomations: BatchLookup = (name) => {
  throw noneStarted(name);
};

export interface AutomationRun {
  found: NonNullable<Resolution['found']>;
  event: LoopabullEvent;
  job: { id: string; attempt: number };
  /** A line of output: the playbook's, or what a handler logs with `ctx.log`. */
  log(line: string): Promise<void> | void;
  /** Aborted when the worker stops. */
  signal?: AbortSignal | undefined;
}

/** Runs a resolved playbook or handler; throws a RunError when it fails. */
export async function runAutomation(
  services: RunServices,
  run: AutomationRun,
): Promise<Pick<JobResult, 'exit_code' | 'value'>> {
  const { config } = services;
  const { found, event, job } = run;
  // No batches: this try runs as a batch of one (job-batches.ts says why).
  const batches = runsAlone(job.attempt, config.queue.attempts) ? undefined : services.batches;
  if (found.kind === 'playbook') {
    const batch = playbookBatch(config.ansible.batch, event.topic, found.file);
    if (batch) {
      // Fails this job alone when its event cannot go into the vars.
      checkVars(event, { job_id: job.id, attempt: job.attempt });
      return (await (batches ?? new JobBatches(1)).submit(batch.key, batch.settings, run, (runs) =>
        runPlaybookBatch(services, runs),
      )) as { exit_code: number };
    }
    const vars = renderVars(event, { job_id: job.id, attempt: job.attempt });
    const { exitCode } = await withVarsFile(vars, (varsFile) =>
      runPlaybook({
        config,
        file: found.file,
        relative: found.relative,
        varsFile,
        env: {
          LOOPABULL_TOPIC: event.topic,
          LOOPABULL_JOB_ID: job.id,
          LOOPABULL_WORKER_ID: services.workerId,
        },
        onLine: (line) => void run.log(line),
        signal: run.signal,
      }),
    );
    return { exit_code: exitCode };
  }
  const ctx: HandlerRun['ctx'] = {
    logger: services.logger,
    log: async (line) => {
      await run.log(line);
    },
    redis: services.redis,
    publish: services.publish,
    config,
    job,
    automation: services.automation,
    automationBatch: services.automationBatch,
  };
  const value = await runHandler({
    file: found.file,
    relative: found.relative,
    event,
    ctx,
    timeoutSeconds: config.ansible.timeout,
    signal: run.signal,
    batches,
  });
  return { value };
}

/**
 * One ansible-playbook for the events of several jobs of a batched topic, with `msgs`; its
 * output goes to every job's log, and its outcome is every job's. The jobs share their topic
 * and file (`playbookBatch`), so the first one's stand for all.
 */
async function runPlaybookBatch(
  services: RunServices,
  runs: AutomationRun[],
): Promise<Array<{ exit_code: number }>> {
  const first = runs[0]!;
  const vars = renderBatchVars(
    runs.map((r) => ({ event: r.event, meta: { job_id: r.job.id, attempt: r.job.attempt } })),
  );
  const { exitCode } = await withVarsFile(vars, (varsFile) =>
    runPlaybook({
      config: services.config,
      file: first.found.file,
      relative: first.found.relative,
      varsFile,
      env: {
        LOOPABULL_TOPIC: first.event.topic,
        LOOPABULL_JOB_ID: first.job.id,
        LOOPABULL_JOB_IDS: runs.map((r) => r.job.id).join(' '),
        LOOPABULL_WORKER_ID: services.workerId,
      },
      onLine: (line) => {
        for (const r of runs) void r.log(line);
      },
      signal: first.signal,
    }),
  );
  return runs.map(() => ({ exit_code: exitCode }));
}
