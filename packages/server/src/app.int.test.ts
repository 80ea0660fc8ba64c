import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UnrecoverableError, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { createLogger, createRedis, queueServices, type QueueServices } from '@loopabull/core';
import {
  closedPort,
  loopabullKeysOf,
  releaseClosedPorts,
  removeTempDirs,
  serveForTest,
  testConfig,
  testEvent,
  type HttpClient,
  parkMessage,
} from '@test/support';
import { buildApp } from './app.js';
import { html, page, sendPage } from './html.js';
import type { RouteModule } from './route-module.js';

const probe: RouteModule = {
  name: 'probe',
  register(app) {
    app.get('/probe', async () => 'read');
    app.put('/probe', async () => 'changed');
  },
  dashboard: { title: 'Probe page', path: '/probe' },
};

/** A module whose page uses the layout, as the automations' pages do. */
const other: RouteModule = {
  name: 'other',
  register(app, deps) {
    app.get('/other', async (_req, reply) =>
      sendPage(reply, page('Other', html`<p>other</p>`, { links: deps.pages })),
    );
  },
  dashboard: { title: 'Other page', path: '/other' },
};

/** The hrefs of a page's navigation. */
const navOf = (body: string) =>
  [.../<nav>([\s\S]*?)<\/nav>/.exec(body)![1]!.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);

