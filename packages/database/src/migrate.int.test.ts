import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '@loopabull/core';
import {
  sql,
  type Kysely,
  type KyselyPlugin,
  type Migration,
  type PluginTransformQueryArgs,
  type RawBuilder,
} from 'kysely';
import { closedPort, databaseAdmin, releaseClosedPorts } from '@test/support';
import {
  Database,
  describeTables,
  isUniqueViolation,
  MigrationError,
  NotCreatedYet,
  type DatabaseLogger,
} from './index.js';
import { migrateOwner, pendingMigrations } from './migrate.js';
import { DIST, lineProcess } from '../test/line-process.js';

/**
 * One suite, three servers: SQLite in a temporary directory, and a throwaway database on the
 * PostgreSQL and MariaDB that scripts/bootstrap.sh starts, dropped afterwards.
 */
interface Target {
  name: string;
  /** Whether a failed migration also undoes the ones that ran before it in the same call. */
  atomic: boolean;
  /** Makes an empty database and says how to open it. */
  create(): Promise<{ url: string; baseDir: string }>;
  /** Removes what create() made, also after a half-done create(). */
  remove(): Promise<void>;
  /** A URL (with a password where the dialect has one) that cannot be opened. */
  unreachable(): Promise<{ url: string; baseDir: string }>;
  indexNames(table: string): RawBuilder<{ name: string }>;
}

interface ServerTarget extends Target {
  /** As log lines name it. */
  product: string;
  sessionId: RawBuilder<{ id: number }>;
  longQuery: RawBuilder<unknown>;
  /** Ends a session from the outside, as a server restart or an admin would. */
  kill(id: number): Promise<void>;
}

const logger = createLogger('database', 'error');
function sqliteTarget(): Target {
  let dir = '';
  return {
    name: 'SQLite',
    atomic: true,
    create: async () => {
      dir = mkdtempSync(join(tmpdir(), 'loopabull-db-'));
      return { url: 'sqlite:///nested/dir/test.db', baseDir: dir };
    },
    remove: async () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    unreachable: async () => {
      writeFileSync(join(dir, 'a-file'), '');
      return { url: 'sqlite:///a-file/test.db', baseDir: dir };
    },
    indexNames: (table) =>
      sql`select name from sqlite_master where type = 'index' and tbl_name = ${table}`,
  };
}

/**
 * A database with a random name on the server at `server` (a URL without a path), made and
 * dropped through an admin connection.
 */
function throwawayDatabase(
  server: string,
  admin: (statement: string) => Promise<void>,
  dropOptions = '',
): Pick<Target, 'create' | 'remove' | 'unreachable'> {
  let name: string | undefined;
  const at = (database: string, changes: { port?: string; password?: string } = {}) => {
    const url = Object.assign(new URL(server), changes);
    url.pathname = `/${database}`;
    return { url: url.toString(), baseDir: tmpdir() };
  };
  return {
    async create() {
      // Random, so that runs against one server (several checkouts, CI) never meet.
      name = `loopabull_test_${randomBytes(6).toString('hex')}`;
      await admin(`create database ${name}`);
      return at(name);
    },
    async remove() {
      if (name) await admin(`drop database if exists ${name}${dropOptions}`);
      name = undefined;
    },
    unreachable: async () =>
      at('nowhere', { port: String(await closedPort()), password: 's3cret' }),
  };
}

function postgresTarget(): ServerTarget {
  const { root, run: admin, dropOptions } = databaseAdmin.postgresql;
  return {
    name: 'PostgreSQL',
    product: 'PostgreSQL',
    atomic: true,
    ...throwawayDatabase(root, admin, dropOptions),
    indexNames: (table) => sql`select indexname as name from pg_indexes where tablename = ${table}`,
    sessionId: sql`select pg_backend_pid() as id`,
    longQuery: sql`select pg_sleep(60)`,
    kill: (id) => admin(`select pg_terminate_backend(${id})`),
  };
}

