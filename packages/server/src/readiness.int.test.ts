import { once } from 'node:events';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createLogger, createRedis, queueServices } from '@loopabull/core';
import {
  cleanUpTest,
  closedPort,
  releaseClosedPorts,
  removeTempDirs,
  serveForTest,
  testConfig,
} from '@test/support';
import { buildApp } from './app.js';

afterAll(async () => {
  removeTempDirs();
  await releaseClosedPorts();
});

/** /readyz of a server whose Redis and broker are both unreachable at the given URLs. */
async function readyz(redisUrl: (port: number) => string, busUrl: (port: number) => string) {
  const closed = await closedPort();
  const valid = testConfig({ overrides: { bus: { connect_timeout: 2 } } });
  // Set past the config's checks, which refuse an unparsable URL: /readyz must not rely on them.
  const config = {
    ...valid,
    redis: { ...valid.redis, url: redisUrl(closed) },
    bus: { ...valid.bus, url: busUrl(closed) },
  };
  const redis = createRedis(`redis://127.0.0.1:${closed}`, { retryStrategy: () => null });
  redis.on('error', () => undefined);
  const services = queueServices(config, redis);
  // Redis is unreachable on purpose: BullMQ would print each failed connect.
  services.work.queue.on('error', () => undefined);
  const app = await buildApp({ config, services, logger: createLogger('test', 'error') });
  try {
    const res = await (await serveForTest(app))('/readyz');
    expect(res.statusCode).toBe(503);
    return res.json();
  } finally {
    await app.close();
    await services.close();
  }
}

describe('/readyz, open to anyone, names what failed without its secrets', () => {
  it('redacts passwords in user info and in the query string', async () => {
    const body = await readyz(
      (port) => `redis://:hunter2@127.0.0.1:${port}/?password=hunter2`,
      (port) => `amqp://guest:hunter2@127.0.0.1:${port}/?heartbeat=5&auth_token=hunter2`,
    );
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(body.checks.redis.error).toMatch(
      /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/\?password=\*\*\*: /,
    );
    expect(body.checks.bus.error).toMatch(
      /^the bus at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:\d+\/\?heartbeat=5&auth_token=\*\*\*: /,
    );
    // The URL once, then the reason: not "the bus at URL: cannot reach the bus at URL: ...".
    expect(body.checks.bus.error.match(/amqp:\/\//g)).toHaveLength(1);
    expect(body.checks.bus.error).toMatch(/: connect ECONNREFUSED /);
  });

  it('redacts an unparsable URL wholesale', async () => {
    const body = await readyz(
      () => 'redis://:hunter2@[not-a-host',
      () => 'amqp://guest:hunter2@rabbit:port',
    );
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(body.checks.redis.error).toMatch(/^Redis at <unparsable URL>: /);
    expect(body.checks.bus.error).toMatch(/^the bus at <unparsable URL>: /);
  });
});

describe('/readyz follows Redis at once', () => {
  it('is 503 as soon as the connection is lost, not the cached 200 of a moment before', async () => {
    const config = testConfig();
    // Its own connection, so that losing it here touches no other test.
    const redis = createRedis(config.redis.url, { retryStrategy: () => null });
    redis.on('error', () => undefined);
    const services = queueServices(config, redis);
    services.work.queue.on('error', () => undefined);
    const app = await buildApp({ config, services, logger: createLogger('test', 'error') });
    try {
      const get = await serveForTest(app);
      await redis.ping();
      expect((await get('/readyz')).statusCode).toBe(200);
      // Lost once ioredis knows it: its socket closes after disconnect() returns.
      const ended = once(redis, 'end');
      redis.disconnect();
      await ended;
      // Well within the probe's cache of 2 s: the state change alone must refresh it.
      const res = await get('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.redis).toMatchObject({ ok: false });
      expect(res.json().checks.redis.error).toMatch(/not connected/);
    } finally {
      await app.close();
      await services.close();
      // Its queue's meta key, which BullMQ wrote on the connection now closed.
      await cleanUpTest(config);
    }
  });
});
