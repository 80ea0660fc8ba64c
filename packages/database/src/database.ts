import { createLogger } from '@loopabull/core';
import { Kysely, sql, type Migration } from 'kysely';
import { createDialect } from './dialects.js';
import { messageOf } from './errors.js';
import type { DatabaseLogger } from './logger.js';
import { migrateOwner } from './migrate.js';
import {
  parseDatabaseUrl,
  redactDatabaseUrl,
  type DatabaseDialect,
  type DatabaseTarget,
} from './url.js';

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

/** One connection (pool) per database and process, counted by the Databases that use it. */
interface Shared {
  kysely: Kysely<unknown>;
  users: number;
}
const shared = new Map<string, Promise<Shared>>();

/**
 * What two opens of the same database share. Not `:memory:`: each open of it is a database of
 * its own.
 */
const sharingKey = (target: DatabaseTarget, url: string): string | null =>
  target.dialect !== 'sqlite' ? url : target.path === ':memory:' ? null : `sqlite:${target.path}`;

/**
 * The automations' SQL store: one per process, shared by the automations in it, each of which
 * owns its tables and migrations. `DB` describes the tables for Kysely; an automation can also
 * add its own with `db.kysely.withTables<MyTables>()`.
 *
 * Automations that open the same URL in one process share one connection (one pool): on SQLite,
 * two connections of one process would deadlock, one waiting synchronously (better-sqlite3) for
 * the write lock that the other, stuck behind the blocked event loop, cannot release; Kysely
 * serialises the transactions of one connection instead.
 */
export class Database<DB = object> {
  private closing: Promise<void> | null = null;

  private constructor(
    readonly kysely: Kysely<DB>,
    readonly dialect: DatabaseDialect,
    /** The URL without its password, for logs and messages. */
    readonly url: string,
    private readonly logger: DatabaseLogger,
    private readonly release: () => Promise<void>,
  ) {}

  /**
   * Connects and runs one query, so that a wrong URL, a server that is down or a file that
   * cannot be written fails here, with a message naming the URL, rather than at first use.
   */
  static async open<DB = object>(url: string, opts: DatabaseOptions): Promise<Database<DB>> {
    const target = parseDatabaseUrl(url, opts.baseDir);
    const logger = opts.logger ?? createLogger('database');
    const redacted = redactDatabaseUrl(url);
    const key = sharingKey(target, url);
    let entry = key === null ? undefined : shared.get(key);
    if (!entry) {
      entry = connect(target, logger, redacted);
      if (key !== null) {
        shared.set(key, entry);
        entry.catch(() => shared.delete(key));
      }
    }
    const connection = await entry;
    connection.users++;
    const release = async () => {
      if (--connection.users > 0) return;
      if (key !== null && shared.get(key) === entry) shared.delete(key);
      await connection.kysely.destroy();
    };
    return new Database(connection.kysely as Kysely<DB>, target.dialect, redacted, logger, release);
  }

  /**
   * Brings `owner`'s tables up to date (see migrateOwner) and returns the names of the
   * migrations that ran; a failure is a MigrationError naming the owner and the migration.
   */
  migrate(owner: string, migrations: Record<string, Migration>): Promise<string[]> {
    return migrateOwner(this.kysely, owner, migrations, this.logger);
  }

  /**
   * Lets running queries finish, then closes the connection once no other Database of this
   * process uses it; later calls do nothing.
   */
  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }
}

async function connect(
  target: DatabaseTarget,
  logger: DatabaseLogger,
  redacted: string,
): Promise<Shared> {
  let kysely: Kysely<unknown> | undefined;
  try {
    kysely = new Kysely<unknown>({ dialect: await createDialect(target, logger) });
    await sql`select 1`.execute(kysely);
  } catch (err) {
    await kysely?.destroy().catch(() => {});
    throw new Error(
      `cannot open the ${PRODUCT[target.dialect]} database ${redacted}: ${messageOf(err)}`,
      { cause: err },
    );
  }
  return { kysely, users: 0 };
}
