import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { allDatabases, nextAnswered, rawRequest } from '@test/support';
import { IDLEIZER, handWrittenTac } from '../test/expected-tac.js';
import { currentMasters, quietLogger } from '../test/helpers.js';
import { useStack, type Stack } from '../test/stack.js';

// linux-ix-slave01's tac, written by hand from originals.md D.4 for the fixture data; only the
// "generated:" line depends on when and where.
const EXPECTED_TAC = `# AUTOMATICALLY GENERATED - DO NOT MODIFY
# generated: <date> on <host>

${handWrittenTac({
  buildmaster_host: "'buildbot-master01.build.mtv1.example.com'",
  passwd: "'build-any'",
  basedir: "'/builds/slave'",
  slavename: "'linux-ix-slave01'",
  port: '9001',
})}${IDLEIZER}`;

const GENERATED = /^# generated: \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} on \S+$/m;
const withoutDate = (tac: string) => tac.replace(GENERATED, '# generated: <date> on <host>');

describe.each(allDatabases())('/gettac on $name', (target) => {
  const use = useStack(target);
  let stack: Stack;
  beforeEach(() => {
    stack = use();
  });

  const gettac = (name: string) => stack.request(`/gettac/${name}`);
  /** New slaves with the settings (pool, masters) of `like`. */
  const addSlavesLike = async (like: string, names: string[]) => {
    const k = stack.seed.db.k;
    const model = await k
      .selectFrom('slaves')
      .selectAll()
      .where('name', '=', like)
      .executeTakeFirstOrThrow();
    await k
      .insertInto('slaves')
      .values(names.map((name) => ({ ...model, slaveid: undefined, name })))
      .execute();
  };
  const masterOf = async (name: string) =>
    /^buildmaster_host = '([^.]+)\./m.exec((await gettac(name)).text)?.[1] ?? null;

  it('serves the tac byte for byte, text/plain, not cached, and records the master', async () => {
    const res = await gettac('linux-ix-slave01');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.text).toMatch(GENERATED);
    expect(withoutDate(res.text)).toBe(EXPECTED_TAC);
    expect((await currentMasters(stack.seed))['linux-ix-slave01']).toBe('bm01-build');
  });

  it('allocates the imported set as the original: per silo, lowest id on ties', async () => {
    const order = ['linux-ix-slave01', 'linux-ix-slave02', 'LINUX-IX-SLAVE03', 'linux-ix-slave04'];
    const got = [];
    for (const name of order) got.push(await masterOf(name));
    got.push(await masterOf('w64-ix-slave01'), await masterOf('try-linux-slave01'));
    expect(got).toEqual([
      'buildbot-master01',
      'buildbot-master02',
      'buildbot-master03',
      'buildbot-master01',
      'buildbot-master01',
      'buildbot-master04',
    ]);
    expect(await currentMasters(stack.seed)).toMatchObject({
      'linux-ix-slave03': 'bm03-build',
      'w64-ix-slave01': 'bm01-build',
      'linux-ix-slave05': null,
    });
  });

  it('no idleizer for panda boards; the Windows basedir and distro password', async () => {
    const panda = (await gettac('panda-0001')).text;
    expect(panda).not.toContain('idleizer');
    expect(panda.endsWith('s.setServiceParent(application)\n')).toBe(true);
    const w64 = (await gettac('w64-ix-slave01')).text;
    expect(w64).toContain("basedir = 'e:\\\\builds\\\\moz2_slave'\n");
    expect(w64).toContain("passwd = 'win,pw'\n");
  });

  it('a locked slave goes to its master; a disabled one gets the disabled tac and loses it', async () => {
    const k = stack.seed.db.k;
    const bm02 = await k
      .selectFrom('masters')
      .select('masterid')
      .where('nickname', '=', 'bm02-build')
      .executeTakeFirstOrThrow();
    await k
      .updateTable('slaves')
      .set({ locked_masterid: bm02.masterid })
      .where('name', '=', 'linux-ix-slave01')
      .execute();
    expect(await masterOf('linux-ix-slave01')).toBe('buildbot-master02');
    await k
      .updateTable('slaves')
      .set({ enabled: 0 })
      .where('name', '=', 'linux-ix-slave01')
      .execute();
    const res = await gettac('linux-ix-slave01');
    expect(res.status).toBe(200);
    expect(withoutDate(res.text)).toBe(
      '# AUTOMATICALLY GENERATED - DO NOT MODIFY\n# generated: <date> on <host>\n\nprint "SLAVE DISABLED; NOT STARTING"\n\nimport sys\nsys.exit(0)\n',
    );
    expect((await currentMasters(stack.seed))['linux-ix-slave01']).toBeNull();
  });

  it('unknown slave, or no enabled master: 404 no allocation available', async () => {
    for (const path of ['/gettac/nobody', '/gettac/', "/gettac/x'%20or%20'1'='1"]) {
      const res = await stack.request(path);
      expect([res.status, res.text]).toEqual([404, 'no allocation available']);
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
    await stack.seed.db.k.updateTable('masters').set({ enabled: 0 }).execute();
    expect((await gettac('linux-ix-slave01')).status).toBe(404);
  });

  it('more path after the name is ignored, as by the original leaf resource: the slave gets its tac, recorded', async () => {
    for (const path of [
      '/gettac/linux-ix-slave01/',
      '/gettac/LINUX-IX-SLAVE01/buildbot.tac',
      '/gettac/linux-ix-slave01/a/b?x=1',
      `/gettac/linux-ix-slave01/${'x'.repeat(600)}`,
    ]) {
      const res = await rawRequest(stack.server.url + path);
      expect([path, res.statusCode, res.contentType]).toEqual([path, 200, 'text/plain']);
      expect(withoutDate(res.body)).toBe(EXPECTED_TAC);
      expect(res.header('cache-control')).toBe('no-cache');
    }
    expect((await currentMasters(stack.seed))['linux-ix-slave01']).toBe('bm01-build');
  });

  it('more path after the name is ignored even where it does not decode, as Twisted kept a bad escape as it was', async () => {
    for (const path of [
      '/gettac/linux-ix-slave01/%ZZ',
      '/gettac/LINUX-IX-SLAVE01/a/%E2%82',
      '/gettac/linux-ix-slave01/%FF?x=%ZZ',
      `/gettac/linux-ix-slave01/%ZZ/${'x'.repeat(600)}`,
    ]) {
      const res = await rawRequest(stack.server.url + path);
      expect([path, res.statusCode, res.contentType]).toEqual([path, 200, 'text/plain']);
      expect(withoutDate(res.body)).toBe(EXPECTED_TAC);
      expect(res.header('cache-control')).toBe('no-cache');
      expect(res.header('x-content-type-options')).toBe('nosniff');
    }
    expect((await currentMasters(stack.seed))['linux-ix-slave01']).toBe('bm01-build');
    // The server checks such a request as any other: a Host it does not serve gets no tac.
    const foreign = await rawRequest(`${stack.server.url}/gettac/linux-ix-slave01/%ZZ`, {
      headers: { host: 'slavealloc.evil.example' },
    });
    expect(foreign.statusCode).toBe(421);
  });

  it('a % that starts no escape is part of the name, as Twisted read it', async () => {
    await addSlavesLike('linux-ix-slave01', ['odd%zz-slave01']);
    for (const path of [
      '/gettac/odd%zz-slave01',
      '/gettac/ODD%ZZ-SLAVE01/',
      '/gettac/odd%zz-slave01/%ZZ',
    ]) {
      const res = await rawRequest(stack.server.url + path);
      expect([path, res.statusCode]).toEqual([path, 200]);
      expect(res.body).toContain("slavename = 'odd%zz-slave01'\n");
    }
    const api = await rawRequest(`${stack.server.url}/api/gettac/odd%zz-slave01`);
    expect([api.statusCode, api.json().success]).toEqual([200, true]);
    const row = await rawRequest(`${stack.server.url}/api/slaves/odd%zz-slave01/x?byname=1`);
    expect([row.statusCode, row.json().name]).toEqual([200, 'odd%zz-slave01']);
  });

  it('every other miss of /gettac answers the same text: no name, an unknown name with more path, a path that does not decode or is too long to route', async () => {
    const misses = [
      '/gettac',
      '/gettac//linux-ix-slave01',
      '/gettac/%ZZ',
      '/gettac/%E2%82',
      '/gettac/linux-ix-slave01%FF',
      '/gettac/%ZZ/linux-ix-slave01',
      '/gettac/nobody/%ZZ',
      '/gettac/a/b',
      `/gettac/${'x'.repeat(600)}`,
      `/gettac/${'x'.repeat(600)}/linux-ix-slave01`,
    ];
    for (const path of misses) {
      // Raw HTTP: fetch() would not send every one of these paths as it is.
      const res = await rawRequest(stack.server.url + path);
      expect([path, res.statusCode, res.contentType, res.body]).toEqual([
        path,
        404,
        'text/plain',
        'no allocation available',
      ]);
      expect(res.header('cache-control')).toBe('no-cache');
      expect(res.header('x-content-type-options')).toBe('nosniff');
    }
    expect(Object.values(await currentMasters(stack.seed)).every((m) => m === null)).toBe(true);
  });

  it('names match exactly: a trailing space or a NUL is an unknown slave, nothing recorded', async () => {
    for (const name of ['linux-ix-slave01%20', 'linux-ix-slave01%00', 'LINUX-IX-SLAVE01%00']) {
      const res = await gettac(name);
      expect([name, res.status, res.text]).toEqual([name, 404, 'no allocation available']);
      const api = await stack.request(`/api/gettac/${name}`);
      expect([name, api.status, api.json()]).toEqual([name, 404, { success: false }]);
    }
    expect(Object.values(await currentMasters(stack.seed)).every((m) => m === null)).toBe(true);
  });

  it('only A to Z are lowercased, as Python 2 lowered the byte string: the Kelvin sign is no k', async () => {
    await addSlavesLike('linux-ix-slave01', ['kvm-slave01']);
    expect(await masterOf('KVM-SLAVE01')).toBe('buildbot-master01');
    // U+212A KELVIN SIGN, which JavaScript's toLowerCase makes a k; U+0130 makes i and a dot.
    for (const name of ['%E2%84%AAVM-SLAVE01', '%E2%84%AAvm-slave01', 'L%C4%B0NUX-IX-SLAVE01']) {
      const res = await gettac(name);
      expect([name, res.status, res.text]).toEqual([name, 404, 'no allocation available']);
    }
    expect(await currentMasters(stack.seed)).toMatchObject({
      'kvm-slave01': 'bm01-build',
      'linux-ix-slave01': null,
    });
  });

  it('a custom template that does not format: 500 error processing request, nothing recorded', async () => {
    const k = stack.seed.db.k;
    await k
      .insertInto('tac_templates')
      .values({ name: 'broken', template: 'rate: 50%\n' })
      .execute();
    const tpl = await k
      .selectFrom('tac_templates')
      .select('tplid')
      .where('name', '=', 'broken')
      .executeTakeFirstOrThrow();
    await k
      .updateTable('slaves')
      .set({ custom_tplid: tpl.tplid })
      .where('name', '=', 'linux-ix-slave01')
      .execute();
    const res = await gettac('linux-ix-slave01');
    expect(res.status).toBe(500);
    expect(res.text).toMatch(
      /^error processing request: not enough arguments for format string: the conversion at index 91 has no \(key\)/,
    );
    expect((await currentMasters(stack.seed))['linux-ix-slave01']).toBeNull();

    // /api/gettac answers in its own shape, and the log names the slave.
    const logged = jest.spyOn(quietLogger, 'error');
    try {
      const api = await stack.request('/api/gettac/linux-ix-slave01');
      expect(api.status).toBe(500);
      expect(api.headers.get('content-type')).toBe('application/json');
      expect(api.json()).toEqual({
        success: false,
        error: expect.stringMatching(
          /^not enough arguments for format string: the conversion at index 91 has no \(key\)/,
        ),
      });
      expect(logged).toHaveBeenCalledWith(
        expect.stringMatching(/^\/api\/gettac for 'linux-ix-slave01' failed: not enough arguments/),
      );
    } finally {
      logged.mockRestore();
    }
    expect((await currentMasters(stack.seed))['linux-ix-slave01']).toBeNull();
    await k.updateTable('slaves').set({ custom_tplid: null }).execute();
    await k.deleteFrom('tac_templates').execute();
  });

  it('/api/gettac answers without recording, and keeps the name as given', async () => {
    const ok = await stack.request('/api/gettac/linux-ix-slave02');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(ok.json()).toEqual({
      success: true,
      tac: expect.stringContaining("slavename = 'linux-ix-slave02'"),
    });
    expect((await currentMasters(stack.seed))['linux-ix-slave02']).toBeNull();
    const missing = await stack.request('/api/gettac/LINUX-IX-SLAVE02');
    expect([missing.status, missing.json()]).toEqual([404, { success: false }]);
  });

  it('/api/gettac with no slave name: 404 saying so, in the shape of its other errors', async () => {
    for (const path of ['/api/gettac', '/api/gettac/', '/api/gettac//x', '/api/gettac//x/%ZZ']) {
      // Raw HTTP: fetch() would not send `%ZZ` as it is.
      const res = await rawRequest(stack.server.url + path);
      expect([path, res.statusCode, res.contentType, res.json()]).toEqual([
        path,
        404,
        'application/json',
        { success: false, error: 'no slave name: ask for /api/gettac/<slave>' },
      ]);
      expect(res.header('cache-control')).toBe('no-cache');
    }
    expect(Object.values(await currentMasters(stack.seed)).every((m) => m === null)).toBe(true);
  });

  it('/api/gettac takes GET (and HEAD) only: any other method is a 405 naming them, before the token', async () => {
    const paths = [
      '/api/gettac/linux-ix-slave01',
      '/api/gettac/linux-ix-slave01/buildbot.tac',
      '/api/gettac',
      '/api/gettac/',
    ];
    for (const path of paths) {
      for (const method of ['PUT', 'POST', 'DELETE', 'PATCH']) {
        for (const token of [undefined, false] as const) {
          const res = await stack.request(path, { method, body: '{}', token });
          expect([method, path, token, res.status, res.headers.get('allow')]).toEqual([
            method,
            path,
            token,
            405,
            'GET, HEAD, OPTIONS',
          ]);
          expect(res.json().error).toBe(
            `${method} is not allowed here; this path takes GET, HEAD, OPTIONS`,
          );
        }
      }
      const options = await stack.request(path, { method: 'OPTIONS' });
      expect([path, options.status, options.headers.get('allow')]).toEqual([
        path,
        200,
        'GET, HEAD, OPTIONS',
      ]);
    }
    // So is a name the router cannot take, under /gettac too, whose routes take GET only as well.
    for (const path of [
      '/api/gettac/%FF',
      `/api/gettac/${'x'.repeat(600)}`,
      '/gettac/%FF',
      `/gettac/${'x'.repeat(600)}/x`,
    ]) {
      const res = await rawRequest(stack.server.url + path, { method: 'PUT', body: '{}' });
      expect([path, res.statusCode, res.header('allow')]).toEqual([
        path,
        405,
        'GET, HEAD, OPTIONS',
      ]);
      const options = await rawRequest(stack.server.url + path, { method: 'OPTIONS' });
      expect([path, options.statusCode, options.header('allow')]).toEqual([
        path,
        200,
        'GET, HEAD, OPTIONS',
      ]);
    }
    const head = await stack.request('/api/gettac/linux-ix-slave01', { method: 'HEAD' });
    expect([head.status, head.headers.get('content-type')]).toEqual([200, 'application/json']);
    expect(Object.values(await currentMasters(stack.seed)).every((m) => m === null)).toBe(true);
  });

  it('the 405 of a name the router cannot take is the request as sent, the path not rewritten', async () => {
    for (const path of ['/api/gettac/%FF', '/gettac/%FF/x']) {
      const answered = nextAnswered(stack.server.app.server);
      const res = await rawRequest(stack.server.url + path, { method: 'PUT', body: '{}' });
      expect([res.statusCode, res.json(), await answered]).toEqual([
        405,
        { error: 'PUT is not allowed here; this path takes GET, HEAD, OPTIONS' },
        `PUT ${path} 405`,
      ]);
    }
  });

  it('50 concurrent /gettac requests leave the masters balanced', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `load-${String(i).padStart(2, '0')}`);
    await addSlavesLike('linux-ix-slave01', names);
    const answers = await Promise.all(names.map((n) => gettac(n)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const counts: Record<string, number> = {};
    for (const m of Object.values(await currentMasters(stack.seed)))
      if (m) counts[m as string] = (counts[m as string] ?? 0) + 1;
    expect(Object.values(counts).sort()).toEqual([16, 17, 17]);
  });

  it('publishes slavealloc.allocated for each recorded allocation', async () => {
    await gettac('try-linux-slave01');
    await expect(
      stack.events.next('slavealloc.allocated', (b) => b.slave === 'try-linux-slave01'),
    ).resolves.toMatchObject({
      slave: 'try-linux-slave01',
      master: 'bm04-try',
      fqdn: 'buildbot-master04.build.mtv1.example.com',
      pb_port: 9004,
      disabled: false,
      previous_masterid: null,
      changed: true,
    });
  });
});
