/** Shared by the slavealloc tests (outside src/: neither built nor collected). */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createLogger } from '@loopabull/core';
import { openSlaveallocDb, type SlaveallocDb } from '../src/db.js';
import { EventSink, type Send } from '../src/events.js';
import { importData } from '../src/importer.js';
import { Slavealloc } from '../src/service.js';

const GENHOST = 'slavealloc.example.com';
const SETTINGS = {
  decommissioned_environments: ['decommissioned'],
  idleizer_exclude: ['panda-', 'tegra'],
};
export const quietLogger = createLogger('test', 'error');

export const fixturePath = (name: string) => new URL(`fixtures/${name}`, import.meta.url).pathname;
const fixture = (name: string) => ({ file: name, text: readFileSync(fixturePath(name), 'utf8') });

/** The fixture set of slaves, masters and passwords, as `dbimport --enable` loads it. */
const importFixtures = (db: SlaveallocDb) =>
  importData(db, {
    slaves: fixture('slaves.csv'),
    masters: fixture('masters.csv'),
    passwords: fixture('passwords.csv'),
    enable: true,
  });

export async function openService(url: string, send: Send | null = null) {
  const db = await openSlaveallocDb(url, tmpdir(), quietLogger);
  return new Slavealloc(db, SETTINGS, new EventSink(send, quietLogger), GENHOST);
}

/** Which master each slave has now, by name (null for none). */
export async function currentMasters(service: Slavealloc): Promise<Record<string, unknown>> {
  const rows = await service.db.k
    .selectFrom('slaves')
    .leftJoin('masters', 'masters.masterid', 'slaves.current_masterid')
    .select(['slaves.name', 'masters.nickname'])
    .orderBy('slaves.name')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.name, r.nickname]));
}

/** Empties slaves, masters and passwords, and imports the fixture set again. */
export async function reloadFixtures(db: SlaveallocDb): Promise<void> {
  for (const table of ['slave_passwords', 'slaves', 'masters'] as const)
    await db.k.deleteFrom(table).execute();
  await importFixtures(db);
}
