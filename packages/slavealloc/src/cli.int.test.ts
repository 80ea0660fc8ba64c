import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, type CommandEnv } from '@loopabull/core';
import { tempDir, removeTempDirs, runCli } from '@test/support';
import { mariadb, postgres, allDatabases } from '@test/support';
import { fixturePath, currentMasters, quietLogger } from '../test/helpers.js';
import { useStack, TOKEN } from '../test/stack.js';
import { slavealloc } from './automation.js';
import { slaveallocCommand } from './cli.js';
import { fromDbBool, openSlaveallocDb } from './db.js';
import { Slavealloc } from './service.js';
import { EventSink } from './events.js';

const env: CommandEnv = {
  loadConfig: (o) => loadConfig({ path: o.config, env: {}, automations: [slavealloc] }),
};

/**
 * Runs `loopabull slavealloc ARGS` in this process: what it printed, its error if any, and the exit
 * code main.ts gives that error (2 for a usage or configuration error, else 1).
 */
async function run(args: string[], vars: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const cmd = slaveallocCommand(env, {
    io: { out: (t) => void (out += t), err: (t) => void (err += t) },
    env: vars,
  });
  cmd.exitOverride();
  for (const c of cmd.commands) c.exitOverride();
  const error = await cmd.parseAsync(['node', 'slavealloc', ...args]).then(
    () => null,
    (e: Error) => e,
  );
  const code = error === null ? 0 : error instanceof ConfigError ? 2 : 1;
  return { out, err, error: error?.message ?? null, code };
}

