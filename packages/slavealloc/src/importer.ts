import { isUniqueViolation } from '@loopabull/database';
import {
  dbBool,
  insertReturningId,
  transaction,
  type SaExecutor,
  type SlaveallocDb,
} from './db.js';
import { checkCreate, checkUpdate } from './changes.js';
import { CsvError, csvPort, csvRecords, hasSpacesAround } from './csv.js';
import { unfit } from './limits.js';
import { LOOKUPS, type LookupTable } from './tables.js';

/** A file given to `dbimport`: its name for messages and its text. */
export interface ImportFile {
  file: string;
  text: string;
}

export interface ImportInput {
  slaves?: ImportFile;
  masters?: ImportFile;
  /** production-masters.json: used instead of `masters`. */
  masterJson?: ImportFile;
  passwords?: ImportFile;
  /** New slaves and masters are enabled (the original's --enable); disabled otherwise. */
  enable: boolean;
}

export interface ImportResult {
  slaves: number;
  masters: number;
  passwords: number;
  /** Of `passwords`, those that replaced the password their pool and distro had. */
  replacedPasswords: number;
  /** Lookup names that did not exist and were added. */
  added: Partial<Record<LookupTable, string[]>>;
}

const SLAVE_COLUMNS = [
  'name',
  'basedir',
  'distro',
  'bitlength',
  'purpose',
  'datacenter',
  'trustlevel',
  'speed',
  'environment',
  'pool',
] as const;
const MASTER_COLUMNS = ['nickname', 'fqdn', 'http_port', 'pb_port', 'datacenter', 'pool'] as const;
const PASSWORD_COLUMNS = ['pool', 'distro', 'password'] as const;

/** The lookup table behind each name column of the CSV formats. */
const LOOKUP_OF: Record<string, LookupTable> = {
  distro: 'distros',
  bitlength: 'bitlengths',
  purpose: 'purposes',
  datacenter: 'datacenters',
  trustlevel: 'trustlevels',
  speed: 'speeds',
  environment: 'environments',
  pool: 'pools',
};

/** production-masters.json's datacentre names; the original knew only `mv` and failed on others. */
const DATACENTRES: Record<string, string> = { mv: 'mtv1' };

