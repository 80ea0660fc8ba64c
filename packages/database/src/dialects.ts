import { MysqlDialect, PostgresDialect, type Dialect } from 'kysely';
import type mysql from 'mysql2';
import type pg from 'pg';
import type { DatabaseLogger } from './logger.js';
import type { DatabaseTarget, ServerTarget } from '@loopabull/core';

/** Without it a blackholed server makes pg wait forever; mysql2 has the same default built in. */
const CONNECT_TIMEOUT_MS = 10_000;

type Settings = Omit<ServerTarget, 'dialect'>;

/**
 * A connection the server closes (a restart, an admin's terminate) fails the query in progress,
 * if any, and is then an 'error' on its client, and on the pool while idle: unheard, either
 * would end the process. The pool drops the client; the next query gets a new one.
 */
function postgresPool(driver: typeof pg, settings: Settings, logger: DatabaseLogger): pg.Pool {
  const pool = new driver.Pool({ ...settings, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  pool.on('connect', (client) =>
    client.on('error', (err) =>
      logger.warn('lost a connection to PostgreSQL', { error: err.message }),
    ),
  );
  pool.on('error', () => {}); // the client's listener has logged it
  return pool;
}

/** mysql2 already drops a connection the server closed; this only says so, as for PostgreSQL. */
function mysqlPool(driver: typeof mysql, settings: Settings, logger: DatabaseLogger): mysql.Pool {
  const pool = driver.createPool({ ...settings, connectTimeout: CONNECT_TIMEOUT_MS });
  pool.on('connection', (conn) =>
    conn.on('error', (err) =>
      logger.warn('lost a connection to MariaDB/MySQL', { error: err.message }),
    ),
  );
  return pool;
}

/**
 * The Kysely dialect for a parsed URL; opening a SQLite file happens here, and may throw. Only
 * the URL's driver is imported: a process on PostgreSQL does not load mysql2 or better-sqlite3.
 */
export async function createDialect(
  target: DatabaseTarget,
  logger: DatabaseLogger,
): Promise<Dialect> {
  if (target.dialect === 'sqlite') {
    const { LoopabullSqliteDialect, openSqliteFile } = await import('./sqlite.js');
    return new LoopabullSqliteDialect(openSqliteFile(target.path));
  }
  const { host, port, user, password, database } = target;
  const settings = { host, port, user, password, database };
  return target.dialect === 'postgresql'
    ? new PostgresDialect({ pool: postgresPool((await import('pg')).default, settings, logger) })
    : new MysqlDialect({ pool: mysqlPool((await import('mysql2')).default, settings, logger) });
}
