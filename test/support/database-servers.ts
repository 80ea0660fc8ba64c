import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

/**
 * Statements run as the administrator of the machine's database servers, to create and drop the
 * throwaway databases tests use (PostgreSQL with trust auth, MariaDB root without a password).
 */
export const databaseAdmin = {
  postgresql: {
    root: 'postgresql://postgres@127.0.0.1',
    // `with (force)` ends the sessions a failed test left open.
    dropOptions: ' with (force)',
    async run(statement: string): Promise<void> {
      const client = new pg.Client('postgresql://postgres@127.0.0.1/postgres');
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    },
  },
  mariadb: {
    root: 'mysql://root@127.0.0.1',
    dropOptions: '',
    async run(statement: string): Promise<void> {
      const conn = await mysql.createConnection('mysql://root@127.0.0.1/test');
      try {
        await conn.query(statement);
      } finally {
        await conn.end();
      }
    },
  },
} as const;

/** Throwaway databases for the suites that run on all three: SQLite, PostgreSQL, MariaDB. */

export interface TestDatabase {
  name: string;
  /** Makes an empty database and gives its URL. */
  create(): Promise<string>;
  /** Removes every database create() made. */
  remove(): Promise<void>;
}

function sqlite(): TestDatabase {
  const dirs: string[] = [];
  return {
    name: 'SQLite',
    create: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'loopabull-db-'));
      dirs.push(dir);
      return `sqlite:///${join(dir, 'test.db')}`;
    },
    remove: async () => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Databases with random names on a shared server, made and dropped through an admin connection. */
function server(
  name: string,
  base: string,
  admin: (statement: string) => Promise<void>,
  dropOptions = '',
): TestDatabase {
  const made: string[] = [];
  return {
    name,
    async create() {
      const db = `loopabull_test_${randomBytes(6).toString('hex')}`;
      await admin(`create database ${db}`);
      made.push(db);
      return `${base}/${db}`;
    },
    async remove() {
      for (const db of made.splice(0)) await admin(`drop database if exists ${db}${dropOptions}`);
    },
  };
}

export const postgres = (): TestDatabase =>
  server(
    'PostgreSQL',
    databaseAdmin.postgresql.root,
    databaseAdmin.postgresql.run,
    databaseAdmin.postgresql.dropOptions,
  );

export const mariadb = (): TestDatabase =>
  server('MariaDB', databaseAdmin.mariadb.root, databaseAdmin.mariadb.run);

/** One of each, for describe.each. */
export const allDatabases = (): TestDatabase[] => [sqlite(), postgres(), mariadb()];
