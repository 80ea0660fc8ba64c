import type { Redis } from 'ioredis';
import { idWord, partitionMachineId, isObject } from './identity.js';
import { SCRIPTS } from './lua.js';
import { RUN_STATES, type Observation, type RunState } from './observation.js';
import { normalizeTimestamp, parseTimestamp } from './timestamp.js';

/**
 * Redis layout. `machines` is the original's hash, unprefixed and unchanged so an existing
 * deployment's data and clients keep working; the rest is ours, under `hardware:`.
 */
export const HARDWARE_KEYS = {
  /** field `<dc>:<host>` -> lastseen `YYYY-MM-DDTHH:MM:SS.ffffff` (naive UTC). */
  lastseen: 'machines',
  /** Set of every machine with detail, including ones never seen alive. */
  index: 'hardware:machines',
  /** Hash per machine: last state, task, worker type, exception, counts per state. */
  detail: (id: string) => `hardware:detail:${id}`,
  /** Sorted set per machine of recent event ids (scored by receive time): redeliveries are spotted here. */
  recent: (id: string) => `hardware:recent:${id}`,
  /** List per machine of its latest exceptions (JSON), newest recorded first. */
  exceptions: (id: string) => `hardware:exceptions:${id}`,
  /** List of the latest messages that named no worker (JSON), newest first. */
  unattributed: 'hardware:unattributed',
  unattributedRecent: 'hardware:unattributed:recent',
  /** Hash of counters: `no_worker`. */
  stats: 'hardware:stats',
} as const;

export const LIMITS = { recentEvents: 256, exceptions: 50, unattributed: 100 } as const;

export interface ExceptionRecord {
  at: string;
  reason: string | null;
  task_id: string | null;
  run_id: number | null;
  worker_type: string | null;
  /** False when the reason says the worker is gone (claim-expired, worker-shutdown). */
  alive: boolean;
}

export interface UnattributedRecord {
  at: string;
  received_at: string;
  state: RunState;
  reason: string | null;
  task_id: string | null;
  run_id: number | null;
  worker_type: string | null;
  event_id: string;
}

export interface MachineRecord {
  id: string;
  datacenter: string;
  machine: string;
  /** Null when only messages that are no sign of life were seen. */
  lastseen: string | null;
  /** Seconds since lastseen at the time of the read. */
  age_seconds: number | null;
  last_state: RunState | null;
  last_event_at: string | null;
  last_task_id: string | null;
  last_run_id: number | null;
  last_worker_type: string | null;
  last_exception_reason: string | null;
  last_exception_at: string | null;
  counts: Record<RunState, number>;
}

export interface MachineDetail extends MachineRecord {
  exceptions: ExceptionRecord[];
}

export interface RecordResult {
  machine: string;
  duplicate: boolean;
  lastseenUpdated: boolean;
  lastseen: string | null;
}

export interface PreloadResult {
  new: number;
  updated: number;
  skipped: number;
  invalid: number;
}

export interface ListOptions {
  datacenter?: string | undefined;
  /** Only machines not seen alive for at least this long (never seen alive counts as stale). */
  staleSeconds?: number | undefined;
  now?: Date;
}

const PRELOAD_BATCH = 500;

const orNull = (v: string | undefined) => (v === undefined || v === '' ? null : v);
const intOrNull = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));

function ageSeconds(lastseen: string | null, now: Date): number | null {
  const micros = lastseen === null ? null : parseTimestamp(lastseen);
  return micros === null ? null : Math.max(0, Math.floor((now.getTime() - micros / 1000) / 1000));
}

function toRecord(
  id: string,
  lastseen: string | null,
  detail: Record<string, string>,
  now: Date,
): MachineRecord {
  const { datacenter, machine } = partitionMachineId(id);
  const state = detail.last_state as RunState | undefined;
  return {
    id,
    datacenter,
    machine,
    lastseen,
    age_seconds: ageSeconds(lastseen, now),
    last_state: state && RUN_STATES.includes(state) ? state : null,
    last_event_at: orNull(detail.last_event_at),
    last_task_id: orNull(detail.last_task_id),
    last_run_id: intOrNull(detail.last_run_id),
    last_worker_type: orNull(detail.last_worker_type),
    last_exception_reason: orNull(detail.last_exception_reason),
    last_exception_at: orNull(detail.last_exception_at),
    counts: Object.fromEntries(
      RUN_STATES.map((s) => [s, Number(detail[`count_${s}`] ?? 0)]),
    ) as Record<RunState, number>,
  };
}

function parseJsonList<T>(items: string[]): T[] {
  return items.flatMap((item) => {
    try {
      return [JSON.parse(item) as T];
    } catch {
      return [];
    }
  });
}

/** The hardware tracker's data in Redis: every write is one atomic script. */
export class MachineStore {
  constructor(private readonly redis: Redis) {}

