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
import type { HandlerBatches } from './handler-batches.js';
import { runHandler, type HandlerRun } from './handler-runner.js';
import { runPlaybook } from './playbook-runner.js';
import type { Resolution } from './resolve.js';
import { renderVars, withVarsFile } from './vars-file.js';

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
  batches?: HandlerBatches<HandlerRun>;
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
  if (found.kind === 'playbook') {
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
    logger: services.logger.child({ job: job.id, topic: event.topic }),
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
    batches: services.batches,
  });
  return { value };
}