function mariadbTarget(): ServerTarget {
  const { root, run: admin } = databaseAdmin.mariadb;
  return {
    name: 'MariaDB',
    product: 'MariaDB/MySQL',
    atomic: false,
    ...throwawayDatabase(root, admin),
    indexNames: (table) =>
      sql`select distinct index_name as name from information_schema.statistics
          where table_schema = database() and table_name = ${table}`,
    sessionId: sql`select connection_id() as id`,
    longQuery: sql`select sleep(60)`,
    kill: (id) => admin(`kill connection ${id}`),
  };
}

interface ItemTable {
  id: number;
  name: string;
  kind: string | null;
  colour: string | null;
}

/** A sample automation's migrations, listed out of order on purpose: names decide the order. */
function itemMigrations(table: string): Record<string, Migration> {
  return {
    '0002_add_colour': {
      up: (db) => db.schema.alterTable(table).addColumn('colour', 'varchar(20)').execute(),
    },
    '0001_create_items': {
      async up(db) {
        await db.schema
          .createTable(table)
          .addColumn('id', 'integer', (col) => col.primaryKey())
          .addColumn('name', 'varchar(100)', (col) => col.notNull().unique())
          .addColumn('kind', 'varchar(50)')
          .execute();
        await db.schema.createIndex(`${table}_kind`).on(table).column('kind').execute();
      },
    },
  };
}

async function tableNames(db: Database): Promise<string[]> {
  const tables = await db.kysely.introspection.getTables();
  return tables.map((t) => t.name);
}

/** Opens the target's database for a describe block, and removes it all afterwards. */
function useDatabase(
  target: Target,
  log: DatabaseLogger = logger,
): () => { db: Database; url: string; baseDir: string } {
  let opened: { db: Database; url: string; baseDir: string } | undefined;
  beforeAll(async () => {
    const { url, baseDir } = await target.create();
    opened = { db: await Database.open(url, { baseDir, logger: log }), url, baseDir };
  });
  afterAll(async () => {
    try {
      await opened?.db.close();
    } finally {
      await target.remove();
    }
  });
  return () => opened!;
}

afterAll(releaseClosedPorts);

const sqlite = sqliteTarget();
const postgres = postgresTarget();
const mariadb = mariadbTarget();

