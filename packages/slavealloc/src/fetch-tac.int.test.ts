import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { closedPort, releaseClosedPorts, tempDir } from '@test/support';
import { allDatabases } from '@test/support';
import { useStack } from '../test/stack.js';

const SCRIPT = new URL('../bin/fetch-tac.sh', import.meta.url).pathname;

afterAll(releaseClosedPorts);

async function fetchTac(args: string[]) {
  // A slave host's usual umask, whatever the test process's is.
  const child = spawn('sh', ['-c', 'umask 022; exec sh "$0" "$@"', SCRIPT, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'close')) as [number];
  return { code, out };
}

describe('bin/fetch-tac.sh, the slave side', () => {
  const use = useStack(allDatabases()[0]!);

  it('writes the tac atomically, keeps the cached one when the page is bad or the server gone', async () => {
    const stack = use();
    const dir = tempDir('slave');
    const url = `${stack.server.url}/gettac/SLAVE`;
    const ok = await fetchTac(['--slavename', 'linux-ix-slave01', '--basedir', dir, '--url', url]);
    expect(ok.code).toBe(0);
    const tac = readFileSync(join(dir, 'buildbot.tac'), 'utf8');
    expect(tac).toContain("slavename = 'linux-ix-slave01'");
    expect(readdirSync(dir)).toEqual(['buildbot.tac']);
    // Readable by a buildslave that runs as another user, as runslave.py wrote it.
    expect(statSync(join(dir, 'buildbot.tac')).mode & 0o777).toBe(0o644);
    // A Windows basedir is printed as it is (dash's echo made `\b` an escape).
    const windows = join(dir, 'e:\\builds\\moz2_slave');
    const printed = await fetchTac([
      '--slavename',
      'w64-ix-slave01',
      '--basedir',
      windows,
      '--url',
      url,
    ]);
    expect(printed.out).toBe(`buildbot.tac for w64-ix-slave01 written to ${windows}\n`);
    // runslave.py cuts a given --slavename at its first dot too.
    const qualified = await fetchTac([
      ...['--slavename', 'linux-ix-slave02.build.example.com', '--basedir', dir, '--url', url],
    ]);
    expect(qualified.out).toContain('buildbot.tac for linux-ix-slave02 written');
    expect(readFileSync(join(dir, 'buildbot.tac'), 'utf8')).toContain(
      "slavename = 'linux-ix-slave02'",
    );
    // The name goes into the URL as text: `&` is no sed replacement, `/` no delimiter.
    const literal = await fetchTac(['--slavename', 'a&b/c', '--basedir', dir, '--url', url]);
    expect(literal.out).toContain(`${stack.server.url}/gettac/a&b/c\n`);

    writeFileSync(join(dir, 'buildbot.tac'), 'cached');
    const unknown = await fetchTac(['--slavename', 'nobody', '--basedir', dir, '--url', url]);
    expect(unknown.code).toBe(0);
    expect(unknown.out).toContain('WARNING: falling back to existing buildbot.tac');
    const down = `http://127.0.0.1:${await closedPort()}/gettac/SLAVE`;
    expect((await fetchTac(['--slavename', 'x', '--basedir', dir, '--url', down])).code).toBe(0);
    expect(readFileSync(join(dir, 'buildbot.tac'), 'utf8')).toBe('cached');

    const empty = tempDir('slave');
    const fatal = await fetchTac(['--slavename', 'x', '--basedir', empty, '--url', down]);
    expect(fatal.code).toBe(1);
    expect(fatal.out).toContain('FATAL: no buildbot.tac found; cannot start');

    // No --basedir: the tac's own (here in double quotes, for the quote in it).
    const useBasedir = (basedir: string) =>
      stack.seed.db.k
        .updateTable('slaves')
        .set({ basedir })
        .where('name', '=', 'panda-0001')
        .execute();
    const own = join(tempDir('slave'), "it's");
    await useBasedir(own);
    expect((await fetchTac(['--slavename', 'panda-0001', '--url', url])).code).toBe(0);
    expect(readFileSync(join(own, 'buildbot.tac'), 'utf8')).toContain(`basedir = "${own}"`);

    // Both quotes, a tab and UTF-8 in it: repr() escapes them ('\'', '\t', '\xc3\xa9'), and
    // runslave.py eval()s the literal back, so the directory is the one the database names.
    const odd = join(tempDir('slave'), `it's "q"\tcafé`);
    await useBasedir(odd);
    expect((await fetchTac(['--slavename', 'panda-0001', '--url', url])).code).toBe(0);
    expect(readFileSync(join(odd, 'buildbot.tac'), 'utf8')).toContain(
      "basedir = '" + odd.replace("'", "\\'").replace('\t', '\\t').replace('é', '\\xc3\\xa9'),
    );

    // A custom template may follow the basedir with a comment; runslave.py's regex stops at the
    // line's last quote and does not care what comes after it.
    const commented = join(tempDir('slave'), 'commented');
    await useBasedir(commented);
    await stack.seed.db.k
      .insertInto('tac_templates')
      .values({ name: 'commented', template: 'basedir = %(basedir)r  # from slavealloc\n' })
      .execute();
    const { tplid } = await stack.seed.db.k
      .selectFrom('tac_templates')
      .select('tplid')
      .where('name', '=', 'commented')
      .executeTakeFirstOrThrow();
    await stack.seed.db.k
      .updateTable('slaves')
      .set({ custom_tplid: tplid })
      .where('name', '=', 'panda-0001')
      .execute();
    expect((await fetchTac(['--slavename', 'panda-0001', '--url', url])).code).toBe(0);
    expect(readFileSync(join(commented, 'buildbot.tac'), 'utf8')).toContain(
      `basedir = '${commented}'  # from slavealloc\n`,
    );
  });
});