/** dbimport's options: the fixtures, or the files given instead. */
const importArgs = (files: Record<string, string> = {}) => [
  ...Object.entries({
    '--slave-data': fixturePath('slaves.csv'),
    '--master-data': fixturePath('masters.csv'),
    '--password-data': fixturePath('passwords.csv'),
    ...files,
  }).flat(),
  '--enable',
];
const IMPORT = importArgs();
const withoutDate = (tac: string) => tac.replace(/^# generated: .*$/m, '');

afterAll(() => removeTempDirs());

describe.each(allDatabases())('dbinit, dbimport, dbdump and dbload on $name', (target) => {
  afterAll(() => target.remove());

  it('dbdump then dbload into an empty database gives the same allocations and tacs', async () => {
    const from = await target.create();
    expect((await run(['dbinit', '-D', from])).err).toMatch(/^initialized /);
    expect((await run(['dbimport', '-D', from, ...IMPORT])).err).toMatch(
      /^imported 10 slaves, 4 masters, 3 passwords; added datacenters: mtv1; pools: build-mtv1, try-mtv1; distros: centos6, win2k8, android;/,
    );
    expect((await run(['dbinit', '-D', from])).error).toMatch(
      /already holds \d+ rows; dbinit would replace them: take a dbdump first, then add --force/,
    );
    const source = await openSlaveallocDb(from, tempDir(), quietLogger);
    const service = new Slavealloc(
      source,
      { decommissioned_environments: [], idleizer_exclude: ['panda-'] },
      new EventSink(null, console),
      'host',
    );
    for (const name of ['linux-ix-slave01', 'linux-ix-slave02', 'w64-ix-slave01'])
      await service.gettac(name, true);
    const file = join(tempDir(), 'dump.json');
    await run(['dbdump', '-D', from, file]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      format: 'loopabull-slavealloc-dump',
      version: 1,
    });

    // Into an empty database of each kind: the dump does not depend on the database.
    for (const other of [target, postgres(), mariadb()]) {
      const to = await other.create();
      try {
        expect((await run(['dbload', '-D', to, file])).err).toMatch(
          /^loaded 10 slaves, 4 masters and 3 passwords/,
        );
        // Row for row, NULLs (the wildcard password) included, whatever the database.
        const again = join(tempDir(), 'again.json');
        await run(['dbdump', '-D', to, again]);
        expect(JSON.parse(readFileSync(again, 'utf8')).tables).toEqual(
          JSON.parse(readFileSync(file, 'utf8')).tables,
        );
        const copy = new Slavealloc(
          await openSlaveallocDb(to, tempDir(), quietLogger),
          { decommissioned_environments: [], idleizer_exclude: ['panda-'] },
          new EventSink(null, console),
          'host',
        );
        try {
          expect(await currentMasters(copy)).toEqual(await currentMasters(service));
          for (const name of [
            'linux-ix-slave03',
            'w64-ix-slave02',
            'panda-0001',
            'linux-ix-slave01',
          ]) {
            const [a, b] = [await service.gettac(name, false), await copy.gettac(name, false)];
            expect(b.kind).toBe(a.kind);
            expect('tac' in b && withoutDate(b.tac)).toBe('tac' in a && withoutDate(a.tac));
          }
          expect((await run(['dbload', '-D', to, file])).error).toMatch(/already holds/);
          expect((await run(['dbload', '-D', to, file, '--force'])).error).toBeNull();
        } finally {
          await copy.db.close();
        }
      } finally {
        if (other !== target) await other.remove();
      }
    }
    await source.close();
  });

  it('dbimport refuses a line the API would refuse, naming file and line, and imports nothing', async () => {
    const url = await target.create();
    await run(['dbinit', '-D', url]);
    const good = (name: string) => readFileSync(fixturePath(name), 'utf8');
    /** The fixture with one more line at its end. */
    const withLine = (name: string, line: string) => {
      const file = join(tempDir(), name);
      writeFileSync(file, `${good(name).trimEnd()}\n${line}\n`);
      return file;
    };
    const longName = 'p'.repeat(129);
    const spacedHeader = join(tempDir(), 'slaves.csv');
    writeFileSync(
      spacedHeader,
      good('slaves.csv').replace('name,basedir,distro,', 'name, basedir, distro,'),
    );
    const cases: Array<[flag: string, file: string, error: RegExp]> = [
      [
        '--slave-data',
        withLine(
          'slaves.csv',
          `Linux-IX-Slave99,/b,centos6,64,build,mtv1,core,fast,prod,build-mtv1`,
        ),
        /slaves\.csv, line 12: name must be an unqualified lowercase host name/,
      ],
      [
        '--slave-data',
        withLine('slaves.csv', `linux-ix-slave99,,centos6,64,build,mtv1,core,fast,prod,build-mtv1`),
        /slaves\.csv, line 12: basedir must be a non-empty string/,
      ],
      [
        '--slave-data',
        withLine(
          'slaves.csv',
          `linux-ix-slave99,/b,centos6,64,build,mtv1,core,fast,prod,${longName}`,
        ),
        /slaves\.csv, line 12: pools name must be at most 128 characters, not 129/,
      ],
      [
        '--master-data',
        withLine('masters.csv', 'bm99, ,8001,9001,mtv1,build-mtv1'),
        /masters\.csv, line 6: fqdn must be a non-empty string/,
      ],
      // A name repeated in the file, as the API's 409 says it (not the driver's message).
      [
        '--slave-data',
        withLine(
          'slaves.csv',
          'linux-ix-slave01,/b,centos6,64,build,mtv1,core,fast,prod,build-mtv1',
        ),
        /slaves\.csv, line 12: slaves already has a row with name "linux-ix-slave01"$/,
      ],
      [
        '--master-data',
        withLine('masters.csv', 'bm01-build,bm.example.com,8001,9001,mtv1,build-mtv1'),
        /masters\.csv, line 6: masters already has a row with nickname "bm01-build"$/,
      ],
      // Python's csv kept spaces: a slave name with them could never be asked for.
      [
        '--slave-data',
        withLine(
          'slaves.csv',
          'linux-ix-slave99 ,/b,centos6,64,build,mtv1,core,fast,prod,build-mtv1',
        ),
        /slaves\.csv, line 12: name "linux-ix-slave99 " has spaces around it: \/gettac would never find it$/,
      ],
      [
        '--slave-data',
        withLine(
          'slaves.csv',
          ' linux-ix-slave99,/b,centos6,64,build,mtv1,core,fast,prod,build-mtv1',
        ),
        /slaves\.csv, line 12: name " linux-ix-slave99" has spaces around it/,
      ],
      // A header with spaces after its commas names other columns, as for csv.DictReader.
      [
        '--slave-data',
        spacedHeader,
        /slaves\.csv, line 1: the header lacks basedir, distro: it reads "name"," basedir"," distro","bitlength",/,
      ],
      [
        '--master-data',
        withLine('masters.csv', 'bm99,bm99.example.com,8099,9 099,mtv1,build-mtv1'),
        /masters\.csv, line 6: pb_port "9 099" is not a port number$/,
      ],
      [
        '--password-data',
        withLine('passwords.csv', 'build-mtv1,centos6,a\u0000b'),
        /passwords\.csv, line 5: password must not contain a NUL character/,
      ],
    ];
    // Each a usage error (exit 2): the file is what must change, as for one that is not there.
    for (const [flag, file, error] of cases) {
      const res = await run(['dbimport', '-D', url, ...importArgs({ [flag]: file })]);
      expect(res.error).toMatch(error);
      expect(res.code).toBe(2);
    }
    const db = await openSlaveallocDb(url, tempDir(), quietLogger);
    try {
      for (const table of ['slaves', 'masters', 'pools', 'slave_passwords'] as const)
        expect(await db.k.selectFrom(table).selectAll().execute()).toEqual([]);
    } finally {
      await db.close();
    }
    // The same files again: the first name already in the database is named by its line.
    expect((await run(['dbimport', '-D', url, ...IMPORT])).error).toBeNull();
    expect(await run(['dbimport', '-D', url, ...IMPORT])).toMatchObject({
      error: expect.stringMatching(
        /masters\.csv, line 2: masters already has a row with nickname "bm01-build"$/,
      ),
      code: 2,
    });
  });

  it("dbimport replaces a pool and distro's password, and refuses a file that gives one twice", async () => {
    const url = await target.create();
    expect((await run(['dbimport', '-D', url, ...IMPORT])).error).toBeNull();
    const rotated = join(tempDir(), 'rotated.csv');
    writeFileSync(rotated, 'pool,distro,password\nbuild-mtv1,*,zz-rotated\ntry-mtv1,centos6,t\n');
    expect((await run(['dbimport', '-D', url, '--password-data', rotated])).err).toBe(
      'imported 0 slaves, 0 masters, 2 passwords (1 replaced)\n',
    );
    // linux-ix-slave01 (build-mtv1, centos6) has no distro row: the wildcard, the new one alone.
    expect((await run(['gettac', 'linux-ix-slave01', '-D', url])).out).toContain(
      "passwd = 'zz-rotated'",
    );
    const twice = join(tempDir(), 'twice.csv');
    writeFileSync(twice, 'pool,distro,password\nbuild-mtv1,*,a\nbuild-mtv1,*,b\n');
    expect(await run(['dbimport', '-D', url, '--password-data', twice])).toMatchObject({
      error: expect.stringMatching(
        /twice\.csv, line 3: pool "build-mtv1" and distro "\*" already have a password on line 2$/,
      ),
      code: 2,
    });
    const db = await openSlaveallocDb(url, tempDir(), quietLogger);
    try {
      const rows = await db.k.selectFrom('slave_passwords').select('password').execute();
      expect(rows.map((r) => r.password).sort()).toEqual(['t', 'try-pw', 'win,pw', 'zz-rotated']);
    } finally {
      await db.close();
    }
  });

  it("dbimport reads a port as the original's int() did, spaces around it included, and keeps other values as read", async () => {
    const url = await target.create();
    const file = join(tempDir(), 'masters.csv');
    writeFileSync(
      file,
      'nickname,fqdn,http_port,pb_port,datacenter,pool\n' +
        'bm05, bm05.example.com, 8005 ,\t9005,mtv1,build-mtv1\n' +
        'bm06,bm06.example.com,,+9006 ,mtv1,build-mtv1\n',
    );
    expect((await run(['dbimport', '-D', url, '--master-data', file])).error).toBeNull();
    const db = await openSlaveallocDb(url, tempDir(), quietLogger);
    try {
      const rows = await db.k
        .selectFrom('masters')
        .select(['nickname', 'fqdn', 'http_port', 'pb_port'])
        .orderBy('nickname')
        .execute();
      expect(
        rows.map((r) => ({ ...r, http_port: Number(r.http_port), pb_port: Number(r.pb_port) })),
      ).toEqual([
        { nickname: 'bm05', fqdn: ' bm05.example.com', http_port: 8005, pb_port: 9005 },
        { nickname: 'bm06', fqdn: 'bm06.example.com', http_port: 0, pb_port: 9006 },
      ]);
    } finally {
      await db.close();
    }
  });

  it('dbload takes a row only as the API would, and a load that fails leaves the data there', async () => {
    const url = await target.create();
    expect((await run(['dbimport', '-D', url, ...IMPORT])).error).toBeNull();
    const file = join(tempDir(), 'dump.json');
    await run(['dbdump', '-D', url, file]);
    const dump = JSON.parse(readFileSync(file, 'utf8')) as {
      tables: Record<string, Array<Record<string, unknown>>>;
    };
    /** The dump with one change, as a file. */
    const edited = (change: (tables: typeof dump.tables) => void) => {
      const copy = structuredClone(dump);
      change(copy.tables);
      const out = join(tempDir(), 'edited.json');
      writeFileSync(out, JSON.stringify(copy));
      return out;
    };
    const slaves = async () => {
      const db = await openSlaveallocDb(url, tempDir(), quietLogger);
      try {
        return await db.k.selectFrom('slaves').select(['name', 'enabled']).execute();
      } finally {
        await db.close();
      }
    };
    const before = await slaves();
    // A name twice: the database refuses the load after the old rows were deleted.
    const duplicate = edited((t) => (t.slaves![1]!.name = t.slaves![0]!.name));
    expect((await run(['dbload', '-D', url, duplicate, '--force'])).code).toBe(1);
    expect(await slaves()).toEqual(before);
    // A pool that is not there: each database's refusal, with the table and rows it came from.
    const noPool = edited((t) => (t.slaves![0]!.poolid = 999));
    expect(await run(['dbload', '-D', url, noPool, '--force'])).toMatchObject({
      code: 1,
      error: expect.stringMatching(/^slaves rows 1-10 of the dump: .*(foreign key|FOREIGN KEY)/),
    });
    expect(await slaves()).toEqual(before);
    const cases: Array<[change: (t: typeof dump.tables) => void, error: RegExp]> = [
      [(t) => (t.slaves![0]!.enabled = 'false'), /slaves row 1: enabled must be true or false/],
      [
        (t) => (t.slaves![1]!.name = 'Linux-IX-Slave02'),
        /slaves row 2: name must be an unqualified lowercase host name/,
      ],
      [(t) => (t.pools![0]!.name = 'p'.repeat(129)), /pools row 1: name must be at most 128/],
      [(t) => (t.masters![0]!.masterid = '1'), /masters row 1: masterid must be a positive/],
      [(t) => (t.slave_passwords![0]!.password = 5), /slave_passwords row 1: password must be/],
    ];
    // Refused before the database is touched, as a usage error (exit 2): the file must change.
    for (const [change, error] of cases) {
      const res = await run(['dbload', '-D', url, edited(change), '--force']);
      expect(res.error).toMatch(error);
      expect(res.code).toBe(2);
    }
    expect(await slaves()).toEqual(before);
    // 0 and 1, as the original's databases give booleans, are false and true.
    const zero = edited((t) => (t.slaves![0]!.enabled = 0));
    expect((await run(['dbload', '-D', url, zero, '--force'])).error).toBeNull();
    expect(fromDbBool((await slaves())[0]!.enabled)).toBe(false);
  });
});

