import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { createLogger, createRedis, queueServices, type QueueServices } from '@loopabull/core';
import {
  freePort,
  loopabullKeysOf,
  removeTempDirs,
  serveForTest,
  testConfig,
  testEvent,
  type HttpClient,
} from '@test/support';
import { buildApp } from './app.js';
import type { RouteModule } from './route-module.js';

const probe: RouteModule = {
  name: 'probe',
  register(app) {
    app.get('/probe', async () => 'read');
    app.put('/probe', async () => 'changed');
  },
  dashboard: { title: 'Probe page', path: '/probe' },
};

describe('HTTP server', () => {
  let app: FastifyInstance;
  let services: QueueServices;
  let http: HttpClient;
  let cleanupKeys: string[];
  let config: ReturnType<typeof testConfig>;

  beforeAll(async () => {
    const closedPort = await freePort();
    config = testConfig({
      overrides: {
        http: { token: 's3cret' },
        bus: { url: `amqp://guest:guest@127.0.0.1:${closedPort}`, connect_timeout: 2 },
      },
    });
    services = queueServices(config, createRedis(config.redis.url));
    app = await buildApp({
      config,
      services,
      logger: createLogger('test', 'error'),
      modules: [probe],
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

  it('lists connected workers by the name `loopabull worker --id` gives them', async () => {
    const connection = createRedis(config.redis.url);
    const worker = new Worker(config.queue.name, null, {
      connection,
      prefix: config.redis.prefix,
      name: 'w7',
      autorun: false,
    });
    try {
      await worker.waitUntilReady();
      expect((await http('/')).body).toMatch(/<td>w7<\/td>/);
    } finally {
      await worker.close();
      await connection.quit();
    }
  });

  it('renders the dashboard with escaped content and links to automation pages', async () => {
    const res = await http('/');
    expect(res.contentType).toMatch(/text\/html/);
    expect(res.body).toContain('org.example.one');
    expect(res.body).toContain('href="/probe"');
  });
});
