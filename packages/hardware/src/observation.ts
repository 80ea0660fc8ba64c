import type { LoopabullEvent } from '@loopabull/core';
import { isObject, type JsonObject } from '@loopabull/core/cli';
import { idWord, machineId, runOf, runPath, taskIds } from './identity.js';
import { shown } from './problems.js';
import { dateToMicros, formatLastseen, parseTimestamp } from './timestamp.js';

export const RUN_STATES = ['running', 'completed', 'failed', 'exception'] as const;
export type RunState = (typeof RUN_STATES)[number];

/**
 * Exception reasons that say the worker stopped answering or is going away: the message is
 * about the machine but is no evidence that it is alive.
 */
export const WORKER_GONE_REASONS: ReadonlySet<string> = new Set([
  'claim-expired',
  'worker-shutdown',
]);

/**
 * An event time further ahead of the receive time than this is not believed: lastseen never
 * moves back, so one bad clock would otherwise pin a machine as "seen" until that date.
 */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface Worker {
  datacenter: string;
  hostname: string;
  /** `<datacenter>:<hostname>`, the field in the `machines` hash. */
  id: string;
}

/** What one queue message says about one machine. */
export interface Observation {
  /** The event id: the same for a redelivery of the same message. */
  eventId: string;
  state: RunState;
  /** Null when the message names no worker (an exception before any run started). */
  worker: Worker | null;
  provisioner: string | null;
  taskId: string | null;
  runId: number | null;
  workerType: string | null;
  /** The run's `reasonResolved`, when resolved. */
  reason: string | null;
  /** When it happened, in the stored lastseen format. */
  time: string;
  timeSource: 'event' | 'received';
  /** Whether it shows the machine alive, i.e. may move lastseen. */
  alive: boolean;
  receivedAt: string;
  receivedAtMs: number;
  /** Fields that were there but could not be used, and what was used instead; empty when none. */
  problems: string[];
}

export type Observed = { ok: true; observation: Observation } | { ok: false; ignored: string };

/** The run state a topic (or, failing that, an exchange) is about: `…task-<state>`. */
export function stateOf(event: Pick<LoopabullEvent, 'topic' | 'exchange'>): RunState | null {
  for (const name of [event.topic, event.exchange]) {
    const m = /task-([a-z]+)$/.exec(name);
    const state = m?.[1] as RunState | undefined;
    if (state && RUN_STATES.includes(state)) return state;
  }
  return null;
}

const runsOf = (body: unknown): unknown[] =>
  isObject(body) && isObject(body.status) && Array.isArray(body.status.runs)
    ? body.status.runs
    : [];

/** The run the message resolved; without a runId, the latest run, which is the one just resolved. */
function resolvedRun(body: unknown, runId: number | null): JsonObject | null {
  const byId = runOf(body, runId);
  if (byId || runId !== null) return byId;
  const last: unknown = runsOf(body).at(-1);
  return isObject(last) ? last : null;
}

/**
 * Turns a queue event into an observation, or says why it is not one for us. Never throws:
 * whatever the body holds, the result is an observation (possibly without a worker) or ignored.
 */
export function observe(event: LoopabullEvent, provisioner: string): Observed {
  const state = stateOf(event);
  if (!state) return { ok: false, ignored: `topic ${event.topic} is not a task run message` };
  const problems: string[] = [];
  const ids = taskIds(event.body, event.routing_key, problems);
  if (ids.provisionerId !== null && ids.provisionerId !== provisioner) {
    return { ok: false, ignored: `provisioner ${ids.provisionerId}` };
  }
  const receivedMicros = parseTimestamp(event.received_at) ?? dateToMicros(new Date());
  const run = resolvedRun(event.body, ids.runId);
  const field = state === 'running' ? 'started' : 'resolved';
  const raw = run?.[field];
  const eventMicros = typeof raw === 'string' ? parseTimestamp(raw) : null;
  const believable =
    eventMicros !== null && eventMicros <= receivedMicros + MAX_CLOCK_SKEW_SECONDS * 1e6;
  if (!run && ids.runId !== null && runsOf(event.body).length > 0)
    problems.push(`status.runs has no run ${ids.runId}: stamped with the receive time`);
  if (run && raw !== undefined && raw !== null && !believable) {
    const why =
      eventMicros === null
        ? 'is not a timestamp'
        : `is more than ${MAX_CLOCK_SKEW_SECONDS} s after the receive time`;
    problems.push(
      `${runPath(event.body, run)}.${field} ${shown(raw)} ${why}: stamped with the receive time`,
    );
  }
  const rawReason = state === 'running' ? undefined : run?.reasonResolved;
  const reason = idWord(rawReason);
  if (rawReason !== undefined && rawReason !== null && reason === null && run)
    problems.push(`${runPath(event.body, run)}.reasonResolved ${shown(rawReason)} is not a reason`);
  const worker =
    ids.workerGroup && ids.workerId
      ? {
          datacenter: ids.workerGroup,
          hostname: ids.workerId,
          id: machineId(ids.workerGroup, ids.workerId),
        }
      : null;
  return {
    ok: true,
    observation: {
      eventId: event.id,
      state,
      worker,
      provisioner: ids.provisionerId,
      taskId: ids.taskId,
      runId: ids.runId,
      workerType: ids.workerType,
      reason,
      time: formatLastseen(believable ? eventMicros : receivedMicros),
      timeSource: believable ? 'event' : 'received',
      alive: !(state === 'exception' && reason !== null && WORKER_GONE_REASONS.has(reason)),
      receivedAt: formatLastseen(receivedMicros),
      receivedAtMs: Math.floor(receivedMicros / 1000),
      problems,
    },
  };
}
