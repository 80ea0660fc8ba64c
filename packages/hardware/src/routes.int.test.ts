import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { AutomationHost, createLogger } from '@loopabull/core';
import { startServer } from '@loopabull/server';
import { rawRequest } from '@test/support';
import {
  exampleConfig,
  withHardware,
  handlerContext,
  preloadFixture,
  pulseEvent,
  pulseFixture,
  serve,
  testRedis,
  laterException,
  type HttpAnswer,
} from '../test/helpers.js';
import { hardware } from './automation.js';
import { COMPAT_LIST_MAX_AGE_MS, CompatListCache } from './compat-list-cache.js';
import { pythonJsonDumps } from './compat-json.js';
import { hardwareHandler } from './handler.js';
import { MachineStore } from './machine-store.js';
import { hardwareRoutes } from './mount.js';

let redis: Redis;
let close: () => Promise<void>;
let app: FastifyInstance;
let get: (path: string) => Promise<HttpAnswer>;
let config: ReturnType<typeof exampleConfig>;

beforeAll(async () => {
  let url: string;
  ({ redis, close, url } = await testRedis());
  config = exampleConfig(url);
  app = Fastify();
  await hardwareRoutes.register(app, {
    config,
    redis,
    logger: createLogger('test', 'error'),
    // As `loopabull serve` with the slave allocator mounted too.
    pages: [{ title: 'Slaves', path: '/ui/slavealloc' }, hardwareRoutes.dashboard!],
  });
  get = await serve(app);
});
beforeEach(() => redis.flushdb());
afterAll(async () => {
  await app.close();
  await close();
});

const completed = pulseFixture('task-completed');
const record = (fixture = completed) =>
  hardwareHandler(pulseEvent(fixture), handlerContext(redis, config));

describe('the RouteModule', () => {
  const started = async (cfg: typeof config) => {
    const host = await new AutomationHost(cfg, [hardware], createLogger('test', 'error')).start();
    const routes = host.started.map(({ instance }) => instance.routes);
    await host.stop();
    return routes;
  };

  it('is switched by hardware.enabled and links its page', async () => {
    expect(hardwareRoutes.name).toBe('hardware');
    expect(await started(config)).toEqual([hardwareRoutes]);
    expect(await started(withHardware(config, { enabled: false }))).toEqual([]);
    expect(hardwareRoutes.dashboard).toEqual({ title: 'Hardware', path: '/ui/machines' });
  });
});

