import { sql } from 'kysely';
import { z } from 'zod';
import { ConfigError } from '@loopabull/core/errors';
import { checkLoadRow } from './changes.js';
import { dbBool, fromDbBool, transaction, type SaExecutor, type SlaveallocDb } from './db.js';
import { LOOKUPS, type SlaveallocTables } from './tables.js';

/*
 * `dbdump` / `dbload`: every table as JSON with a format name and version, where the original
 * wrote an unversioned pickle. Tables are listed in the order a load inserts them.
 */

export const DUMP_FORMAT = 'loopabull-slavealloc-dump';
export const DUMP_VERSION = 1;

type Table = keyof SlaveallocTables;

/** Each table's columns: only these are read from a dump, so its keys never reach SQL as names. */
const COLUMNS: Record<Table, readonly string[]> = {
  ...(Object.fromEntries(
    Object.entries(LOOKUPS).map(([table, id]) => [table, [id, 'name']]),
  ) as Record<keyof typeof LOOKUPS, string[]>),
  tac_templates: ['tplid', 'name', 'template'],
  masters: [
    'masterid',
    'nickname',
    'fqdn',
    'http_port',
    'pb_port',
    'dcid',
    'poolid',
    'enabled',
    'notes',
  ],
  slaves: [
    'slaveid',
    'name',
    'distroid',
    'bitsid',
    'speedid',
    'purposeid',
    'dcid',
    'trustid',
    'envid',
    'poolid',
    'basedir',
    'locked_masterid',
    'custom_tplid',
    'enabled',
    'notes',
    'current_masterid',
  ],
  slave_passwords: ['poolid', 'distroid', 'password'],
};

/** Insert order: what a row points to comes first. */
const DUMP_TABLES = [
  ...Object.keys(LOOKUPS),
  'tac_templates',
  'masters',
  'slaves',
  'slave_passwords',
] as Table[];

const ID_COLUMNS: Partial<Record<Table, string>> = {
  ...LOOKUPS,
  tac_templates: 'tplid',
  masters: 'masterid',
  slaves: 'slaveid',
};

const dumpSchema = z.object({
  format: z.literal(DUMP_FORMAT),
  version: z.literal(DUMP_VERSION),
  tables: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
});

export type Dump = z.output<typeof dumpSchema> & { dumped_at?: string };

export async function dumpData(db: SlaveallocDb): Promise<Dump> {
  const tables: Record<string, Array<Record<string, unknown>>> = {};
  for (const table of DUMP_TABLES) {
    const id = ID_COLUMNS[table];
    let q = db.k.selectFrom(table).select(COLUMNS[table] as never[]);
    // One orderBy call per column: Kysely prints a deprecation notice for orderBy([...]) with
    // console.log, which landed in front of the JSON that `dbdump` writes to standard output.
    for (const column of id ? [id] : ['poolid', 'wildcard', 'distroid', 'password'])
      q = q.orderBy(
        // NULL sorts first on SQLite and MariaDB, last on PostgreSQL: the wildcard row goes
        // first everywhere, so the same data dumps to the same file on all three.
        column === 'wildcard'
          ? sql`case when distroid is null then 0 else 1 end`
          : (column as never),
      );
    const rows = (await q.execute()) as Array<Record<string, unknown>>;
    tables[table] = rows.map((r) =>
      'enabled' in r ? { ...r, enabled: fromDbBool(r.enabled) } : r,
    );
  }
  return {
    format: DUMP_FORMAT,
    version: DUMP_VERSION,
    dumped_at: new Date().toISOString(),
    tables,
  };
}

/**
 * Reads a dump, or says why it is not one: a ConfigError, since the file named on the command
 * line is what must change (exit 2, as for a file that is not there).
 */
export function parseDump(text: string, file: string): Dump {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = dumpSchema.safeParse(value);
  if (!parsed.success)
    throw new ConfigError(
      `${file} is not a slavealloc dump (format ${DUMP_FORMAT}, version ${DUMP_VERSION}): ${parsed.error.issues[0]?.message ?? ''}`,
    );
  for (const table of DUMP_TABLES)
    (parsed.data.tables[table] ?? []).forEach((row, i) => {
      const problem = checkLoadRow(table, ID_COLUMNS[table], row);
      if (problem) throw new ConfigError(`${file}: ${table} row ${i + 1}: ${problem}`);
    });
  return parsed.data as Dump;
}

/** Rows in all tables: dbinit and dbload refuse to overwrite a database that has any. */
export async function countRows(db: SlaveallocDb): Promise<number> {
  let total = 0;
  for (const table of DUMP_TABLES) {
    const row = await db.k
      .selectFrom(table)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    total += Number(row.n);
  }
  return total;
}

/** Deletes every row (the tables and their migrations stay), in reverse insert order. */
export async function wipe(trx: SaExecutor): Promise<void> {
  await trx.updateTable('slaves').set({ locked_masterid: null, current_masterid: null }).execute();
  for (const table of [...DUMP_TABLES].reverse()) await trx.deleteFrom(table).execute();
}

/** Rows of a table inserted in one statement. */
const ROWS_PER_INSERT = 200;

/**
 * Loads a dump into the tables, ids kept, in one transaction; `replace` deletes what they held
 * first in the same transaction, so a dump the database refuses (a duplicate name) leaves the
 * old data in place rather than an empty database.
 */
export async function loadData(
  db: SlaveallocDb,
  dump: Dump,
  replace = false,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await transaction(db, async (trx) => {
    if (replace) await wipe(trx);
    for (const table of DUMP_TABLES) {
      const rows = (dump.tables[table] ?? []).map((row) =>
        Object.fromEntries(
          COLUMNS[table].map((c) => [
            c,
            // parseDump let through true, false, 1, 0 or nothing (the column's default, true).
            c === 'enabled' ? dbBool(row[c] === undefined || fromDbBool(row[c])) : (row[c] ?? null),
          ]),
        ),
      );
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const part = rows.slice(i, i + ROWS_PER_INSERT);
        await trx
          .insertInto(table)
          .values(part as never)
          .execute()
          .catch((err: Error) => {
            // SQLite's refusal names no table ("FOREIGN KEY constraint failed").
            const rowsOf = `${table} rows ${i + 1}-${i + part.length} of the dump`;
            throw new Error(`${rowsOf}: ${err.message}`, { cause: err });
          });
      }
      counts[table] = rows.length;
      const id = ID_COLUMNS[table];
      // PostgreSQL's sequences do not follow ids inserted by hand; the others' counters do.
      if (id && db.dialect === 'postgresql' && rows.length)
        await sql`select setval(pg_get_serial_sequence(${table}, ${id}), (select max(${sql.ref(id)}) from ${sql.table(table)}))`.execute(
          trx,
        );
    }
  });
  return counts;
}
