import { existsSync } from 'node:fs';
import {
  createLogger,
  notWritable,
  parseDatabaseUrl,
  redactDatabaseUrl,
  type DatabaseDialect,
  type DatabaseTarget,
  type ServerTarget,
} from '@loopabull/core';
import { Kysely, sql, type Migration } from 'kysely';
import { createDialect } from './dialects.js';
import { messageOf } from './errors.js';
import type { DatabaseLogger } from './logger.js';
import { migrateOwner, pendingMigrations } from './migrate.js';

export interface DatabaseOptions {
  /** What a relative SQLite path is relative to: the config file's directory. */
  baseDir: string;
  /** Default: core's createLogger('database'). */
  logger?: DatabaseLogger;
  /**
   * false: a SQLite file that does not exist is not made (NotCreatedYet is thrown instead), for
   * checks that must change nothing. Connecting to a server never creates its database anyway.
   */
  create?: boolean;
}

/** A SQLite database that `create: false` found missing; the first start of a service makes it. */
export class NotCreatedYet extends Error {
  constructor(
    readonly path: string,
    /** Why the service could not make it, or null. */
    readonly problem: string | null,
  ) {
    super(
      problem
        ? `the SQLite database ${path} does not exist, and ${problem}`
        : `the SQLite database ${path} does not exist yet: the first start of loopabull serve or a worker creates it`,
    );
    this.name = 'NotCreatedYet';
  }
}

const PRODUCT: Record<DatabaseDialect, string> = {
  sqlite: 'SQLite',
  postgresql: 'PostgreSQL',
  mysql: 'MariaDB/MySQL',
};

/**
 * One connection (pool) per database and process, with the number of Databases using it,
 * counted when they open rather than once connected: a close in between must not destroy it.
 */
interface Shared {
  connection: Promise<Kysely<unknown>>;
  users: number;
}
const shared = new Map<string, Shared>();

/**
 * What two opens of the same database share. Not `:memory:`: each open of it is a database of
 * its own.
 */
const sharingKey = (target: DatabaseTarget, url: string): string | null =>
  target.dialect !== 'sqlite' ? url : target.path === ':memory:' ? null : `sqlite:${target.path}`;

/**
 * An automation's handle on the SQL store, whose tables and migrations it owns. `DB` describes
 * the tables for Kysely; an automation can also add its own with `db.kysely.withTables<MyTables>()`.
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
    if (opts.create === false && target.dialect === 'sqlite' && target.path !== ':memory:') {
      if (!existsSync(target.path))
        throw new NotCreatedYet(target.path, await notWritable(target.path));
    }
    const logger = opts.logger ?? createLogger('database');
    const redacted = redactDatabaseUrl(url);
    const key = sharingKey(target, url);
    const entry = (key !== null && shared.get(key)) || {
      connection: connect(target, logger, redacted),
      users: 0,
    };
    if (key !== null) shared.set(key, entry);
    entry.users++;
    const release = async () => {
      if (--entry.users > 0) return;
      if (key !== null && shared.get(key) === entry) shared.delete(key);
      await entry.connection.then(
        (kysely) => kysely.destroy(),
        () => {},
      );
    };
    let kysely: Kysely<unknown>;
    try {
      kysely = await entry.connection;
    } catch (err) {
      await release();
      throw err;
    }
    return new Database(kysely as Kysely<DB>, target.dialect, redacted, logger, release);
  }

  /**
   * Brings `owner`'s tables up to date (see migrateOwner) and returns the names of the
   * migrations that ran; a failure is a MigrationError naming the owner and the migration.
   */
  migrate(owner: string, migrations: Record<string, Migration>): Promise<string[]> {
    return migrateOwner(this.kysely, owner, migrations, this.logger);
  }

  /** The names of `owner`'s migrations that have not run yet, in order; runs nothing. */
  pending(owner: string, migrations: Record<string, Migration>): Promise<string[]> {
    return pendingMigrations(this.kysely, owner, migrations);
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
): Promise<Kysely<unknown>> {
  let kysely: Kysely<unknown> | undefined;
  try {
    kysely = new Kysely<unknown>({ dialect: await createDialect(target, logger) });
    await sql`select 1`.execute(kysely);
    return kysely;
  } catch (err) {
    await kysely?.destroy().catch(() => {});
    const fix = target.dialect === 'sqlite' ? null : serverFix(target, err);
    throw Object.assign(
      new Error(
        `cannot open the ${PRODUCT[target.dialect]} database ${redacted}: ${messageOf(err)}`,
        { cause: err },
      ),
      fix ? { fix } : {},
    );
  }
}

/**
 * What to do about a database server that refused, by the driver's code: `loopabull doctor`
 * prints it (an error's `fix`) instead of its general advice, which fits none of these.
 */
function serverFix(target: ServerTarget, err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  const product = PRODUCT[target.dialect];
  const where = `${target.host}${target.port ? `:${target.port}` : ''}`;
  switch (code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return `start the ${product} server on ${where}, or correct the host and port in database.url`;
    case '3D000':
    case 'ER_BAD_DB_ERROR':
      return `create the database ${target.database} (${target.dialect === 'postgresql' ? `createdb ${target.database}` : `CREATE DATABASE ${target.database}`}), or name another in database.url`;
    case '28P01':
    case '28000':
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return 'correct the user and password in database.url (%-encode @, :, / and % in them), or grant that user access';
    default:
      return null;
  }
}
