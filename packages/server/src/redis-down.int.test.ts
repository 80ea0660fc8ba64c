import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AutomationHost } from '@loopabull/core';
import { removeTempDirs, startRedis, testConfig, waitFor, type RedisInstance } from '@test/support';
import { REDIS_DOWN } from './redis-down.js';
import type { Readiness } from './readiness.js';
import type { RouteModule } from './route-module.js';
import { REDIS_REPLY_TIMEOUT_MS, startServer, type RunningServer } from './server.js';

const TOKEN = 'redis-down-token';

/** A module's route that reads Redis through `deps.redis`, as the hardware automation's do. */
const probe: RouteModule = {
  name: 'probe',
  register(app, { redis }) {
    app.get('/probe', async () => ({ value: await redis.get('redis-down-probe') }));
  },
};
const automations = { started: [{ instance: { routes: probe } }] } as unknown as AutomationHost;

/** Every route of `loopabull serve` that reads Redis, its own and a module's. */
const READING_REDIS = ['/', '/jobs/nope', '/api/queue', '/api/jobs', '/api/parked', '/metrics'];

describe('loopabull serve while Redis is unreachable', () => {
  let redis: RedisInstance;
  let server: RunningServer;

  /** Fails the test instead of waiting for it to time out. */
  const get = (path: string, init: RequestInit = {}, timeoutMs = 5000) =>
    fetch(server.url + path, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const pause = () =>
    get('/api/pause', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });

  const expectRedisDown = async () => {
    for (const res of await Promise.all(
      [...READING_REDIS, '/probe'].map((path) => get(path)).concat(pause()),
    )) {
      expect({ url: res.url, status: res.status, body: await res.json() }).toEqual({
        url: res.url,
        status: 503,
        body: { error: REDIS_DOWN },
      });
    }
    expect((await get('/healthz')).status).toBe(200);
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    const { checks } = (await ready.json()) as Readiness;
    expect(checks.redis!.error).toMatch(/^Redis at .*: not connected \(\w+\)$/);
  };

  const expectServedAgain = async () => {
    await waitFor(async () => (await get('/probe')).status === 200, {
      timeout: 15_000,
      what: 'the server to reach Redis again',
    });
    for (const path of READING_REDIS) {
      const res = await get(path);
      expect({ path, status: res.status }).toEqual({
        path,
        status: path === '/jobs/nope' ? 404 : 200,
      });
    }
    expect((await pause()).status).toBe(200);
  };

  beforeAll(async () => {
    redis = await startRedis();
    await redis.stop();
    const config = testConfig({
      overrides: { loglevel: 'error', redis: { url: redis.url }, http: { token: TOKEN } },
    });
    server = await startServer({ ...config, http: { ...config.http, port: 0 } }, automations);
  });

  afterAll(async () => {
    await server?.close();
    await redis?.stop();
    removeTempDirs();
  });

  it('answers 503 at once when it started without Redis, and serves once Redis is up', async () => {
    await expectRedisDown();
    await redis.start();
    await expectServedAgain();
  });

  it('answers 503 at once when Redis goes away, and serves again once it is back', async () => {
    await redis.stop();
    await waitFor(async () => (await get('/probe')).status === 503, { what: 'Redis to be missed' });
    await expectRedisDown();
    await redis.start();
    await expectServedAgain();
  });

  it('answers 503 when Redis froze with its connection open, and serves once it thaws', async () => {
    redis.freeze();
    try {
      const started = Date.now();
      const answers = await Promise.all(
        [...READING_REDIS, '/probe'].map(async (path) => {
          const res = await get(path, {}, REDIS_REPLY_TIMEOUT_MS * 3);
          return { path, status: res.status, body: await res.json() };
        }),
      );
      expect(answers).toEqual(
        [...READING_REDIS, '/probe'].map((path) => ({
          path,
          status: 503,
          body: { error: REDIS_DOWN },
        })),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(REDIS_REPLY_TIMEOUT_MS - 100);
    } finally {
      redis.thaw();
    }
    await expectServedAgain();
  }, 30_000);
});
