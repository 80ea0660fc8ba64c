import { createLogger } from '@loopabull/core';
import { Kysely, sql, type Migration } from 'kysely';
import { createDialect } from './dialects.js';
import { messageOf } from './errors.js';
import type { DatabaseLogger } from './logger.js';
import { migrateOwner } from './migrate.js';
import { parseDatabaseUrl, redactDatabaseUrl, type DatabaseDialect } from './url.js';

export interface DatabaseOptions {
  /** What a relative SQLite path is relative to: the config file's directory. */
  baseDir: string;
  /** Default: core's createLogger('database'). */
  logger?: DatabaseLogger;
}

const PRODUCT: Record<DatabaseDialect, string> = {
  sqlite: 'SQLite',
  postgresql: 'PostgreSQL',
  mysql: 'MariaDB/MySQL',
};

/**
 * The automations' SQL store: one per process, shared by the automations in it, each of which
 * owns its tables and migrations. `DB` describes the tables for Kysely; an automation can also
 * add its own with `db.kysely.withTables<MyTables>()`.
 */
export class Database<DB = object> {
  private closing: Promise<void> | null = null;

  private constructor(
    readonly kysely: Kysely<DB>,
    readonly dialect: DatabaseDialect,
    /** The URL without its password, for logs and messages. */
    readonly url: string,
    private readonly logger: DatabaseLogger,
  ) {}

  /**
   * Connects and runs one query, so that a wrong URL, a server that is down or a file that
   * cannot be written fails here, with a message naming the URL, rather than at first use.
   */
  static async open<DB = object>(url: string, opts: DatabaseOptions): Promise<Database<DB>> {
    const target = parseDatabaseUrl(url, opts.baseDir);
    const logger = opts.logger ?? createLogger('database');
    const redacted = redactDatabaseUrl(url);
    let kysely: Kysely<DB> | undefined;
    try {
      kysely = new Kysely<DB>({ dialect: await createDialect(target, logger) });
      await sql`select 1`.execute(kysely);
    } catch (err) {
      await kysely?.destroy().catch(() => {});
      throw new Error(
        `cannot open the ${PRODUCT[target.dialect]} database ${redacted}: ${messageOf(err)}`,
        { cause: err },
      );
    }
    return new Database(kysely, target.dialect, redacted, logger);
  }

  /**
   * Brings `owner`'s tables up to date (see migrateOwner) and returns the names of the
   * migrations that ran; a failure is a MigrationError naming the owner and the migration.
   */
  migrate(owner: string, migrations: Record<string, Migration>): Promise<string[]> {
    return migrateOwner(this.kysely, owner, migrations, this.logger);
  }

  /** Lets running queries finish, then closes every connection; later calls do nothing. */
  close(): Promise<void> {
    this.closing ??= this.kysely.destroy();
    return this.closing;
  }
}
