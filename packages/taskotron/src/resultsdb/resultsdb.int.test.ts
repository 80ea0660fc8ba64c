import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { createLogger } from '@loopabull/core';
import { allDatabases } from '@test/support';
import { Database } from '@loopabull/database';
import { resultsdbRoutes } from './routes.js';
import { ResultsStore } from './store.js';

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
const POST = fixture('resultsdb-post-result.json');
const RESPONSE = fixture('resultsdb-post-result-response.json');

const ITEM = 'koschei-1.7.2-1.fc24';

describe.each(allDatabases())('ResultsDB v2.0 API on $name', (target) => {
  let db: Database;
  let app: FastifyInstance;
  let clock = Date.UTC(2016, 7, 15, 13, 29, 6);
  let origin = '';
  let BASE = '';
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await fetch(`${origin}${url}`, {
      method,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const post = (body: unknown) => call('POST', '/api/v2.0/results', body);
  const get = (url: string) => call('GET', `/api/v2.0${url}`);
  const result = (
    testcase: string,
    outcome: string,
    data: Record<string, unknown> = {},
    groups?: unknown[],
  ) =>
    post({
      testcase,
      outcome,
      data: { item: ITEM, type: 'koji_build', ...data },
      ...(groups ? { groups } : {}),
    });

  beforeAll(async () => {
    db = await Database.open(await target.create(), {
      baseDir: tmpdir(),
      logger: createLogger('database', 'error'),
    });
    const store = await ResultsStore.open(db);
    app = Fastify();
    await resultsdbRoutes(store, { now: () => new Date((clock += 1000)) }).register(
      app,
      {} as never,
    );
    origin = await app.listen({ host: '127.0.0.1', port: 0 });
    BASE = `${origin}/api/v2.0`;
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
    await target.remove();
  });

  it('answers the documented POST with 201 and ResultsDB shape', async () => {
    const { status, body } = await post({ ...POST, submit_time: '2016-08-15T13:29:06' });
    expect(status).toBe(201);
    expect(body).toEqual({
      ...RESPONSE,
      id: body.id,
      href: `${BASE}/results/${String(body.id)}`,
      testcase: { ...(RESPONSE.testcase as object), href: `${BASE}/testcases/dist.rpmlint` },
    });
    expect((await get(`/results/${String(body.id)}`)).body).toEqual(body);
  });

  it('keeps the group and testcase it created on the fly', async () => {
    const uuid = '27f94e36-62ec-11e6-83fd-525400d7d6a4';
    expect((await get(`/groups/${uuid}`)).body).toEqual({
      uuid,
      description: 'Taskotron job on koji_build koschei-1.7.2-1.fc24',
      ref_url: null,
      results: `${BASE}/results?groups=${uuid}`,
      href: `${BASE}/groups/${uuid}`,
    });
    expect((await get('/testcases/dist.rpmlint')).body).toEqual({
      name: 'dist.rpmlint',
      ref_url: 'https://fedoraproject.org/wiki/Common_Rpmlint_issues',
      href: `${BASE}/testcases/dist.rpmlint`,
    });
    expect((await get('/groups')).body).toMatchObject({ prev: null, next: null, data: [{ uuid }] });
    expect((await get('/testcases?name:like=dist.*')).body).toMatchObject({
      data: [{ name: 'dist.rpmlint' }],
    });
  });

  it.each<[string, unknown, RegExp]>([
    [
      'an invalid outcome',
      { testcase: 't', outcome: 'ERROR' },
      /outcome must be one of PASSED, INFO, FAILED, NEEDS_INSPECTION/,
    ],
    [
      'a data key with a colon',
      { testcase: 't', outcome: 'PASSED', data: { 'a:b': 'x' } },
      /Colon not allowed in key name: a:b/,
    ],
    ['no outcome', { testcase: 't' }, /outcome is required/],
    ['no testcase', { outcome: 'PASSED' }, /testcase/],
    [
      'a bad submit_time',
      { testcase: 't', outcome: 'PASSED', submit_time: '2016-13-45T00:00:00' },
      /submit_time/,
    ],
    ['data that is nested', { testcase: 't', outcome: 'PASSED', data: { a: { b: 1 } } }, /data/],
  ])('rejects %s with 400', async (_what, body, message) => {
    const { status, body: answer } = await post(body);
    expect(status).toBe(400);
    expect(answer.message).toMatch(message);
  });

  it('filters by item, type, testcases and outcome, newest first', async () => {
    await result('dist.abicheck', 'FAILED');
    await result('dist.abicheck', 'passed', { arch: ['x86_64', 'noarch'] });
    await result('dist.rpmgrill', 'INFO', { item: 'other-1-1.fc24' });
    const ids = async (q: string) =>
      (
        (await get(`/results?${q}`)).body.data as Array<{
          testcase: { name: string };
          outcome: string;
        }>
      ).map((r) => `${r.testcase.name}:${r.outcome}`);
    expect(await ids(`item=${ITEM}&type=koji_build`)).toEqual([
      'dist.abicheck:PASSED',
      'dist.abicheck:FAILED',
      'dist.rpmlint:PASSED',
    ]);
    expect(await ids(`item=${ITEM}&testcases=dist.abicheck&outcome=FAILED`)).toEqual([
      'dist.abicheck:FAILED',
    ]);
    expect(await ids('testcases:like=dist.rpm*')).toEqual([
      'dist.rpmgrill:INFO',
      'dist.rpmlint:PASSED',
    ]);
    expect(await ids('arch=noarch')).toEqual(['dist.abicheck:PASSED', 'dist.rpmlint:PASSED']);
    expect(await ids('item:like=koschei-*&outcome=PASSED,INFO')).toEqual([
      'dist.abicheck:PASSED',
      'dist.rpmlint:PASSED',
    ]);
    expect(await ids('testcases:like=dist_rpm*')).toEqual([]);
    expect(await ids('since=2016-08-15T13:29:08')).toEqual([
      'dist.rpmgrill:INFO',
      'dist.abicheck:PASSED',
      'dist.abicheck:FAILED',
    ]);
  });

  it('pages with page and limit, and prev and next links', async () => {
    const first = (await get('/results?limit=2')).body;
    expect(first.prev).toBeNull();
    expect(first.next).toBe(`${BASE}/results?limit=2&page=1`);
    expect(first.data).toHaveLength(2);
    const second = (await get('/results?limit=2&page=1')).body;
    expect(second.prev).toBe(`${BASE}/results?limit=2&page=0`);
    expect(second.next).toBeNull();
    expect(second.data).toHaveLength(2);
    const seen = [
      ...(first.data as Array<{ id: number }>),
      ...(second.data as Array<{ id: number }>),
    ].map((r) => r.id);
    expect(new Set(seen).size).toBe(4);
    expect((await get('/results?limit=x')).status).toBe(400);
    expect((await get('/results?limit=5000')).status).toBe(400);
    expect((await get('/results?page=-1')).status).toBe(400);
    expect((await get('/results?item=a&item=b')).status).toBe(400);
  });

  it('answers a Bodhi-style read of the latest results of an item with what was stored', async () => {
    const { status, body } = await get(`/results/latest?item=${ITEM}&type=koji_build`);
    expect(status).toBe(200);
    const data = body.data as Array<Record<string, unknown>>;
    expect(data.map((r) => [(r.testcase as { name: string }).name, r.outcome])).toEqual([
      ['dist.abicheck', 'PASSED'],
      ['dist.rpmlint', 'PASSED'],
    ]);
    expect(data[0]!.data).toEqual({
      item: [ITEM],
      type: ['koji_build'],
      arch: ['x86_64', 'noarch'],
    });
    expect((await get('/results/latest?item=nothing')).body).toEqual({ data: [] });
  });

  it('sorts by submit_time either way with _sort, and refuses another sort', async () => {
    const newest = (await get(`/results?item=${ITEM}&limit=3`)).body.data as Array<{ id: number }>;
    const oldest = (await get(`/results?item=${ITEM}&limit=3&_sort=asc:submit_time`)).body
      .data as Array<{ id: number }>;
    const all = (await get(`/results?item=${ITEM}&limit=1000`)).body.data as Array<{ id: number }>;
    expect(newest.map((r) => r.id)).toEqual(all.slice(0, 3).map((r) => r.id));
    expect(oldest.map((r) => r.id)).toEqual(
      all
        .slice(-3)
        .reverse()
        .map((r) => r.id),
    );
    expect(await get(`/results?_sort=desc:id`)).toEqual({
      status: 400,
      body: { message: '_sort must be asc:submit_time or desc:submit_time, not "desc:id"' },
    });
  });

  it('answers the latest result per arch with _distinct_on (bodhi#2425)', async () => {
    const item = 'perarch-1-1.fc41';
    const at = async (arch: string, outcome: string) =>
      post({ testcase: 'dist.depcheck', outcome, data: { item, type: 'koji_build', arch } });
    await at('x86_64', 'FAILED');
    await at('x86_64', 'PASSED');
    await at('i386', 'FAILED');
    const latest = async (query: string) =>
      (
        (await get(`/results/latest?item=${item}${query}`)).body.data as Array<{
          outcome: string;
          data: { arch: string[] };
        }>
      ).map((r) => [r.data.arch[0], r.outcome]);
    expect(await latest('')).toEqual([['i386', 'FAILED']]);
    expect(await latest('&_distinct_on=arch')).toEqual([
      ['i386', 'FAILED'],
      ['x86_64', 'PASSED'],
    ]);
  });

  it('creates groups and testcases with POST, as ResultsDB does', async () => {
    const group = { uuid: `g-${target.name}`, description: 'a job', ref_url: 'http://x/jobs/1' };
    expect(await call('POST', '/api/v2.0/groups', group)).toEqual({
      status: 201,
      body: {
        ...group,
        results: `${BASE}/results?groups=${group.uuid}`,
        href: `${BASE}/groups/${group.uuid}`,
      },
    });
    expect((await get(`/groups/${group.uuid}`)).body).toMatchObject(group);
    expect(await call('POST', '/api/v2.0/groups', group)).toEqual({
      status: 400,
      body: { message: 'Group with this uuid already exists' },
    });
    const fresh = await call('POST', '/api/v2.0/groups', {});
    expect(fresh.status).toBe(201);
    expect(fresh.body.uuid).toMatch(/^[0-9a-f-]{36}$/);

    const testcase = { name: 'dist.posted', ref_url: 'http://wiki/1' };
    expect(await call('POST', '/api/v2.0/testcases', testcase)).toEqual({
      status: 201,
      body: { ...testcase, href: `${BASE}/testcases/dist.posted` },
    });
    const moved = await call('POST', '/api/v2.0/testcases', {
      ...testcase,
      ref_url: 'http://wiki/2',
    });
    expect(moved.body.ref_url).toBe('http://wiki/2');
    expect((await get('/testcases/dist.posted')).body.ref_url).toBe('http://wiki/2');
    expect((await call('POST', '/api/v2.0/testcases', { ref_url: 'x' })).status).toBe(400);
  });

  it('answers 404 as ResultsDB does', async () => {
    expect(await get('/results/999999')).toEqual({
      status: 404,
      body: { message: 'Result not found' },
    });
    expect(await get('/results/abc')).toEqual({
      status: 404,
      body: { message: 'Result not found' },
    });
    expect(await get('/groups/nope')).toEqual({
      status: 404,
      body: { message: 'Group not found' },
    });
    expect(await get('/testcases/nope')).toEqual({
      status: 404,
      body: { message: 'Testcase not found' },
    });
  });

  it('creates groups given as objects without a uuid, and stores values as given', async () => {
    const { body } = await result('scratch.x', 'INFO', { note: ['ü 😀', "it's"] }, [
      { description: 'd' },
      'plain-uuid',
    ]);
    const groups = body.groups as string[];
    expect(groups).toHaveLength(2);
    expect(groups).toContain('plain-uuid');
    expect((body.data as Record<string, unknown>).note).toEqual(['ü 😀', "it's"]);
  });
});
