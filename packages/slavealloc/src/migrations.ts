import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import { exactCollation, type DatabaseDialect } from '@loopabull/database';
import { LOOKUPS } from './tables.js';

/** Migration owner: `loopabull_slavealloc_migrations` records what ran. */
export const MIGRATION_OWNER = 'slavealloc';

// Migrations create the tables, so they take a Kysely of any schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Every statement is `if not exists`: MariaDB commits each DDL statement, so a migration that
 * failed half-way there must be safe to run again.
 */
function table(db: AnyDb, dialect: DatabaseDialect, name: string, id: string) {
  let builder = db.schema
    .createTable(name)
    .ifNotExists()
    .addColumn(id, dialect === 'postgresql' ? 'serial' : 'integer', (col) => {
      const key = col.primaryKey();
      return dialect === 'mysql' ? key.autoIncrement() : key;
    });
  // Case-sensitive names everywhere, as on SQLite and PostgreSQL, and room for any UTF-8
  // (0002_nopad_* then make trailing spaces count).
  if (dialect === 'mysql')
    builder = builder.modifyEnd(
      sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`,
    ) as typeof builder;
  return builder;
}

const NAME = 'varchar(128)';

function withSlaveColumns<T extends string, C extends string>(t: CreateTableBuilder<T, C>) {
  return t
    .addColumn('name', NAME, (c) => c.notNull().unique())
    .addColumn('distroid', 'integer', (c) => c.notNull().references('distros.distroid'))
    .addColumn('bitsid', 'integer', (c) => c.notNull().references('bitlengths.bitsid'))
    .addColumn('speedid', 'integer', (c) => c.notNull().references('speeds.speedid'))
    .addColumn('purposeid', 'integer', (c) => c.notNull().references('purposes.purposeid'))
    .addColumn('dcid', 'integer', (c) => c.notNull().references('datacenters.dcid'))
    .addColumn('trustid', 'integer', (c) => c.notNull().references('trustlevels.trustid'))
    .addColumn('envid', 'integer', (c) => c.notNull().references('environments.envid'))
    .addColumn('poolid', 'integer', (c) => c.notNull().references('pools.poolid'))
    .addColumn('basedir', 'text', (c) => c.notNull())
    .addColumn('locked_masterid', 'integer', (c) => c.references('masters.masterid'))
    .addColumn('custom_tplid', 'integer', (c) => c.references('tac_templates.tplid'))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('notes', 'text')
    .addColumn('current_masterid', 'integer', (c) => c.references('masters.masterid'));
}

/** The tables with a name column: looked up by it, unique by it. */
const NAMED_TABLES = [...Object.keys(LOOKUPS), 'tac_templates', 'masters', 'slaves'];

/**
 * `utf8mb4_bin` is PAD SPACE: MariaDB took `'linux-1 '` for `'linux-1'` in lookups, filters and
 * unique names, where SQLite and PostgreSQL compare exactly. A NO PAD binary collation compares
 * as they do. One table (one DDL statement) per migration, as MariaDB commits each; converting
 * again changes nothing.
 */
function noPadMigrations(): Record<string, Migration> {
  return Object.fromEntries(
    NAMED_TABLES.map((name) => [
      `0002_nopad_${name}`,
      {
        async up(db: AnyDb) {
          const collation = sql.raw(await exactCollation(db));
          await sql`alter table ${sql.table(name)} convert to character set utf8mb4 collate ${collation}`.execute(
            db,
          );
        },
      },
    ]),
  );
}

/**
 * The original schema (slavealloc data/model.py), built for the dialect's id columns; on
 * MariaDB, exact names after it.
 */
export function slaveallocMigrations(dialect: DatabaseDialect): Record<string, Migration> {
  return {
    '0001_original_model': {
      async up(db: AnyDb) {
        for (const [name, id] of Object.entries(LOOKUPS))
          await table(db, dialect, name, id)
            .addColumn('name', NAME, (c) => c.notNull().unique())
            .execute();
        await table(db, dialect, 'tac_templates', 'tplid')
          .addColumn('name', NAME, (c) => c.notNull().unique())
          .addColumn('template', 'text', (c) => c.notNull())
          .execute();
        let passwords = db.schema
          .createTable('slave_passwords')
          .ifNotExists()
          .addColumn('poolid', 'integer', (c) => c.notNull().references('pools.poolid'))
          .addColumn('distroid', 'integer', (c) => c.references('distros.distroid'))
          .addColumn('password', 'text', (c) => c.notNull());
        if (dialect === 'mysql')
          passwords = passwords.modifyEnd(sql`engine=InnoDB default charset=utf8mb4`);
        await passwords.execute();
        await table(db, dialect, 'masters', 'masterid')
          .addColumn('nickname', NAME, (c) => c.notNull().unique())
          .addColumn('fqdn', 'text', (c) => c.notNull())
          .addColumn('http_port', 'integer', (c) => c.notNull())
          .addColumn('pb_port', 'integer', (c) => c.notNull())
          .addColumn('dcid', 'integer', (c) => c.notNull().references('datacenters.dcid'))
          .addColumn('poolid', 'integer', (c) => c.notNull().references('pools.poolid'))
          .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
          .addColumn('notes', 'text')
          .execute();
        await withSlaveColumns(table(db, dialect, 'slaves', 'slaveid')).execute();
        await db.schema
          .createIndex('slave_silo')
          .ifNotExists()
          .on('slaves')
          .columns(['distroid', 'bitsid', 'speedid', 'purposeid', 'dcid', 'trustid', 'envid'])
          .execute();
        await db.schema
          .createIndex('slave_poolid')
          .ifNotExists()
          .on('slaves')
          .column('poolid')
          .execute();
        // Peers are counted by current master on every allocation.
        await db.schema
          .createIndex('slave_current_masterid')
          .ifNotExists()
          .on('slaves')
          .column('current_masterid')
          .execute();
      },
    },
    ...(dialect === 'mysql' ? noPadMigrations() : {}),
  };
}
