import { sql, type ColumnType, type Generated, type Kysely, type Migration } from 'kysely';
import type { DatabaseDialect } from '@loopabull/database';

/** The ResultsDB tables, owned by the taskotron automation in the shared database. */
export type ResultsTables = {
  taskotron_testcases: { name: string; ref_url: string | null };
  taskotron_groups: { uuid: string; description: string | null; ref_url: string | null };
  taskotron_results: {
    id: Generated<number>;
    testcase_name: string;
    outcome: string;
    note: string | null;
    ref_url: string | null;
    /** `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC: sorts as text on every dialect. */
    submit_time: string;
  };
  taskotron_result_groups: { result_id: number; group_uuid: string };
  taskotron_result_data: {
    id: Generated<number>;
    result_id: number;
    data_key: string;
    data_value: ColumnType<string, string, never>;
  };
};

/** Names and text lengths the tables hold (ResultsDB's own limits are close to these). */
export const SIZES = { name: 255, value: 8192, text: 65_535 } as const;

type Db = Kysely<unknown>;
const one = (up: (db: Db) => Promise<void>): Migration => ({ up });

/**
 * One DDL statement per migration, as packages/database/README.md advises for MariaDB. The id
 * column is the one thing that differs between dialects.
 */
export function resultsMigrations(dialect: DatabaseDialect): Record<string, Migration> {
  const id = (db: Db, table: string) =>
    db.schema
      .createTable(table)
      .addColumn('id', dialect === 'postgresql' ? 'serial' : 'integer', (c) =>
        dialect === 'mysql' ? c.primaryKey().autoIncrement() : c.primaryKey(),
      );
  const text = dialect === 'mysql' ? sql`mediumtext` : 'text';
  return {
    '0001_testcases': one((db) =>
      db.schema
        .createTable('taskotron_testcases')
        .addColumn('name', `varchar(${SIZES.name})`, (c) => c.primaryKey())
        .addColumn('ref_url', text)
        .execute(),
    ),
    '0002_groups': one((db) =>
      db.schema
        .createTable('taskotron_groups')
        .addColumn('uuid', `varchar(${SIZES.name})`, (c) => c.primaryKey())
        .addColumn('description', text)
        .addColumn('ref_url', text)
        .execute(),
    ),
    '0003_results': one((db) =>
      id(db, 'taskotron_results')
        .addColumn('testcase_name', `varchar(${SIZES.name})`, (c) =>
          c.notNull().references('taskotron_testcases.name'),
        )
        .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
        .addColumn('note', text)
        .addColumn('ref_url', text)
        .addColumn('submit_time', 'varchar(26)', (c) => c.notNull())
        .execute(),
    ),
    '0004_results_testcase_time': one((db) =>
      db.schema
        .createIndex('taskotron_results_testcase_time')
        .on('taskotron_results')
        .columns(['testcase_name', 'submit_time'])
        .execute(),
    ),
    '0005_results_time': one((db) =>
      db.schema
        .createIndex('taskotron_results_time')
        .on('taskotron_results')
        .column('submit_time')
        .execute(),
    ),
    '0006_result_groups': one((db) =>
      db.schema
        .createTable('taskotron_result_groups')
        .addColumn('result_id', 'integer', (c) => c.notNull().references('taskotron_results.id'))
        .addColumn('group_uuid', `varchar(${SIZES.name})`, (c) =>
          c.notNull().references('taskotron_groups.uuid'),
        )
        .addPrimaryKeyConstraint('taskotron_result_groups_pk', ['result_id', 'group_uuid'])
        .execute(),
    ),
    '0007_result_groups_group': one((db) =>
      db.schema
        .createIndex('taskotron_result_groups_group')
        .on('taskotron_result_groups')
        .column('group_uuid')
        .execute(),
    ),
    '0008_result_data': one((db) =>
      id(db, 'taskotron_result_data')
        .addColumn('result_id', 'integer', (c) => c.notNull().references('taskotron_results.id'))
        .addColumn('data_key', `varchar(${SIZES.name})`, (c) => c.notNull())
        .addColumn('data_value', text, (c) => c.notNull())
        .execute(),
    ),
    '0009_result_data_result': one((db) =>
      db.schema
        .createIndex('taskotron_result_data_result')
        .on('taskotron_result_data')
        .columns(['result_id', 'data_key'])
        .execute(),
    ),
    '0010_result_data_key': one((db) =>
      db.schema
        .createIndex('taskotron_result_data_key')
        .on('taskotron_result_data')
        .columns(['data_key', 'result_id'])
        .execute(),
    ),
  };
}
