import {
  BusPublisher,
  closeRedis,
  createLogger,
  createRedis,
  type Config,
  type JobResult,
  type Logger,
  type LoopabullEvent,
} from '@loopabull/core';
import { planRun, type RunPlan } from './run-plan.js';
import {
  noAutomations,
  noBatchAutomations,
  runAutomation,
  type AutomationLookup,
  type BatchLookup,
} from './run-automation.js';
import { RunError } from '@loopabull/playbook';

export interface RunOnceOptions {
  /** Each line of output (and of a handler's `ctx.log`). */
  log?: (line: string) => void;
  logger?: Logger;
  /** Handlers' `ctx.automation(name, key)`. */
  automation?: AutomationLookup;
  /** Batch handlers' `ctx.automationBatch(name, key)`. */
  automationBatch?: BatchLookup;
  /**
   * Makes `automation` and `automationBatch` ready; called before a handler runs, and only then:
   * a playbook or a topic without an automation starts none (no database to open).
   */
  startAutomations?: () => Promise<unknown>;
  /** Aborting it kills the run (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Return a failed run as `failure` instead of throwing it (`loopabull run --json`, which prints
   * one JSON object whatever the outcome).
   */
  returnFailure?: boolean;
}

/** A run that failed, when `returnFailure` is set: what a worker would record. */
export interface RunFailure {
  outcome: 'failed';
  file: string;
  kind: 'playbook' | 'handler';
  /** The playbook's exit code; null for a handler, a timeout or a run that did not start. */
  exit_code: number | null;
  error: string;
}

export interface RunOnceResult extends Omit<RunPlan, 'job'> {
  /** null on a dry run (`dryRun` in run-plan.ts), and when the run failed. */
  result: JobResult | null;
  /** Set only with `returnFailure`, when the run failed. */
  failure?: RunFailure;
}

/**
 * `loopabull run TOPIC`: the automation for one event, in the foreground, without the queue.
 * A failed run throws the same error a worker would record (with `exitCode` for playbooks).
 */
export async function runOnce(
  config: Config,
  event: LoopabullEvent,
  opts: RunOnceOptions = {},
): Promise<RunOnceResult> {
  const { job, ...shown } = planRun(config, event);
  const found = shown.resolution.found;
  if (!found) return { ...shown, result: { outcome: 'unrouted' } };

  if (found.kind === 'handler') await opts.startAutomations?.();
  // Connected on first use: most runs are playbooks and need neither.
  const redis = createRedis(config.redis.url, { lazyConnect: true });
  let publisher: BusPublisher | null = null;
  try {
    let outcome: Awaited<ReturnType<typeof runAutomation>>;
    try {
      outcome = await runAutomation(
        {
          config,
          logger: opts.logger ?? createLogger('run', config.loglevel),
          workerId: 'run',
          redis,
          automation: opts.automation ?? noAutomations,
          automationBatch: opts.automationBatch ?? noBatchAutomations,
          publish: async (topic, body) => {
            publisher ??= new BusPublisher(config);
            await publisher.publish(topic, body);
          },
        },
        { found, event, job, log: (line) => opts.log?.(line), signal: opts.signal },
      );
    } catch (err) {
      if (!opts.returnFailure) throw err;
      return {
        ...shown,
        result: null,
        failure: {
          outcome: 'failed',
          file: found.relative,
          kind: found.kind,
          exit_code: err instanceof RunError ? err.exitCode : null,
          error: err instanceof Error ? err.message : String(err),
        },
      };
    }
    return {
      ...shown,
      result: { outcome: 'ran', file: found.relative, kind: found.kind, ...outcome },
    };
  } finally {
    await (publisher as BusPublisher | null)?.close();
    closeRedis(redis);
  }
}