  /** Records an observation of a worker. Throws only on Redis errors, so the job is retried. */
  async record(
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
      this.redis,
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
  async recordUnattributed(obs: Observation): Promise<boolean> {
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
      this.redis,
      [HARDWARE_KEYS.unattributed, HARDWARE_KEYS.unattributedRecent, HARDWARE_KEYS.stats],
      [obs.eventId, obs.receivedAtMs, JSON.stringify(entry), LIMITS.unattributed],
    );
    return reply === 1;
  }

  /** The `machines` hash as the original's `/machines` listed it: Redis's order, split at the first colon. */
  async compatList(): Promise<Array<{ machine: string; datacenter: string; lastseen: string }>> {
    const all = await this.redis.hgetall(HARDWARE_KEYS.lastseen);
    return Object.entries(all).map(([id, lastseen]) => {
      const { datacenter, machine } = partitionMachineId(id);
      return { machine, datacenter, lastseen };
    });
  }

  /** The stored lastseen value, exactly as stored. */
  lastseen(id: string): Promise<string | null> {
    return this.redis.hget(HARDWARE_KEYS.lastseen, id);
  }

  /** Every known machine with its detail, sorted by datacenter then machine. */
  async list(opts: ListOptions = {}): Promise<MachineRecord[]> {
    const now = opts.now ?? new Date();
    const [lastseen, indexed] = await Promise.all([
      this.redis.hgetall(HARDWARE_KEYS.lastseen),
      this.redis.smembers(HARDWARE_KEYS.index),
    ]);
    let ids = [...new Set([...Object.keys(lastseen), ...indexed])];
    if (opts.datacenter !== undefined)
      ids = ids.filter((id) => partitionMachineId(id).datacenter === opts.datacenter);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(HARDWARE_KEYS.detail(id));
    const details = (await pipeline.exec()) ?? [];
    const records = ids.map((id, i) => {
      const [err, detail] = details[i] ?? [null, {}];
      if (err) throw err;
      return toRecord(id, lastseen[id] ?? null, detail as Record<string, string>, now);
    });
    const stale = opts.staleSeconds;
    return records
      .filter((r) => stale === undefined || r.age_seconds === null || r.age_seconds >= stale)
      .sort(
        (a, b) => a.datacenter.localeCompare(b.datacenter) || a.machine.localeCompare(b.machine),
      );
  }

  /** Every datacenter with a known machine, sorted. */
  async datacenters(): Promise<string[]> {
    const [fields, indexed] = await Promise.all([
      this.redis.hkeys(HARDWARE_KEYS.lastseen),
      this.redis.smembers(HARDWARE_KEYS.index),
    ]);
    return [
      ...new Set([...fields, ...indexed].map((id) => partitionMachineId(id).datacenter)),
    ].sort();
  }

  /** One machine with its exception history; null if nothing is known about it. */
  async get(id: string, now = new Date()): Promise<MachineDetail | null> {
    const [lastseen, detail, exceptions] = await Promise.all([
      this.redis.hget(HARDWARE_KEYS.lastseen, id),
      this.redis.hgetall(HARDWARE_KEYS.detail(id)),
      this.redis.lrange(HARDWARE_KEYS.exceptions(id), 0, -1),
    ]);
    if (lastseen === null && Object.keys(detail).length === 0) return null;
    return {
      ...toRecord(id, lastseen, detail, now),
      exceptions: parseJsonList<ExceptionRecord>(exceptions),
    };
  }

  /** The latest messages that named no worker, and how many there have been. */
  async unattributed(): Promise<{ total: number; recent: UnattributedRecord[] }> {
    const [total, recent] = await Promise.all([
      this.redis.hget(HARDWARE_KEYS.stats, 'no_worker'),
      this.redis.lrange(HARDWARE_KEYS.unattributed, 0, -1),
    ]);
    return { total: Number(total ?? 0), recent: parseJsonList<UnattributedRecord>(recent) };
  }

  /**
   * Loads entries in the `/machines` format. Unlike the original's preload_redis.py, a stored
   * time that is as new or newer is kept, and entries that are not machines are counted, not written.
   */
  async preload(entries: readonly unknown[]): Promise<PreloadResult> {
    const result: PreloadResult = { new: 0, updated: 0, skipped: 0, invalid: 0 };
    const pairs: string[] = [];
    for (const entry of entries) {
      const dc = isObject(entry) ? idWord(entry.datacenter) : null;
      const host = isObject(entry) ? idWord(entry.machine) : null;
      const time =
        isObject(entry) && typeof entry.lastseen === 'string'
          ? normalizeTimestamp(entry.lastseen)
          : null;
      if (!dc || !host || !time) result.invalid++;
      else pairs.push(`${dc}:${host}`, time);
    }
    for (let i = 0; i < pairs.length; i += PRELOAD_BATCH * 2) {
      const codes = (await SCRIPTS.preload.run(
        this.redis,
        [HARDWARE_KEYS.lastseen],
        pairs.slice(i, i + PRELOAD_BATCH * 2),
      )) as number[];
      for (const code of codes) {
        if (code === 0) result.new++;
        else if (code === 1) result.updated++;
        else result.skipped++;
      }
    }
    return result;
  }
}
