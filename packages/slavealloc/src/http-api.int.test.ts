import { beforeEach, describe, expect, it } from '@jest/globals';
import type { HandlerContext, LoopabullEvent } from '@loopabull/core';
import { allDatabases, rawRequest } from '@test/support';
import { TOKEN, useStack, type Stack } from '../test/stack.js';

describe.each(allDatabases())('/api on $name', (target) => {
  const use = useStack(target);
  let stack: Stack;
  beforeEach(() => {
    stack = use();
  });

  const get = (path: string) => stack.request(path);
  const send = (method: string, path: string, body?: unknown, token?: string | false) =>
    stack.request(path, {
      method,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      token,
    });
  const idOf = async (name: string) => (await get(`/api/slaves/${name}?byname=1`)).json().slaveid;
  /** Every row of every table: what "nothing changed" compares. */
  const everything = async () => {
    const k = stack.seed.db.k;
    return {
      slaves: await k.selectFrom('slaves').selectAll().orderBy('slaveid').execute(),
      masters: await k.selectFrom('masters').selectAll().orderBy('masterid').execute(),
      distros: await k.selectFrom('distros').selectAll().orderBy('distroid').execute(),
    };
  };

  type Refusal = [method: string, path: string, body: unknown, status: number, error: RegExp];
  /** Each change is answered with its status and an error matching; nothing changes. */
  const refused = async (cases: Refusal[]) => {
    const before = await everything();
    for (const [method, path, body, status, error] of cases) {
      const res = await send(method, path, body);
      expect([method, path, res.status]).toEqual([method, path, status]);
      expect(res.json().error ?? res.json().message).toMatch(error);
    }
    expect(await everything()).toEqual(before);
  };
  /** A POST body for a new slave like linux-ix-slave01. */
  const newSlave = async (changes: Record<string, unknown>) => ({
    ...(await get('/api/slaves/linux-ix-slave01?byname=1')).json(),
    name: 'linux-ix-slave99',
    ...changes,
  });
  const missing = async (paths: string[]) => {
    for (const path of paths) {
      const res = await get(path);
      expect([path, res.status, res.text]).toEqual([path, 404, '{}']);
    }
  };
  /** Raw HTTP, with the token: fetch() would not send every path as it is. */
  const raw = (method: string, path: string, body = '{"notes": "x"}') =>
    rawRequest(stack.server.url + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: method === 'PUT' ? body : undefined,
    });
  const slaveNames = async (query: string) =>
    (await get(`/api/slaves?${query}`)).json().map((s: { name: string }) => s.name);

  it('lists tables as JSON, slaves and masters with the names of what they point to', async () => {
    const slaves = await get('/api/slaves');
    expect(slaves.status).toBe(200);
    expect(slaves.headers.get('content-type')).toBe('application/json');
    expect(slaves.headers.get('cache-control')).toBe('no-cache');
    const list = slaves.json();
    // The decommissioned environment is left out, as the original's envid 5 was.
    expect(list.map((s: { name: string }) => s.name)).not.toContain('old-slave01');
    expect(list).toHaveLength(9);
    expect(list[0]).toMatchObject({
      name: 'linux-ix-slave01',
      distro: 'centos6',
      bitlength: '64',
      speed: 'fast',
      purpose: 'build',
      datacenter: 'mtv1',
      trustlevel: 'core',
      environment: 'prod',
      pool: 'build-mtv1',
      enabled: true,
      locked_master: null,
      current_master: null,
      basedir: '/builds/slave',
    });
    expect((await get('/api/masters')).json()[2]).toMatchObject({
      nickname: 'bm03-build',
      http_port: 0,
      pb_port: 9003,
      datacenter: 'mtv1',
      pool: 'build-mtv1',
      enabled: true,
    });
    expect((await get('/api/distros')).json().map((d: { name: string }) => d.name)).toEqual([
      'centos6',
      'win2k8',
      'android',
    ]);
  });

  it('filters slaves: environment, purpose, pool repeated as IN, and enabled', async () => {
    const names = async (query: string) =>
      (await get(`/api/slaves?${query}`)).json().map((s: { name: string }) => s.name);
    expect(await names('purpose=try')).toEqual(['try-linux-slave01']);
    expect(await names('purpose=try&purpose=test')).toEqual(['try-linux-slave01', 'panda-0001']);
    expect(await names('pool=try-mtv1&environment=prod')).toEqual(['try-linux-slave01']);
    expect(await names('environment=nowhere')).toEqual([]);
    await stack.seed.db.k
      .updateTable('slaves')
      .set({ enabled: 0 })
      .where('name', '=', 'panda-0001')
      .execute();
    expect(await names('enabled=0')).toEqual(['panda-0001']);
    expect(await names('enabled=1')).toHaveLength(8);
    // An empty value is no filter, as in the original (a URL template with nothing filled in),
    // which read the first value only (`request.args.get('enabled', [None])[0]`).
    expect(await names('enabled=')).toHaveLength(9);
    expect(await names('enabled=0&enabled=')).toEqual(['panda-0001']);
    expect(await names('enabled=&enabled=0')).toHaveLength(9);
    expect(await names('enabled=1&enabled=0')).toHaveLength(8);
    expect((await get('/api/slaves?enabled=maybe')).status).toBe(400);
    // Twisted's parse_qs: `;` separates too, `+` is a space, a key without `=` is dropped.
    expect(await names('purpose=try;purpose=test')).toEqual(['try-linux-slave01', 'panda-0001']);
    expect(await names('environment&purpose=try')).toEqual(['try-linux-slave01']);
    expect(await names('environment=&purpose=try')).toEqual([]);
  });

  it('one row by id or by name; missing: 404 {}', async () => {
    const id = await idOf('w64-ix-slave02');
    expect((await get(`/api/slaves/${id}`)).json()).toMatchObject({
      slaveid: id,
      name: 'w64-ix-slave02',
      enabled: true,
    });
    expect((await get('/api/masters/bm04-try?byname=1')).json()).toMatchObject({
      nickname: 'bm04-try',
      enabled: true,
    });
    expect((await get('/api/pools/try-mtv1?byname=1')).json()).toMatchObject({ name: 'try-mtv1' });
    // The original looked up by name whenever its Twisted server read a `byname` in the query,
    // whatever its value; it dropped a `byname` without `=`, so that one is by id.
    for (const query of ['byname=', 'byname=yes', 'byname=0', 'byname=false', 'x=1;byname=0'])
      expect((await get(`/api/masters/bm04-try?${query}`)).json()).toMatchObject({
        nickname: 'bm04-try',
      });
    const master = (await get('/api/masters/bm04-try?byname=1')).json().masterid;
    expect((await get(`/api/masters/${master}?byname`)).json()).toMatchObject({
      nickname: 'bm04-try',
    });
    expect((await get('/api/masters/bm04-try?byname')).status).toBe(404);
    for (const path of [
      '/api/slaves/99999',
      '/api/slaves/nobody?byname=1',
      '/api/slaves/abc',
      '/api/slaves/1%20or%201=1',
      "/api/slaves/x'%3B%20drop%20table%20slaves%3B--?byname=1",
    ]) {
      const res = await get(path);
      expect([path, res.status, res.text]).toEqual([path, 404, '{}']);
    }
    const unknown = await get('/api/secrets');
    expect(unknown.status).toBe(404);
    expect(unknown.json().error).toMatch(/unknown table "secrets"; the tables are slaves, masters/);
  });

  it('one row has the table columns only, as the original single-row GET; the lists add the names', async () => {
    const keys = async (path: string) => Object.keys((await get(path)).json()).sort();
    const slaveColumns = [
      'basedir',
      'bitsid',
      'current_masterid',
      'custom_tplid',
      'dcid',
      'distroid',
      'enabled',
      'envid',
      'locked_masterid',
      'name',
      'notes',
      'poolid',
      'purposeid',
      'slaveid',
      'speedid',
      'trustid',
    ];
    const id = await idOf('linux-ix-slave01');
    expect(await keys(`/api/slaves/${id}`)).toEqual(slaveColumns);
    expect(await keys('/api/slaves/linux-ix-slave01?byname=1')).toEqual(slaveColumns);
    const masterColumns = [
      'dcid',
      'enabled',
      'fqdn',
      'http_port',
      'masterid',
      'nickname',
      'notes',
      'pb_port',
      'poolid',
    ];
    expect(await keys('/api/masters/bm01-build?byname=1')).toEqual(masterColumns);
    expect(await keys('/api/pools/build-mtv1?byname=1')).toEqual(['name', 'poolid']);
    const listed = (await get('/api/slaves')).json()[0];
    expect(Object.keys(listed)).toEqual(
      expect.arrayContaining([...slaveColumns, 'pool', 'current_master']),
    );
    const master = (await get('/api/masters')).json()[0];
    expect(Object.keys(master)).toEqual(
      expect.arrayContaining([...masterColumns, 'pool', 'datacenter']),
    );
  });

  it('a name or id the router cannot take (bad %-escape, over 512 characters) names nothing', async () => {
    const long = 'x'.repeat(600);
    const before = await everything();
    const answers: Array<[method: string, path: string, body: unknown]> = [
      ['GET', `/api/gettac/${long}`, { success: false }],
      ['GET', '/api/gettac/%FF', { success: false }],
      ['GET', '/api/gettac/linux-ix-slave01%E2%82', { success: false }],
      ['GET', `/api/slaves/${long}?byname=1`, {}],
      ['GET', '/api/slaves/%FF?byname=1', {}],
      ['GET', `/api/masters/${'1'.repeat(600)}`, {}],
      [
        'PUT',
        `/api/slaves/${'1'.repeat(600)}`,
        { success: false, error: 'there is no slaves row with that id' },
      ],
      [
        'DELETE',
        '/api/masters/%FF',
        { success: false, error: 'there is no masters row with that id' },
      ],
    ];
    for (const [method, path, body] of answers) {
      const res = await raw(method, path);
      expect([method, path, res.statusCode, res.contentType, res.json()]).toEqual([
        method,
        path,
        404,
        'application/json',
        body,
      ]);
      expect(res.header('cache-control')).toBe('no-cache');
    }
    expect(await everything()).toEqual(before);
  });

  it('more path after a row or /api/gettac/<slave> is ignored, as by the original leaf resources', async () => {
    const id = await idOf('w64-ix-slave02');
    for (const path of [
      `/api/slaves/${id}/`,
      `/api/slaves/${id}/extra`,
      `/api/slaves/${id}/a/b?x=1`,
      `/api/slaves/${id}/%ZZ`,
      `/api/slaves/${id}/%E2%82/${'x'.repeat(600)}`,
      '/api/slaves/w64-ix-slave02/extra?byname=1',
      '/api/slaves/w64-ix-slave02/%FF?byname=1',
    ]) {
      const res = await raw('GET', path);
      expect([path, res.statusCode, res.contentType]).toEqual([path, 200, 'application/json']);
      expect(res.json()).toMatchObject({ slaveid: id, name: 'w64-ix-slave02' });
      expect(res.header('cache-control')).toBe('no-cache');
    }
    for (const path of ['/api/pools/build-mtv1/x?byname=1', '/api/masters/bm04-try/%ZZ?byname=1'])
      expect([path, (await raw('GET', path)).statusCode]).toEqual([path, 200]);
    for (const path of ['/api/slaves/99999/extra', '/api/slaves/nobody/%ZZ?byname=1']) {
      const res = await raw('GET', path);
      expect([path, res.statusCode, res.body]).toEqual([path, 404, '{}']);
    }

    for (const path of ['/api/gettac/linux-ix-slave02/extra', '/api/gettac/linux-ix-slave02/%ZZ']) {
      const res = await raw('GET', path);
      expect([path, res.statusCode, res.json().success]).toEqual([path, 200, true]);
      expect(res.json().tac).toContain("slavename = 'linux-ix-slave02'\n");
    }
    const nobody = await raw('GET', '/api/gettac/nobody/%ZZ');
    expect([nobody.statusCode, nobody.json()]).toEqual([404, { success: false }]);
    const recorded = await stack.seed.db.k
      .selectFrom('slaves')
      .select('current_masterid')
      .where('name', '=', 'linux-ix-slave02')
      .executeTakeFirstOrThrow();
    expect(recorded.current_masterid).toBeNull();

    // PUT, the original's other method there, takes the row as GET does.
    for (const [path, notes] of [
      [`/api/slaves/${id}/extra`, 'leaf'],
      [`/api/slaves/${id}/%ZZ`, 'bad escape'],
    ]) {
      const res = await raw('PUT', path!, JSON.stringify({ notes }));
      expect([path, res.statusCode, res.json()]).toEqual([path, 200, { success: true }]);
      expect((await get(`/api/slaves/${id}`)).json().notes).toBe(notes);
    }
    // DELETE, which the original did not have, takes the bare row path only.
    const del = await raw('DELETE', `/api/slaves/${id}/extra`);
    expect([del.statusCode, del.header('allow')]).toEqual([405, 'GET, HEAD, OPTIONS, PUT']);
    expect((await get(`/api/slaves/${id}`)).status).toBe(200);
  });

  it('PUT applies the whitelisted keys only and publishes slavealloc.slave.updated', async () => {
    const id = await idOf('linux-ix-slave01');
    const bm02 = (await get('/api/masters/bm02-build?byname=1')).json().masterid;
    const res = await send('PUT', `/api/slaves/${id}`, {
      notes: 'reimaging',
      locked_masterid: bm02,
      name: 'renamed', // not in the whitelist: ignored, as the original did
      current_masterid: bm02,
    });
    expect([res.status, res.json()]).toEqual([200, { success: true }]);
    expect((await get(`/api/slaves/${id}`)).json()).toMatchObject({
      name: 'linux-ix-slave01',
      notes: 'reimaging',
      locked_masterid: bm02,
      current_masterid: null,
    });
    await expect(
      stack.events.next('slavealloc.slave.updated', (b) => b.slaveid === id),
    ).resolves.toMatchObject({
      action: 'updated',
      slave: 'linux-ix-slave01',
      // Names included, as GET /api/slaves lists them.
      changes: { notes: 'reimaging', locked_masterid: bm02, locked_master: 'bm02-build' },
      previous: { notes: null, locked_masterid: null, locked_master: null },
      via: 'api',
    });
    expect(
      (await send('PUT', `/api/masters/${bm02}`, { enabled: false, notes: 'down' })).status,
    ).toBe(200);
    expect((await send('PUT', '/api/distros/1', { name: 'centos6.5' })).status).toBe(200);
    expect((await get('/api/distros/1')).json().name).toBe('centos6.5');
  });

  it('bad changes get a clear 4xx and change nothing', async () => {
    const id = await idOf('linux-ix-slave01');
    const bm01 = (await get('/api/masters/bm01-build?byname=1')).json().masterid;
    await refused([
      ['PUT', '/api/slaves/99999', { notes: 'x' }, 404, /no slaves row with id 99999/],
      [
        'PUT',
        `/api/slaves/${id}`,
        { name: 'x', bogus: 1 },
        400,
        /nothing to change: slaves takes distroid/,
      ],
      ['PUT', `/api/slaves/${id}`, { enabled: 'yes' }, 400, /enabled must be true or false/],
      [
        'PUT',
        `/api/slaves/${id}`,
        { poolid: '1; drop table slaves; --' },
        400,
        /poolid must be a positive integer id/,
      ],
      [
        'PUT',
        `/api/slaves/${id}`,
        { poolid: 424242 },
        400,
        /poolid 424242: there is no such row in pools/,
      ],
      ['PUT', `/api/slaves/${id}`, '[1, 2]', 400, /the body must be a JSON object/],
      ['PUT', `/api/slaves/${id}`, '{"notes": ', 400, /JSON/],
      ['PUT', '/api/slaves/linux-ix-slave01?byname=1', { notes: 'x' }, 400, /PUT takes the row id/],
      ['PUT', '/api/tac_templates/1', { template: 'x' }, 400, /cannot be changed through the API/],
      ['PUT', '/api/secrets/1', { name: 'x' }, 404, /unknown table/],
      [
        'PUT',
        `/api/masters/${bm01}`,
        { nickname: 'bm02-build' },
        409,
        /already has a row with nickname "bm02-build"/,
      ],
      ['POST', '/api/slaves', { name: 'Bad.Name' }, 400, /missing /],
      [
        'POST',
        '/api/slaves',
        {
          name: 'linux-ix-slave01',
          distroid: 1,
          bitsid: 1,
          speedid: 1,
          purposeid: 1,
          dcid: 1,
          trustid: 1,
          envid: 1,
          poolid: 1,
          basedir: '/b',
        },
        409,
        /already has a row with name/,
      ],
      ['DELETE', '/api/slaves/99999', undefined, 404, /no slaves row/],
    ]);
  });

  it('ids beyond 32 bits name no row; in a body they are a 400 naming the field', async () => {
    await missing([
      '/api/slaves/2147483648',
      '/api/masters/2147483648',
      '/api/distros/99999999999',
      '/api/slaves/2147483647',
    ]);
    const id = await idOf('linux-ix-slave01');
    const tooBig = /must be a positive integer id, at most 2147483647/;
    await refused([
      ['PUT', '/api/slaves/2147483648', { notes: 'x' }, 404, /no slaves row with id "2147483648"/],
      ['DELETE', '/api/masters/2147483648', undefined, 404, /no masters row/],
      ['PUT', `/api/slaves/${id}`, { distroid: 2 ** 31 }, 400, /^distroid /],
      ['PUT', `/api/slaves/${id}`, { locked_masterid: 2 ** 31 }, 400, tooBig],
      ['POST', '/api/slaves', await newSlave({ distroid: 2 ** 31 }), 400, tooBig],
      [
        'POST',
        '/api/masters',
        { nickname: 'bm9', fqdn: 'f', pb_port: 1, dcid: 2 ** 31, poolid: 1 },
        400,
        /^dcid /,
      ],
    ]);
    // The largest id is asked for, and is a missing row like any other.
    await refused([
      ['PUT', `/api/slaves/${id}`, { distroid: 2 ** 31 - 1 }, 400, /no such row in distros/],
    ]);
  });

  it('a NUL names no row, and in a body is a 400 naming the field', async () => {
    await missing([
      '/api/slaves/linux-ix-slave01%00?byname=1',
      '/api/masters/bm01-build%00?byname=1',
      '/api/distros/centos6%00?byname=1',
    ]);
    expect(await slaveNames('pool=%00')).toEqual([]);
    expect(await slaveNames('environment=prod%00&purpose=try')).toEqual([]);
    expect(await slaveNames('pool=%00&pool=try-mtv1')).toEqual(['try-linux-slave01']);
    expect((await get('/ui/slavealloc?pool=%00')).status).toBe(200);
    const id = await idOf('linux-ix-slave01');
    const bm01 = (await get('/api/masters/bm01-build?byname=1')).json().masterid;
    const nul = /must not contain a NUL character/;
    await refused([
      [
        'PUT',
        `/api/slaves/${id}`,
        { basedir: '/a\u0000b' },
        400,
        /^basedir must not contain a NUL/,
      ],
      ['PUT', `/api/slaves/${id}`, { notes: '\u0000' }, 400, /^notes /],
      ['PUT', `/api/masters/${bm01}`, { fqdn: 'bm01\u0000' }, 400, /^fqdn /],
      ['PUT', `/api/masters/${bm01}`, { nickname: 'bm01\u0000' }, 400, /^nickname /],
      ['PUT', '/api/distros/1', { name: 'centos6\u0000' }, 400, /^name /],
      ['POST', '/api/slaves', await newSlave({ basedir: '/a\u0000b' }), 400, nul],
      ['POST', '/api/slaves', await newSlave({ name: 'linux-ix-slave99\u0000' }), 400, nul],
    ]);
  });

  it('a lone surrogate in a body is a 400 naming the field, and nothing is stored', async () => {
    const id = await idOf('linux-ix-slave01');
    const bm01 = (await get('/api/masters/bm01-build?byname=1')).json().masterid;
    // JSON.stringify sends these as the escapes \ud800 and \udc00, as a hostile client would.
    await refused([
      [
        'PUT',
        `/api/slaves/${id}`,
        { notes: 'a\ud800b' },
        400,
        /^notes must not contain a lone surrogate/,
      ],
      [
        'PUT',
        `/api/slaves/${id}`,
        { basedir: '/b\udc00' },
        400,
        /^basedir .*\(\\udc00\), which is no character$/,
      ],
      ['PUT', `/api/masters/${bm01}`, { nickname: 'bm\ud800' }, 400, /^nickname /],
      ['PUT', '/api/distros/1', { name: 'centos\udfff' }, 400, /^name /],
      [
        'POST',
        '/api/masters',
        { nickname: 'bm9', fqdn: 'f\ud800', pb_port: 1, dcid: 1, poolid: 1 },
        400,
        /^fqdn must not contain a lone surrogate/,
      ],
    ]);
  });

  it('text longer than the narrowest database holds: 400 naming the field and its limit', async () => {
    const id = await idOf('linux-ix-slave01');
    const bm01 = (await get('/api/masters/bm01-build?byname=1')).json().masterid;
    const long = 'x'.repeat(70_000);
    const limit = /must be at most 65535 bytes of UTF-8 \(MariaDB's text\), not 70000/;
    await refused([
      ['PUT', `/api/slaves/${id}`, { notes: long }, 400, /^notes must be at most 65535 bytes/],
      ['PUT', `/api/slaves/${id}`, { basedir: long }, 400, /^basedir must be at most 65535/],
      ['PUT', `/api/slaves/${id}`, { notes: '\u00e9'.repeat(32_768) }, 400, /not 65536$/],
      ['POST', '/api/slaves', await newSlave({ notes: long }), 400, limit],
      ['PUT', `/api/masters/${bm01}`, { fqdn: long }, 400, /^fqdn /],
      ['PUT', `/api/masters/${bm01}`, { nickname: 'x'.repeat(129) }, 400, /at most 128 characters/],
    ]);
    // What fits is kept whole everywhere: 65,535 bytes of text, 128 characters of name.
    const notes = `${'\u00e9'.repeat(32_767)}x`;
    const nickname = '\u{1F600}'.repeat(128);
    expect((await send('PUT', `/api/slaves/${id}`, { notes })).status).toBe(200);
    expect((await send('PUT', `/api/masters/${bm01}`, { nickname })).status).toBe(200);
    expect((await get(`/api/slaves/${id}`)).json().notes).toBe(notes);
    expect((await get(`/api/masters/${bm01}`)).json().nickname).toBe(nickname);
  });

  it('names match exactly: a trailing space names another row', async () => {
    await missing([
      '/api/distros/centos6%20?byname=1',
      '/api/slaves/linux-ix-slave01%20?byname=1',
      '/api/masters/bm01-build%20?byname=1',
    ]);
    expect(await slaveNames('pool=try-mtv1%20')).toEqual([]);
    expect(await slaveNames('environment=prod%20&purpose=try')).toEqual([]);
    // ... and is no duplicate.
    const bm02 = (await get('/api/masters/bm02-build?byname=1')).json().masterid;
    expect((await send('PUT', `/api/masters/${bm02}`, { nickname: 'bm01-build ' })).status).toBe(
      200,
    );
    expect((await get('/api/masters/bm01-build?byname=1')).json().masterid).not.toBe(bm02);
    expect((await get('/api/masters/bm01-build%20?byname=1')).json().masterid).toBe(bm02);
  });

  it('changes need the bearer token', async () => {
    const id = await idOf('linux-ix-slave01');
    const before = await everything();
    for (const token of [false, 'wrong'] as const) {
      const res = await send('PUT', `/api/slaves/${id}`, { notes: 'x' }, token);
      expect([401, 403]).toContain(res.status);
      expect((await send('DELETE', `/api/slaves/${id}`, {}, token)).status).toBeGreaterThanOrEqual(
        401,
      );
    }
    expect(await everything()).toEqual(before);
  });

  it('creates and deletes slaves and masters', async () => {
    const pool = (await get('/api/pools/build-mtv1?byname=1')).json().poolid;
    const dc = (await get('/api/datacenters/mtv1?byname=1')).json().dcid;
    const m = await send('POST', '/api/masters', {
      nickname: 'bm05-build',
      fqdn: 'bm05.example.com',
      pb_port: 9005,
      dcid: dc,
      poolid: pool,
    });
    expect(m.status).toBe(201);
    const masterid = m.json().masterid;
    const slave01 = (await get('/api/slaves/linux-ix-slave01?byname=1')).json();
    const s = await send('POST', '/api/slaves', {
      ...slave01,
      name: 'linux-ix-slave99',
      locked_masterid: masterid,
      notes: 'new',
    });
    expect(s.status).toBe(201);
    expect((await get(`/api/slaves/${s.json().slaveid}`)).json()).toMatchObject({
      name: 'linux-ix-slave99',
      locked_masterid: masterid,
      enabled: true,
    });
    // The whole new row, as GET /api/slaves lists it.
    const listed = (await get('/api/slaves'))
      .json()
      .find((r: { name: string }) => r.name === 'linux-ix-slave99');
    const created = await stack.events.next(
      'slavealloc.slave.updated',
      (b) => b.action === 'created' && b.slave === 'linux-ix-slave99',
    );
    expect(created.changes).toEqual(listed);
    expect(created.changes).toMatchObject({ pool: 'build-mtv1', locked_master: 'bm05-build' });
    expect(Object.values(created.previous as object).every((v) => v === null)).toBe(true);
    expect((await stack.request('/gettac/linux-ix-slave99')).text).toContain('port = 9005\n');
    // A master with slaves locked to it stays.
    expect((await send('DELETE', `/api/masters/${masterid}`, {})).status).toBe(409);
    expect((await send('DELETE', `/api/slaves/${s.json().slaveid}`, {})).json()).toEqual({
      success: true,
    });
    expect((await send('DELETE', `/api/masters/${masterid}`, {})).status).toBe(200);
    expect((await get(`/api/masters/${masterid}`)).status).toBe(404);
    await expect(
      stack.events.next('slavealloc.slave.updated', (b) => b.action === 'deleted'),
    ).resolves.toMatchObject({
      slave: 'linux-ix-slave99',
      previous: { name: 'linux-ix-slave99', locked_masterid: masterid, enabled: true },
    });
    await expect(
      stack.events.next('slavealloc.master.updated', (b) => b.action === 'deleted'),
    ).resolves.toMatchObject({ masterid, previous: { nickname: 'bm05-build', pb_port: 9005 } });
  });

  it('slavealloc.slave.disable and .enable messages take a slave out and back', async () => {
    const published: Array<[string, unknown]> = [];
    const ctx = {
      logger: { warn: () => {} },
      log: async () => {},
      publish: async (topic: string, body: unknown) => void published.push([topic, body]),
    } as unknown as HandlerContext;
    const event = (body: unknown) => ({ body }) as LoopabullEvent;
    const disable = stack.host.handler('slavealloc', 'disable');
    const enable = stack.host.handler('slavealloc', 'enable');
    await expect(
      disable(event({ slave: 'linux-ix-slave02.build.example.com', notes: 'gone' }), ctx),
    ).resolves.toEqual({ slave: 'linux-ix-slave02', enabled: false, changed: true });
    expect((await stack.request('/gettac/linux-ix-slave02')).text).toContain('SLAVE DISABLED');
    await expect(disable(event({ slave: 'linux-ix-slave02' }), ctx)).resolves.toMatchObject({
      changed: false,
    });
    expect(published).toEqual([
      [
        'slavealloc.slave.updated',
        expect.objectContaining({ via: 'bus', changes: { enabled: false, notes: 'gone' } }),
      ],
    ]);
    await expect(enable(event({ slave: 'linux-ix-slave02' }), ctx)).resolves.toMatchObject({
      enabled: true,
      changed: true,
    });
    expect((await get('/api/slaves/linux-ix-slave02?byname=1')).json()).toMatchObject({
      enabled: true,
      notes: 'gone',
    });
    await expect(disable(event({ slave: 'nobody' }), ctx)).rejects.toThrow(
      'no slave named "nobody"',
    );
    await expect(disable(event({ slave: 'linux-ix-slave02\u0000' }), ctx)).rejects.toThrow(
      'no slave named "linux-ix-slave02\\u0000"',
    );
    await expect(disable(event({}), ctx)).rejects.toThrow(/needs "slave"/);
    // Lowercased as /gettac does, A to Z only: the Kelvin sign is no k.
    await expect(disable(event({ slave: 'LINUX-IX-SLAVE02' }), ctx)).resolves.toMatchObject({
      slave: 'linux-ix-slave02',
      changed: true,
    });
    await expect(disable(event({ slave: 'LINUX-\u212aIX-SLAVE01' }), ctx)).rejects.toThrow(
      'no slave named "linux-\u212aix-slave01"',
    );
  });
});
