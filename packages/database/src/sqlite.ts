import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
} from 'kysely';

/** How long opening waits for other processes, as long as better-sqlite3's busy timeout. */
const OPEN_TIMEOUT_MS = 5000;
const OPEN_RETRY_MS = 10;

/**
 * Several processes (workers, `serve`) share one file: WAL lets them read while one writes, and
 * SQLite leaves foreign keys off unless every connection asks.
 */
export function openSqliteFile(path: string): SQLite.Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    // A new file is not for others to read (slavealloc's passwords are in it), whatever the
    // umask of whoever started the first process; SQLite gives its -wal and -shm files the same.
    closeSync(openSync(path, 'a', 0o640));
  }
  const db = new SQLite(path, { timeout: OPEN_TIMEOUT_MS });
  try {
    untilNotBusy(() => db.pragma('journal_mode = WAL'));
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Turning a new file to WAL takes an exclusive lock from a shared one. When several processes
 * open a new file at once (`loopabull up` starting five workers), two can hold the shared lock
 * and both ask for more: SQLite answers that deadlock with SQLITE_BUSY at once, without the busy
 * timeout. Letting go and asking again breaks it; the wait is synchronous as opening is.
 */
function untilNotBusy(statement: () => unknown): void {
  const deadline = Date.now() + OPEN_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      statement();
      return;
    } catch (err) {
      const code = String((err as { code?: unknown }).code);
      if (!code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw err;
      Atomics.wait(pause, 0, 0, OPEN_RETRY_MS);
    }
  }
}

/**
 * A deferred transaction that reads and then writes fails with SQLITE_BUSY when another process
 * wrote in between, without waiting. Taking the write lock at `begin` makes such transactions
 * (allocating a slave, running migrations) wait their turn within the busy timeout instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** SQLite can roll DDL back; saying so makes Kysely's Migrator run a migration set atomically. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class LoopabullSqliteDialect extends SqliteDialect {
  private readonly file: SQLite.Database;

  constructor(file: SQLite.Database) {
    super({ database: file });
    this.file = file;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver({ database: this.file });
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
