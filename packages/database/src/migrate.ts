import { Migrator, type Kysely, type Migration } from 'kysely';
import { messageOf } from './errors.js';
import type { DatabaseLogger } from './logger.js';

/** Becomes part of table names, which MariaDB and PostgreSQL cap at 64 and 63 characters. */
const OWNER = /^[a-z][a-z0-9_]{0,31}$/;

/** A migration (or the bookkeeping around it) failed; `migration` is unset for the latter. */
export class MigrationError extends Error {
  constructor(
    readonly owner: string,
    readonly migration: string | undefined,
    cause: unknown,
  ) {
    const what = migration ? `migration ${migration} of ${owner}` : `migrating ${owner}`;
    super(`database ${what} failed: ${messageOf(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** Each owner keeps its own record and lock, so automations never see each other's migrations. */
function migrationTables(owner: string) {
  if (!OWNER.test(owner)) {
    throw new Error(
      `migration owner "${owner}" must be a lowercase letter then up to 31 of a-z, 0-9 and _`,
    );
  }
  return {
    migrationTableName: `loopabull_${owner}_migrations`,
    migrationLockTableName: `loopabull_${owner}_migration_lock`,
  };
}

// Kysely's Migrator takes a Kysely of any schema: migrations create the tables.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKysely = Kysely<any>;

function migrator(db: AnyKysely, owner: string, migrations: Record<string, Migration>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    ...migrationTables(owner),
  });
}

/** The error of a query on a table that does not exist: PostgreSQL's, MariaDB's, SQLite's. */
function isMissingTable(err: unknown): boolean {
  const { code, errno, message } = (err ?? {}) as {
    code?: unknown;
    errno?: unknown;
    message?: unknown;
  };
  return code === '42P01' || errno === 1146 || /^no such table/.test(String(message));
}

/**
 * The names in `owner`'s record, or null when it has none yet (a first start). One query, where
 * the Migrator lists every table and column of the database twice and takes its lock: eight
 * statements per owner at every start, a third of a second of MariaDB's time for three owners.
 * A record that exists and cannot be read (a column missing, no permission) throws: it is no
 * first start, and doctor must say so rather than "not created yet".
 */
async function recorded(db: AnyKysely, owner: string): Promise<string[] | null> {
  const { migrationTableName } = migrationTables(owner);
  try {
    const rows = await db.selectFrom(migrationTableName).select('name').execute();
    return rows.map((r: { name: string }) => r.name);
  } catch (err) {
    if (isMissingTable(err)) return null;
    throw err;
  }
}

/**
 * The names of `migrations` not in `done`, in the order they run; null when `done` also holds
 * a name `migrations` lacks, a corruption the Migrator reports.
 */
export function notRecorded(
  migrations: readonly string[],
  done: readonly string[],
): string[] | null {
  const known = new Set(migrations);
  if (done.some((name) => !known.has(name))) return null;
  const ran = new Set(done);
  return [...migrations].sort().filter((name) => !ran.has(name));
}

/** The names of `owner`'s migrations that have not run yet, in order; changes nothing. */
export async function pendingMigrations(
  db: AnyKysely,
  owner: string,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  // No record yet: a first start, with every migration to come.
  const pending = notRecorded(Object.keys(migrations), (await recorded(db, owner)) ?? []);
  if (pending) return pending;
  const known = await migrator(db, owner, migrations).getMigrations();
  return known.filter((m) => !m.executedAt).map((m) => m.name);
}

/**
 * `migrations` with each `up` saying, as it starts, which one runs and how far along the list
 * it is: a first start applies dozens (MariaDB commits each), and the log shows it progress.
 */
function reporting(
  owner: string,
  migrations: Record<string, Migration>,
  logger: DatabaseLogger,
): Record<string, Migration> {
  const names = Object.keys(migrations).sort();
  return Object.fromEntries(
    names.map((name, i) => {
      const migration = migrations[name]!;
      const up: Migration['up'] = (db) => {
        logger.info('running database migration', {
          owner,
          migration: name,
          of: `${i + 1}/${names.length}`,
        });
        return migration.up(db);
      };
      return [name, { ...migration, up }];
    }),
  );
}

/**
 * Runs `owner`'s migrations that have not run yet, in the order of their names, and returns
 * their names. Migrations that ran are recorded, so a second call runs nothing.
 *
 * An owner whose record holds every migration (each start but the first and those after an
 * upgrade) costs one query, without DDL or lock; otherwise Kysely's Migrator, under its lock,
 * reads the record again and runs what is still missing (nothing, when another process did
 * it in between), in one transaction where DDL is transactional.
 */
export async function migrateOwner(
  db: AnyKysely,
  owner: string,
  migrations: Record<string, Migration>,
  logger: DatabaseLogger,
): Promise<string[]> {
  const done = await recorded(db, owner);
  const pending = notRecorded(Object.keys(migrations), done ?? []);
  if (pending?.length === 0) return [];
  if (pending) logger.info('applying database migrations', { owner, pending: pending.length });
  const outcome = await migrator(db, owner, reporting(owner, migrations, logger)).migrateToLatest();
  const results = outcome.results ?? [];
  // With transactional DDL (PostgreSQL, SQLite) a failure rolls the whole run back; MariaDB
  // commits each statement, so what succeeded before the failure stays.
  const kept =
    'error' in outcome && db.getExecutor().adapter.supportsTransactionalDdl
      ? []
      : results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  // One line: each migration has said as it started which it was and how far along.
  if (kept.length)
    logger.info('applied database migrations', {
      owner,
      applied: kept.length,
      migrations: kept.join(', '),
    });
  if ('error' in outcome) {
    const failed = results.find((r) => r.status === 'Error');
    throw new MigrationError(owner, failed?.migrationName, outcome.error);
  }
  return kept;
}
