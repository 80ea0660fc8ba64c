import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