function masterJsonRows(input: ImportFile): Array<Record<(typeof MASTER_COLUMNS)[number], string>> {
  let list: unknown;
  try {
    list = JSON.parse(input.text);
  } catch (err) {
    throw new CsvError(input.file, null, `is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(list)) throw new CsvError(input.file, null, 'must be a JSON list of masters');
  return list.flatMap((m: Record<string, unknown>, i) => {
    if (typeof m !== 'object' || m === null || !m.enabled) return [];
    for (const key of ['datacentre', 'role', 'name', 'hostname', 'pb_port'])
      if (m[key] === undefined || m[key] === null)
        throw new CsvError(input.file, null, `master ${i} has no ${key}`);
    const dc = DATACENTRES[String(m.datacentre)] ?? String(m.datacentre);
    return [
      {
        nickname: String(m.name),
        fqdn: String(m.hostname),
        http_port: m.http_port === undefined || m.http_port === null ? '' : String(m.http_port),
        pb_port: String(m.pb_port),
        datacenter: dc,
        pool: `${String(m.role)}-${dc}`,
      },
    ];
  });
}

/**
 * Throws a CsvError naming the line unless the API would create the row: an import holds only
 * what a POST may hold, so the three databases take it alike.
 */
function mustBeCreatable(
  table: 'slaves' | 'masters',
  values: Record<string, unknown>,
  file: string,
  line: number,
): void {
  const checked = checkCreate(table, values);
  if (!checked.ok) throw new CsvError(file, line, checked.error);
}

/**
 * What an insert that fails on a unique name throws: the line that repeats a name already in the
 * database or earlier in the file, as any other bad line (the driver's message names neither).
 */
const duplicateAt =
  (file: string, line: number, table: 'slaves' | 'masters', column: string, value: string) =>
  (err: unknown): never => {
    if (isUniqueViolation(err))
      throw new CsvError(
        file,
        line,
        `${table} already has a row with ${column} ${JSON.stringify(value)}`,
      );
    throw err;
  };

/** Lookup ids by name, adding the names that are missing. */
class Lookups {
  private readonly ids = new Map<string, number>();
  readonly added: Partial<Record<LookupTable, string[]>> = {};

  constructor(
    private readonly trx: SaExecutor,
    private readonly db: SlaveallocDb,
  ) {}

  async id(table: LookupTable, name: string, file: string, line: number): Promise<number> {
    if (name === '') throw new CsvError(file, line, `an empty ${table} name`);
    const key = `${table}\u0000${name}`;
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    // Once per name: a name in the cache passed this check when it was first met.
    const checked = checkUpdate(table, { name });
    if (!checked.ok) throw new CsvError(file, line, `${table} ${checked.error}`);
    const idColumn = LOOKUPS[table];
    const row = await this.trx
      .selectFrom(table)
      .select(idColumn as never)
      .where('name', '=', name)
      .executeTakeFirst();
    let id = row ? Number((row as Record<string, unknown>)[idColumn]) : undefined;
    if (id === undefined) {
      id = await insertReturningId(this.trx, this.db.dialect, table, idColumn, { name });
      (this.added[table] ??= []).push(name);
    }
    this.ids.set(key, id);
    return id;
  }
}

/** A file's records by column, each with its line for messages. */
type Records<C extends readonly string[]> = Array<{
  line: number;
  record: Record<C[number], string>;
}>;

/** `dbimport`'s files read as records, each file's name for messages: not yet put to the database. */
export interface ImportRows {
  masters: Records<typeof MASTER_COLUMNS>;
  masterFile: string;
  slaves: Records<typeof SLAVE_COLUMNS>;
  slaveFile: string;
  passwords: Records<typeof PASSWORD_COLUMNS>;
  passwordFile: string;
  enable: boolean;
}

/**
 * `dbimport`'s files as records, or a CsvError naming what is not the format: read before the
 * database is opened (and migrated), so that a file that does not parse changes nothing.
 */
export function readImport(input: ImportInput): ImportRows {
  const masters = input.masterJson
    ? masterJsonRows(input.masterJson).map((record, i) => ({ line: i + 1, record }))
    : input.masters
      ? csvRecords(input.masters.text, input.masters.file, MASTER_COLUMNS)
      : [];
  return {
    masters,
    masterFile: (input.masterJson ?? input.masters)?.file ?? '',
    slaves: input.slaves ? csvRecords(input.slaves.text, input.slaves.file, SLAVE_COLUMNS) : [],
    slaveFile: input.slaves?.file ?? '',
    passwords: input.passwords
      ? csvRecords(input.passwords.text, input.passwords.file, PASSWORD_COLUMNS)
      : [],
    passwordFile: input.passwords?.file ?? '',
    enable: input.enable,
  };
}

/**
 * `readImport` then `importRows`, for a caller that has both the files and the database (the
 * package API, the tests).
 */
export const importData = (db: SlaveallocDb, input: ImportInput): Promise<ImportResult> =>
  importRows(db, readImport(input));

/**
 * `dbimport`: slaves, masters and passwords read from the original's formats, in one
 * transaction (a bad line imports nothing). Missing lookup names are added; a password's
 * distro `*` is the pool's wildcard.
 */
export function importRows(db: SlaveallocDb, rows: ImportRows): Promise<ImportResult> {
  const { masterFile, slaveFile, passwordFile } = rows;
  return transaction(db, async (trx) => {
    const lookups = new Lookups(trx, db);
    const enabled = dbBool(rows.enable);
    for (const { line, record: m } of rows.masters) {
      const values = {
        nickname: m.nickname,
        fqdn: m.fqdn,
        http_port: csvPort(m.http_port, { file: masterFile, line, column: 'http_port' }, 0),
        pb_port: csvPort(m.pb_port, { file: masterFile, line, column: 'pb_port' }),
        dcid: await lookups.id('datacenters', m.datacenter, masterFile, line),
        poolid: await lookups.id('pools', m.pool, masterFile, line),
      };
      mustBeCreatable('masters', values, masterFile, line);
      await trx
        .insertInto('masters')
        .values({ ...values, enabled, notes: null })
        .execute()
        .catch(duplicateAt(masterFile, line, 'masters', 'nickname', m.nickname));
    }
    for (const { line, record: s } of rows.slaves) {
      // Python's csv kept the spaces, and `/gettac` would never find such a name: say so, rather
      // than the POST's "must be an unqualified lowercase host name".
      if (hasSpacesAround(s.name))
        throw new CsvError(
          slaveFile,
          line,
          `name ${JSON.stringify(s.name)} has spaces around it: /gettac would never find it`,
        );
      const ids: Record<string, number> = {};
      for (const [column, table] of Object.entries(LOOKUP_OF))
        ids[column] = await lookups.id(table, s[column as keyof typeof s], slaveFile, line);
      const values = {
        name: s.name,
        basedir: s.basedir,
        distroid: ids.distro!,
        bitsid: ids.bitlength!,
        purposeid: ids.purpose!,
        dcid: ids.datacenter!,
        trustid: ids.trustlevel!,
        speedid: ids.speed!,
        envid: ids.environment!,
        poolid: ids.pool!,
      };
      mustBeCreatable('slaves', values, slaveFile, line);
      await trx
        .insertInto('slaves')
        .values({
          ...values,
          enabled,
          locked_masterid: null,
          custom_tplid: null,
          notes: null,
          current_masterid: null,
        })
        .execute()
        .catch(duplicateAt(slaveFile, line, 'slaves', 'name', s.name));
    }
    // A pool and distro have one password: a new one replaces the old (a rotation), where the
    // original added a second row and served either.
    const givenOn = new Map<string, number>();
    let replaced = 0;
    for (const { line, record: p } of rows.passwords) {
      const problem = unfit(p.password, 'text');
      if (problem) throw new CsvError(passwordFile, line, `password ${problem}`);
      const key = `${p.pool}\n${p.distro}`;
      const before = givenOn.get(key);
      if (before !== undefined)
        throw new CsvError(
          passwordFile,
          line,
          `pool ${JSON.stringify(p.pool)} and distro ${JSON.stringify(p.distro)} already have a password on line ${before}`,
        );
      givenOn.set(key, line);
      const poolid = await lookups.id('pools', p.pool, passwordFile, line);
      const distroid =
        p.distro === '*' ? null : await lookups.id('distros', p.distro, passwordFile, line);
      const [old] = await trx
        .deleteFrom('slave_passwords')
        .where('poolid', '=', poolid)
        .where('distroid', distroid === null ? 'is' : '=', distroid)
        .execute();
      if (old && old.numDeletedRows > 0n) replaced += 1;
      await trx
        .insertInto('slave_passwords')
        .values({ poolid, distroid, password: p.password })
        .execute();
    }
    return {
      slaves: rows.slaves.length,
      masters: rows.masters.length,
      passwords: rows.passwords.length,
      replacedPasswords: replaced,
      added: lookups.added,
    };
  });
}