describe('a SQLite database that is not there', () => {
  it('is made by dbinit, dbimport and dbload only: the other commands say so and make nothing', async () => {
    const dir = join(tempDir(), 'typo');
    const url = `sqlite:///${dir}/x.db`;
    for (const args of [
      ['dbdump'],
      ['gettac', 'linux-ix-slave01'],
      ['notes', 'linux-ix-slave01'],
      ['lock', 'linux-ix-slave01', 'bm01-build'],
      ['disable', 'linux-ix-slave01'],
    ]) {
      expect(await run([...args, '-D', url])).toMatchObject({
        error: `the SQLite database ${dir}/x.db does not exist: check -D or database.url, or make it with loopabull slavealloc dbinit`,
        code: 2,
        out: '',
      });
      expect(existsSync(dir)).toBe(false);
    }
    expect((await run(['dbinit', '-D', url])).error).toBeNull();
    expect(await run(['notes', 'linux-ix-slave01', '-D', url])).toMatchObject({
      error: "No slave found named 'linux-ix-slave01'.",
      code: 1,
    });
  });
});

describe('admin commands, over the API (-A) and on the database (-D)', () => {
  const use = useStack(allDatabases()[0]!);

  it('gettac, lock, disable, enable and notes with the original messages', async () => {
    const stack = use();
    const api = ['-A', `${stack.server.url}/api`];
    const db = ['-D', stack.config.database.url, '-c', stack.config.configPath];
    const token = { LOOPABULL_TOKEN: TOKEN };
    for (const where of [api, db]) {
      const tac = await run(['gettac', 'linux-ix-slave01', ...where]);
      expect(tac.out).toMatch(
        /^# AUTOMATICALLY GENERATED - DO NOT MODIFY\n[^]*idlz.setServiceParent\(application\)\n\n$/,
      );
      // The two runs may fall in different seconds of the `# generated:` line.
      const undated = (text: string) => text.replace(/^# generated: .*$/m, '# generated: -');
      const json = JSON.parse((await run(['gettac', 'linux-ix-slave01', '--json', ...where])).out);
      expect(json).toEqual([{ slave: 'linux-ix-slave01', tac: expect.any(String) }]);
      expect(undated(json[0].tac)).toBe(undated(tac.out.slice(0, -1)));
      expect((await run(['gettac', 'nobody', ...where])).error).toBe(
        'could not generate TAC for nobody',
      );
      const some = await run([
        'gettac',
        'nobody',
        'linux-ix-slave01',
        'nosuch',
        '--json',
        ...where,
      ]);
      expect(some.error).toBe('could not generate TAC for nobody, nosuch');
      expect(JSON.parse(some.out)).toEqual([
        { slave: 'nobody', tac: null },
        { slave: 'linux-ix-slave01', tac: expect.stringContaining('AUTOMATICALLY GENERATED') },
        { slave: 'nosuch', tac: null },
      ]);
      expect((await run(['gettac', 'a.b.c', ...where])).error).toBe(
        "slave name must not contain '.'; give the unqualified hostname",
      );
      for (const args of [
        ['gettac', ''],
        ['gettac', 'linux-ix-slave01', ''],
        ['lock', '', 'bm01'],
      ])
        expect((await run([...args, ...where], token)).error).toBe(
          'slave name must not be empty; give the unqualified hostname',
        );
      expect(await run(['lock', 'linux-ix-slave01', 'bm02-build', ...where], token)).toMatchObject({
        err: "Locked 'linux-ix-slave01' to 'bm02-build' (buildbot-master02.build.mtv1.example.com:9002)\n",
        error: null,
      });
      expect((await run(['lock', 'linux-ix-slave01', 'bm99', ...where], token)).error).toBe(
        "No master found named 'bm99'.",
      );
      expect((await run(['lock', '-u', 'linux-ix-slave01', ...where], token)).err).toBe(
        "Slave 'linux-ix-slave01' unlocked\n",
      );
      expect((await run(['lock', '-u', 'linux-ix-slave01', ...where], token)).error).toBe(
        'Slave is not locked',
      );
      expect((await run(['disable', 'nobody', ...where], token)).error).toBe(
        "No slave found named 'nobody'.",
      );
      expect(
        (await run(['disable', 'linux-ix-slave02', '-m', 'broken disk', ...where], token)).err,
      ).toBe('linux-ix-slave02 disabled\n');
      expect((await run(['disable', 'linux-ix-slave02', ...where], token)).err).toBe(
        "previous slave notes: 'broken disk'\nlinux-ix-slave02 is already disabled\n",
      );
      expect((await run(['notes', 'linux-ix-slave02', ...where])).out).toBe('broken disk\n');
      expect(
        JSON.parse((await run(['notes', 'linux-ix-slave02', '--json', ...where])).out),
      ).toEqual({ slave: 'linux-ix-slave02', notes: 'broken disk' });
      expect((await run(['enable', 'linux-ix-slave02', ...where], token)).err).toBe(
        "NOTE: not clearing slave notes\nprevious slave notes: 'broken disk'\nlinux-ix-slave02 enabled\n",
      );
      expect((await run(['notes', 'linux-ix-slave02', '-m', 'fixed', ...where], token)).err).toBe(
        "previous slave notes: 'broken disk'\nnotes set to 'fixed'\n",
      );
      await run(['notes', 'linux-ix-slave02', '-m', '', ...where], token);
      expect(
        JSON.parse((await run(['notes', 'linux-ix-slave02', '--json', ...where])).out),
      ).toEqual({ slave: 'linux-ix-slave02', notes: null });
    }
    // Without the token the server refuses, and says how to give it.
    expect((await run(['disable', 'linux-ix-slave03', ...api])).error).toMatch(
      /refused the change \(HTTP 40[13]\): give its http.token in LOOPABULL_TOKEN/,
    );
    expect((await run(['dbdump', ...api])).error).toMatch(/works on the database/);
    // The original's -A came before the command: `slavealloc -A URL disable SLAVE`.
    expect(await run([...api, 'disable', 'linux-ix-slave03', '-m', 'reimage'], token)).toEqual({
      out: '',
      err: 'linux-ix-slave03 disabled\n',
      error: null,
      code: 0,
    });
    expect((await run([...api, 'notes', 'linux-ix-slave03'])).out).toBe('reimage\n');
    expect((await run([...api, 'dbdump'])).error).toMatch(/works on the database/);
  });
});

describe('the built command (npm run build first)', () => {
  it('dbdump to standard output writes the dump and nothing else, so dbload reads it back', async () => {
    const dir = tempDir();
    const from = `sqlite:///${join(dir, 'from.db')}`;
    expect((await runCli(['slavealloc', 'dbimport', '-D', from, ...IMPORT])).code).toBe(0);
    // Kysely printed a deprecation notice on standard output before the JSON (orderBy of a list).
    const dump = await runCli(['slavealloc', 'dbdump', '-D', from]);
    expect(dump).toMatchObject({ code: 0, stderr: '' });
    const head = '{\n "format": "loopabull-slavealloc-dump"';
    expect(dump.stdout.slice(0, head.length)).toBe(head);
    const file = join(dir, 'dump.json');
    writeFileSync(file, dump.stdout);
    const into = `sqlite:///${join(dir, 'into.db')}`;
    const load = await runCli(['slavealloc', 'dbload', '-D', into, file]);
    expect(load.stderr).toMatch(/^loaded 10 slaves, 4 masters and 3 passwords into /m);
    expect(load.code).toBe(0);
    const again = await runCli(['slavealloc', 'dbdump', '-D', into]);
    const tables = (text: string) => (JSON.parse(text) as { tables: unknown }).tables;
    expect(tables(again.stdout)).toEqual(tables(dump.stdout));
  });

  it('-D sqlite:///FILE is FILE in the working directory, as typed, wherever the config file is', async () => {
    // The original's "dbinit -D sqlite:///slavealloc.db" used slavealloc.db in the current
    // directory; database.url in the file stays relative to the file.
    const cwd = tempDir('cwd');
    const configDir = tempDir('config');
    const config = join(configDir, 'loopabull.yml');
    writeFileSync(config, 'slavealloc: { events: false }\n');
    const db = ['-c', config, '-D', 'sqlite:///slavealloc.db'];
    const inited = await runCli(['slavealloc', 'dbinit', ...db], { cwd });
    expect(inited.stderr).toMatch(/^initialized sqlite:\/\/\/slavealloc\.db$/m);
    expect(inited.code).toBe(0);
    expect((await runCli(['slavealloc', 'dbimport', ...db, ...IMPORT], { cwd })).code).toBe(0);
    expect(existsSync(join(cwd, 'slavealloc.db'))).toBe(true);
    expect(existsSync(join(configDir, 'slavealloc.db'))).toBe(false);
    // The admin commands read the same file.
    const tac = await runCli(['slavealloc', 'gettac', 'linux-ix-slave01', ...db], { cwd });
    expect(tac.stdout).toMatch(/^slavename = 'linux-ix-slave01'$/m);
    expect(tac.code).toBe(0);
    expect(existsSync(join(configDir, 'slavealloc.db'))).toBe(false);
    // Without -D, database.url of the file: beside the file.
    expect((await runCli(['slavealloc', 'dbinit', '-c', config], { cwd })).code).toBe(0);
    expect(existsSync(join(configDir, 'loopabull.db'))).toBe(true);
    expect(existsSync(join(cwd, 'loopabull.db'))).toBe(false);
  });

  it('gettac of an empty name is a usage error naming the problem', async () => {
    // Refused before the API is asked: nothing listens there.
    const res = await runCli(['slavealloc', 'gettac', '', '-A', 'http://127.0.0.1:9/api'], {
      cwd: tempDir(),
    });
    expect(res.stderr).toContain('slave name must not be empty; give the unqualified hostname');
    expect(res.code).toBe(2);
  });

  it.each([
    [
      'http://ops:hunter2@127.0.0.1:9/?api_key=k3y',
      '-A http://ops:***@127.0.0.1:9/?api_key=*** has a query or fragment, which the API does not take; give its address alone, e.g. http://slavealloc.example.com:8080/api',
    ],
    [
      'http://ops:hunter2@127.0.0.1:99999/api',
      '-A "http://ops:***@127.0.0.1:99999/api" is not a URL; e.g. http://slavealloc.example.com:8080/api',
    ],
    [
      'ops:hunter2@127.0.0.1:9/api',
      '-A "ops:***@127.0.0.1:9/api" is not an http:// or https:// URL; e.g. http://slavealloc.example.com:8080/api',
    ],
    [
      'http://ops:hunter2%@127.0.0.1:9/api',
      '-A http://ops:***@127.0.0.1:9/api has a % that starts no escape in its user or password (write % as %25)',
    ],
  ])('-A %s is a usage error that names it without its password', async (url, message) => {
    const res = await runCli(['slavealloc', 'gettac', 'linux-1', '-A', url], { cwd: tempDir() });
    expect(res.stderr).toBe(`loopabull: ${message}\n`);
    expect(res.code).toBe(2);
  });

  it('dbimport of a CSV it cannot read is a usage error naming file and line, before the database is made', async () => {
    const dir = tempDir();
    const csv = join(dir, 'slaves.csv');
    writeFileSync(csv, 'name, basedir\n');
    const db = join(dir, 'to.db');
    const res = await runCli([
      'slavealloc',
      'dbimport',
      '-D',
      `sqlite:///${db}`,
      '--slave-data',
      csv,
    ]);
    expect(res.stderr).toBe(
      `loopabull: ${csv}, line 1: the header lacks basedir, distro, bitlength, purpose, datacenter, trustlevel, speed, environment, pool: it reads "name"," basedir"; a name with spaces around it is another name, as for the original\n`,
    );
    expect(res.code).toBe(2);
    expect(existsSync(db)).toBe(false);
  });

  it('dbdump to a file that cannot be written is a usage error naming it', async () => {
    const dir = tempDir();
    const db = `sqlite:///${join(dir, 'from.db')}`;
    const file = join(dir, 'no-such-dir', 'dump.json');
    expect((await runCli(['slavealloc', 'dbinit', '-D', db])).code).toBe(0);
    const res = await runCli(['slavealloc', 'dbdump', '-D', db, file]);
    expect(res.stderr).toContain(`${file} cannot be written: ENOENT`);
    expect(res.code).toBe(2);
  });

  it('takes - for standard input (dbload, dbinit) and standard output (dbdump), making no file named -', async () => {
    const dir = tempDir();
    const from = `sqlite:///${join(dir, 'from.db')}`;
    expect((await runCli(['slavealloc', 'dbimport', '-D', from, ...IMPORT])).code).toBe(0);
    const dump = await runCli(['slavealloc', 'dbdump', '-D', from, '-'], { cwd: dir });
    expect(dump).toMatchObject({ code: 0, stderr: '' });
    expect(existsSync(join(dir, '-'))).toBe(false);
    const tables = (text: string) => (JSON.parse(text) as { tables: unknown }).tables;
    const into = `sqlite:///${join(dir, 'into.db')}`;
    const load = await runCli(['slavealloc', 'dbload', '-D', into, '-'], { input: dump.stdout });
    expect(load.stderr).toMatch(/^loaded 10 slaves, 4 masters and 3 passwords into /m);
    expect(load.code).toBe(0);
    const init = `sqlite:///${join(dir, 'init.db')}`;
    const inited = await runCli(['slavealloc', 'dbinit', '-D', init, '-'], { input: dump.stdout });
    expect(inited.stderr).toMatch(/^initialized .*init\.db from standard input$/m);
    for (const db of [into, init])
      expect(tables((await runCli(['slavealloc', 'dbdump', '-D', db])).stdout)).toEqual(
        tables(dump.stdout),
      );
    const bad = await runCli(['slavealloc', 'dbload', '-D', into, '-', '--force'], {
      input: 'nope',
    });
    expect(bad.stderr).toMatch(/standard input is not JSON/);
    expect(bad.code).toBe(2);
  });
});
