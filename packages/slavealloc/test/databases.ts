/** The three databases every slavealloc suite runs on (outside src/: neither built nor collected). */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { databaseAdmin } from '@test/support';

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
      const dir = mkdtempSync(join(tmpdir(), 'loopabull-slavealloc-'));
      dirs.push(dir);
      return `sqlite:///${join(dir, 'slavealloc.db')}`;
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
      const db = `loopabull_sa_${randomBytes(6).toString('hex')}`;
      await admin(`create database ${db}`);
      made.push(db);
      return `${base}/${db}`;
    },
    async remove() {
      for (const db of made.splice(0)) await admin(`drop database if exists ${db}${dropOptions}`);
    },
  };
}

const { postgresql: pgAdmin, mariadb: mariaAdmin } = databaseAdmin;

export const postgres = (): TestDatabase =>
  server('PostgreSQL', pgAdmin.root, pgAdmin.run, pgAdmin.dropOptions);

export const mariadb = (): TestDatabase => server('MariaDB', mariaAdmin.root, mariaAdmin.run);

/** One of each, for describe.each. */
export const allDatabases = (): TestDatabase[] => [sqlite(), postgres(), mariadb()];
