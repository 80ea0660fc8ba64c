import type { DatabaseDialect } from '@loopabull/core';
import type { Migration } from 'kysely';
import { Database, NotCreatedYet, type DatabaseOptions } from './database.js';

/** Each owner's migrations (Database.migrate), as its automation makes them for a dialect. */
export type OwnedMigrations = (
  dialect: DatabaseDialect,
) => Record<string, Record<string, Migration>>;

/**
 * `loopabull doctor`'s look at an automation's tables, changing nothing: no SQLite file is made
 * and no migration runs, since doctor may run as a user the services are not (root), and what it
 * made would be that user's. Says what `describe` finds once the tables are up to date, and how
 * many migrations the next start applies; throws what stops the services from using the database.
 */
export async function describeTables(
  url: string,
  opts: DatabaseOptions,
  owners: OwnedMigrations,
  describe: (db: Database) => Promise<string>,
): Promise<string> {
  let db: Database;
  try {
    db = await Database.open(url, { ...opts, create: false });
  } catch (err) {
    if (err instanceof NotCreatedYet && !err.problem) return err.message;
    throw err;
  }
  try {
    let pending = 0;
    let created = true;
    for (const [owner, migrations] of Object.entries(owners(db.dialect))) {
      const names = await db.pending(owner, migrations);
      pending += names.length;
      if (names.length === Object.keys(migrations).length) created = false;
    }
    const next = `the next start of loopabull serve or a worker applies ${pending} migrations`;
    if (!created) return `${db.url}: tables not created yet; ${next}`;
    const found = await describe(db);
    return pending ? `${found}; ${next}` : found;
  } finally {
    await db.close();
  }
}
