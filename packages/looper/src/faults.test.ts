import { afterAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { testConfig } from '@test/support';
import { describeFault, isRedisFault } from './faults.js';
import { TimeoutError } from '@loopabull/core';

const config = testConfig();
const clients: Redis[] = [];
const client = (opts: RedisOptions = {}, url = config.redis.url) => {
  const redis = new Redis(url, opts);
  redis.on('error', () => undefined);
  clients.push(redis);
  return redis;
};
afterAll(() => clients.forEach((c) => c.disconnect()));

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );

describe('isRedisFault', () => {
  it('counts what the Redis client says about its connection as Redis’s', async () => {
    const offline = await failure(client({ lazyConnect: true, enableOfflineQueue: false }).ping());
    const refused = await failure(
      client({ lazyConnect: true, retryStrategy: () => null }, 'redis://127.0.0.1:1').connect(),
    );
    const closed = client({ lazyConnect: true });
    closed.disconnect();
    const afterClose = await failure(closed.ping());
    for (const err of [offline, refused, afterClose]) expect(isRedisFault(err)).toBe(true);
  });

  it('counts Redis refusing a command as Redis’s: OOM, READONLY and the like are its state', async () => {
    const reply = await failure(client().call('NO-SUCH-COMMAND'));
    expect(reply).toBeInstanceOf(ReplyError);
    expect(isRedisFault(reply)).toBe(true);
  });

  it('counts the looper’s own reply timeout and socket errors as Redis’s', () => {
    const socket = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
    expect(isRedisFault(new TimeoutError('Redis job add', 10_000))).toBe(true);
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ])
      expect(isRedisFault(socket(code))).toBe(true);
    expect(isRedisFault(new AggregateError([socket('ECONNREFUSED')]))).toBe(true);
  });

  it('counts what BullMQ throws about a job it cannot serialize as the message’s', async () => {
    const queue = new Queue('faults-test', { connection: client(), prefix: config.redis.prefix });
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const err = await failure(queue.add('x', { deep }));
    await queue.close();
    expect(err).toBeInstanceOf(RangeError);
    expect(isRedisFault(err)).toBe(false);
  });

  it.each([
    new TypeError("Cannot read properties of undefined (reading 'length')"),
    new SyntaxError('Unexpected token'),
    new Error('Custom Id cannot contain :'),
    Object.assign(new Error('no such file'), { code: 'ENOENT' }),
    'a string',
    undefined,
  ])('counts %p as the message’s', (err) => expect(isRedisFault(err)).toBe(false));
});

describe('describeFault', () => {
  it('names the error and keeps the line short', () => {
    expect(describeFault(new RangeError('too deep'))).toBe('RangeError: too deep');
    expect(describeFault('x'.repeat(1000))).toHaveLength(501);
  });
});
