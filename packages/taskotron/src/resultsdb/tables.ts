import { sql, type ColumnType, type Generated, type Kysely, type Migration } from 'kysely';
import { exactCollation, type DatabaseDialect } from '@loopabull/database';

/** The ResultsDB tables, owned by the taskotron automation in the shared database. */
export type ResultsTables = {
  taskotron_testcases: { name: string; ref_url: string | null };
  taskotron_groups: {
    uuid: string;
    description: string | null;
    ref_url: string | null;
    /** Creation order (ResultsDB's `Group.id`), filled in by the database (0021-0024). */
    seq: ColumnType<number, never, never>;
  };
  taskotron_results: {
    id: Generated<number>;
    testcase_name: string;
    outcome: string;
    note: string | null;
    ref_url: string | null;
    /** `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, the year 0001 to 9999: sorts as text on every dialect. */
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
/** Whose migrations these are in the shared database (Database.migrate). */
export const RESULTS_OWNER = 'taskotron';

export const SIZES = { name: 255, value: 8192, text: 65_535 } as const;

type Db = Kysely<unknown>;
const one = (up: (db: Db) => Promise<void>): Migration => ({ up });

/** The name MariaDB gave the foreign key on `table.column` (`<table>_ibfk_<n>`), if it has one. */
async function foreignKeyOn(db: Db, table: string, column: string): Promise<string | undefined> {
  const { rows } = await sql<{ name: string }>`
    select constraint_name as name from information_schema.key_column_usage
    where table_schema = database() and table_name = ${table} and column_name = ${column}
      and referenced_table_name is not null`.execute(db);
  return rows[0]?.name;
}

/**
 * Converts a table to the binary collation. MariaDB refuses to change a column a foreign key
 * joins, even with foreign_key_checks off, so the key on `column` is dropped in the same
 * statement (and added again once both sides are converted).
 */
async function toBinary(db: Db, table: string, column?: string): Promise<void> {
  const collation = sql.raw(await exactCollation(db));
  const key = column && (await foreignKeyOn(db, table, column));
  const drop = key ? sql`drop foreign key ${sql.ref(key)}, ` : sql``;
  await sql`alter table ${sql.table(table)} ${drop}convert to character set utf8mb4 collate ${collation}`.execute(
    db,
  );
}

/**
 * One DDL statement per migration, as packages/database/README.md advises for MariaDB. The id
 * column is the one thing that differs between dialects, and MariaDB's collation (0011-0019).
 */
export function resultsMigrations(dialect: DatabaseDialect): Record<string, Migration> {
  const mysqlOnly = (up: (db: Db) => Promise<void>) =>
    one((db) => (dialect === 'mysql' ? up(db) : Promise.resolve()));
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
    // MariaDB compared names with utf8mb4_general_ci: `Kernel-1` and `kernel-1`, or `a` and
    // `a `, were one item, group, testcase or data value. PostgreSQL, SQLite and ResultsDB on
    // PostgreSQL tell them apart; so does the binary collation.
    '0011_results_binary': mysqlOnly((db) => toBinary(db, 'taskotron_results', 'testcase_name')),
    '0012_testcases_binary': mysqlOnly((db) => toBinary(db, 'taskotron_testcases')),
    '0013_result_groups_binary': mysqlOnly((db) =>
      toBinary(db, 'taskotron_result_groups', 'group_uuid'),
    ),
    '0014_groups_binary': mysqlOnly((db) => toBinary(db, 'taskotron_groups')),
    '0015_result_data_binary': mysqlOnly((db) => toBinary(db, 'taskotron_result_data')),
    // Results stored as `kernel-1` under the testcase `Kernel-1` (merged) get their own testcase,
    // with what the merged one holds; the same for groups. Safe to run twice.
    '0016_testcases_of_results': mysqlOnly(async (db) => {
      await sql`
        insert into taskotron_testcases (name, ref_url)
        select distinct r.testcase_name,
          (select max(t.ref_url) from taskotron_testcases t
           where t.name = r.testcase_name collate utf8mb4_general_ci)
        from taskotron_results r
        where not exists (select 1 from taskotron_testcases t where t.name = r.testcase_name)`.execute(
        db,
      );
    }),
    '0017_groups_of_results': mysqlOnly(async (db) => {
      await sql`
        insert into taskotron_groups (uuid, description, ref_url)
        select distinct rg.group_uuid,
          (select max(g.description) from taskotron_groups g
           where g.uuid = rg.group_uuid collate utf8mb4_general_ci),
          (select max(g.ref_url) from taskotron_groups g
           where g.uuid = rg.group_uuid collate utf8mb4_general_ci)
        from taskotron_result_groups rg
        where not exists (select 1 from taskotron_groups g where g.uuid = rg.group_uuid)`.execute(
        db,
      );
    }),
    '0018_results_testcase_key': mysqlOnly((db) =>
      db.schema
        .alterTable('taskotron_results')
        .addForeignKeyConstraint(
          'taskotron_results_testcase',
          ['testcase_name'],
          'taskotron_testcases',
          ['name'],
        )
        .execute(),
    ),
    '0019_result_groups_group_key': mysqlOnly((db) =>
      db.schema
        .alterTable('taskotron_result_groups')
        .addForeignKeyConstraint(
          'taskotron_result_groups_group',
          ['group_uuid'],
          'taskotron_groups',
          ['uuid'],
        )
        .execute(),
    ),
    // Times before the year 1000 were stored with a short year (`385-07-25T...`), which sorted
    // after every other time as text. Each update is safe to run twice.
    '0020_submit_time_years': one(async (db) => {
      for (const zeros of ['0', '00', '000']) {
        const padded =
          dialect === 'mysql'
            ? sql`concat(${sql.lit(zeros)}, submit_time)`
            : sql`${sql.lit(zeros)} || submit_time`;
        const short = sql.lit(`${'_'.repeat(4 - zeros.length)}-%`);
        await sql`update taskotron_results set submit_time = ${padded}
          where submit_time like ${short} and submit_time not like '-%'`.execute(db);
      }
    }),
    // ResultsDB lists groups newest first (`order by Group.id desc`); a uuid says nothing of
    // age. Groups kept before get the order they were first given a result in, the order
    // they were made in when a result made them, as the runner's are; a group without a
    // result is taken for older than those.
    '0021_groups_seq': one((db) =>
      db.schema.alterTable('taskotron_groups').addColumn('seq', 'integer').execute(),
    ),
    '0022_groups_seq_existing': one(async (db) => {
      const order = sql`
        select g.uuid, row_number() over (order by coalesce(min(rg.result_id), 0), g.uuid) as n
        from taskotron_groups g
        left join taskotron_result_groups rg on rg.group_uuid = g.uuid
        group by g.uuid`;
      await (
        dialect === 'mysql'
          ? sql`update taskotron_groups g join (${order}) o on o.uuid = g.uuid set g.seq = o.n`
          : sql`update taskotron_groups set seq = o.n from (${order}) o
            where o.uuid = taskotron_groups.uuid`
      ).execute(db);
    }),
    '0023_groups_seq_unique': one((db) =>
      db.schema
        .createIndex('taskotron_groups_seq')
        .unique()
        .on('taskotron_groups')
        .column('seq')
        .execute(),
    ),
    // New groups are numbered on from there by the database, whoever inserts them. MariaDB
    // keeps the numbers given and counts on from the highest; PostgreSQL's identity starts
    // after it; SQLite cannot add such a column, so a trigger numbers each new row.
    '0024_groups_seq_new': one(async (db) => {
      if (dialect === 'mysql')
        await sql`alter table taskotron_groups modify seq integer not null auto_increment`.execute(
          db,
        );
      else if (dialect === 'postgresql') {
        await sql`alter table taskotron_groups alter column seq set not null`.execute(db);
        await sql`alter table taskotron_groups
          alter column seq add generated by default as identity`.execute(db);
        await sql`select setval(pg_get_serial_sequence('taskotron_groups', 'seq'),
          coalesce(max(seq), 0) + 1, false) from taskotron_groups`.execute(db);
      } else
        await sql`create trigger taskotron_groups_seq after insert on taskotron_groups
          when new.seq is null
          begin
            update taskotron_groups set seq = (select coalesce(max(seq), 0) + 1 from taskotron_groups)
            where uuid = new.uuid;
          end`.execute(db);
    }),
    // Results by data value (Bodhi's `item=<nvr>&type=koji_build`): without it every result was
    // tested, 0.6 s an item among 200,000 results on SQLite. A value may be 8,192 characters:
    // PostgreSQL's B-tree takes about 2,700 bytes a row, so there a hash of the value (equality
    // only, which is what a non-`:like` filter asks); MariaDB indexes a text by its start.
    '0025_result_data_value': one(async (db) => {
      await (
        dialect === 'postgresql'
          ? sql`create index taskotron_result_data_value on taskotron_result_data
            using hash (data_value)`
          : dialect === 'mysql'
            ? sql`create index taskotron_result_data_value on taskotron_result_data
              (data_key, data_value(255), result_id)`
            : sql`create index taskotron_result_data_value on taskotron_result_data
              (data_key, data_value, result_id)`
      ).execute(db);
    }),
  };
}