describe('the original API, byte for byte', () => {
  it('GET /machines: [] when empty', async () => {
    const res = await get('/machines');
    expect(res.statusCode).toBe(200);
    expect(res.contentType).toBe('application/json');
    expect(res.body).toBe('[]');
  });

  it('GET /machines: the list as Python 2 json.dumps(indent=2) wrote it', async () => {
    await new MachineStore(redis).preload(preloadFixture());
    await record();
    const res = await get('/machines');
    expect(res.statusCode).toBe(200);
    expect(res.contentType).toBe('application/json');
    expect(res.body).toBe(
      '[\n  {\n    "machine": "t-linux64-ms-100", \n    "datacenter": "mdc1", \n    "lastseen": "2018-11-08T08:47:50.939514"\n  }, \n' +
        '  {\n    "machine": "t-mojave-r7-153", \n    "datacenter": "mdc2", \n    "lastseen": "2019-06-26T19:36:10.521000"\n  }\n]',
    );
    expect(JSON.parse(res.body)).toEqual([
      ...preloadFixture(),
      { machine: 't-mojave-r7-153', datacenter: 'mdc2', lastseen: '2019-06-26T19:36:10.521000' },
    ]);
  });

  it('GET /machines: the kept body is the same bytes as a fresh render, and every write renews it', async () => {
    const store = new MachineStore(redis);
    await store.preload(preloadFixture());
    const fresh = async () => pythonJsonDumps(await store.compatList(), 2);
    const first = await get('/machines');
    expect(first.bytes).toEqual(Buffer.from(await fresh(), 'utf8'));
    // Kept: a change behind the store's back (no version bump) does not show...
    await redis.hset('machines', 'mdc1:t-linux64-ms-100', '2030-01-01T00:00:00.000000');
    expect((await get('/machines')).bytes).toEqual(first.bytes);
    // ...until the store writes: a recorded observation, then a preload.
    await record();
    const second = await get('/machines');
    expect(second.body).toContain('"t-mojave-r7-153"');
    expect(second.bytes).toEqual(Buffer.from(await fresh(), 'utf8'));
    expect((await get('/machines')).bytes).toEqual(second.bytes);
    await store.preload([
      { machine: 'new-one', datacenter: 'mdc3', lastseen: '2021-01-01T00:00:00' },
    ]);
    expect((await get('/machines')).bytes).toEqual(Buffer.from(await fresh(), 'utf8'));
    expect((await get('/machines')).body).toContain('"new-one"');
  });

  it("GET /machines: shows another program's writes once the kept body is a second old", async () => {
    const store = new MachineStore(redis);
    await store.preload(preloadFixture());
    let clock = 0;
    const cache = new CompatListCache(redis, store, COMPAT_LIST_MAX_AGE_MS, () => clock);
    const first = await cache.body();
    await redis.hset('machines', 'mdc1:t-linux64-ms-100', '2030-01-01T00:00:00.000000');
    clock = COMPAT_LIST_MAX_AGE_MS - 1;
    expect(await cache.body()).toEqual(first);
    clock = COMPAT_LIST_MAX_AGE_MS;
    const renewed = await cache.body();
    expect(renewed.toString()).toContain('"2030-01-01T00:00:00.000000"');
    expect(renewed).toEqual(Buffer.from(pythonJsonDumps(await store.compatList(), 2), 'utf8'));
  });

  it('GET /machines splits stored ids at the first colon', async () => {
    await redis.hset('machines', 'dc:host:with:colons', '2018-11-08T08:47:50');
    expect(JSON.parse((await get('/machines')).body)).toEqual([
      { machine: 'host:with:colons', datacenter: 'dc', lastseen: '2018-11-08T08:47:50' },
    ]);
  });

  it("GET /machines lists in HGETALL's order, also a field that reads as an integer", async () => {
    await redis.hset('machines', 'mdc1:a', '2018-11-08T08:47:50', '42', '2018-11-08T08:47:51');
    const order = (await redis.call('HGETALL', 'machines')) as string[];
    expect(order).toEqual(['mdc1:a', '2018-11-08T08:47:50', '42', '2018-11-08T08:47:51']);
    expect(JSON.parse((await get('/machines')).body)).toEqual([
      { machine: 'a', datacenter: 'mdc1', lastseen: '2018-11-08T08:47:50' },
      { machine: '', datacenter: '42', lastseen: '2018-11-08T08:47:51' },
    ]);
  });

  it('GET /machines/<dc>:<host>: a bare JSON string', async () => {
    await record();
    for (const path of ['/machines/mdc2:t-mojave-r7-153', '/machines/mdc2%3At-mojave-r7-153']) {
      const res = await get(path);
      expect(res.statusCode).toBe(200);
      expect(res.contentType).toBe('application/json');
      expect(res.bytes).toEqual(Buffer.from('"2019-06-26T19:36:10.521000"'));
    }
  });

  it('GET /machines/<id>: a value stored by the original comes back as stored', async () => {
    await redis.hset('machines', 'mdc1:t-linux64-ms-100', '2018-11-08T08:47:50');
    expect((await get('/machines/mdc1:t-linux64-ms-100')).body).toBe('"2018-11-08T08:47:50"');
  });

  it('GET /machines/<id>: requests that come together each get their own machine', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `mdc${i % 2}:t-linux64-ms-${i}`);
    await redis.hset(
      'machines',
      ...ids.flatMap((id, i) => (i % 3 ? [id, `2026-01-01T00:00:${i}`] : [])),
    );
    const answers = await Promise.all(ids.map((id) => get(`/machines/${id}`)));
    answers.forEach((res, i) => {
      if (i % 3) expect(res.body).toBe(`"2026-01-01T00:00:${i}"`);
      else expect([res.statusCode, res.body]).toEqual([404, 'unknown machine']);
    });
  });

  it('reads the lastseen values asked for in one turn with one HMGET', async () => {
    await redis.hset('machines', 'mdc1:a', '2026-01-01T00:00:01', 'mdc1:b', '2026-01-01T00:00:02');
    await redis.config('RESETSTAT');
    const store = new MachineStore(redis);
    const values = await Promise.all(
      ['mdc1:a', 'mdc1:none', 'mdc1:b'].map((id) => store.lastseen(id)),
    );
    expect(values).toEqual(['2026-01-01T00:00:01', null, '2026-01-01T00:00:02']);
    const stats = await redis.info('commandstats');
    expect(stats).toMatch(/^cmdstat_hmget:calls=1,/m);
    expect(stats).not.toMatch(/^cmdstat_hget:/m);
  });

  it('GET /machines/<unknown>: 404 unknown machine', async () => {
    // The original's preload_redis.py wrote any value; it answered an empty one as unknown.
    await redis.hset('machines', 'mdc1:empty', '');
    for (const path of [
      '/machines/mdc9:nobody',
      '/machines/',
      '/machines/nocolon',
      '/machines/mdc1:empty',
      '/machines/mdc2:t-mojave-r7-153/',
      '/machines/mdc2/t-mojave-r7-153',
      '/machines/a/b:c/',
    ]) {
      const res = await get(path);
      expect(res.statusCode).toBe(404);
      expect(res.body).toBe('unknown machine');
      expect(res.contentType).toBe('text/plain; charset=utf-8');
    }
  });
});

