import type { Redis } from 'ioredis';
import { TurnBatch } from '@loopabull/core';
import { partitionMachineId } from './identity.js';
import { HARDWARE_KEYS } from './keys.js';
import { RUN_STATES, type RunState } from './observation.js';
import type {
  ExceptionRecord,
  MachineDetail,
  MachineRecord,
  UnattributedRecord,
} from './records.js';
import { parseTimestamp } from './timestamp.js';

export interface ListOptions {
  datacenter?: string | undefined;
  /** Only machines not seen alive for at least this long (never seen alive counts as stale). */
  staleSeconds?: number | undefined;
  now?: Date;
}

const orNull = (v: string | null | undefined) => (v === undefined || v === '' ? null : v);
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
    // An empty stored value (the original's preload wrote any) is no sign of life: `/machines/<id>`
    // answers it 404, as the original did.
    lastseen: orNull(lastseen),
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

/** The hardware tracker's data in Redis, read: what the routes, the page and the CLI show. */
export class MachineReader {
  /**
   * `lastseen` reads: those of one turn of the event loop go as one HMGET. Under load that is
   * several requests to `/machines/<id>` each, and a Redis command and its socket write were most
   * of what such a request cost the server (25-30 % more requests per s with them batched).
   */
  private readonly lastseens: TurnBatch<string, string | null>;

  constructor(protected readonly redis: Redis) {
    this.lastseens = new TurnBatch((ids) => redis.hmget(HARDWARE_KEYS.lastseen, ...ids));
  }

  /** The `machines` hash as the original's `/machines` listed it: Redis's order, split at the first colon. */
  async compatList(): Promise<Array<{ machine: string; datacenter: string; lastseen: string }>> {
    // As a flat reply: ioredis's `hgetall` makes it an object, and an object lists a field that
    // reads as an integer (`42`, from another program's data) before the others.
    const flat = (await this.redis.call('HGETALL', HARDWARE_KEYS.lastseen)) as string[];
    const list = [];
    for (let i = 0; i < flat.length; i += 2) {
      const { datacenter, machine } = partitionMachineId(flat[i]!);
      list.push({ machine, datacenter, lastseen: flat[i + 1]! });
    }
    return list;
  }

  /** The stored lastseen value, exactly as stored. */
  lastseen(id: string): Promise<string | null> {
    return this.lastseens.add(id);
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
}
