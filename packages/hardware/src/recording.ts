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

/** Records an observation of a worker. Throws only on Redis errors, so the job is retried. */
export async function recordObservation(
  redis: Redis,
  obs: Observation & { worker: NonNullable<Observation['worker']> },
): Promise<RecordResult> {
  const id = obs.worker.id;
  const exception: ExceptionRecord = {
    at: obs.time,
    reason: obs.reason,
    task_id: obs.taskId,
    run_id: obs.runId,
    worker_type: obs.workerType,
    alive: obs.alive,
  };
  const reply = (await SCRIPTS.record.run(
    redis,
    [
      HARDWARE_KEYS.lastseen,
      HARDWARE_KEYS.detail(id),
      HARDWARE_KEYS.recent(id),
      HARDWARE_KEYS.exceptions(id),
      HARDWARE_KEYS.index,
    ],
    [
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
  )) as [number, number, string | null];
  return {
    machine: id,
    lastseenUpdated: reply[0] === 1,
    duplicate: reply[1] === 1,
    lastseen: reply[2] ?? null,
  };
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
