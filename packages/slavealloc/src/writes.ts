import { isUniqueViolation } from '@loopabull/database';
import {
  dbBool,
  insertReturningId,
  lockPool,
  lockRow,
  transaction,
  type SaExecutor,
  type SlaveallocDb,
} from './db.js';
import { getListedRow, type ApiRow } from './rows.js';
import { API_TABLES, MASTER_REFERENCES, SLAVE_REFERENCES, type ApiTable } from './tables.js';

export type WriteResult =
  | { ok: true; id: number; before: ApiRow | null; after: ApiRow | null }
  | { ok: false; status: 400 | 404 | 409; error: string };

const fail = (status: 400 | 404 | 409, error: string): WriteResult => ({
  ok: false,
  status,
  error,
});

const REFERENCES: Partial<Record<ApiTable, Record<string, ApiTable>>> = {
  slaves: SLAVE_REFERENCES,
  masters: MASTER_REFERENCES,
};

/**
 * A clear 400 for an id that points nowhere, rather than each database's foreign-key error; the
 * rows pointed at stay locked, so a concurrent DELETE of one cannot turn the write into a 500.
 */
async function missingReference(
  trx: SaExecutor,
  db: SlaveallocDb,
  table: ApiTable,
  values: Record<string, unknown>,
): Promise<string | null> {
  for (const [column, target] of Object.entries(REFERENCES[table] ?? {})) {
    const value = values[column];
    if (value === undefined || value === null) continue;
    if (!(await lockRow(trx, db, target, API_TABLES[target].id, value as number, 'share')))
      return `${column} ${String(value)}: there is no such row in ${target}`;
  }
  return null;
}

const stored = (values: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, k === 'enabled' ? dbBool(v as boolean) : v]),
  );

function uniqueProblem(table: ApiTable, values: Record<string, unknown>): string {
  const column = API_TABLES[table].name;
  return `${table} already has a row with ${column} ${JSON.stringify(values[column])}`;
}

/** PUT: the checked values applied to row `id`, which must exist. */
export async function updateRow(
  db: SlaveallocDb,
  table: ApiTable,
  id: number,
  values: Record<string, unknown>,
): Promise<WriteResult> {
  try {
    return await transaction(db, async (trx) => {
      const before = await getListedRow(trx, table, id);
      if (!before) return fail(404, `there is no ${table} row with id ${id}`);
      const problem = await missingReference(trx, db, table, values);
      if (problem) return fail(400, problem);
      await trx
        .updateTable(table)
        .set(stored(values) as never)
        .where(API_TABLES[table].id as never, '=', id as never)
        .execute();
      return { ok: true, id, before, after: (await getListedRow(trx, table, id))! };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return fail(409, uniqueProblem(table, values));
    throw err;
  }
}

/** POST: a new slave or master from checked values. */
export async function createRow(
  db: SlaveallocDb,
  table: 'slaves' | 'masters',
  values: Record<string, unknown>,
): Promise<WriteResult> {
  const idColumn = API_TABLES[table].id;
  try {
    return await transaction(db, async (trx) => {
      const problem = await missingReference(trx, db, table, values);
      if (problem) return fail(400, problem);
      const id = await insertReturningId(trx, db.dialect, table, idColumn, stored(values));
      return { ok: true, id, before: null, after: (await getListedRow(trx, table, id))! };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return fail(409, uniqueProblem(table, values));
    throw err;
  }
}

/**
 * DELETE a slave, or a master no slave is locked to. Slaves whose last allocation was the
 * deleted master keep no reference to it: they get a new one at their next start.
 */
export async function deleteRow(
  db: SlaveallocDb,
  table: 'slaves' | 'masters',
  id: number,
): Promise<WriteResult> {
  return transaction(db, async (trx) => {
    if (table === 'masters') {
      const pool = await trx
        .selectFrom('masters')
        .select('poolid')
        .where('masterid', '=', id)
        .executeTakeFirst();
      // An allocation in the pool that chose this master records it before the delete reads.
      if (pool) await lockPool(trx, db, pool.poolid);
      // A PUT or POST locking a slave to it commits before the delete looks for locked slaves.
      await lockRow(trx, db, 'masters', 'masterid', id, 'update');
    }
    const before = await getListedRow(trx, table, id);
    if (!before) return fail(404, `there is no ${table} row with id ${id}`);
    if (table === 'masters') {
      const locked = await trx
        .selectFrom('slaves')
        .select('name')
        .where('locked_masterid', '=', id)
        .orderBy('name')
        .execute();
      if (locked.length)
        return fail(
          409,
          `slaves are locked to this master: ${locked.map((s) => s.name).join(', ')}; unlock them first`,
        );
      await trx
        .updateTable('slaves')
        .set({ current_masterid: null })
        .where('current_masterid', '=', id)
        .execute();
      await trx.deleteFrom('masters').where('masterid', '=', id).execute();
    } else {
      await trx.deleteFrom('slaves').where('slaveid', '=', id).execute();
    }
    return { ok: true, id, before, after: null };
  });
}
