import { outcomeSummary } from './outcomes.js';
import type { CheckResult } from './result-yaml.js';
import type { TriggerJob } from './trigger.js';
import { joinUrl } from './join-url.js';

/**
 * A result's `ref_url`: `<artifacts_url>/<uuid>/<artifact>`, or the job's artifacts directory
 * when the result names no artifact or one outside it (`..`), as checkb did.
 */
export function refUrl(artifactsUrl: string, uuid: string, artifact?: string): string {
  const inside =
    artifact !== undefined && !artifact.startsWith('/') && !artifact.split('/').includes('..');
  return inside ? joinUrl(artifactsUrl, uuid, artifact) : joinUrl(artifactsUrl, uuid);
}

/**
 * The `ref_url` of a testcase the runner creates: its page on the Fedora wiki, as libtaskotron's
 * resultsdb directive made it for a testcase missing from ResultsDB (the name written as is, as
 * its `%s` did; checkb's was `.../wiki/Checkb/Tasks/<name>`). A testcase that exists keeps its own.
 */
export const testcaseRefUrl = (name: string): string =>
  `https://fedoraproject.org/wiki/Taskotron/Tasks/${name}`;

/**
 * The ResultsDB v2.0 POST body of one check result: testcase = checkname (the task name when the
 * check gives none), one group per job, note (null when empty), data = item, type, arch and the
 * result's keyvals.
 */
export function resultsdbPayload(
  result: CheckResult,
  job: TriggerJob,
  artifactsUrl: string,
): ResultsdbPayload {
  return {
    outcome: result.outcome,
    testcase: { name: result.checkname ?? job.taskname },
    groups: [
      {
        uuid: job.uuid,
        description: `Taskotron job ${job.taskname} on ${job.item_type} ${job.item}`,
        ref_url: joinUrl(artifactsUrl, job.uuid),
      },
    ],
    // checkb's `note=detail.note or None`: an empty note is no note.
    note: result.note || null,
    ref_url: refUrl(artifactsUrl, job.uuid, result.artifact),
    data: {
      arch: job.arch,
      ...result.keyvals,
      item: result.item,
      type: result.type ?? job.item_type,
    },
  };
}

/** A ResultsDB v2.0 POST body as the runner sends it. */
export interface ResultsdbPayload {
  outcome: string;
  testcase: { name: string };
  groups: Array<{ uuid: string; description: string; ref_url: string }>;
  note: string | null;
  ref_url: string;
  data: Record<string, string | string[]>;
}

/** The runner's answer, as the 2014 design thread defines it. */
export interface ExecutionStatus {
  execution_status: 'OK' | 'NOT_OK';
  status: string;
}

/**
 * OK when the playbook exited 0 and left results that parse ("2 PASSED, 1 FAILED"); NOT_OK with
 * the reason otherwise (the playbook failed or timed out, wrote no results file, or wrote one
 * that cannot be read).
 */
export function executionStatus(run: {
  exitCode: number | null;
  signal?: string | null;
  /** Seconds after which it was killed, when it was. */
  timedOutAfter?: number | null;
  results: { outcomes: readonly string[] } | { error: string } | null;
}): ExecutionStatus {
  if (run.timedOutAfter)
    return {
      execution_status: 'NOT_OK',
      status: `the playbook timed out after ${run.timedOutAfter} s`,
    };
  if (run.exitCode !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with ${String(run.exitCode)}`;
    return { execution_status: 'NOT_OK', status: `the playbook ${how}` };
  }
  if (run.results === null)
    return {
      execution_status: 'NOT_OK',
      status: "Results file doesn't exist, assuming the task crashed",
    };
  if ('error' in run.results)
    return { execution_status: 'NOT_OK', status: `malformed results: ${run.results.error}` };
  const { outcomes } = run.results;
  return {
    execution_status: 'OK',
    status: outcomes.length ? outcomeSummary(outcomes) : 'no results',
  };
}
