import type { Config, LoopabullEvent } from '@loopabull/core';
// Not the barrels: a dry run (`loopabull run --dry-run`) loads no BullMQ, ioredis, amqplib,
// winston or execa.
import { jobIdFor } from '@loopabull/core/cli';
import { renderVars } from '@loopabull/playbook/vars-file';
import { resolveAutomation, type Resolution } from './resolve.js';

/** What `loopabull run` would run for an event, and what it would hand it. */
export interface RunPlan {
  resolution: Resolution;
  /** The extra-vars file a playbook gets; null when a handler or nothing was found. */
  vars: string | null;
  /** The event a handler gets (`handler(event, ctx)`); null when a playbook or nothing was found. */
  event: LoopabullEvent | null;
  /** The job the run stands for: its id is the one the looper would give the event. */
  job: { id: string; attempt: number };
}

/** Resolves the event's topic now and renders what the automation found would get. */
export function planRun(config: Config, event: LoopabullEvent): RunPlan {
  const resolution = resolveAutomation(config, event.topic);
  const found = resolution.found;
  const job = { id: jobIdFor(event.id), attempt: 1 };
  const vars =
    found?.kind === 'playbook' ? renderVars(event, { job_id: job.id, attempt: job.attempt }) : null;
  return { resolution, vars, event: found?.kind === 'handler' ? event : null, job };
}

/**
 * `loopabull run --dry-run`: what would run and what it would get, shaped as `runOnce` returns a
 * run, with no result.
 */
export function dryRun(
  config: Config,
  event: LoopabullEvent,
): Omit<RunPlan, 'job'> & { result: null } {
  const { resolution, vars, event: handed } = planRun(config, event);
  return { resolution, vars, event: handed, result: null };
}
