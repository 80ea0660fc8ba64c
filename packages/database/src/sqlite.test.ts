import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@loopabull/core';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { Database } from './index.js';

describe('a SQLite database', () => {
  let dir: string;
  let db: Database | undefined;
  const file = () => join(dir, 'var', 'lib', 'lb.db');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'loopabull-sqlite-'));
    db = await Database.open('sqlite:///var/lib/lb.db', {
      baseDir: dir,
      logger: createLogger('database', 'error'),
    });
  });

  afterAll(async () => {
    try {
      await db?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lives at its path relative to the config directory, which is made for it', () => {
    expect(db!.dialect).toBe('sqlite');
    expect(existsSync(file())).toBe(true);
  });

  it('is made, with its WAL files, readable by no one but its user and group', async () => {
    await sql`create table written (x integer)`.execute(db!.kysely);
    for (const name of [file(), `${file()}-wal`, `${file()}-shm`])
      expect([name, statSync(name).mode & 0o007]).toEqual([name, 0]);
  });

  it('is in WAL mode with foreign keys enforced', async () => {
    const pragma = async (name: string) =>
      (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(db!.kysely)).rows[0];
    await expect(pragma('journal_mode')).resolves.toEqual({ journal_mode: 'wal' });
    await expect(pragma('foreign_keys')).resolves.toEqual({ foreign_keys: 1 });
  });

  it('takes the write lock when a transaction begins, so another process waits for it', async () => {
    const other = new SQLite(file(), { timeout: 0 });
    try {
      await db!.kysely.transaction().execute(async () => {
        expect(() => other.exec('begin immediate')).toThrow('database is locked');
      });
      other.exec('begin immediate');
      other.exec('rollback');
    } finally {
      other.close();
    }
  });
});

describe('two automations on one SQLite file in one process', () => {
  const logger = createLogger('database', 'error');
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'loopabull-sqlite-shared-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("share one connection: a write waits for the other's transaction instead of deadlocking", async () => {
    const a = await Database.open('sqlite:///shared.db', { baseDir: dir, logger });
    const b = await Database.open('sqlite:///shared.db', { baseDir: dir, logger });
    try {
      await sql`create table t (n integer)`.execute(a.kysely);
      const order: number[] = [];
      // A transaction that awaits between its statements, as an allocation or a migration does:
      // on a connection of its own, b's write would block the event loop for the busy timeout
      // and then fail with "database is locked".
      const transaction = a.kysely.transaction().execute(async (trx) => {
        await sql`insert into t values (1)`.execute(trx);
        order.push(1);
        await new Promise(setImmediate);
        await sql`insert into t values (2)`.execute(trx);
        order.push(2);
      });
      const write = sql`insert into t values (3)`.execute(b.kysely).then(() => order.push(3));
      await Promise.all([transaction, write]);
      expect(order).toEqual([1, 2, 3]);
      await a.close();
      // Still open for b: the connection closes with its last user.
      const { rows } = await sql<{ n: number }>`select count(*) as n from t`.execute(b.kysely);
      expect(rows).toEqual([{ n: 3 }]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an in-memory database is one per open', async () => {
    const a = await Database.open('sqlite://', { baseDir: dir, logger });
    const b = await Database.open('sqlite://', { baseDir: dir, logger });
    try {
      await sql`create table only_in_a (n integer)`.execute(a.kysely);
      // By its message: better-sqlite3's error class may come from another test file's realm,
      // which Jest's toThrow does not take for an Error.
      const failure = await sql`select * from only_in_a`.execute(b.kysely).then(
        () => 'no error',
        (err: unknown) => (err as Error).message,
      );
      expect(failure).toMatch(/no such table: only_in_a/);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
