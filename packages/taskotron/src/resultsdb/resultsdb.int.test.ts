import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { createLogger } from '@loopabull/core';
import { allDatabases, waitFor } from '@test/support';
import { Database } from '@loopabull/database';
import { sql } from 'kysely';
import { storedTime } from './api.js';
import { NOT_UTF8, resultsdbRoutes } from './routes.js';
import { ResultsStore } from './store.js';
import { resultsMigrations, SIZES, type ResultsTables } from './tables.js';

const fixture = (name: string) =>
  JSON.parse(
    readFileSync(new URL(`../../../../test/fixtures/${name}`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
const POST = fixture('resultsdb-post-result.json');
const RESPONSE = fixture('resultsdb-post-result-response.json');

const ITEM = 'koschei-1.7.2-1.fc24';

describe.each(allDatabases())('ResultsDB v2.0 API on $name', (target) => {
  let db: Database;
  let store: ResultsStore;
  let app: FastifyInstance;
  let clock = Date.UTC(2016, 7, 15, 13, 29, 6);
  let origin = '';
  let BASE = '';
  /** A string payload is sent as it is: JSON text that JSON.stringify would not write (`1.0`). */
  const call = async (method: string, url: string, payload?: unknown) => {
    const res = await fetch(`${origin}${url}`, {
      method,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined
        ? {}
        : { body: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
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
    store = await ResultsStore.open(db);
    app = Fastify();
    await resultsdbRoutes(store, { now: () => storedTime(new Date((clock += 1000))) }).register(
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

  it("answers as Flask's jsonify: every object's keys sorted, application/json", async () => {
    const raw = async (url: string) => {
      const res = await fetch(`${BASE}${url}`);
      return { type: res.headers.get('content-type'), text: await res.text() };
    };
    const sorted = (keys: string[]) => [...keys].sort();
    const list = await raw(`/results?item=${ITEM}&limit=1`);
    expect(list.type).toBe('application/json');
    const page = JSON.parse(list.text) as { data: Array<Record<string, object>> };
    // The text's order: JSON.parse keeps it for keys that are not array indexes.
    expect(Object.keys(page)).toEqual(['data', 'next', 'prev']);
    const one = page.data[0]!;
    expect(Object.keys(one)).toEqual(sorted(Object.keys(one)));
    expect(Object.keys(one)[0]).toBe('data');
    expect(Object.keys(one.data!)).toEqual(['arch', 'item', 'type']);
    expect(Object.keys(one.testcase!)).toEqual(['href', 'name', 'ref_url']);
    for (const url of ['/groups', '/testcases/dist.rpmlint', '/results/0', '/nothing', '']) {
      const answer = await raw(url);
      expect([url, answer.type]).toEqual([url, 'application/json']);
    }
    expect((await raw('/groups')).text).toMatch(/^\{"data":\[\{"description":/);
    expect((await raw('')).text).toMatch(
      /^\{"documentation":.*"outcomes":.*"testcases":"[^"]*"\}$/,
    );
  });

  it('keeps the group and testcase it created on the fly', async () => {
    const uuid = '27f94e36-62ec-11e6-83fd-525400d7d6a4';
    expect((await get(`/groups/${uuid}`)).body).toEqual({
      uuid,
      description: 'Taskotron job on koji_build koschei-1.7.2-1.fc24',
      ref_url: null,
      results: `${BASE}/results?groups=${uuid}`,
      results_count: 1,
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
      /outcome must be one of \('PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION'\)$/,
    ],
    [
      'a data key with a colon',
      { testcase: 't', outcome: 'PASSED', data: { 'a:b': 'x' } },
      /Colon not allowed in key name: \['a:b'\]$/,
    ],
    ['no outcome', { testcase: 't' }, /outcome is required/],
    ['an outcome that is no string', { testcase: 't', outcome: 5 }, /outcome must be a string/],
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
    expect((await get('/results?outcome=PASSED&outcome=INFO')).status).toBe(400);
    // As ResultsDB: a negative page is page 0 (a limit over 1000: see the last test).
    const large = await get('/results?limit=5000&page=-1');
    expect(large.status).toBe(200);
    expect(large.body).toMatchObject({ prev: null, next: null });
    expect(large.body.data).toHaveLength(4);
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
    // A data key named like an object's own properties filters as any other (none has it).
    for (const key of ['__proto__', 'constructor', 'toString']) {
      expect((await get(`/results?${key}=x`)).body).toMatchObject({ data: [] });
      expect((await get(`/results/latest?${key}=x`)).body).toEqual({ data: [] });
    }
  });

  it('sorts by submit_time either way with _sort, and newest first for another sort, as ResultsDB', async () => {
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
    for (const sort of ['desc:id', 'asc:id', 'ASC:submit_time']) {
      const other = await get(`/results?item=${ITEM}&limit=3&_sort=${sort}`);
      expect(other.status).toBe(200);
      expect((other.body.data as Array<{ id: number }>).map((r) => r.id)).toEqual(
        newest.map((r) => r.id),
      );
    }
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

  it('refuses _distinct_on with no other filter but the outcome, as ResultsDB', async () => {
    const refused = {
      status: 400,
      body: { message: "Please, provide at least one filter beside '_distinct_on'" },
    };
    expect(await get('/results/latest?_distinct_on=arch')).toEqual(refused);
    expect(await get('/results/latest?_distinct_on=arch&outcome=PASSED&testcases=,')).toEqual(
      refused,
    );
    for (const filter of ['testcases=dist.depcheck', 'testcases:like=dist.*', 'since=2016'])
      expect((await get(`/results/latest?_distinct_on=arch&${filter}`)).status).toBe(200);
  });

  it('creates groups and testcases with POST, as ResultsDB does', async () => {
    const group = { uuid: `g-${target.name}`, description: 'a job', ref_url: 'http://x/jobs/1' };
    expect(await call('POST', '/api/v2.0/groups', group)).toEqual({
      status: 201,
      body: {
        ...group,
        results: `${BASE}/results?groups=${group.uuid}`,
        results_count: 0,
        href: `${BASE}/groups/${group.uuid}`,
      },
    });
    expect((await get(`/groups/${group.uuid}`)).body).toMatchObject(group);
    // As ResultsDB: POSTing an existing uuid updates the fields given and answers 201.
    const updated = await call('POST', '/api/v2.0/groups', { uuid: group.uuid, description: 'b' });
    expect(updated).toMatchObject({ status: 201, body: { ...group, description: 'b' } });
    expect((await get(`/groups/${group.uuid}`)).body).toMatchObject({ ...group, description: 'b' });
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

  it("counts a group's results in results_count, as ResultsDB's group JSON", async () => {
    const uuid = `counted-${target.name}`;
    const counted = async () => {
      const one = (await get(`/groups/${uuid}`)).body.results_count;
      const listed = (await get(`/groups?uuid=${uuid}`)).body.data as Array<{
        results_count: number;
      }>;
      return [one, listed[0]?.results_count];
    };
    expect((await call('POST', '/api/v2.0/groups', { uuid })).body.results_count).toBe(0);
    expect(await counted()).toEqual([0, 0]);
    await result('scratch.counted', 'PASSED', {}, [uuid]);
    await result('scratch.counted', 'FAILED', {}, [{ uuid }, 'another-group']);
    expect(await counted()).toEqual([2, 2]);
    expect((await call('POST', '/api/v2.0/groups', { uuid })).body.results_count).toBe(2);
  });

  it('lists the latest results newest first, as ResultsDB (its test_get_results_latest)', async () => {
    const item = 'latest-order-1';
    const at = (testcase: string, outcome: string) =>
      post({ testcase, outcome, data: { item, arch: 'x86_64' } });
    await at('scratch.order.a', 'PASSED');
    await at('scratch.order.a', 'FAILED');
    await at('scratch.order.b', 'PASSED');
    const latest = async (query: string) =>
      (
        (await get(`/results/latest?item=${item}${query}`)).body.data as Array<{
          outcome: string;
          testcase: { name: string };
        }>
      ).map((r) => `${r.testcase.name}:${r.outcome}`);
    // Not by name: b's result is the newest.
    const newestFirst = ['scratch.order.b:PASSED', 'scratch.order.a:FAILED'];
    expect(await latest('')).toEqual(newestFirst);
    expect(await latest('&_distinct_on=arch')).toEqual(newestFirst);
    // ResultsDB orders its "latest" query by `_sort` too.
    const oldestFirst = [...newestFirst].reverse();
    expect(await latest('&_sort=asc:submit_time')).toEqual(oldestFirst);
    expect(await latest('&_sort=asc:submit_time&_distinct_on=arch')).toEqual(oldestFirst);
    expect(await latest('&_sort=desc:submit_time')).toEqual(newestFirst);
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

  const names = async (url: string) =>
    ((await get(url)).body.data as Array<{ testcase: { name: string }; data: { item: string[] } }>)
      .map((r) => `${r.testcase.name}:${r.data.item[0]}`)
      .sort();

  it('keeps the stored ref_url of a testcase POSTed without one, as ResultsDB does', async () => {
    const name = 'scratch.kept-url';
    const ref = async () => (await get(`/testcases/${name}`)).body.ref_url;
    await call('POST', '/api/v2.0/testcases', { name, ref_url: 'http://wiki/kept' });
    expect(await call('POST', '/api/v2.0/testcases', { name })).toMatchObject({
      status: 201,
      body: { name, ref_url: 'http://wiki/kept' },
    });
    await call('POST', '/api/v2.0/testcases', { name, ref_url: null });
    expect(await ref()).toBe('http://wiki/kept');
    await post({ testcase: name, outcome: 'INFO' });
    await post({ testcase: { name }, outcome: 'INFO' });
    expect(await ref()).toBe('http://wiki/kept');
    // A result's testcase object with ref_url null clears it (ResultsDB's tc.get('ref_url')).
    await post({ testcase: { name, ref_url: null }, outcome: 'INFO' });
    expect(await ref()).toBeNull();
  });

  it('stores times before the year 1000 with four digits, so that they sort as oldest', async () => {
    const testcase = 'scratch.old-times';
    const at = (submit_time: unknown) => post({ testcase, outcome: 'INFO', submit_time });
    expect((await at(-50000000000000)).body.submit_time).toBe('0385-07-25T07:06:40');
    expect((await at('0050-01-01T00:00:00')).body.submit_time).toBe('0050-01-01T00:00:00');
    await at('2016-01-01T00:00:00');
    const times = async (q = '') =>
      (
        (await get(`/results?testcases=${testcase}${q}`)).body.data as Array<{
          submit_time: string;
        }>
      ).map((r) => r.submit_time);
    expect(await times()).toEqual([
      '2016-01-01T00:00:00',
      '0385-07-25T07:06:40',
      '0050-01-01T00:00:00',
    ]);
    expect(await times('&since=0100-01-01,1000-01-01')).toEqual(['0385-07-25T07:06:40']);
    expect((await get(`/results/latest?testcases=${testcase}`)).body.data).toMatchObject([
      { submit_time: '2016-01-01T00:00:00' },
    ]);
    for (const bad of [-62135596800001, 253402300800000, '0000-01-01T00:00:00']) {
      const { status, body } = await at(bad);
      expect([status, body.message]).toEqual([
        400,
        expect.stringMatching(/^submit_time .*0001 and 9999$/),
      ]);
    }
  });

  it('tells apart names that differ only in case or trailing spaces, as PostgreSQL does', async () => {
    const results = [
      {
        testcase: { name: 'scratch.Case', ref_url: 'http://upper' },
        item: 'Kernel-1',
        group: 'GRP-A',
      },
      {
        testcase: { name: 'scratch.case', ref_url: 'http://lower' },
        item: 'kernel-1',
        group: 'grp-a',
      },
    ];
    for (const [i, r] of results.entries()) {
      const { status, body } = await post({
        testcase: r.testcase,
        outcome: 'PASSED',
        groups: [{ uuid: r.group, description: r.group }],
        data: i
          ? { item: r.item, Flavour: 'plain', tag: 'pad' }
          : { item: r.item, flavour: 'plain', tag: 'pad ' },
      });
      expect([status, body.groups]).toEqual([201, [r.group]]);
    }
    expect(await names('/results?item=Kernel-1')).toEqual(['scratch.Case:Kernel-1']);
    expect(await names('/results?item=kernel-1')).toEqual(['scratch.case:kernel-1']);
    expect(await names('/results?testcases=scratch.case')).toEqual(['scratch.case:kernel-1']);
    expect(await names('/results?groups=GRP-A')).toEqual(['scratch.Case:Kernel-1']);
    expect(await names('/results?flavour=plain')).toEqual(['scratch.Case:Kernel-1']);
    expect(await names('/results?tag=pad')).toEqual(['scratch.case:kernel-1']);
    expect(await names('/results/latest?testcases=scratch.Case,scratch.case')).toEqual([
      'scratch.Case:Kernel-1',
      'scratch.case:kernel-1',
    ]);
    expect((await get('/testcases/scratch.Case')).body.ref_url).toBe('http://upper');
    expect((await get('/testcases/scratch.case')).body.ref_url).toBe('http://lower');
    expect((await get('/groups/GRP-A')).body.description).toBe('GRP-A');
    expect((await get('/groups/grp-a')).body.description).toBe('grp-a');
  });

  it('keeps spaces around testcase names and group uuids, as ResultsDB: each is its own', async () => {
    for (const [testcase, group] of [
      [{ name: ' scratch.padded ', ref_url: 'http://padded' }, ' pad-group'],
      [{ name: 'scratch.padded', ref_url: 'http://bare' }, 'pad-group'],
    ] as const) {
      const { status, body } = await post({
        testcase,
        outcome: 'PASSED',
        groups: [group],
        data: { item: testcase.ref_url },
      });
      expect([status, body.groups, (body.testcase as { name: string }).name]).toEqual([
        201,
        [group],
        testcase.name,
      ]);
    }
    expect((await get('/testcases/%20scratch.padded%20')).body.ref_url).toBe('http://padded');
    expect((await get('/testcases/scratch.padded')).body.ref_url).toBe('http://bare');
    expect(await names('/testcases/%20scratch.padded%20/results')).toEqual([
      ' scratch.padded :http://padded',
    ]);
    expect(await names('/groups/%20pad-group/results')).toEqual([' scratch.padded :http://padded']);
    expect(await names('/results?groups=pad-group')).toEqual(['scratch.padded:http://bare']);
  });

  it('stores a number or boolean note and ref_url as their text, as ResultsDB 2.0', async () => {
    const { status, body } = await post(
      '{"testcase": "scratch.note", "outcome": "INFO", "note": 5, "ref_url": 1.0}',
    );
    expect([status, body.note, body.ref_url]).toEqual([201, '5', '1.0']);
    expect((await get(`/results/${String(body.id)}`)).body).toMatchObject({
      note: '5',
      ref_url: '1.0',
    });
    const flag = await post({ testcase: 'scratch.note', outcome: 'INFO', note: false });
    expect([flag.status, flag.body.note]).toEqual([201, 'False']);
    const list = await post({ testcase: 'scratch.note', outcome: 'INFO', ref_url: ['u'] });
    expect([list.status, list.body.message]).toEqual([
      400,
      'ref_url must be a string, number or boolean',
    ]);
  });

  it('stores a number or boolean group description, group or testcase ref_url as text, as ResultsDB 2.0', async () => {
    const group = await call(
      'POST',
      '/api/v2.0/groups',
      '{"uuid": "numeric-group", "description": 0, "ref_url": 1.0}',
    );
    expect([group.status, group.body.description, group.body.ref_url]).toEqual([201, '0', '1.0']);
    const flags = await call('POST', '/api/v2.0/groups', {
      uuid: 'numeric-group',
      description: false,
      ref_url: true,
    });
    expect([flags.status, flags.body.description, flags.body.ref_url]).toEqual([
      201,
      'False',
      'True',
    ]);
    const testcase = await call(
      'POST',
      '/api/v2.0/testcases',
      '{"name": "scratch.numeric", "ref_url": 1e16}',
    );
    expect([testcase.status, testcase.body.ref_url]).toEqual([201, '1e+16']);
    const { status, body } = await post(
      '{"testcase": {"name": "scratch.numeric", "ref_url": 2.50}, "outcome": "INFO",' +
        ' "groups": [{"uuid": "numeric-group", "description": 3}, {"uuid": "flag-group", "ref_url": false}]}',
    );
    expect([status, (body.testcase as { ref_url: unknown }).ref_url]).toEqual([201, '2.5']);
    expect((await get('/testcases/scratch.numeric')).body.ref_url).toBe('2.5');
    expect((await get('/groups/numeric-group')).body).toMatchObject({
      description: '3',
      ref_url: 'True',
    });
    expect((await get('/groups/flag-group')).body.ref_url).toBe('False');
    const list = await call('POST', '/api/v2.0/groups', { description: ['d'] });
    expect([list.status, list.body.message]).toEqual([
      400,
      'description must be a string, number or boolean',
    ]);
  });

  it('stores a group uuid sent as a number or boolean as its text, in POST /groups and a result', async () => {
    const group = await call('POST', '/api/v2.0/groups', '{"uuid": 4.50, "description": "n"}');
    expect([group.status, group.body.uuid, group.body.href]).toEqual([
      201,
      '4.5',
      `${BASE}/groups/4.5`,
    ]);
    const flag = await call('POST', '/api/v2.0/groups', { uuid: false });
    expect([flag.status, flag.body.uuid]).toEqual([201, 'False']);
    // The same object in a result names the same group.
    const { status, body } = await post(
      '{"testcase": "scratch.numeric-uuid", "outcome": "INFO", "groups": [{"uuid": 4.50}, {"uuid": false}]}',
    );
    expect([status, body.groups]).toEqual([201, ['4.5', 'False']]);
    expect((await get('/groups/4.5')).body).toMatchObject({ description: 'n', results_count: 1 });
    expect((await get('/groups/False')).body.results_count).toBe(1);
  });

  it('refuses a body that is no UTF-8, as ResultsDB did, instead of storing U+FFFD', async () => {
    // The JSON text with the byte 0xFF, which no UTF-8 holds, in place of its `?`.
    const bytes = (json: string) => {
      const [before, after] = json.split('?');
      return Buffer.concat([Buffer.from(before!), Buffer.from([0xff]), Buffer.from(after!)]);
    };
    for (const [path, json] of [
      ['results', '{"testcase": "scratch.latin?", "outcome": "INFO"}'],
      ['groups', '{"uuid": "latin?"}'],
      ['testcases', '{"name": "scratch.latin?"}'],
    ] as const) {
      const res = await fetch(`${BASE}/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bytes(json),
      });
      expect([res.status, await res.json()]).toEqual([400, { message: NOT_UTF8 }]);
    }
    expect((await get('/testcases/scratch.latin%EF%BF%BD')).status).toBe(404);
    expect((await get('/groups/latin%EF%BF%BD')).status).toBe(404);
  });

  it('stamps a result POSTed without submit_time to the microsecond, as ResultsDB utcnow', async () => {
    const own = Fastify();
    await resultsdbRoutes(store).register(own, {} as never);
    const at = await own.listen({ host: '127.0.0.1', port: 0 });
    try {
      const times = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${at}/api/v2.0/results`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ testcase: 'scratch.utcnow', outcome: 'INFO' }),
        });
        const body = (await res.json()) as { id: number; submit_time: string };
        expect(res.status).toBe(201);
        expect((await get(`/results/${body.id}`)).body.submit_time).toBe(body.submit_time);
        times.push(body.submit_time);
      }
      // As Python's isoformat: six digits; milliseconds would end each in 000.
      for (const time of times)
        expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$/);
      expect(times.some((time) => !time.endsWith('000'))).toBe(true);
    } finally {
      await own.close();
    }
  });

  it('makes a new group for POST /groups with an empty or null uuid, as ResultsDB', async () => {
    const uuids = [];
    for (const uuid of ['', null]) {
      const { status, body } = await call('POST', '/api/v2.0/groups', {
        uuid,
        description: 'no uuid given',
      });
      expect([status, body.uuid]).toEqual([201, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      expect((await get(`/groups/${String(body.uuid)}`)).body.description).toBe('no uuid given');
      uuids.push(body.uuid);
    }
    expect(uuids[0]).not.toBe(uuids[1]);
  });

  it('keeps the microseconds of submit_time: order, latest and since tell them apart', async () => {
    const testcase = 'scratch.microseconds';
    for (const submit_time of [
      '2024-05-01T12:00:00.123456',
      '2024-05-01T12:00:00.123457Z',
      '2024-05-01T12:00:00.000001+00:00',
    ]) {
      const { status, body } = await post({ testcase, outcome: 'INFO', submit_time });
      expect([status, body.submit_time]).toEqual([201, submit_time.slice(0, 26)]);
    }
    const times = async (url: string) =>
      ((await get(url)).body.data as Array<{ submit_time: string }>).map((r) => r.submit_time);
    expect(await times(`/results?testcases=${testcase}&_sort=asc:submit_time`)).toEqual([
      '2024-05-01T12:00:00.000001',
      '2024-05-01T12:00:00.123456',
      '2024-05-01T12:00:00.123457',
    ]);
    expect(await times(`/results/latest?testcases=${testcase}`)).toEqual([
      '2024-05-01T12:00:00.123457',
    ]);
    expect(
      await times(
        `/results?testcases=${testcase}&since=2024-05-01T12:00:00.000002,2024-05-01T12:00:00.123456`,
      ),
    ).toEqual(['2024-05-01T12:00:00.123456']);
  });

  it('keeps the query as requested in prev and next, without callback, as ResultsDB', async () => {
    for (const outcome of ['INFO', 'INFO', 'INFO'])
      await post({ testcase: 'scratch.paged', outcome, data: { item: 'paged-1' } });
    const q = 'testcases:like=scratch.pag*,none&item=paged-1&limit=1';
    const first = (await get(`/results?${q}&callback=cb`)).body;
    expect(first).toMatchObject({ prev: null, next: `${BASE}/results?${q}&page=1` });
    const middle = (await get(`/results?page=1&${q}`)).body;
    expect(middle).toMatchObject({
      prev: `${BASE}/results?page=0&${q}`,
      next: `${BASE}/results?page=2&${q}`,
    });
    expect((await get(`/results?page=2&${q}`)).body).toMatchObject({ next: null });
  });

  it('checks outcome in a query; "latest" reads it but not selects by it, as ResultsDB', async () => {
    const item = 'latest-outcome-1';
    await post({ testcase: 'scratch.flaky', outcome: 'FAILED', data: { item } });
    await post({ testcase: 'scratch.flaky', outcome: 'PASSED', data: { item } });
    const known = "('PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION', 'ABORTED', 'CRASHED')";
    const message = `outcome 'ERROR' not one of ${known}`;
    expect(await get(`/results?item=${item}&outcome=error`)).toEqual({
      status: 400,
      body: { message },
    });
    expect((await get(`/results/latest?item=${item}&outcome=ERROR`)).status).toBe(400);
    // ResultsDB 2.0 checks each part: an empty one is no outcome, not "any outcome".
    const empty = `outcome '' not one of ${known}`;
    for (const outcome of ['', 'FAILED,'])
      for (const at of ['/results', '/results/latest'])
        expect(await get(`${at}?item=${item}&outcome=${outcome}`)).toEqual({
          status: 400,
          body: { message: empty },
        });
    const outcomes = async (url: string) =>
      ((await get(url)).body.data as Array<{ outcome: string }>).map((r) => r.outcome);
    expect(await outcomes(`/results?item=${item}&outcome=failed`)).toEqual(['FAILED']);
    // The newest is PASSED: an older failure is not "latest".
    expect(await outcomes(`/results/latest?item=${item}&outcome=FAILED`)).toEqual(['PASSED']);
    // What the runner stores of checkb's, which a POST is refused, a query selects.
    await store.create({
      outcome: 'CRASHED',
      testcase: { name: 'scratch.flaky' },
      groups: [],
      note: null,
      ref_url: null,
      submit_time: '2016-01-01T00:00:00.000000',
      data: [['item', item]],
    });
    expect((await post({ testcase: 'scratch.flaky', outcome: 'ABORTED' })).status).toBe(400);
    expect(await outcomes(`/results?item=${item}&outcome=crashed`)).toEqual(['CRASHED']);
    expect(await outcomes(`/results?item=${item}&outcome=ABORTED`)).toEqual([]);
  });

  it('answers /groups/<uuid>/results and /testcases/<name>/results, as ResultsDB', async () => {
    const uuid = `sub-${target.name}`;
    await post({ testcase: 'scratch.sub', outcome: 'PASSED', groups: [uuid] });
    await post({ testcase: 'scratch.sub', outcome: 'FAILED' });
    const outcomes = async (url: string) => {
      const { status, body } = await get(url);
      return [status, (body.data as Array<{ outcome: string }>).map((r) => r.outcome), body.next];
    };
    expect(await outcomes(`/groups/${uuid}/results`)).toEqual([200, ['PASSED'], null]);
    expect(await outcomes('/testcases/scratch.sub/results')).toEqual([
      200,
      ['FAILED', 'PASSED'],
      null,
    ]);
    expect(await outcomes('/testcases/scratch.sub/results?limit=1&outcome=FAILED')).toEqual([
      200,
      ['FAILED'],
      null,
    ]);
    expect((await get('/testcases/scratch.sub/results?limit=1')).body.next).toBe(
      `${BASE}/testcases/scratch.sub/results?limit=1&page=1`,
    );
    expect(await get('/groups/no-such-group/results')).toEqual({
      status: 404,
      body: { message: 'Group not found: no-such-group' },
    });
    expect(await get('/testcases/scratch.none/results')).toEqual({
      status: 404,
      body: { message: 'Testcase not found' },
    });
  });

  it('takes back what a GET gave, submit_time as ms in a string, booleans as Python', async () => {
    const uuid = `echo-${target.name}`;
    await post({ testcase: 'scratch.echo', outcome: 'INFO', groups: [{ uuid, description: 'd' }] });
    const testcase = (await get('/testcases/scratch.echo')).body;
    const group = (await get(`/groups/${uuid}`)).body;
    const { status, body } = await post({
      testcase,
      groups: [group],
      outcome: 'PASSED',
      submit_time: '1471267746000',
      data: { item: 'echo-1', ok: true },
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      groups: [uuid],
      submit_time: '2016-08-15T13:29:06',
      data: { item: ['echo-1'], ok: ['True'] },
    });
    expect((await get('/results?ok=True&item=echo-1')).body.data).toHaveLength(1);
    expect(
      (await post({ testcase: 't', outcome: 'INFO', submit_time: '2016-08-15T13:29:06.5+02:00' }))
        .body.submit_time,
    ).toBe('2016-08-15T11:29:06.500000');
  });

  it("answers ResultsDB's landing page, and its 404 for another path", async () => {
    const landing = await get('');
    expect(landing).toMatchObject({
      status: 300,
      body: {
        results: `${BASE}/results`,
        outcomes: ['PASSED', 'INFO', 'FAILED', 'NEEDS_INSPECTION'],
      },
    });
    expect((await get('/')).status).toBe(300);
    expect(await get('/nothing/here')).toEqual({ status: 404, body: { message: 'Not found' } });
    // Any method: ResultsDB's 404 for a path no route takes, its 405 for one a route takes.
    for (const method of ['PUT', 'DELETE', 'PATCH', 'POST'])
      expect(await call(method, '/api/v2.0/nothing', {})).toEqual({
        status: 404,
        body: { message: 'Not found' },
      });
    const put = await fetch(`${BASE}/results`, { method: 'PUT' });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
    const deleted = await fetch(`${BASE}/testcases/x`, { method: 'DELETE' });
    expect([deleted.status, deleted.headers.get('allow')]).toEqual([405, 'GET, HEAD, OPTIONS']);
    // OPTIONS as Flask answers it: the methods of the path's routes, none for no route's path.
    const options = await fetch(`${BASE}/results/1`, { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([200, 'GET, HEAD, OPTIONS']);
    expect(await options.text()).toBe('');
    expect((await fetch(`${BASE}/nothing`, { method: 'OPTIONS' })).status).toBe(404);
    // Werkzeug's converters take at least one character: an empty id or uuid is no route's
    // (`/groups//results` is a redirect to the group `results`: see below).
    for (const path of ['/results/', '/groups/'])
      expect(await get(path)).toEqual({ status: 404, body: { message: 'Not found' } });
  });

  it('stores a result with 30,000 data values (inserted in parts)', async () => {
    const data = Object.fromEntries(
      Array.from({ length: 30 }, (_, k) => [
        `k${k}`,
        Array.from({ length: 1000 }, (_, v) => `v${v}`),
      ]),
    );
    const { status, body } = await post({ testcase: 'scratch.big', outcome: 'INFO', data });
    expect(status).toBe(201);
    const stored = (await get(`/results/${String(body.id)}`)).body.data as Record<string, string[]>;
    expect(Object.keys(stored)).toHaveLength(30);
    expect(stored.k29).toHaveLength(1000);
    expect(stored.k29![999]).toBe('v999');
  });

  it('finds results by data values up to the longest stored, alone or with other filters', async () => {
    // Longer than PostgreSQL's B-tree takes and than MariaDB's indexed start of a value.
    const long = 'n'.repeat(SIZES.value - 1);
    for (const item of [`${long}a`, `${long}b`])
      expect((await result('dist.long', 'PASSED', { item })).status).toBe(201);
    const items = async (q: string) =>
      ((await get(`/results?${q}`)).body.data as Array<{ data: { item: string[] } }>).map((r) =>
        r.data.item[0]!.slice(-1),
      );
    expect(await items(`item=${long}b`)).toEqual(['b']);
    expect(await items(`item=${long}b&type=koji_build`)).toEqual(['b']);
    expect(await items(`type=koji_build&item=${long}a`)).toEqual(['a']);
    expect(await items(`item:like=n*&type:like=koji_*`)).toEqual(['b', 'a']);
    expect(await items(`item=${long}a&type:like=koji_*&testcases=dist.long`)).toEqual(['a']);
    expect(await items(`item=${long}`)).toEqual([]);
  });

  it('refuses a NUL character with 400 naming the field, and finds no name holding one', async () => {
    const refused = async (url: string, body: unknown) => {
      const answer = await call('POST', `/api/v2.0${url}`, body);
      return [answer.status, answer.body.message];
    };
    const nul = 'must not contain a NUL character (U+0000)';
    expect(await refused('/results', { testcase: 't', outcome: 'INFO', note: 'a\0' })).toEqual([
      400,
      `note: ${nul}`,
    ]);
    expect(
      await refused('/results', { testcase: 't', outcome: 'INFO', data: { item: ['a', '\0'] } }),
    ).toEqual([400, `data.item.1: ${nul}`]);
    expect(await refused('/results', { testcase: 't\0', outcome: 'INFO' })).toEqual([
      400,
      `testcase: ${nul}`,
    ]);
    expect(await refused('/groups', { uuid: 'g', ref_url: '\0' })).toEqual([
      400,
      `ref_url: ${nul}`,
    ]);
    expect(await refused('/testcases', { name: '\0' })).toEqual([400, `name: ${nul}`]);
    expect(await get('/results?item=a%00')).toEqual({
      status: 400,
      body: { message: `item: ${nul}` },
    });
    // In a data filter's key too, which PostgreSQL failed on (500).
    for (const path of ['/results?a%00b=1', '/results/latest?%00=1'])
      expect(await get(path)).toMatchObject({
        status: 400,
        body: { message: expect.stringContaining(`its name ${nul}`) },
      });
    expect((await get('/groups?uuid=%00')).status).toBe(400);
    expect((await get('/groups/a%00')).status).toBe(404);
    expect((await get('/testcases/a%00')).status).toBe(404);
  });

  it('refuses a lone surrogate, which every dialect would store as U+FFFD', async () => {
    const surrogate = /lone surrogate/;
    const answers = [
      await call('POST', '/api/v2.0/results', { testcase: 'lone\ud800', outcome: 'INFO' }),
      await call('POST', '/api/v2.0/results', {
        testcase: 'lone',
        outcome: 'INFO',
        data: { item: '\udc00' },
      }),
      await call('POST', '/api/v2.0/groups', { uuid: 'lone\udfff' }),
      await call('POST', '/api/v2.0/testcases', { name: 'lone', ref_url: '\ud83d' }),
    ];
    for (const answer of answers)
      expect(answer).toMatchObject({
        status: 400,
        body: { message: expect.stringMatching(surrogate) },
      });
    expect((await get('/testcases/lone%EF%BF%BD')).status).toBe(404);
    expect((await get('/groups/lone%EF%BF%BD')).status).toBe(404);
  });

  it('reads GET /results parameters as ResultsDB does', async () => {
    const item = 'query-1-1.fc41';
    await post({ testcase: 'scratch.q-one', outcome: 'PASSED', data: { item, arch: 'x86_64' } });
    await post({ testcase: 'scratch.q-two', outcome: 'FAILED', data: { item, arch: 'i386' } });
    await post({ testcase: 'scratch.other', outcome: ' info ', data: { item, arch: 'noarch' } });
    const at = `/results?item=${item}`;
    // testcases and testcases:like: results of either.
    expect(await names(`${at}&testcases=scratch.other&testcases:like=scratch.q-t*`)).toEqual([
      `scratch.other:${item}`,
      `scratch.q-two:${item}`,
    ]);
    // A data key given twice is one list; jQuery's _ is no data filter.
    expect(await names(`${at}&arch=x86_64&arch=noarch&_=1471267746000`)).toEqual([
      `scratch.other:${item}`,
      `scratch.q-one:${item}`,
    ]);
    expect(await names(`${at}&testcases=,`)).toHaveLength(3);
    expect(await names(`${at}&outcome=INFO`)).toEqual([`scratch.other:${item}`]);
    // A data filter compares its values as given (ResultsDB's value.split(',')): an empty item
    // selects no result, never every one; a blank entry is one more value, a space kept.
    for (const query of ['/results?item=', '/results?item=&testcases=scratch.q-one', `${at}&arch=`])
      expect([query, await names(query)]).toEqual([query, []]);
    expect((await get('/results/latest?item=&type=koji_build')).body).toEqual({ data: [] });
    expect(await names(`/results?item=${item},`)).toHaveLength(3);
    expect(await names(`/results?item=%20${item}`)).toEqual([]);
    expect(await names(`/results?item:like=`)).toEqual([]);
  });

  it('reads since as ISO 8601: a date, Z, offsets converted to UTC', async () => {
    const testcase = 'scratch.since';
    for (const submit_time of ['2017-03-01T10:00:00', '2017-03-02T10:00:00.500000'])
      await post({ testcase, outcome: 'INFO', submit_time });
    const since = async (value: string) =>
      ((await get(`/results?testcases=${testcase}&since=${value}`)).body.data as unknown[]).length;
    expect(await since('2017-03-02')).toBe(1);
    expect(await since('2017-03-01,2017-03-02')).toBe(1);
    expect(await since('2017-03-01T10:00:00Z,2017-03-02T10:00:00.5Z')).toBe(2);
    expect(await since(encodeURIComponent('2017-03-02T11:00:00+01:00'))).toBe(1);
    expect(await since(encodeURIComponent('2017-03-02T11:00:01+01:00'))).toBe(0);
    expect((await get('/results?since=2017-02-30')).status).toBe(400);
  });

  it('refuses a since whose offset is 24 h or more with a 400 naming it, as Python datetime', async () => {
    for (const path of ['/results', '/results/latest']) {
      const since = '2017-03-02T11:00:00+24:00';
      expect(await get(`${path}?since=2017-03-01,${encodeURIComponent(since)}`)).toEqual({
        status: 400,
        body: {
          message: `'since' parameter not in ISO8601 format: "${since}" has the UTC offset +24:00, and Python's datetime takes only offsets strictly between -24:00 and +24:00`,
        },
      });
    }
  });

  it("gives a testcase a result creates the runner's ref_url, and leaves one that exists as it is", async () => {
    const newResult = (name: string, ref_url?: string | null) => ({
      outcome: 'PASSED',
      testcase: { name, ...(ref_url === undefined ? {} : { ref_url }) },
      groups: [],
      note: null,
      ref_url: null,
      submit_time: '2016-01-01T00:00:00.000000',
      data: [],
    });
    const wiki = (name: string) => `https://fedoraproject.org/wiki/Taskotron/Tasks/${name}`;
    const created = await store.create(newResult('scratch.wiki'), wiki('scratch.wiki'));
    expect(created.testcase).toEqual({ name: 'scratch.wiki', ref_url: wiki('scratch.wiki') });
    // dist.rpmlint exists, with the ref_url its first POST gave.
    const kept = await store.create(newResult('dist.rpmlint'), wiki('dist.rpmlint'));
    expect(kept.testcase.ref_url).toBe('https://fedoraproject.org/wiki/Common_Rpmlint_issues');
    // A ref_url the result gives, null too, is the one the testcase gets.
    const given = await store.create(newResult('scratch.given', 'http://own'), wiki('x'));
    expect(given.testcase.ref_url).toBe('http://own');
    const cleared = await store.create(newResult('scratch.cleared', null), wiki('x'));
    expect(cleared.testcase.ref_url).toBeNull();
  });

  it('lists groups newest first, as ResultsDB: in the order they were made', async () => {
    await call('POST', '/api/v2.0/groups', { uuid: 'order-b' });
    await result('scratch.order', 'PASSED', {}, [{ uuid: 'order-a', description: 'made by it' }]);
    await call('POST', '/api/v2.0/groups', { uuid: 'order-c' });
    // Neither an update nor a new result moves a group.
    await call('POST', '/api/v2.0/groups', { uuid: 'order-b', description: 'changed' });
    await result('scratch.order', 'PASSED', {}, ['order-b']);
    const uuids = async (q: string) =>
      ((await get(`/groups?${q}`)).body.data as Array<{ uuid: string }>).map((g) => g.uuid);
    expect(await uuids('uuid=order-a,order-b,order-c')).toEqual(['order-c', 'order-a', 'order-b']);
    expect(await uuids('limit=2')).toEqual(['order-c', 'order-a']);
    expect(await uuids('uuid=order-a,order-b,order-c&limit=2&page=1')).toEqual(['order-b']);
  });

  it('filters GET /groups by uuid and description, /testcases by name, as ResultsDB', async () => {
    const groups = [
      { uuid: 'fg-1', description: 'job 100% on a_b' },
      { uuid: 'fg-2', description: 'job 1000 on axb' },
      { uuid: 'fg-3', description: 'other' },
    ];
    for (const g of groups) await call('POST', '/api/v2.0/groups', g);
    const uuids = async (q: string) =>
      ((await get(`/groups?${q}`)).body.data as Array<{ uuid: string }>).map((g) => g.uuid);
    expect(await uuids('uuid=fg-1,fg-3')).toEqual(['fg-3', 'fg-1']);
    // Each uuid as given, as ResultsDB's `uuid.split(',')`: a group's uuid may have spaces.
    await call('POST', '/api/v2.0/groups', { uuid: ' fg-1' });
    expect(await uuids('uuid=%20fg-1')).toEqual([' fg-1']);
    expect(await uuids('uuid=fg-1,')).toEqual(['fg-1']);
    expect(await uuids('uuid=fg-3,%20fg-1&description=other')).toEqual(['fg-3']);
    expect(await uuids('uuid=fg-1,fg-2&description=other')).toEqual([]);
    expect(await uuids(`description=other,${encodeURIComponent('job 1000 on axb')}`)).toEqual([
      'fg-3',
      'fg-2',
    ]);
    // LIKE's own characters are matched as themselves, and description wins over it.
    expect(await uuids(`description:like=${encodeURIComponent('job 100%*a_b')}`)).toEqual(['fg-1']);
    expect(await uuids('description:like=job*,oth*&uuid=fg-2,fg-3')).toEqual(['fg-3', 'fg-2']);
    expect(await uuids('description=other&description:like=job*')).toEqual(['fg-3']);

    const testcases = async (q: string) =>
      ((await get(`/testcases?${q}`)).body.data as Array<{ name: string }>).map((t) => t.name);
    expect(await testcases('name=dist.abicheck,dist.rpmlint')).toEqual([
      'dist.abicheck',
      'dist.rpmlint',
    ]);
    expect(await testcases('name=dist.abicheck&name:like=dist.*')).toEqual(['dist.abicheck']);
    expect(await testcases('name:like=dist_abi*')).toEqual([]);
  });

  it('takes a testcase name with slashes, raw or %2F, and writes hrefs and links as ResultsDB', async () => {
    // A Fedora CI tmt plan; the results' group and item have the characters url_for leaves.
    const name = 'fedora-ci.koji-build./plans/basic.functional';
    const uuid = `tmt/${target.name}:run@1 a+b`;
    for (const outcome of ['FAILED', 'PASSED'])
      expect((await result(name, outcome, { item: 'tmt-1' }, [uuid])).status).toBe(201);
    const testcase = { name, ref_url: null, href: `${BASE}/testcases/${name}` };
    const raw = `/testcases/${name}`;
    const escaped = `/testcases/${encodeURIComponent(name)}`;
    expect(encodeURIComponent(name)).toContain('%2F');
    for (const path of [raw, escaped]) {
      expect(await get(path)).toEqual({ status: 200, body: testcase });
      const page = (await get(`${path}/results?limit=1`)).body;
      expect(page).toMatchObject({
        prev: null,
        // Werkzeug's request.url: the path decoded, so %2F is a slash there too.
        next: `${BASE}/testcases/${name}/results?limit=1&page=1`,
        data: [{ outcome: 'PASSED', testcase, groups: [uuid] }],
      });
      expect((await get(`${path}/results?page=1&limit=1`)).body).toMatchObject({
        prev: `${BASE}/testcases/${name}/results?page=0&limit=1`,
        data: [{ outcome: 'FAILED' }],
      });
    }
    // The group's href: / : @ as they are, the space escaped; its results link as url_for
    // writes a query: the space a +, the + escaped.
    const group = await get(`/groups/${encodeURIComponent(uuid).replaceAll('%2F', '/')}`);
    expect(group).toEqual({ status: 404, body: { message: 'Not found' } });
    const listed = (await get(`/groups?uuid=${encodeURIComponent(uuid)}`)).body.data;
    expect(listed).toMatchObject([
      {
        uuid,
        href: `${BASE}/groups/tmt/${target.name}:run@1%20a+b`,
        results: `${BASE}/results?groups=tmt/${target.name}:run@1+a%2Bb`,
      },
    ]);
    // As ResultsDB's <group_id>, the uuid is one segment: %2F is a slash, no route's.
    expect(await get(`/groups/${encodeURIComponent(uuid)}`)).toEqual(group);
    expect(await get(`/groups/${encodeURIComponent(uuid)}/results`)).toEqual(group);
    expect(await get('/results/1%2F2')).toEqual(group);
    // A listing links on with the query's escapes decoded, as Werkzeug's request.url has them,
    // but for those that would change the query (%26 and the like).
    const query = 'testcases:like=fedora-ci.%2A%2Fplans*&_=%26%2C%C3%A9&limit=1';
    expect((await get(`/results?${query}`)).body).toMatchObject({
      next: `${BASE}/results?testcases:like=fedora-ci.*/plans*&_=%26,é&limit=1&page=1`,
    });
  });

  it('answers under /testcases/ as the routes of ResultsDB match', async () => {
    const post = (name: string) => call('POST', '/api/v2.0/testcases', { name });
    for (const name of ['scratch.x', 'scratch.x/results', 'scratch.é ?#%', 'scratch.a\nb'])
      expect((await post(name)).status).toBe(201);
    expect((await get('/testcases/scratch.x')).body.href).toBe(`${BASE}/testcases/scratch.x`);
    // `/results` at the end is the results of the name before it, never a testcase.
    expect((await get('/testcases/scratch.x/results')).status).toBe(200);
    expect((await get('/testcases/scratch.x%2Fresults')).body).toHaveProperty('data');
    expect((await get('/testcases/scratch.x/results/results')).body).toHaveProperty('data');
    // Escaped in the href as url_for escapes them; found by that href.
    const odd = (await get('/testcases/scratch.%C3%A9%20%3F%23%25')).body;
    expect(odd).toEqual({
      name: 'scratch.é ?#%',
      ref_url: null,
      href: `${BASE}/testcases/scratch.%C3%A9%20%3F%23%25`,
    });
    // The path converter takes no newline after the first character, nor a leading slash
    // (`/testcases//x` is a redirect: see below).
    for (const path of ['/testcases/', '/testcases/scratch.a%0Ab'])
      expect(await get(path)).toEqual({ status: 404, body: { message: 'Not found' } });
    expect(await get('/testcases/scratch.none/x')).toEqual({
      status: 404,
      body: { message: 'Testcase not found' },
    });
    expect((await get('/testcases')).status).toBe(200);
  });

  it("redirects (308) a path a route takes once its slashes are merged, as Werkzeug's merge_slashes", async () => {
    expect((await call('POST', '/api/v2.0/testcases', { name: 'scratch.merge' })).status).toBe(201);
    const answer = async (path: string) => {
      const res = await fetch(`${BASE}${path}`, { redirect: 'manual' });
      return [path, res.status, res.headers.get('location')];
    };
    for (const [path, to] of <Array<[string, string]>>[
      ['/testcases//scratch.merge', '/testcases/scratch.merge'],
      [
        '/testcases//scratch.merge//results?limit=1&item=a%2Cb',
        '/testcases/scratch.merge/results?limit=1&item=a%2Cb',
      ],
      ['//results', '/results'],
      ['/results//latest?item=x', '/results/latest?item=x'],
      ['/groups/g%2F%2F/results', '/groups/g/results'],
      ['//', '/'],
      ['/groups//results', '/groups/results'],
      ['//testcases//scratch.%C3%A9%20x', '/testcases/scratch.%C3%A9%20x'],
    ])
      expect(await answer(path)).toEqual([path, 308, `${BASE}${to}`]);
    // A path a route takes as it is is not redirected: the name holds the doubled slash.
    expect(await answer('/testcases/scratch.merge//x')).toEqual([
      '/testcases/scratch.merge//x',
      404,
      null,
    ]);
    // Nor one that no route takes merged either.
    expect(await get('/nothing//here')).toEqual({ status: 404, body: { message: 'Not found' } });
    expect(await get('/results//1/x')).toEqual({ status: 404, body: { message: 'Not found' } });
    // A client following it (requests, fetch) gets the testcase.
    expect((await get('/testcases//scratch.merge')).body.name).toBe('scratch.merge');
    // A POST too, as Werkzeug redirects every method a route takes there: a client whose
    // api_url ends in `/` posts to `//results`, and requests re-sends it (308 keeps the body).
    const posted = await fetch(`${BASE}//results?x=1`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([posted.status, posted.headers.get('location')]).toEqual([308, `${BASE}/results?x=1`]);
    const followed = await call('POST', '/api/v2.0//results', {
      testcase: 'scratch.merge',
      outcome: 'PASSED',
    });
    expect(followed).toMatchObject({ status: 201, body: { testcase: { name: 'scratch.merge' } } });
    // Not for a path the POST routes take as they are not even merged, nor for another method.
    expect((await call('POST', '/api/v2.0//results/latest', {})).status).toBe(405);
    expect((await call('PUT', '/api/v2.0//results', {})).status).toBe(405);
  });

  it('starts every href, link and redirect with publicUrl, the URL a proxy serves it at', async () => {
    const api = 'https://taskotron.example.org/resultsdb_api/api/v2.0';
    const proxied = Fastify();
    await resultsdbRoutes(store, { publicUrl: api }).register(proxied, {} as never);
    const at = await proxied.listen({ host: '127.0.0.1', port: 0 });
    try {
      const read = async (path: string) => {
        const res = await fetch(`${at}/api/v2.0${path}`, { redirect: 'manual' });
        return {
          status: res.status,
          location: res.headers.get('location'),
          body: await res.json(),
        };
      };
      for (const name of ['scratch.proxy-1', 'scratch.proxy-2'])
        expect((await result(name, 'PASSED', { item: 'proxied-1' }, ['proxy-group'])).status).toBe(
          201,
        );
      const page = await read('/results?item=proxied-1&limit=1&page=1');
      expect(page.body).toMatchObject({
        prev: `${api}/results?item=proxied-1&limit=1&page=0`,
        next: null,
        data: [
          {
            href: expect.stringMatching(`^${api}/results/\\d+$`),
            testcase: { href: `${api}/testcases/scratch.proxy-1` },
          },
        ],
      });
      expect((await read('/groups/proxy-group')).body).toMatchObject({
        href: `${api}/groups/proxy-group`,
        results: `${api}/results?groups=proxy-group`,
      });
      expect((await read('/testcases?name:like=scratch.proxy-*&limit=1')).body).toMatchObject({
        next: `${api}/testcases?name:like=scratch.proxy-*&limit=1&page=1`,
      });
      expect((await read('')).body).toMatchObject({ groups: `${api}/groups` });
      expect(await read('/testcases//scratch.proxy-1')).toMatchObject({
        status: 308,
        location: `${api}/testcases/scratch.proxy-1`,
      });
    } finally {
      await proxied.close();
    }
  });

  it('starts hrefs and links with the Host lower-cased, without the default port, as Werkzeug', async () => {
    for (const name of ['scratch.host-1', 'scratch.host-2'])
      await call('POST', '/api/v2.0/testcases', { name });
    /** A GET with the Host header a client behind a proxy may send. */
    const viaHost = (path: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) =>
        request(
          { port: new URL(origin).port, path, headers: { host: 'EXAMPLE.test:80' } },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
          },
        )
          .on('error', reject)
          .end(),
      );
    const api = 'http://example.test/api/v2.0';
    expect(await viaHost('/api/v2.0/testcases?name:like=scratch.host-*&limit=1')).toMatchObject({
      next: `${api}/testcases?name:like=scratch.host-*&limit=1&page=1`,
      data: [{ href: `${api}/testcases/scratch.host-1` }],
    });
  });

  it('stores a number in data as ResultsDB (Python) writes it: 1.0, 1e+16, True', async () => {
    const { status, body } = await post(
      '{"testcase": "scratch.numbers", "outcome": "INFO", "data": ' +
        '{"item": "numbers-1", "f": 1.0, "l": [1e16, 0.00001, 10, -0.0, true, "2.50"]}}',
    );
    expect(status).toBe(201);
    const data = {
      item: ['numbers-1'],
      f: ['1.0'],
      l: ['1e+16', '1e-05', '10', '-0.0', 'True', '2.50'],
    };
    expect(body.data).toEqual(data);
    expect((await get(`/results/${String(body.id)}`)).body.data).toEqual(data);
    expect((await get('/results?f=1.0&l=1e%2B16&item=numbers-1')).body.data).toHaveLength(1);
  });

  // Last: it stores more results than the tests above count on.
  it('answers any limit, as ResultsDB (no maximum), and "latest" of thousands of testcases', async () => {
    const k = db.kysely.withTables<ResultsTables>();
    const n = 5003;
    const names = Array.from({ length: n }, (_, i) => `scratch.many.${i}`);
    await k
      .insertInto('taskotron_testcases')
      .values(names.map((name) => ({ name })))
      .execute();
    for (let i = 0; i < n; i += 1000) {
      const part = names.slice(i, i + 1000);
      await k
        .insertInto('taskotron_results')
        .values(
          part.flatMap((name, j) =>
            ['PASSED', 'FAILED'].map((outcome, t) => ({
              testcase_name: name,
              outcome,
              submit_time: `2001-01-01T00:00:0${t}.${String(i + j).padStart(6, '0')}`,
            })),
          ),
        )
        .execute();
    }
    const page = await get('/results?testcases:like=scratch.many.*&limit=20000');
    expect(page.body.next).toBeNull();
    expect(page.body.data).toHaveLength(2 * n);
    const latest = await get('/results/latest?testcases:like=scratch.many.*');
    const rows = latest.body.data as Array<{ outcome: string; testcase: { name: string } }>;
    expect(rows).toHaveLength(n);
    expect(new Set(rows.map((r) => r.outcome))).toEqual(new Set(['FAILED']));
    expect(rows[0]!.testcase.name).toBe(`scratch.many.${n - 1}`);
  });
});

describe.each(allDatabases())('the taskotron migrations on $name, on tables in use', (target) => {
  it('number the groups kept before by their first result, older without one; new ones come first', async () => {
    const db = await Database.open(await target.create(), {
      baseDir: tmpdir(),
      logger: createLogger('database', 'error'),
    });
    try {
      const all = resultsMigrations(db.dialect);
      await db.migrate(
        'taskotron',
        Object.fromEntries(Object.entries(all).filter(([name]) => name < '0021')),
      );
      const k = db.kysely.withTables<ResultsTables>();
      await k.insertInto('taskotron_testcases').values({ name: 't', ref_url: null }).execute();
      await k
        .insertInto('taskotron_groups')
        .values(
          ['g-z', 'g-a', 'g-m', 'g-n'].map((uuid) => ({ uuid, description: null, ref_url: null })),
        )
        .execute();
      for (const groups of [['g-z'], ['g-a'], ['g-a', 'g-z']]) {
        await k
          .insertInto('taskotron_results')
          .values({
            testcase_name: 't',
            outcome: 'PASSED',
            note: null,
            ref_url: null,
            submit_time: '2016-01-01T00:00:00.000000',
          })
          .execute();
        const { id } = await k
          .selectFrom('taskotron_results')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirstOrThrow();
        await k
          .insertInto('taskotron_result_groups')
          .values(groups.map((group_uuid) => ({ result_id: Number(id), group_uuid })))
          .execute();
      }

      const store = await ResultsStore.open(db);
      const uuids = async () =>
        (await store.groups({}, { page: 0, limit: 10 })).rows.map((g) => g.uuid);
      // g-a got its first result after g-z; g-m and g-n never got one.
      expect(await uuids()).toEqual(['g-a', 'g-z', 'g-n', 'g-m']);
      await store.saveGroup({ uuid: 'g-0' });
      await store.create({
        outcome: 'PASSED',
        testcase: { name: 't' },
        groups: [{ uuid: 'g-b' }, { uuid: 'g-z' }],
        note: null,
        ref_url: null,
        submit_time: '2016-01-01T00:00:00.000000',
        data: [],
      });
      expect(await uuids()).toEqual(['g-b', 'g-0', 'g-a', 'g-z', 'g-n', 'g-m']);
      expect(await store.group('g-b')).toEqual({ uuid: 'g-b', description: null, ref_url: null });
    } finally {
      await db.close();
      await target.remove();
    }
  });

  it('pad short years, and on MariaDB give merged names their own rows and keys', async () => {
    const db = await Database.open(await target.create(), {
      baseDir: tmpdir(),
      logger: createLogger('database', 'error'),
    });
    try {
      const all = resultsMigrations(db.dialect);
      await db.migrate('taskotron', Object.fromEntries(Object.entries(all).slice(0, 10)));
      const k = db.kysely.withTables<ResultsTables>();
      const mysql = db.dialect === 'mysql';
      await k
        .insertInto('taskotron_testcases')
        .values({ name: 'Kernel-1', ref_url: 'http://k' })
        .execute();
      await k
        .insertInto('taskotron_groups')
        .values({ uuid: 'GRP-A', description: 'd', ref_url: null })
        .execute();
      const row = (testcase_name: string, submit_time: string) => ({
        testcase_name,
        outcome: 'PASSED',
        note: null,
        ref_url: null,
        submit_time,
      });
      // What the code before stored: short years; on MariaDB, names merged by case.
      await k
        .insertInto('taskotron_results')
        .values([
          row('Kernel-1', '385-07-25T07:06:40.000000'),
          row('Kernel-1', '2016-01-01T00:00:00.000000'),
          row(mysql ? 'kernel-1' : 'Kernel-1', '50-01-01T00:00:00.000000'),
        ])
        .execute();
      const ids = (
        await k.selectFrom('taskotron_results').select('id').orderBy('id').execute()
      ).map((r) => Number(r.id));
      await k
        .insertInto('taskotron_result_groups')
        .values({ result_id: ids[2]!, group_uuid: mysql ? 'grp-a' : 'GRP-A' })
        .execute();

      const store = await ResultsStore.open(db);
      const page = await store.list({ data: [] }, { page: 0, limit: 10 });
      expect(page.rows.map((r) => r.submit_time)).toEqual([
        '2016-01-01T00:00:00.000000',
        '0385-07-25T07:06:40.000000',
        '0050-01-01T00:00:00.000000',
      ]);
      if (!mysql) return;
      expect(await store.testcase('kernel-1')).toEqual({ name: 'kernel-1', ref_url: 'http://k' });
      expect(await store.group('grp-a')).toEqual({
        uuid: 'grp-a',
        description: 'd',
        ref_url: null,
      });
      // The foreign keys are back.
      await expect(
        k
          .insertInto('taskotron_results')
          .values(row('KERNEL-1', '2016-01-01T00:00:00.000000'))
          .execute(),
      ).rejects.toThrow(/foreign key constraint fails/);
      await expect(
        k
          .insertInto('taskotron_result_groups')
          .values({ result_id: ids[0]!, group_uuid: 'Grp-a' })
          .execute(),
      ).rejects.toThrow(/foreign key constraint fails/);
    } finally {
      await db.close();
      await target.remove();
    }
  });
});

describe.each(allDatabases().filter((t) => t.name !== 'SQLite'))(
  'a result stored while other writers create its testcase and groups, on $name',
  (target) => {
    it('is stored, however many of its rows another writer creates in between', async () => {
      const options = { baseDir: tmpdir(), logger: createLogger('database', 'error') };
      const db = await Database.open(await target.create(), options);
      const other = await Database.open(db.url, options);
      try {
        const store = await ResultsStore.open(db);
        /** A transaction of another writer that inserts a row and commits when told. */
        const insertHeld = async (table: string, column: string, key: string) => {
          let commit!: () => void;
          const told = new Promise<void>((resolve) => (commit = resolve));
          let inserted!: () => void;
          const ready = new Promise<void>((resolve) => (inserted = resolve));
          const done = other.kysely.transaction().execute(async (trx) => {
            await sql`insert into ${sql.table(table)} (${sql.ref(column)}) values (${key})`.execute(
              trx,
            );
            inserted();
            await told;
          });
          await ready;
          return () => (commit(), done);
        };
        /** Until the store's insert into `table` waits on a row another writer holds. */
        const waitsOn = (table: string) => {
          const like = `%insert into%${table}%`;
          const query =
            db.dialect === 'postgresql'
              ? sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
                  where wait_event_type = 'Lock' and lower(query) like ${like}`
              : sql<{ n: number }>`select count(*) as n from information_schema.innodb_trx
                  where trx_state = 'LOCK WAIT' and lower(trx_query) like ${like}`;
          return waitFor(async () => Number((await query.execute(other.kysely)).rows[0]?.n) > 0, {
            what: `an insert into ${table} waiting on a lock`,
            // MariaDB renews what innodb_trx shows only when it has not been read for 0.1 s.
            interval: 250,
          });
        };
        // Its testcase first, then, once that is in, its group: one race after the other.
        const commitTestcase = await insertHeld('taskotron_testcases', 'name', 'race.tc');
        const stored = store
          .create({
            outcome: 'PASSED',
            testcase: { name: 'race.tc' },
            groups: [{ uuid: 'race-group' }],
            note: null,
            ref_url: null,
            submit_time: '2016-01-01T00:00:00.000000',
            data: [],
          })
          .catch((err: unknown) => err);
        await waitsOn('taskotron_testcases');
        const commitGroup = await insertHeld('taskotron_groups', 'uuid', 'race-group');
        await commitTestcase();
        await waitsOn('taskotron_groups');
        await commitGroup();
        expect(await stored).toMatchObject({
          testcase: { name: 'race.tc' },
          groups: ['race-group'],
        });
      } finally {
        await other.close();
        await db.close();
        await target.remove();
      }
    });
  },
);