describe('behind loopabull serve, an id the router cannot take', () => {
  const LONG = `mdc1:${'x'.repeat(600)}`;

  it('is answered as an unknown machine, without echoing the path', async () => {
    const automations = { started: [{ instance: { routes: hardwareRoutes } }] };
    const server = await startServer(
      { ...config, loglevel: 'error', http: { ...config.http, port: 0 } },
      automations as unknown as AutomationHost,
    );
    try {
      for (const path of [`/machines/${LONG}`, '/machines/%FF', '/machines/mdc1:%E2%82']) {
        const res = await rawRequest(server.url + path);
        expect([path, res.statusCode, res.contentType, res.body]).toEqual([
          path,
          404,
          'text/plain; charset=utf-8',
          'unknown machine',
        ]);
        expect(res.header('x-content-type-options')).toBe('nosniff');
      }
      for (const path of [`/api/hardware/machines/${LONG}`, '/api/hardware/machines/%FF']) {
        const res = await rawRequest(server.url + path);
        expect([path, res.statusCode, res.json()]).toEqual([
          path,
          404,
          { error: 'unknown machine' },
        ]);
      }
    } finally {
      await server.close();
    }
  });
});

describe('the operators API', () => {
  beforeEach(async () => {
    await new MachineStore(redis).preload(preloadFixture());
    await record();
    await record(laterException(completed, 'claim-expired'));
  });

  it('lists machines with their detail, filtered by datacenter and staleness', async () => {
    const all = await get('/api/hardware/machines');
    expect(all.statusCode).toBe(200);
    expect(all.contentType).toMatch(/^application\/json/);
    const body = all.json();
    expect(body).toMatchObject({ stale_after_seconds: 21600, count: 2 });
    expect(body.machines.map((m: { id: string }) => m.id)).toEqual([
      'mdc1:t-linux64-ms-100',
      'mdc2:t-mojave-r7-153',
    ]);
    expect(body.machines[1]).toMatchObject({
      lastseen: '2019-06-26T19:36:10.521000',
      last_state: 'exception',
      last_exception_reason: 'claim-expired',
      counts: { completed: 1, exception: 1 },
      stale: true,
    });
    const mdc2 = (await get('/api/hardware/machines?datacenter=mdc2')).json();
    expect(mdc2.machines.map((m: { id: string }) => m.id)).toEqual(['mdc2:t-mojave-r7-153']);
    const notStale = (await get('/api/hardware/machines?stale=1000w')).json();
    expect(notStale).toMatchObject({ count: 0, stale_after_seconds: 1000 * 604800 });
  });

  it('refuses bad filters with 400', async () => {
    for (const q of ['stale=soon', 'datacenter=a:b']) {
      const res = await get(`/api/hardware/machines?${q}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatch(/stale|datacenter/);
    }
  });

  it('refuses a stale threshold over a hundred years with 400 naming the limit, on the page too', async () => {
    expect((await get('/api/hardware/machines?stale=36500d')).statusCode).toBe(200);
    for (const stale of ['36501d', '99999999999999999999w', '9'.repeat(400)]) {
      const res = await get(`/api/hardware/machines?stale=${stale}`);
      expect([res.statusCode, res.json()]).toEqual([
        400,
        { error: `stale "${stale}" is over the limit of 36500d` },
      ]);
      const page = await get(`/ui/machines?stale=${stale}`);
      expect([page.statusCode, page.body]).toEqual([
        400,
        `stale "${stale}" is over the limit of 36500d`,
      ]);
    }
  });

  it('shows one machine with its exception history, 404 JSON when unknown', async () => {
    const res = await get('/api/hardware/machines/mdc2:t-mojave-r7-153');
    expect(res.statusCode).toBe(200);
    expect(res.json().exceptions).toEqual([
      {
        at: '2019-06-26T20:00:00.000000',
        reason: 'claim-expired',
        task_id: 'T2EheQ-IQ5aPzw34KS_a6g',
        run_id: 0,
        worker_type: 'gecko-t-osx-1014',
        alive: false,
      },
    ]);
    const unknown = await get('/api/hardware/machines/mdc9:nobody');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'unknown machine', id: 'mdc9:nobody' });
    for (const path of [
      '/api/hardware/machines/mdc2:t-mojave-r7-153/',
      '/api/hardware/machines/a/b',
    ]) {
      const res = await get(path);
      expect([path, res.statusCode, res.json()]).toEqual([path, 404, { error: 'unknown machine' }]);
    }
  });

  it('an empty stored lastseen is null, as for a machine never seen alive (/machines/<id> is 404)', async () => {
    // The original's preload_redis.py wrote any value.
    await redis.hset('machines', 'mdc1:empty', '');
    const one = await get('/api/hardware/machines/mdc1:empty');
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ lastseen: null, age_seconds: null, stale: true });
    const listed = (await get('/api/hardware/machines?datacenter=mdc1')).json();
    expect(listed.machines.find((m: { id: string }) => m.id === 'mdc1:empty')).toMatchObject({
      lastseen: null,
    });
  });

  it('lists the messages without a worker', async () => {
    expect((await get('/api/hardware/unattributed')).json()).toEqual({ total: 0, recent: [] });
  });
});

describe('the dashboard page', () => {
  it('shows machines by datacenter, the stale ones marked, with exception reasons', async () => {
    await new MachineStore(redis).preload(preloadFixture());
    await record();
    const res = await get('/ui/machines');
    expect(res.statusCode).toBe(200);
    expect(res.contentType).toBe('text/html; charset=utf-8');
    expect(res.header('content-security-policy')).toContain("default-src 'none'");
    expect(res.body).toContain('<h2>mdc1 <span class="muted">1 machine, 1 stale</span></h2>');
    expect(res.body).toContain('<tr class="stale">');
    expect(res.body).toContain('<span class="tag">stale</span>');
    expect(res.body).toContain('<code>2018-11-08T08:47:50.939514</code>');
    expect(res.body).toMatch(/\d+d \d+h ago|\d+d ago/);
  });

  it('links every mounted page in its navigation, not its own only', async () => {
    const nav = /<nav>([\s\S]*?)<\/nav>/.exec((await get('/ui/machines')).body)![1]!;
    expect([...nav.matchAll(/href="([^"]*)"/g)].map((m) => m[1])).toEqual([
      '/',
      '/ui/slavealloc',
      '/ui/machines',
      '/metrics',
    ]);
  });

  it('escapes what comes from messages and queries', async () => {
    await redis.hset('machines', 'mdc1:<img src=x onerror=alert(1)>', '2018-11-08T08:47:50');
    await redis.sadd('hardware:machines', 'mdc1:<img src=x onerror=alert(1)>');
    await redis.hset(
      'hardware:detail:mdc1:<img src=x onerror=alert(1)>',
      'last_exception_reason',
      '<script>x</script>',
      'last_exception_at',
      '2018-11-08T08:47:50.000000',
    );
    const res = await get('/ui/machines?stale=1h');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<img');
    expect(res.body).not.toContain('<script>');
    expect(res.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(res.body).toContain('&lt;script&gt;x&lt;/script&gt;');
    const bad = await get('/ui/machines?stale=%3Cb%3E');
    expect(bad.statusCode).toBe(400);
    expect(bad.contentType).toBe('text/plain; charset=utf-8');
  });

  it('filters by datacenter and keeps the others in the choice', async () => {
    await new MachineStore(redis).preload([
      ...preloadFixture(),
      { machine: 'x', datacenter: 'mdc2', lastseen: '2018-11-08T08:47:50' },
    ]);
    const body = (await get('/ui/machines?datacenter=mdc2&stale=')).body;
    expect(body).not.toContain('t-linux64-ms-100');
    expect(body).toContain(
      '<option value="mdc1">mdc1</option><option value="mdc2" selected>mdc2</option>',
    );
  });

  it('offers only the datacenters its filter takes: not one another program wrote that is no id', async () => {
    await redis.hset(
      'machines',
      'bad dc:h',
      '2018-11-08T08:47:50',
      ':emptydc',
      '2018-11-08T08:47:50',
    );
    await new MachineStore(redis).preload(preloadFixture());
    const body = (await get('/ui/machines')).body;
    // Their machines are listed; the choice is "all" and mdc1 alone, each of which works.
    expect(body).toContain('emptydc');
    const options = [...body.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]!);
    expect(options).toEqual(['', 'mdc1']);
    for (const dc of options)
      expect((await get(`/ui/machines?datacenter=${dc}`)).statusCode).toBe(200);
  });
});
