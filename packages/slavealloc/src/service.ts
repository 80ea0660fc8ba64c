import { hostname } from 'node:os';
import { allocate, type Allocation } from './allocator.js';
import { checkCreate, checkUpdate } from './changes.js';
import type { SlaveallocDb } from './db.js';
import type { EventSink } from './events.js';
import { getRow, listSlaves, listTable, type ApiRow, type SlaveFilters } from './rows.js';
import type { SlaveallocSection } from './section.js';
import { API_TABLES, type ApiTable } from './tables.js';
import { createRow, deleteRow, updateRow, type WriteResult } from './writes.js';

/** Who made a change, for the event: the HTTP API, the CLI on the database, or a bus message. */
export type Via = 'api' | 'cli' | 'bus';

export const EVENT_TOPICS = {
  allocated: 'slavealloc.allocated',
  slave: 'slavealloc.slave.updated',
  master: 'slavealloc.master.updated',
  table: 'slavealloc.table.updated',
} as const;

type Settings = Pick<SlaveallocSection, 'decommissioned_environments' | 'idleizer_exclude'>;

/**
 * The columns whose values changed, old and new, names included (a new `poolid` comes with its
 * `pool`): every column of a row created or deleted.
 */
function changed(before: ApiRow | null, after: ApiRow | null) {
  const from: ApiRow = {};
  const to: ApiRow = {};
  for (const k of new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])) {
    if (before?.[k] === after?.[k]) continue;
    from[k] = before?.[k] ?? null;
    to[k] = after?.[k] ?? null;
  }
  return { from, to };
}

/**
 * Slavealloc on one database: allocations and the API's reads and changes, each change and
 * recorded allocation followed by its event. The HTTP routes, the CLI (`-D`) and the bus
 * handlers all act through it.
 */
export class Slavealloc {
  constructor(
    readonly db: SlaveallocDb,
    private readonly settings: Settings,
    readonly events: EventSink,
    /** The generating host in the tac's header (the original's socket.getfqdn()). */
    private readonly genhost = hostname(),
  ) {}

  /** A new view on the same database that sends its events elsewhere (a handler's ctx.publish). */
  withEvents(events: EventSink): Slavealloc {
    return new Slavealloc(this.db, this.settings, events, this.genhost);
  }

  async gettac(name: string, record: boolean): Promise<Allocation> {
    const allocation = await allocate(this.db, name, {
      record,
      origin: { date: new Date(), host: this.genhost },
      idleizerExclude: this.settings.idleizer_exclude,
    });
    if (record && (allocation.kind === 'allocated' || allocation.kind === 'disabled')) {
      const m = allocation.master;
      this.events.emit(EVENT_TOPICS.allocated, {
        slave: allocation.name,
        slaveid: allocation.slaveid,
        disabled: allocation.kind === 'disabled',
        master: m?.nickname ?? null,
        masterid: m?.masterid ?? null,
        fqdn: m?.fqdn ?? null,
        pb_port: m?.pb_port ?? null,
        locked: allocation.locked,
        previous_masterid: allocation.previousMasterid,
        changed: (m?.masterid ?? null) !== allocation.previousMasterid,
      });
    }
    return allocation;
  }

  listSlaves(filters: SlaveFilters): Promise<ApiRow[]> {
    return listSlaves(this.db.k, {
      ...filters,
      hideEnvironments: this.settings.decommissioned_environments,
    });
  }

  list(table: ApiTable): Promise<ApiRow[]> {
    return table === 'slaves' ? this.listSlaves({}) : listTable(this.db.k, table);
  }

  get(table: ApiTable, key: { id: number } | { name: string }): Promise<ApiRow | undefined> {
    return getRow(this.db.k, table, key);
  }

  async update(table: ApiTable, id: number, body: unknown, via: Via): Promise<WriteResult> {
    const checked = checkUpdate(table, body);
    if (!checked.ok) return { ok: false, status: 400, error: checked.error };
    return this.announce(
      table,
      'updated',
      via,
      await updateRow(this.db, table, id, checked.values),
    );
  }

  async create(table: 'slaves' | 'masters', body: unknown, via: Via): Promise<WriteResult> {
    const checked = checkCreate(table, body);
    if (!checked.ok) return { ok: false, status: 400, error: checked.error };
    return this.announce(table, 'created', via, await createRow(this.db, table, checked.values));
  }

  async remove(table: 'slaves' | 'masters', id: number, via: Via): Promise<WriteResult> {
    return this.announce(table, 'deleted', via, await deleteRow(this.db, table, id));
  }

  private announce(
    table: ApiTable,
    action: 'created' | 'updated' | 'deleted',
    via: Via,
    result: WriteResult,
  ): WriteResult {
    if (!result.ok) return result;
    const { from, to } = changed(result.before, result.after);
    if (action === 'updated' && Object.keys(to).length === 0) return result;
    const row = result.after ?? result.before!;
    const nameKey = API_TABLES[table].name;
    const what =
      table === 'slaves'
        ? { topic: EVENT_TOPICS.slave, subject: { slave: row[nameKey], slaveid: result.id } }
        : table === 'masters'
          ? { topic: EVENT_TOPICS.master, subject: { master: row[nameKey], masterid: result.id } }
          : { topic: EVENT_TOPICS.table, subject: { table, id: result.id, name: row[nameKey] } };
    this.events.emit(what.topic, { action, ...what.subject, changes: to, previous: from, via });
    return result;
  }
}