describe.each([sqlite, postgres, mariadb])('on $name', (target) => {
  const use = useDatabase(target);

  it('migrates an empty database up in name order, once, and a new migration alone later', async () => {
    const { db } = use();
    const migrations = itemMigrations('sample_items');
    await expect(db.migrate('sample', migrations)).resolves.toEqual([
      '0001_create_items',
      '0002_add_colour',
    ]);
    await expect(db.migrate('sample', migrations)).resolves.toEqual([]);

    const columns = (await db.kysely.introspection.getTables())
      .find((t) => t.name === 'sample_items')
      ?.columns.map((c) => c.name);
    expect(columns).toEqual(['id', 'name', 'kind', 'colour']);
    const indexes = (await target.indexNames('sample_items').execute(db.kysely)).rows;
    expect(indexes.map((i) => i.name)).toContain('sample_items_kind');
    expect(await tableNames(db)).toEqual(
      expect.arrayContaining(['loopabull_sample_migrations', 'loopabull_sample_migration_lock']),
    );

    const later: Record<string, Migration> = {
      ...migrations,
      '0003_index_colour': {
        up: (k) =>
          k.schema.createIndex('sample_items_colour').on('sample_items').column('colour').execute(),
      },
    };
    await expect(db.migrate('sample', later)).resolves.toEqual(['0003_index_colour']);
  });

  it('describeTables (doctor) runs no migration: it says how many the next start applies', async () => {
    const { db, url, baseDir } = use();
    const migrations = itemMigrations('peek_items');
    const look = () =>
      describeTables(
        url,
        { baseDir, logger },
        () => ({ peek: migrations }),
        async () => 'the items are there',
      );
    await expect(look()).resolves.toMatch(
      /: tables not created yet; the next start of loopabull serve or a worker applies 2 migrations$/,
    );
    expect(await tableNames(db)).not.toContain('loopabull_peek_migrations');
    const [first] = Object.keys(migrations).sort();
    await db.migrate('peek', { [first!]: migrations[first!]! });
    await expect(look()).resolves.toBe(
      'the items are there; the next start of loopabull serve or a worker applies 1 migrations',
    );
    await db.migrate('peek', migrations);
    await expect(look()).resolves.toBe('the items are there');
  });

  it('pending() reports a record it cannot read, rather than calling the tables not created yet', async () => {
    const { db } = use();
    // A record table without the column the record is read by: its SELECT fails, as one the
    // database user may not read does.
    await db.kysely.schema
      .createTable('loopabull_unread_migrations')
      .addColumn('id', 'integer')
      .execute();
    // By its message, not toThrow: better-sqlite3's error class is that of the first test file
    // that loaded it in a Jest worker, whose Error toThrow does not take for one ("did not throw").
    await expect(db.pending('unread', itemMigrations('unread_items'))).rejects.toMatchObject({
      message: expect.stringMatching(/column\W+name/),
    });
  });

  it('brings an up-to-date owner to date in one query, without DDL or lock', async () => {
    const { db } = use();
    const kinds: string[] = [];
    // Every statement Kysely runs passes here, raw SQL (the lock) too; not BEGIN and COMMIT.
    const counter: KyselyPlugin = {
      transformQuery: (args: PluginTransformQueryArgs) => (kinds.push(args.node.kind), args.node),
      transformResult: (args) => Promise.resolve(args.result),
    };
    const counted = db.kysely.withPlugin(counter);
    const lines: [string, Record<string, unknown>][] = [];
    const log: DatabaseLogger = {
      info: (message, fields) => void lines.push([message, fields]),
      warn: () => {},
    };
    const migrations = itemMigrations('quick_items');

    await expect(migrateOwner(counted, 'quick', migrations, log)).resolves.toEqual([
      '0001_create_items',
      '0002_add_colour',
    ]);
    // A first start says what it is doing, one migration after the other, then what it applied.
    expect(lines).toEqual([
      ['applying database migrations', { owner: 'quick', pending: 2 }],
      ['running database migration', { owner: 'quick', migration: '0001_create_items', of: '1/2' }],
      ['running database migration', { owner: 'quick', migration: '0002_add_colour', of: '2/2' }],
      [
        'applied database migrations',
        { owner: 'quick', applied: 2, migrations: '0001_create_items, 0002_add_colour' },
      ],
    ]);
    expect(kinds).toContain('CreateTableNode');

    kinds.length = 0;
    lines.length = 0;
    await expect(migrateOwner(counted, 'quick', migrations, log)).resolves.toEqual([]);
    await expect(pendingMigrations(counted, 'quick', migrations)).resolves.toEqual([]);
    expect(kinds).toEqual(['SelectQueryNode', 'SelectQueryNode']);
    expect(lines).toEqual([]);
  });

  it('keeps each owner’s migrations apart, even under the same names', async () => {
    const { db } = use();
    const create = (table: string): Record<string, Migration> => ({
      '0001_create': {
        up: (k) => k.schema.createTable(table).addColumn('id', 'integer').execute(),
      },
    });
    await expect(db.migrate('first', create('first_things'))).resolves.toEqual(['0001_create']);
    await expect(db.migrate('second', create('second_things'))).resolves.toEqual(['0001_create']);
    expect(await tableNames(db)).toEqual(
      expect.arrayContaining([
        'first_things',
        'second_things',
        'loopabull_first_migrations',
        'loopabull_second_migrations',
      ]),
    );
    // A migration that disappeared is refused; the other owner is unaffected.
    await expect(db.migrate('first', {})).rejects.toThrow(
      /database migrating first failed: .*0001_create is missing/,
    );
    await expect(db.migrate('second', create('second_things'))).resolves.toEqual([]);
  });

  it('names the owner and the migration that failed, and runs it once it is fixed', async () => {
    const { db } = use();
    const good = itemMigrations('broken_items');
    const failing: Record<string, Migration> = {
      '0001_create_items': good['0001_create_items']!,
      '0002_add_colour': {
        up: async (k) => void (await sql`select * from no_such_table`.execute(k)),
      },
    };
    const failure = await db.migrate('broken', failing).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({ owner: 'broken', migration: '0002_add_colour' });
    expect((failure as Error).message).toMatch(
      /^database migration 0002_add_colour of broken failed: .*no_such_table/,
    );
    // PostgreSQL and SQLite undo the whole call; MariaDB commits DDL as it goes.
    expect((await tableNames(db)).includes('broken_items')).toBe(!target.atomic);

    await expect(db.migrate('broken', good)).resolves.toEqual(
      target.atomic ? ['0001_create_items', '0002_add_colour'] : ['0002_add_colour'],
    );
  });

  it('writes and reads rows through Kysely, and rolls a failed transaction back', async () => {
    const { db } = use();
    await db.migrate('rows', itemMigrations('rows_items'));
    const k = db.kysely.withTables<{ rows_items: ItemTable }>();
    await k
      .insertInto('rows_items')
      .values([
        { id: 1, name: 'one', kind: 'odd', colour: 'red' },
        { id: 2, name: 'two', kind: 'even', colour: null },
      ])
      .execute();
    await expect(
      k.transaction().execute(async (trx) => {
        await trx.updateTable('rows_items').set({ colour: 'blue' }).where('id', '=', 2).execute();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await k.transaction().execute(async (trx) => {
      await trx.updateTable('rows_items').set({ colour: 'green' }).where('id', '=', 1).execute();
    });
    await expect(k.selectFrom('rows_items').selectAll().orderBy('id').execute()).resolves.toEqual([
      { id: 1, name: 'one', kind: 'odd', colour: 'green' },
      { id: 2, name: 'two', kind: 'even', colour: null },
    ]);
  });

  it('recognises a duplicate key as a unique violation, and nothing else', async () => {
    const { db } = use();
    await db.migrate('unique', itemMigrations('unique_items'));
    const k = db.kysely.withTables<{ unique_items: ItemTable }>();
    const insert = (row: Partial<ItemTable>) =>
      k
        .insertInto('unique_items')
        .values(row as ItemTable)
        .execute()
        .then(
          () => 'inserted',
          (err: unknown) => err,
        );
    await expect(insert({ id: 1, name: 'taken' })).resolves.toBe('inserted');
    const sameName = await insert({ id: 2, name: 'taken' });
    const sameId = await insert({ id: 1, name: 'other' });
    const noName = await insert({ id: 3 });
    // Each insert failed. Not `instanceof Error`: better-sqlite3's native part keeps the error
    // class of the first test file that loaded it in a Jest worker, whose Error is another realm's.
    expect([sameName, sameId, noName]).not.toContain('inserted');
    expect([sameName, sameId, noName].map(isUniqueViolation)).toEqual([true, true, false]);
    expect(isUniqueViolation(new Error('duplicate'))).toBe(false);
  });

  it('names the URL without its password when the database cannot be opened', async () => {
    const { url, baseDir } = await target.unreachable();
    const failure = Database.open(url, { baseDir, logger });
    await expect(failure).rejects.toThrow(`cannot open the ${target.name}`);
    await expect(failure).rejects.toThrow(url.replace(':s3cret@', ':***@'));
    await expect(failure).rejects.not.toThrow('s3cret');
  });
});

describe.each([postgres, mariadb])('on $name, with the server in trouble', (target) => {
  const warnings = new EventEmitter<{ warn: [message: string] }>();
  const use = useDatabase(target, {
    info: () => {},
    warn: (message) => void warnings.emit('warn', message),
  });
  // Bounded, so that a missing warning fails the test rather than waiting for Jest's timeout.
  const nextWarning = () => once(warnings, 'warn', { signal: AbortSignal.timeout(10_000) });
  const sessionId = async (db: Kysely<object>) => (await target.sessionId.execute(db)).rows[0]!.id;

  it('fails the query of a connection the server ends; the next query gets a new one', async () => {
    const { db } = use();
    const lost = nextWarning();
    const killed = await db.kysely.connection().execute(async (conn) => {
      const id = await sessionId(conn);
      const running = target.longQuery.execute(conn).then(
        () => 'finished',
        (err: unknown) => err,
      );
      await target.kill(id);
      expect(await running).toBeInstanceOf(Error);
      return id;
    });
    // pg hears of the closed socket only after the query failed, and until then would hand the
    // dead client out again; mysql2 drops the connection before failing the query.
    if (target.name === 'PostgreSQL') {
      await expect(lost).resolves.toEqual(['lost a connection to PostgreSQL']);
    }
    expect(await sessionId(db.kysely)).not.toBe(killed);
  });

  it('replaces an idle connection the server ended', async () => {
    const { db } = use();
    const idle = await sessionId(db.kysely);
    const lost = nextWarning();
    await target.kill(idle);
    await expect(lost).resolves.toEqual([`lost a connection to ${target.product}`]);
    expect(await sessionId(db.kysely)).not.toBe(idle);
  });

  it('runs each migration once when two processes migrate at the same time', async () => {
    const { db, url } = use();
    const other = await Database.open(url, { baseDir: tmpdir(), logger });
    try {
      const migrations = itemMigrations('race_items');
      const [mine, theirs] = await Promise.all([
        db.migrate('race', migrations),
        other.migrate('race', migrations),
      ]);
      expect([...mine, ...theirs].sort()).toEqual(['0001_create_items', '0002_add_colour']);
    } finally {
      await other.close();
    }
  });
});

/**
 * A process of its own that opens `url`, says `ready`, and at `go` on its stdin migrates the
 * owner `pair` and prints the names it ran.
 */
function migratingProcess(url: string) {
  const child = lineProcess(`
    import { Database } from ${JSON.stringify(DIST)};
    const db = await Database.open(${JSON.stringify(url)}, { baseDir: '.', logger: { info() {}, warn() {} } });
    const migrations = {
      '0001_create': { up: (k) => k.schema.createTable('pair_items').addColumn('id', 'integer', (c) => c.primaryKey()).execute() },
      '0002_colour': { up: (k) => k.schema.alterTable('pair_items').addColumn('colour', 'varchar(20)').execute() },
      '0003_index': { up: (k) => k.schema.createIndex('pair_items_colour').on('pair_items').column('colour').execute() },
    };
    process.stdout.write('ready\\n');
    process.stdin.once('data', async () => {
      try {
        process.stdout.write(JSON.stringify(await db.migrate('pair', migrations)) + '\\n');
      } finally {
        await db.close();
        process.stdin.destroy();
      }
    });`);
  return {
    ready: async () => expect(await child.next()).toBe('ready'),
    go: () => child.send('go'),
    ran: async (): Promise<string[]> => {
      const names = JSON.parse(await child.next()) as string[];
      await child.end();
      return names;
    },
  };
}

describe.each([sqlite, postgres, mariadb])('on $name, two processes at once', (target) => {
  const use = useDatabase(target);

  it('runs each migration once when two processes migrate an empty database together', async () => {
    const { db, url, baseDir } = use();
    // SQLite's relative path is from the process's folder: give it whole.
    const absolute =
      target.name === 'SQLite' ? `sqlite:///${join(baseDir, 'nested/dir/test.db')}` : url;
    const both = [migratingProcess(absolute), migratingProcess(absolute)];
    await Promise.all(both.map((p) => p.ready()));
    for (const p of both) p.go();
    const [mine, theirs] = await Promise.all(both.map((p) => p.ran()));
    expect([...mine!, ...theirs!].sort()).toEqual(['0001_create', '0002_colour', '0003_index']);
    const noop: Migration = { up: async () => {} };
    const names = { '0001_create': noop, '0002_colour': noop, '0003_index': noop };
    await expect(db.pending('pair', names)).resolves.toEqual([]);
    expect(await tableNames(db)).toContain('pair_items');
  });
});

describe('a SQLite file opened with create: false (doctor)', () => {
  let dir = '';
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'loopabull-db-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const look = (url: string) =>
    describeTables(
      url,
      { baseDir: dir, logger },
      () => ({}),
      async () => 'there',
    );

  it('is not made: the check says the first start makes it', async () => {
    await expect(look('sqlite:///later/x.db')).resolves.toBe(
      `the SQLite database ${join(dir, 'later/x.db')} does not exist yet: the first start of loopabull serve or a worker creates it`,
    );
    expect(existsSync(join(dir, 'later'))).toBe(false);
  });

  it('fails the check when the services could not make it either', async () => {
    writeFileSync(join(dir, 'plain'), '');
    await expect(look('sqlite:///plain/x.db')).rejects.toThrow(
      new NotCreatedYet(join(dir, 'plain/x.db'), `${join(dir, 'plain')} is not a directory`),
    );
  });
});