describe('HTTP server', () => {
  let app: FastifyInstance;
  let services: QueueServices;
  let http: HttpClient;
  let cleanupKeys: string[];
  let config: ReturnType<typeof testConfig>;

  beforeAll(async () => {
    const closed = await closedPort();
    config = testConfig({
      overrides: {
        http: { token: 's3cret' },
        bus: { url: `amqp://guest:guest@127.0.0.1:${closed}`, connect_timeout: 2 },
      },
    });
    services = queueServices(config, createRedis(config.redis.url));
    app = await buildApp({
      config,
      services,
      logger: createLogger('test', 'error'),
      modules: [probe, other],
    });
    http = await serveForTest(app);
    cleanupKeys = loopabullKeysOf(config);
    await services.work.enqueue(testEvent('org.example.one', { id: 'e1' }));
    services.counters.incr('parked', 'not-json');
    services.counters.observeDuration('org.example.one', 0.7);
    await services.counters.flush();
  });

  afterAll(async () => {
    await app.close();
    await services.work.queue.obliterate({ force: true });
    await services.redis.del(...cleanupKeys);
    await services.close();
    removeTempDirs();
    await releaseClosedPorts();
  });

  it('answers /healthz while the process lives', async () => {
    const res = await http('/healthz');
    expect(res.statusCode).toBe(200);
  });

  it('answers /readyz with 503 naming the bus when the broker is unreachable', async () => {
    const res = await http('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      ready: false,
      checks: { redis: { ok: true }, bus: { ok: false } },
    });
  });

  it('serves Prometheus metrics from the shared counters and the queue', async () => {
    const res = await http('/metrics');
    expect(res.contentType).toMatch(/^text\/plain/);
    expect(res.body).toContain('loopabull_messages_parked_total{reason="not-json"} 1');
    expect(res.body).toContain('loopabull_queue_waiting{topic="org.example.one"} 1');
    expect(res.body).toContain(
      'loopabull_run_duration_seconds_bucket{topic="org.example.one",le="1"} 1',
    );
    expect(res.body).toContain(
      'loopabull_run_duration_seconds_bucket{topic="org.example.one",le="0.5"} 0',
    );
    expect(res.body).toContain('loopabull_run_duration_seconds_count{topic="org.example.one"} 1');
  });

  it('needs the bearer token for changing requests only', async () => {
    expect((await http('/probe')).body).toBe('read');
    expect((await http('/probe', { method: 'PUT' })).statusCode).toBe(401);
    expect(
      (await http('/probe', { method: 'PUT', headers: { authorization: 'Bearer wrong' } }))
        .statusCode,
    ).toBe(401);
    const ok = await http('/probe', { method: 'PUT', headers: { authorization: 'Bearer s3cret' } });
    expect(ok.body).toBe('changed');
    expect((await http('/api/pause', { method: 'POST' })).statusCode).toBe(401);
  });

  it('reports the queue as `loopabull queue --json` does', async () => {
    const res = await http('/api/queue');
    expect(res.json()).toMatchObject({ waiting: 1, by_topic: { 'org.example.one': 1 } });
  });

  it('refuses unknown job states with 400', async () => {
    expect((await http('/api/jobs?state=bogus')).statusCode).toBe(400);
  });

  it('lists connected workers by the name `loopabull worker --id` gives them, in the order of those names', async () => {
    const connection = createRedis(config.redis.url);
    const workers = ['w10', 'w7', 'w9'].map(
      (name) =>
        new Worker(config.queue.name, null, {
          connection,
          prefix: config.redis.prefix,
          name,
          autorun: false,
        }),
    );
    try {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
      const names = [...(await http('/')).body.matchAll(/<td>(w\d+)<\/td>/g)].map((m) => m[1]);
      expect(names).toEqual(['w7', 'w9', 'w10']);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await connection.quit();
    }
  });

  /**
   * A server on a queue of its own, with a worker that takes jobs only when asked: taking a job
   * here must not take the other tests' waiting job.
   */
  async function ownQueueApp() {
    const own = testConfig({
      overrides: { http: { token: 's3cret' }, bus: { url: config.bus.url, connect_timeout: 2 } },
    });
    const ownServices = queueServices(own, createRedis(own.redis.url));
    const ownApp = await buildApp({
      config: own,
      services: ownServices,
      logger: createLogger('test', 'error'),
      modules: [],
    });
    const connection = createRedis(own.redis.url);
    const worker = new Worker(own.queue.name, null, {
      connection,
      prefix: own.redis.prefix,
      autorun: false,
    });
    const close = async () => {
      await worker.close();
      await connection.quit();
      await ownApp.close();
      await ownServices.work.queue.obliterate({ force: true });
      await ownServices.redis.del(...loopabullKeysOf(own));
      await ownServices.close();
    };
    try {
      return { app: ownApp, services: ownServices, worker, get: await serveForTest(ownApp), close };
    } catch (err) {
      await close();
      throw err;
    }
  }

  it('renders the dashboard with the waiting topics and links to automation pages', async () => {
    const res = await http('/');
    expect(res.contentType).toMatch(/text\/html/);
    expect(res.body).toContain('org.example.one');
    expect(res.body).toContain('href="/probe"');
  });

  it('gives every module the pages of all, so that theirs and the server ones share one navigation', async () => {
    const everyPage = ['/', '/probe', '/other', '/metrics'];
    expect(navOf((await http('/')).body)).toEqual(everyPage);
    expect(navOf((await http('/other')).body)).toEqual(everyPage);
  });

  it('says no job waits when none does, as loopabull queue does, instead of an age of 0 s', async () => {
    const oldestLine = (body: string) =>
      /Oldest waiting job:[^<]*/.exec(body.replace(/\s+/g, ' '))?.[0].trim();
    const { services: ownServices, get, close } = await ownQueueApp();
    try {
      // Connected before the first page, which would otherwise answer 503 (Redis unreachable).
      await ownServices.redis.ping();
      expect(oldestLine((await get('/')).body)).toBe('Oldest waiting job: none.');
      await ownServices.work.enqueue(testEvent('org.example.one', { id: 'e1' }));
      expect(oldestLine((await get('/')).body)).toMatch(/^Oldest waiting job: \d+ s\.$/);
    } finally {
      await close();
    }
  });

  it('lists unrouted jobs on the dashboard, apart from the completed ones', async () => {
    const { services: ownServices, worker, get, close } = await ownQueueApp();
    try {
      const id = await ownServices.work.enqueue(
        testEvent('org.example.nobody.handles', { id: 'unrouted-1' }),
      );
      const job = (await worker.getNextJob('tok'))!;
      expect(job.id).toBe(id);
      await job.moveToCompleted({ outcome: 'unrouted' }, 'tok', false);
      await ownServices.work.recordUnrouted(id);

      const body = (await get('/')).body;
      const section = body.slice(body.indexOf('<h2>Unrouted'));
      expect(section).toContain('href="/jobs/unrouted-1"');
      expect(section).toContain('org.example.nobody.handles');
      const recent = body.slice(
        body.indexOf('<h2>Recently finished'),
        body.indexOf('<h2>Unrouted'),
      );
      expect(recent).not.toContain('unrouted-1');
    } finally {
      await close();
    }
  });

  it('refuses to DELETE a job a worker is running with 409 and the reason, and keeps it', async () => {
    const { services: ownServices, worker, get, close } = await ownQueueApp();
    try {
      const id = await ownServices.work.enqueue(testEvent('org.example.slow', { id: 'running-1' }));
      expect((await worker.getNextJob('tok'))!.id).toBe(id);
      const res = await get(`/api/jobs/${id}`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer s3cret' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        error: expect.stringContaining('job running-1 is active: a worker is running it'),
      });
      expect((await get(`/api/jobs/${id}`)).json()).toMatchObject({ state: 'active' });
    } finally {
      await close();
    }
  });

  it('escapes hostile topics, failure reasons, logs, event bodies and parked details on its pages', async () => {
    const { services: ownServices, worker, get, close } = await ownQueueApp();
    try {
      const hostile = (what: string) => `</td></pre><script>alert("${what}")</script><b x='y'>`;
      const failedId = await ownServices.work.enqueue({
        ...testEvent(hostile('failed-topic'), { id: 'hostile-failed' }),
        body: { comment: hostile('body') },
      });
      const job = (await worker.getNextJob('tok'))!;
      expect(job.id).toBe(failedId);
      await job.log(hostile('log'));
      await job.moveToFailed(new UnrecoverableError(hostile('reason')), 'tok');
      await ownServices.work.enqueue(
        testEvent(hostile('waiting-topic'), { id: 'hostile-waiting' }),
      );
      await ownServices.parking.park({
        reason: 'bad-topic',
        detail: hostile('detail'),
        topic: null,
        exchange: hostile('exchange'),
        routing_key: hostile('key'),
        message_id: hostile('message-id'),
        received_at: new Date().toISOString(),
        content: Buffer.from('{}'),
      });

      const pages = [await get('/'), await get(`/jobs/${encodeURIComponent(failedId)}`)];
      for (const res of pages) {
        expect(res.statusCode).toBe(200);
        expect(res.body).not.toMatch(/<script|<b x=|<\/pre><script/i);
      }
      const escaped = (what: string) =>
        `&lt;/td&gt;&lt;/pre&gt;&lt;script&gt;alert(&quot;${what}&quot;)&lt;/script&gt;&lt;b x=&#39;y&#39;&gt;`;
      const [dashboard, jobPage] = pages.map((p) => p!.body);
      for (const what of [
        'failed-topic',
        'waiting-topic',
        'reason',
        'detail',
        'exchange',
        'key',
        'message-id',
      ])
        expect(dashboard).toContain(escaped(what));
      for (const what of ['failed-topic', 'reason', 'log'])
        expect(jobPage).toContain(escaped(what));
      // The event is shown as JSON, whose quotes are escaped once more.
      expect(jobPage).toContain(escaped('body').replaceAll('&quot;', '\\&quot;'));
    } finally {
      await close();
    }
  });

  it("heads a job's failure by its state: an earlier try's once it was retried and completed", async () => {
    const { services: ownServices, worker, get, close } = await ownQueueApp();
    try {
      const id = await ownServices.work.enqueue(testEvent('org.example.flaky', { id: 'flaky' }));
      const heading = async () => /<h2>([^<]*)<\/h2>/.exec((await get(`/jobs/${id}`)).body)?.[1];
      await (await worker.getNextJob('tok'))!.moveToFailed(new Error('first try broke'), 'tok');
      expect(await heading()).toBe('The last try failed (the job is retried)');
      await (await ownServices.work.queue.getJob(id))!.promote();
      await (await worker.getNextJob('tok'))!.moveToCompleted({ outcome: 'ran' }, 'tok', false);
      expect(await heading()).toBe('An earlier try failed (the job was retried and completed)');
    } finally {
      await close();
    }
  });

  it('wraps long unbroken topics, ids and failure lines in a browser instead of widening the page', async () => {
    const { app: ownApp, services: ownServices, worker, close } = await ownQueueApp();
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking'],
    });
    try {
      const id = await ownServices.work.enqueue(
        testEvent(`org.${'t'.repeat(240)}.z`, { id: `I${'i'.repeat(127)}` }),
      );
      const job = (await worker.getNextJob('tok'))!;
      await job.moveToFailed(
        new UnrecoverableError(
          `ansible-playbook exited 2:\nfatal: [localhost]: ${'w'.repeat(3000)}`,
        ),
        'tok',
      );
      await ownServices.parking.park({
        reason: 'not-json',
        detail: `body is not JSON: ${'d'.repeat(2000)}`,
        topic: null,
        exchange: 'amq.topic',
        routing_key: `org.${'k'.repeat(250)}`,
        message_id: null,
        received_at: new Date().toISOString(),
        content: Buffer.from('z'.repeat(5000)),
      });
      const { port } = ownApp.server.address() as { port: number };
      const base = `http://127.0.0.1:${port}`;
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      for (const path of ['/', `/jobs/${id}`]) {
        expect((await page.goto(base + path))!.status()).toBe(200);
        const width = await page.evaluate('document.documentElement.scrollWidth');
        expect({ path, width }).toEqual({ path, width: 1000 });
      }
    } finally {
      await browser.close();
      await close();
    }
  });

  it('says a parked message has no log and cannot be retried, and still shows its page', async () => {
    const parked = await parkMessage(services.parking, {
      message_id: 'm-parked',
      content: Buffer.from('nope'),
    });
    const id = parked!.id;
    try {
      expect((await http(`/jobs/${id}`)).statusCode).toBe(200);
      const logs = await http(`/api/jobs/${id}/logs`);
      expect(logs.statusCode).toBe(404);
      expect(logs.json()).toEqual({
        error: expect.stringContaining(`${id} is a message the looper parked (not-json)`),
      });
      const retry = await http(`/api/jobs/${id}/retry`, {
        method: 'POST',
        headers: { authorization: 'Bearer s3cret' },
      });
      // As docs/http.md has it: a job retry does not take is 409 with the reason.
      expect(retry.statusCode).toBe(409);
      expect(retry.json()).toEqual({ error: expect.stringContaining('it cannot be retried') });
      expect(
        (
          await http('/api/jobs/no-such-job/retry', {
            method: 'POST',
            headers: { authorization: 'Bearer s3cret' },
          })
        ).statusCode,
      ).toBe(404);
    } finally {
      await services.parking.remove(id);
    }
  });
});
