import { Command, Option } from 'commander';
import {
  ConfigError,
  configOption,
  readCommandFile,
  commandFileName,
  writeCommandFile,
  type CommandEnv,
  type Config,
} from '@loopabull/core/cli';
import * as admin from './cli-admin.js';
import { subcommandHelp, takesApi } from './cli-help.js';
import type { Backend } from './cli-backend.js';
import type { SlaveallocDb } from './db.js';
import type { ImportFile } from './importer.js';

/** What the actions run, with the database drivers: imported when one runs, not for `--help`. */
const parts = () => import('./cli-parts.js');

interface Where {
  config?: string;
  api?: string;
  db?: string;
}

/** Where the commands write and what they read of the environment; tests pass their own. */
export interface CliOptions {
  io?: admin.Io;
  env?: NodeJS.ProcessEnv;
}

const dbOption = (cmd: Command) =>
  configOption(cmd).option(
    '-D, --db <url>',
    'the database, as database.url but a relative SQLite path is from the working directory (default: database.url of the config)',
  );
/** The admin commands: a database, or a slavealloc API. */
const where = (cmd: Command) =>
  dbOption(cmd).option(
    '-A, --api <url>',
    'a slavealloc API instead, e.g. http://host:8080/api (token: $LOOPABULL_TOKEN, else http.token)',
  );
/** The database commands (db*): a database only; -A is taken only to say so (`withDb`). */
const onDb = (cmd: Command) => dbOption(cmd).addOption(new Option('-A, --api <url>').hideHelp());

/**
 * What a relative SQLite path is relative to: a `-D` URL to the working directory, where it was
 * typed (the original's `dbinit -D sqlite:///slavealloc.db` used the current directory), as the
 * files named on the command line are; database.url to the config file's directory.
 */
const baseDir = (o: Where, config: Config): string => (o.db ? process.cwd() : config.dir);

const read = (file: string, option: string): ImportFile => ({
  file: commandFileName(file),
  text: readCommandFile(file, commandFileName(file, option)),
});

/** A dump file argument of `-` is standard output for `dbdump`, as Unix tools take it. */
const STDOUT = '-';

/** A dump from a file, or from standard input for `-` (`dbload - < dump.json`). */
const readDump = async (file: string) =>
  (await parts()).parseDump(readCommandFile(file), commandFileName(file));

