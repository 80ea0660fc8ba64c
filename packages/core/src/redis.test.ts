import { afterAll, describe, expect, it } from '@jest/globals';
import type { RedisOptions } from 'ioredis';
import { closedPort, releaseClosedPorts } from '@test/support';
import { redactUrl, UNPARSABLE_URL } from './redact-url.js';
import { createRedis, endRedis } from './redis.js';

afterAll(releaseClosedPorts);

describe('redactUrl', () => {
  it.each([
    ['redis://:hunter2@redis.example:6379/0', 'redis://:***@redis.example:6379/0'],
    ['amqps://lb:hunter2@rabbit.example/%2Fpubsub', 'amqps://lb:***@rabbit.example/%2Fpubsub'],
    ['redis://redis.example:6379?password=hunter2', 'redis://redis.example:6379?password=***'],
    ['redis://redis.example/?db=2&pass=hunter2', 'redis://redis.example/?db=2&pass=***'],
    [
      'rediss://r.example/?sentinelPassword=hunter2&family=6',
      'rediss://r.example/?sentinelPassword=***&family=6',
    ],
    ['https://api.example/?access_token=hunter2', 'https://api.example/?access_token=***'],
    ['https://api.example/?api_key=hunter2&x=1', 'https://api.example/?api_key=***&x=1'],
    ['https://ghp_hunter2@git.example/repo', 'https://***@git.example/repo'],
    ['amqp://u:hunter2@h/?password=hunter2&password=again', 'amqp://u:***@h/?password=***'],
  ])('%s -> %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
    expect(redactUrl(url)).not.toContain('hunter2');
  });

  it('keeps what is no secret as it was', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('amqp://u:p@127.0.0.1:5672/?heartbeat=10')).toBe(
      'amqp://u:***@127.0.0.1:5672/?heartbeat=10',
    );
  });

  it('shows a Redis socket path as it is, with a password in its query hidden', () => {
    expect(redactUrl('/run/redis/redis.sock')).toBe('/run/redis/redis.sock');
    expect(redactUrl('/run/redis.sock?password=hunter2&db=3')).toBe(
      '/run/redis.sock?password=***&db=3',
    );
  });

  it.each([
    'redis://u:hunter2@host:99999',
    'amqp://u:hunter2@[bad',
    'hunter2',
    'amqp://u:hunter2@ho st',
    '',
  ])('redacts the unparsable %j wholesale', (url) => {
    expect(redactUrl(url)).toBe(UNPARSABLE_URL);
  });
});

/**
 * A worker's kind of client to `url`. disconnect() gives a socket 2 s to close before destroying
 * it, by a timer that would outlive the test: these tests' sockets need none.
 */
function testClient(url: string, opts: RedisOptions = {}) {
  const redis = createRedis(url, { disconnectTimeout: 0, ...opts });
  redis.on('error', () => undefined);
  // Not events.once: it rejects on the client's connection errors.
  const event = (name: string) => new Promise<void>((resolve) => redis.once(name, resolve));
  return { redis, event };
}

describe('endRedis', () => {
  /** A client to a Redis that is down, with a command queued for its return. */
  async function waitingClient() {
    const { redis, event } = testClient(`redis://127.0.0.1:${await closedPort()}`);
    const queued = redis.get('k');
    await event('reconnecting');
    return { redis, queued, ended: event('end') };
  }

  it('ends a client between two connection attempts: what it queued fails, and it emits end', async () => {
    const { redis, queued, ended } = await waitingClient();
    endRedis(redis);
    await expect(queued).rejects.toThrow('Connection is closed.');
    await ended;
    expect(redis.status).toBe('end');
  });

  it('ends one that disconnect() left waiting for good, as BullMQ leaves its copies', async () => {
    const { redis, queued, ended } = await waitingClient();
    // ioredis cancels the next attempt and nothing else: no socket is left to close.
    redis.disconnect();
    expect(redis.status).toBe('reconnecting');
    endRedis(redis);
    await expect(queued).rejects.toThrow('Connection is closed.');
    await ended;
  });
});
