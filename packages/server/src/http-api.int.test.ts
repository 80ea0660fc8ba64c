/**
 * What docs/http.md promises of each endpoint of `loopabull serve`, through real HTTP on real
 * Redis and RabbitMQ: bodies, status codes, the token on changing ones, and every metric family
 * by name, type and labels as Prometheus's text parser reads them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import {
  createLogger,
  createRedis,
  queueServices,
  REJECT_REASONS,
  type QueueServices,
} from '@loopabull/core';
import {
  cleanUpTest,
  parseMetrics,
  serveForTest,
  testConfig,
  testEvent,
  type HttpClient,
  parkMessage,
} from '@test/support';
import { buildApp } from './app.js';
import { PROTO_KEY_REFUSED } from './json-body.js';

const TOKEN = 'api-test-token';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

let app: FastifyInstance;
let services: QueueServices;
let http: HttpClient;
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  config = testConfig({ overrides: { loglevel: 'error', http: { token: TOKEN } } });
  services = queueServices(config, createRedis(config.redis.url));
  app = await buildApp({ config, services, logger: createLogger('test', 'error') });
  http = await serveForTest(app);
  await services.work.enqueue(testEvent('org.example.api', { id: 'api-1' }));
  await parkMessage(services.parking);
  for (const [name, label] of [
    ['consumed', undefined],
    ['enqueued', undefined],
    ['filtered', undefined],
    ['parked', 'not-json'],
    ['completed', 'org.example.api'],
    ['retried', 'org.example.api'],
    ['failed', 'org.example.api'],
    ['unrouted', 'org.example.none'],
  ] as const)
    services.counters.incr(name, label);
  services.counters.observeDuration('org.example.api', 0.7);
  await services.counters.flush();
});

afterAll(async () => {
  await app.close();
  await services.close();
  await cleanUpTest(config);
});

describe('health', () => {
  it('/healthz says the process is alive', async () => {
    const res = await http('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 when Redis and the bus answer, naming both checks', async () => {
    const res = await http('/readyz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ready: true, checks: { redis: { ok: true }, bus: { ok: true } } });
  });
});

describe('jobs', () => {
  it('/api/queue counts the waiting job and the parked message', async () => {
    expect((await http('/api/queue')).json()).toMatchObject({
      waiting: 1,
      parked: 1,
      by_topic: { 'org.example.api': 1 },
    });
  });

  it('/api/jobs lists by state, /api/jobs/<id> and its logs show one, unknown ids are 404', async () => {
    const list = (await http('/api/jobs?state=waiting')).json();
    expect(list).toEqual([expect.objectContaining({ id: 'api-1', topic: 'org.example.api' })]);
    expect((await http('/api/jobs/api-1')).json()).toMatchObject({
      id: 'api-1',
      state: 'waiting',
      event: { topic: 'org.example.api' },
    });
    expect((await http('/api/jobs/api-1/logs')).json()).toEqual({ logs: [] });
    for (const path of ['/api/jobs/nope', '/api/jobs/nope/logs'])
      expect((await http(path)).statusCode).toBe(404);
  });

  it('/jobs/<id> is a page about the job', async () => {
    const res = await http('/jobs/api-1');
    expect(res.statusCode).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    expect(res.body).toContain('org.example.api');
  });

  it('/api/parked lists parked messages with their reason', async () => {
    expect((await http('/api/parked')).json()).toEqual([
      expect.objectContaining({ reason: 'not-json', topic: 'org.example.bad', body: '{nope' }),
    ]);
    // A limit past the most it lists is cut, as /api/jobs does, not refused.
    const many = await http('/api/parked?limit=100000');
    expect(many.statusCode).toBe(200);
    expect(many.json()).toHaveLength(1);
  });

  it('/api/parked?topic=T lists only that topic, as `jobs list --state parked --topic` does', async () => {
    expect((await http('/api/parked?topic=org.example.bad')).json()).toEqual([
      expect.objectContaining({ topic: 'org.example.bad' }),
    ]);
    expect((await http('/api/parked?topic=org.example.other')).json()).toEqual([]);
  });

  it("a parked message's id shows it where a job's would, and DELETE removes it", async () => {
    const parked = await parkMessage(services.parking, {
      reason: 'bad-topic',
      detail: 'the topic has an empty segment',
      topic: 'org..x',
      routing_key: 'org..x',
      message_id: 'bad-2',
      content: Buffer.from('{"<b>":1}'),
    });
    const id = parked!.id;
    expect((await http('/')).body).toContain(`<a href="/jobs/${id}">${id}</a>`);
    expect((await http(`/api/jobs/${id}`)).json()).toEqual({ ...parked, state: 'parked' });
    const page = await http(`/jobs/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('the topic has an empty segment');
    expect(page.body).toContain('{&quot;&lt;b&gt;&quot;:1}');
    expect((await http(`/api/jobs/${id}`, { method: 'DELETE' })).statusCode).toBe(401);
    const removed = await http(`/api/jobs/${id}`, { method: 'DELETE', headers: auth });
    expect(removed.json()).toEqual({ success: true });
    expect(await services.parking.get(id)).toBeNull();
    expect((await http(`/api/jobs/${id}`)).statusCode).toBe(404);
  });

  it('retry needs the token, and refuses a job that has not failed', async () => {
    expect((await http('/api/jobs/api-1/retry', { method: 'POST' })).statusCode).toBe(401);
    const res = await http('/api/jobs/api-1/retry', { method: 'POST', headers: auth, body: '{}' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toBe(
      'job api-1 is waiting, not finished: only failed and unrouted jobs are retried',
    );
    const all = await http('/api/jobs/retry-failed', { method: 'POST', headers: auth, body: '{}' });
    expect(all.json()).toEqual({ success: true, retried: 0 });
  });

  it('pause and resume need the token and change what workers see', async () => {
    expect((await http('/api/pause', { method: 'POST' })).statusCode).toBe(401);
    expect(await services.work.isPaused()).toBe(false);
    await http('/api/pause', { method: 'POST', headers: auth, body: '{}' });
    expect(await services.work.isPaused()).toBe(true);
    await http('/api/resume', { method: 'POST', headers: auth, body: '{}' });
    expect(await services.work.isPaused()).toBe(false);
  });

  it('takes an empty body sent as application/json as no body (the slavealloc client sends one)', async () => {
    await services.work.enqueue(testEvent('org.example.api', { id: 'api-empty' }));
    const removed = await http('/api/jobs/api-empty', { method: 'DELETE', headers: auth });
    expect(removed.json()).toEqual({ success: true });
    expect((await http('/api/pause', { method: 'POST', headers: auth })).json()).toEqual({
      success: true,
      paused: true,
    });
    expect((await http('/api/resume', { method: 'POST', headers: auth, body: '' })).json()).toEqual(
      { success: true, paused: false },
    );
    // Anything else is parsed as before.
    for (const body of [' ', '{nope', '{"__proto__": {"polluted": true}}']) {
      const res = await http('/api/pause', { method: 'POST', headers: auth, body });
      expect({ body, status: res.statusCode }).toEqual({ body, status: 400 });
    }
    // Refused for its key, and told so: it is JSON.
    for (const body of ['{"__proto__": {}}', '{"a": {"constructor": {"prototype": {}}}}']) {
      const res = await http('/api/pause', { method: 'POST', headers: auth, body });
      expect({
        body,
        status: res.statusCode,
        error: (res.json() as { error: string }).error,
      }).toEqual({
        body,
        status: 400,
        error: PROTO_KEY_REFUSED,
      });
    }
    expect(await services.work.isPaused()).toBe(false);
  });

  it('DELETE /api/jobs/<id> needs the token, then removes the job', async () => {
    await services.work.enqueue(testEvent('org.example.api', { id: 'api-gone' }));
    expect((await http('/api/jobs/api-gone', { method: 'DELETE' })).statusCode).toBe(401);
    const res = await http('/api/jobs/api-gone', { method: 'DELETE', headers: auth, body: '{}' });
    expect(res.json()).toEqual({ success: true });
    expect((await http('/api/jobs/api-gone')).statusCode).toBe(404);
  });
});

describe('/metrics', () => {
  const FAMILIES: Array<[string, string, string[]]> = [
    ['loopabull_messages_consumed_total', 'COUNTER', []],
    ['loopabull_messages_enqueued_total', 'COUNTER', []],
    ['loopabull_messages_repeated_total', 'COUNTER', []],
    ['loopabull_messages_filtered_total', 'COUNTER', []],
    ['loopabull_messages_parked_total', 'COUNTER', ['reason']],
    ['loopabull_jobs_completed_total', 'COUNTER', ['topic']],
    ['loopabull_jobs_retried_total', 'COUNTER', ['topic']],
    ['loopabull_jobs_failed_total', 'COUNTER', ['topic']],
    ['loopabull_jobs_unrouted_total', 'COUNTER', ['topic']],
    ['loopabull_queue_jobs', 'GAUGE', ['state']],
    ['loopabull_queue_waiting', 'GAUGE', ['topic']],
    ['loopabull_queue_oldest_waiting_seconds', 'GAUGE', []],
    ['loopabull_queue_paused', 'GAUGE', []],
    ['loopabull_run_duration_seconds', 'HISTOGRAM', ['topic']],
  ];

  it.each(FAMILIES)('%s is a %s labelled %j', async (name, type, labels) => {
    const res = await http('/metrics');
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const family = parseMetrics(res.body).get(name);
    expect(family?.type).toBe(type);
    expect(family!.metrics.length).toBeGreaterThan(0);
    // The parser folds a histogram's series into buckets and drops their labels: read those raw.
    const series =
      type === 'HISTOGRAM'
        ? [...res.body.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\}`, 'gm'))].map((m) =>
            Object.fromEntries(
              m[1]!
                .split(',')
                .map((kv) => kv.split('=') as [string, string])
                .filter(([k]) => k !== 'le'),
            ),
          )
        : family!.metrics.map((m) => m.labels ?? {});
    expect(series.length).toBeGreaterThan(0);
    for (const labelled of series) expect(Object.keys(labelled).sort()).toEqual(labels);
  });

  it('carries the counted values under their labels', async () => {
    const text = (await http('/metrics')).body;
    const metrics = parseMetrics(text);
    const value = (name: string, labels: Record<string, string> = {}) =>
      Number(
        metrics
          .get(name)
          ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
          ?.value,
      );
    expect(value('loopabull_messages_parked_total', { reason: 'not-json' })).toBe(1);
    // Every reason the looper parks under is there from the start, at 0 until it happens.
    expect(
      metrics
        .get('loopabull_messages_parked_total')!
        .metrics.map((m) => m.labels!.reason)
        .sort(),
    ).toEqual([...REJECT_REASONS].sort());
    expect(value('loopabull_messages_parked_total', { reason: 'too-large' })).toBe(0);
    expect(value('loopabull_jobs_unrouted_total', { topic: 'org.example.none' })).toBe(1);
    expect(value('loopabull_queue_jobs', { state: 'waiting' })).toBe(1);
    const line = (series: string, le?: string) =>
      Number(
        new RegExp(
          `^loopabull_run_duration_seconds_${series}\\{[^}]*topic="org\\.example\\.api"${le ? `[^}]*le="${le}"` : ''}[^}]*\\} (\\S+)$`,
          'm',
        ).exec(text)?.[1],
      );
    expect(line('count')).toBe(1);
    expect(line('sum')).toBeCloseTo(0.7);
    expect(line('bucket', '1')).toBe(1);
    expect(line('bucket', '0.5')).toBe(0);
  });
});