/** `loopabull slavealloc …`: the original `slavealloc` command's subcommands and messages. */
export function slaveallocCommand(env: CommandEnv, opts: CliOptions = {}): Command {
  const io: admin.Io = opts.io ?? {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
  };
  const vars = opts.env ?? process.env;
  const load = (o: Where): Config => env.loadConfig(o);

  const cmd = new Command('slavealloc').description(
    "build-slave allocation (slavealloc): the database, tacs, and slaves' state and notes",
  );
  const located = <T extends Where>(o: T): T => ({ ...o, api: o.api ?? cmd.opts<Where>().api });

  /** The database commands work on a database only; `dbdump` on one that exists. */
  async function withDb<T>(
    given: Where,
    use: (db: SlaveallocDb) => Promise<T>,
    { mustExist = false }: { mustExist?: boolean } = {},
  ): Promise<T> {
    const o = located(given);
    if (o.api)
      throw new ConfigError(
        'this command works on the database: give -D URL, or neither -D nor -A for database.url of the config',
      );
    const config = load(o);
    const { createLogger, openExistingDb, openSlaveallocDb } = await parts();
    const db = await (mustExist ? openExistingDb : openSlaveallocDb)(
      o.db ?? config.database.url,
      baseDir(o, config),
      createLogger('slavealloc', config.loglevel),
    );
    try {
      return await use(db);
    } finally {
      await db.close();
    }
  }

  async function withBackend(given: Where, use: (b: Backend) => Promise<void>): Promise<void> {
    const o = located(given);
    if (o.api && o.db) throw new ConfigError('give -A (an API) or -D (a database), not both');
    const config = load(o);
    const { apiBackend, dbBackend } = await parts();
    const backend = o.api
      ? admin.checkApi(o.api, apiBackend, vars.LOOPABULL_TOKEN || config.http.token)
      : await dbBackend(config, o.db ?? config.database.url, baseDir(o, config));
    try {
      await use(backend);
    } finally {
      await backend.close();
    }
  }

  /** Whether the data there must go first: refused unless --force. */
  async function mustReplace(db: SlaveallocDb, force: boolean | undefined, what: string) {
    const rows = await (await parts()).countRows(db);
    if (rows === 0) return false;
    if (!force)
      throw new Error(
        `${db.url} already holds ${rows} rows; ${what} would replace them: take a dbdump first, then add --force`,
      );
    return true;
  }

  onDb(cmd.command('dbinit'))
    .description(
      'create or update the tables; with a dump file, load it (refuses a database with data, unless --force)',
    )
    .argument('[dumpfile]', 'a dbdump file to load; - for standard input')
    .option('--force', 'delete the data already there')
    .action(async (file: string | undefined, o: Where & { force?: boolean }) => {
      // Read before the database is opened (and migrated), let alone wiped: a dump that is
      // missing or not one changes nothing.
      const dump = file ? await readDump(file) : undefined;
      const { loadData, transaction, wipe } = await parts();
      return withDb(o, async (db) => {
        const replace = await mustReplace(db, o.force, 'dbinit');
        if (dump) await loadData(db, dump, replace);
        else if (replace) await transaction(db, wipe);
        io.err(`initialized ${db.url}${file ? ` from ${commandFileName(file)}` : ''}\n`);
      });
    });

  onDb(cmd.command('dbdump'))
    .description('write every table as versioned JSON (to standard output by default)')
    .argument('[dumpfile]', 'the file to write; - (or none) for standard output')
    .action(async (file: string | undefined, o: Where) =>
      withDb(
        o,
        async (db) => {
          const { dumpData } = await parts();
          const text = `${JSON.stringify(await dumpData(db), null, 1)}\n`;
          if (file && file !== STDOUT) writeCommandFile(file, text);
          else io.out(text);
        },
        { mustExist: true },
      ),
    );

  onDb(cmd.command('dbload'))
    .description(
      'load a dbdump file into an empty database (or replace its data with --force); a dump that does not load changes nothing',
    )
    .argument('<dumpfile>', 'a dbdump file; - for standard input (`dbdump -D A | dbload -D B -`)')
    .option('--force', 'delete the data already there')
    .action(async (file: string, o: Where & { force?: boolean }) => {
      const dump = await readDump(file);
      const { loadData } = await parts();
      return withDb(o, async (db) => {
        const counts = await loadData(db, dump, await mustReplace(db, o.force, 'dbload'));
        io.err(
          `loaded ${counts.slaves} slaves, ${counts.masters} masters and ${counts.slave_passwords} passwords into ${db.url}\n`,
        );
      });
    });

  onDb(cmd.command('dbimport'))
    .description(
      "import slaves, masters and passwords from CSV, one file or more (the original formats, read as Python's csv: spaces are kept, so a header is the column names with no spaces around them)",
    )
    .option(
      '--slave-data <csv>',
      'name,basedir,distro,bitlength,purpose,datacenter,trustlevel,speed,environment,pool',
    )
    .option('--master-data <csv>', 'nickname,fqdn,http_port,pb_port,datacenter,pool')
    .option('--master-json <json>', 'production-masters.json (instead of --master-data)')
    .option(
      '--password-data <csv>',
      "pool,distro,password (distro * for all); replaces a pool and distro's password",
    )
    .option('--enable', 'new slaves and masters are enabled (default: disabled)')
    .action(
      async (
        o: Where & {
          slaveData?: string;
          masterData?: string;
          masterJson?: string;
          passwordData?: string;
          enable?: boolean;
        },
      ) => {
        if (o.masterData && o.masterJson)
          throw new ConfigError('give --master-data or --master-json, not both');
        if (!o.slaveData && !o.masterData && !o.masterJson && !o.passwordData)
          throw new ConfigError(
            'nothing to import: give --slave-data, --master-data, --master-json or --password-data',
          );
        const { importRows, readImport } = await parts();
        // Read before the database is opened (and migrated): a file that does not parse changes
        // nothing, as dbload's dump.
        const rows = readImport({
          slaves: o.slaveData ? read(o.slaveData, '--slave-data') : undefined,
          masters: o.masterData ? read(o.masterData, '--master-data') : undefined,
          masterJson: o.masterJson ? read(o.masterJson, '--master-json') : undefined,
          passwords: o.passwordData ? read(o.passwordData, '--password-data') : undefined,
          enable: Boolean(o.enable),
        });
        await withDb(o, async (db) => {
          const r = await importRows(db, rows);
          const added = Object.entries(r.added).map(([t, names]) => `${t}: ${names.join(', ')}`);
          io.err(
            `imported ${r.slaves} slaves, ${r.masters} masters, ${r.passwords} passwords${r.replacedPasswords ? ` (${r.replacedPasswords} replaced)` : ''}${added.length ? `; added ${added.join('; ')}` : ''}\n`,
          );
        });
      },
    );

  where(cmd.command('gettac'))
    .description('print the tac of each slave, as /api/gettac (nothing is recorded)')
    .argument('<slave...>', 'slave hostnames (no domain)')
    .option('-n, --noop', "don't actually allocate (always so; kept for the original's scripts)")
    .option('--json', 'print a JSON list of {slave, tac}')
    .action(async (names: string[], o: Where & { json?: boolean }) =>
      withBackend(o, (b) => admin.gettac(b, io, names, Boolean(o.json))),
    );

  where(cmd.command('lock'))
    .description('lock a slave to a master, or unlock it (-u)')
    .argument('<slave>', 'slave hostname (no domain)')
    .argument('[master]', "the master's nickname (not with -u)")
    .option('-u, --unlock', 'unlock a locked slave (no need to specify master)')
    .action(async (slave: string, master: string | undefined, o: Where & { unlock?: boolean }) =>
      withBackend(o, (b) => admin.lock(b, io, slave, master, Boolean(o.unlock))),
    );

  where(cmd.command('disable'))
    .description('disable a slave, preventing it from starting')
    .argument('<slave>', 'slave hostname (no domain)')
    .option('-m, --message <notes>', 'new slave notes')
    .option('-e, --enable', 'enable a disabled slave (deprecated)')
    .action(async (slave: string, o: Where & { message?: string; enable?: boolean }) => {
      if (o.enable)
        io.err(
          "NOTE: 'slavealloc enable SLAVENAME' is available; 'slavealloc disable -e' is deprecated\n",
        );
      await withBackend(o, (b) => admin.setEnabled(b, io, slave, Boolean(o.enable), o.message));
    });

  where(cmd.command('enable'))
    .description('enable a slave, allowing it to start')
    .argument('<slave>', 'slave hostname (no domain)')
    .option('-m, --message <notes>', 'new slave notes')
    .action(async (slave: string, o: Where & { message?: string }) => {
      if (o.message === undefined) io.err('NOTE: not clearing slave notes\n');
      await withBackend(o, (b) => admin.setEnabled(b, io, slave, true, o.message));
    });

  where(cmd.command('notes'))
    .description("print a slave's notes, or set them with -m")
    .argument('<slave>', 'slave hostname (no domain)')
    .option('-m, --message <notes>', 'new slave notes')
    .option('--json', 'print {slave, notes} as JSON (notes null when there are none)')
    .action(async (slave: string, o: Where & { message?: string; json?: boolean }) =>
      withBackend(o, (b) => admin.notes(b, io, slave, o.message, Boolean(o.json))),
    );

  subcommandHelp(cmd);
  // The original's -A was an option of `slavealloc` itself (`slavealloc -A URL lock …`); it is
  // taken there too, and after the command name as before.
  const onApi = cmd.commands.filter(takesApi).map((c) => c.name());
  return cmd.option(
    '-A, --api <url>',
    `a slavealloc API instead of the database, for ${onApi.join(', ')} (the db* commands work on a database only)`,
  );
}
