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
  return {
    migrationTableName: `loopabull_${owner}_migrations`,
    migrationLockTableName: `loopabull_${owner}_migration_lock`,
  };
}

// Kysely's Migrator takes a Kysely of any schema: migrations create the tables.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyKysely = Kysely<any>;

function migrator(db: AnyKysely, owner: string, migrations: Record<string, Migration>): Migrator {
  if (!OWNER.test(owner)) {
    throw new Error(
      `migration owner "${owner}" must be a lowercase letter then up to 31 of a-z, 0-9 and _`,
    );
  }
  return new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    ...migrationTables(owner),
  });
}

/** The names of `owner`'s migrations that have not run yet, in order; changes nothing. */
export async function pendingMigrations(
  db: AnyKysely,
  owner: string,
  migrations: Record<string, Migration>,
): Promise<string[]> {
  const known = await migrator(db, owner, migrations).getMigrations();
  return known.filter((m) => !m.executedAt).map((m) => m.name);
}

/**
 * Runs `owner`'s migrations that have not run yet, in the order of their names, and returns
 * their names. Migrations that ran are recorded, so a second call runs nothing.
 */
export async function migrateOwner(
  db: AnyKysely,
  owner: string,
  migrations: Record<string, Migration>,
  logger: DatabaseLogger,
): Promise<string[]> {
  const outcome = await migrator(db, owner, migrations).migrateToLatest();
  const results = outcome.results ?? [];
  // With transactional DDL (PostgreSQL, SQLite) a failure rolls the whole run back; MariaDB
  // commits each statement, so what succeeded before the failure stays.
  const kept =
    'error' in outcome && db.getExecutor().adapter.supportsTransactionalDdl
      ? []
      : results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  for (const migration of kept) logger.info('applied database migration', { owner, migration });
  if ('error' in outcome) {
    const failed = results.find((r) => r.status === 'Error');
    throw new MigrationError(owner, failed?.migrationName, outcome.error);
  }
  return kept;
}
