import { Database, type DatabaseDialect, type DatabaseLogger } from '@loopabull/database';
import { sql, type Kysely, type Transaction } from 'kysely';
import { MIGRATION_OWNER, slaveallocMigrations } from './migrations.js';
import type { SlaveallocTables } from './tables.js';

type SaKysely = Kysely<SlaveallocTables>;
export type SaExecutor = SaKysely | Transaction<SlaveallocTables>;

/** The database with slavealloc's tables, migrated. */
export interface SlaveallocDb {
  k: SaKysely;
  dialect: DatabaseDialect;
  /** The URL without its password. */
  url: string;
  close(): Promise<void>;
}

/**
 * Opens `url` (relative SQLite paths from `baseDir`) and brings slavealloc's tables up to date;
 * migrations and lost connections are logged to `logger`, at the configuration's level.
 */
export async function openSlaveallocDb(
  url: string,
  baseDir: string,
  logger: DatabaseLogger,
  opts: { create?: boolean } = {},
): Promise<SlaveallocDb> {
  const db = await Database.open(url, { baseDir, logger, ...opts });
  try {
    await db.migrate(MIGRATION_OWNER, slaveallocMigrations(db.dialect));
  } catch (err) {
    await db.close();
    throw err;
  }
  return {
    k: db.kysely.withTables<SlaveallocTables>(),
    dialect: db.dialect,
    url: db.url,
    close: () => db.close(),
  };
}

/** SQLite cannot bind booleans; all three take 1 and 0. */
export const dbBool = (value: boolean): number => (value ? 1 : 0);

/** Booleans come back as 0/1 from SQLite and MariaDB. */
export const fromDbBool = (value: unknown): boolean => value === true || Number(value) === 1;

/** Counts are bigints, which pg gives as strings. */
export const fromDbCount = (value: unknown): number => Number(value);

/**
 * Runs `work` in a transaction; allocations read then write, so PostgreSQL and MariaDB read
 * committed data only (MariaDB's default would read a snapshot older than the lock taken).
 */
export function transaction<T>(
  db: SlaveallocDb,
  work: (trx: Transaction<SlaveallocTables>) => Promise<T>,
): Promise<T> {
  const builder = db.k.transaction();
  return (db.dialect === 'sqlite' ? builder : builder.setIsolationLevel('read committed')).execute(
    work,
  );
}

/**
 * Peers are counted per pool: allocations in one pool wait for each other on the pool's row
 * (SQLite's write lock serializes them all), so two never see the same counts; deleting one of
 * the pool's masters waits on it too, so no allocation records a master deleted under it.
 * PostgreSQL's `no key update` does not block the key-share lock that a slave's foreign key takes.
 */
export async function lockPool(trx: SaExecutor, db: SlaveallocDb, poolid: number): Promise<void> {
  if (db.dialect === 'sqlite') return;
  const q = trx.selectFrom('pools').select('poolid').where('poolid', '=', poolid);
  await (db.dialect === 'postgresql' ? q.forNoKeyUpdate() : q.forUpdate()).execute();
}

/**
 * Whether row `id` of `table` exists, locked until the transaction ends: `share` by a change
 * that will point at it, so that a delete waits for the change (and then sees it) or the change
 * waits for the delete (and then finds no row); `update` by that delete. SQLite's write lock
 * serializes both already.
 */
export async function lockRow(
  trx: SaExecutor,
  db: SlaveallocDb,
  table: keyof SlaveallocTables,
  idColumn: string,
  id: number,
  mode: 'share' | 'update',
): Promise<boolean> {
  const q = trx
    .selectFrom(table)
    .select(idColumn as never)
    .where(idColumn as never, '=', id as never);
  const locked =
    db.dialect === 'sqlite'
      ? q
      : mode === 'update'
        ? q.forUpdate()
        : db.dialect === 'postgresql'
          ? q.forKeyShare()
          : // MariaDB has no FOR SHARE.
            q.modifyEnd(sql`lock in share mode`);
  return (await locked.executeTakeFirst()) !== undefined;
}

const RETRYABLE = new Set(['40P01', '40001', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * A deadlock or serialization failure is the database choosing a victim among concurrent
 * transactions; running the victim again is the remedy it expects.
 */
export async function retryingDeadlocks<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= attempts || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
    }
  }
}

/** Inserts one row and returns its new id: PostgreSQL says it with `returning`, the others as insertId. */
export async function insertReturningId(
  trx: SaExecutor,
  dialect: DatabaseDialect,
  table: keyof SlaveallocTables,
  idColumn: string,
  values: Record<string, unknown>,
): Promise<number> {
  const insert = trx.insertInto(table).values(values as never);
  if (dialect !== 'postgresql') return Number((await insert.executeTakeFirstOrThrow()).insertId);
  const row = await insert.returning(idColumn as never).executeTakeFirstOrThrow();
  return Number((row as Record<string, unknown>)[idColumn]);
}
