import type { Redis } from 'ioredis';
import { HARDWARE_KEYS, LIMITS } from './keys.js';
import { SCRIPTS } from './lua.js';
import type { Observation } from './observation.js';
import type { ExceptionRecord, UnattributedRecord } from './records.js';

export interface RecordResult {
  machine: string;
  duplicate: boolean;
  lastseenUpdated: boolean;
  lastseen: string | null;
}

export type WorkerObservation = Observation & { worker: NonNullable<Observation['worker']> };

/** The keys and arguments of one observation in record.lua. */
function recordArgs(obs: WorkerObservation): { keys: string[]; args: Array<string | number> } {
  const id = obs.worker.id;
  const exception: ExceptionRecord = {
    at: obs.time,
    reason: obs.reason,
    task_id: obs.taskId,
    run_id: obs.runId,
    worker_type: obs.workerType,
    alive: obs.alive,
  };
  return {
    keys: [
      HARDWARE_KEYS.lastseen,
      HARDWARE_KEYS.detail(id),
      HARDWARE_KEYS.recent(id),
      HARDWARE_KEYS.exceptions(id),
      HARDWARE_KEYS.index,
    ],
    args: [
      id,
      obs.time,
      obs.alive ? '1' : '0',
      obs.state,
      obs.eventId,
      obs.receivedAtMs,
      LIMITS.recentEvents,
      obs.worker.datacenter,
      obs.worker.hostname,
      obs.taskId ?? '',
      obs.runId ?? '',
      obs.workerType ?? '',
      obs.reason ?? '',
      JSON.stringify(exception),
      LIMITS.exceptions,
    ],
  };
}

/**
 * Records observations of workers in one script call, in order (a redelivery within the list is
 * spotted too). Throws only on Redis errors, so the jobs are retried.
 */
export async function recordObservations(
  redis: Redis,
  observations: readonly WorkerObservation[],
): Promise<RecordResult[]> {
  if (observations.length === 0) return [];
  const keys: string[] = [HARDWARE_KEYS.lastseenVersion];
  const args: Array<string | number> = [];
  for (const obs of observations) {
    const one = recordArgs(obs);
    keys.push(...one.keys);
    args.push(...one.args);
  }
  const reply = (await SCRIPTS.record.run(redis, keys, args)) as Array<number | string | null>;
  return observations.map((obs, i) => ({
    machine: obs.worker.id,
    lastseenUpdated: reply[i * 3] === 1,
    duplicate: reply[i * 3 + 1] === 1,
    lastseen: (reply[i * 3 + 2] as string | null) ?? null,
  }));
}

/** Records an observation of a worker. Throws only on Redis errors, so the job is retried. */
export async function recordObservation(
  redis: Redis,
  obs: WorkerObservation,
): Promise<RecordResult> {
  return (await recordObservations(redis, [obs]))[0]!;
}

/** Records a message that names no worker. Returns false for a redelivery. */
export async function recordUnattributed(redis: Redis, obs: Observation): Promise<boolean> {
  const entry: UnattributedRecord = {
    at: obs.time,
    received_at: obs.receivedAt,
    state: obs.state,
    reason: obs.reason,
    task_id: obs.taskId,
    run_id: obs.runId,
    worker_type: obs.workerType,
    event_id: obs.eventId,
  };
  const reply = await SCRIPTS.recordUnattributed.run(
    redis,
    [HARDWARE_KEYS.unattributed, HARDWARE_KEYS.unattributedRecent, HARDWARE_KEYS.stats],
    [obs.eventId, obs.receivedAtMs, JSON.stringify(entry), LIMITS.unattributed],
  );
  return reply === 1;
}
