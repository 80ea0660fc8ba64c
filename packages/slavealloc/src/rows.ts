import { fromDbBool, type SaExecutor } from './db.js';
import { isStorableName } from './limits.js';
import { API_TABLES, type ApiTable } from './tables.js';

/** `GET /api/slaves` filters; each list is an `IN (…)`, empty means no filter. */
export interface SlaveFilters {
  environments?: readonly string[];
  purposes?: readonly string[];
  pools?: readonly string[];
  enabled?: boolean | undefined;
  /** Environments left out of the list (slavealloc.decommissioned_environments). */
  hideEnvironments?: readonly string[];
}

export type ApiRow = Record<string, unknown>;

/** Booleans as JSON booleans on every database, as the original's SQLAlchemy gave them. */
const withBooleans = <T extends { enabled: unknown }>(row: T): T & { enabled: boolean } => ({
  ...row,
  enabled: fromDbBool(row.enabled),
});

/** Every slave column and the names of what the ids point to, as the original's denormalized_slaves. */
function denormalizedSlaves(db: SaExecutor) {
  return db
    .selectFrom('slaves')
    .innerJoin('distros', 'distros.distroid', 'slaves.distroid')
    .innerJoin('bitlengths', 'bitlengths.bitsid', 'slaves.bitsid')
    .innerJoin('speeds', 'speeds.speedid', 'slaves.speedid')
    .innerJoin('purposes', 'purposes.purposeid', 'slaves.purposeid')
    .innerJoin('datacenters', 'datacenters.dcid', 'slaves.dcid')
    .innerJoin('trustlevels', 'trustlevels.trustid', 'slaves.trustid')
    .innerJoin('environments', 'environments.envid', 'slaves.envid')
    .innerJoin('pools', 'pools.poolid', 'slaves.poolid')
    .leftJoin('masters as locked_masters', 'locked_masters.masterid', 'slaves.locked_masterid')
    .leftJoin('masters as current_masters', 'current_masters.masterid', 'slaves.current_masterid')
    .selectAll('slaves')
    .select([
      'distros.name as distro',
      'bitlengths.name as bitlength',
      'speeds.name as speed',
      'purposes.name as purpose',
      'datacenters.name as datacenter',
      'trustlevels.name as trustlevel',
      'environments.name as environment',
      'pools.name as pool',
      'locked_masters.nickname as locked_master',
      'current_masters.nickname as current_master',
    ]);
}

function denormalizedMasters(db: SaExecutor) {
  return db
    .selectFrom('masters')
    .innerJoin('datacenters', 'datacenters.dcid', 'masters.dcid')
    .innerJoin('pools', 'pools.poolid', 'masters.poolid')
    .selectAll('masters')
    .select(['datacenters.name as datacenter', 'pools.name as pool']);
}

/**
 * The names of an `IN` filter that a row can have; null when it has names but none of those, so
 * it matches nothing (PostgreSQL would refuse a name with NUL even to compare it).
 */
function storableNames(names: readonly string[] = []): string[] | null {
  const kept = names.filter(isStorableName);
  return names.length > 0 && kept.length === 0 ? null : kept;
}

export async function listSlaves(db: SaExecutor, f: SlaveFilters = {}): Promise<ApiRow[]> {
  const environments = storableNames(f.environments);
  const purposes = storableNames(f.purposes);
  const pools = storableNames(f.pools);
  if (!environments || !purposes || !pools) return [];
  const hidden = (f.hideEnvironments ?? []).filter(isStorableName);
  let q = denormalizedSlaves(db);
  if (environments.length) q = q.where('environments.name', 'in', environments);
  if (purposes.length) q = q.where('purposes.name', 'in', purposes);
  if (pools.length) q = q.where('pools.name', 'in', pools);
  if (f.enabled !== undefined) q = q.where('slaves.enabled', '=', f.enabled ? 1 : 0);
  if (hidden.length) q = q.where('environments.name', 'not in', hidden);
  return (await q.orderBy('slaves.slaveid').execute()).map(withBooleans);
}

export async function listTable(db: SaExecutor, table: ApiTable): Promise<ApiRow[]> {
  if (table === 'slaves') return listSlaves(db);
  if (table === 'masters')
    return (await denormalizedMasters(db).orderBy('masters.masterid').execute()).map(withBooleans);
  const id = API_TABLES[table].id;
  // The table name comes from API_TABLES, never from the request.
  return db
    .selectFrom(table)
    .selectAll()
    .orderBy(id as never)
    .execute() as Promise<ApiRow[]>;
}

/**
 * One row by id, or by name (`?byname=1`), as the original's single-row GET: the table's own
 * columns, without the names the lists add (`pool`, `current_master`, …). Undefined when there
 * is none, without asking for a name no row can have.
 */
export async function getRow(
  db: SaExecutor,
  table: ApiTable,
  key: { id: number } | { name: string },
): Promise<ApiRow | undefined> {
  if ('name' in key && !isStorableName(key.name)) return undefined;
  const { id, name } = API_TABLES[table];
  const column = 'id' in key ? id : name;
  const value = 'id' in key ? key.id : key.name;
  const row = (await db
    .selectFrom(table)
    .selectAll()
    .where(column as never, '=', value as never)
    .executeTakeFirst()) as ApiRow | undefined;
  return row && (table === 'slaves' || table === 'masters')
    ? withBooleans(row as { enabled: unknown })
    : row;
}

/**
 * One row by id as the lists show it, names included: what the change events carry (`previous`,
 * `changes`), so that a consumer sees `pool` change with `poolid`.
 */
export async function getListedRow(
  db: SaExecutor,
  table: ApiTable,
  id: number,
): Promise<ApiRow | undefined> {
  if (table === 'slaves') {
    const row = await denormalizedSlaves(db).where('slaves.slaveid', '=', id).executeTakeFirst();
    return row && withBooleans(row);
  }
  if (table === 'masters') {
    const row = await denormalizedMasters(db).where('masters.masterid', '=', id).executeTakeFirst();
    return row && withBooleans(row);
  }
  return getRow(db, table, { id });
}
