import { once } from 'node:events';
import { afterAll, afterEach, describe, expect, it, jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { loopabullKeysOf, removeTempDirs, testConfig } from '@test/support';
import { Counters, REFUSED_KEPT } from './counters.js';
import { loopabullKeys } from './keys.js';
import { createProducerRedis, createRedis } from './redis.js';

const config = testConfig();
const keys = loopabullKeys(config);
const reader = createRedis(config.redis.url);
const clients: Redis[] = [reader];

function counters(redis = createRedis(config.redis.url), maxLabels?: number): Counters {
  clients.push(redis);
  return new Counters(redis, keys, { maxLabels });
}

afterEach(async () => {
  await reader.del(...loopabullKeysOf(config));
});
afterAll(async () => {
  for (const redis of clients) redis.disconnect();
  removeTempDirs();
});

describe('Counters', () => {
  it('adds increments up in memory and writes them in one go', async () => {
    const c = counters();
    c.incr('consumed');
    c.incr('consumed');
    c.incr('completed', 'org.example.a', 3);
    expect(await reader.hgetall(keys.counters)).toEqual({});
    await c.flush();
    expect(await c.read()).toEqual({ consumed: { '': 2 }, completed: { 'org.example.a': 3 } });
  });

  it('writes the duration histogram fields one observation at a time would have', async () => {
    const c = counters();
    c.observeDuration('org.example.a', 0.7);
    c.observeDuration('org.example.a', 0.05);
    await c.flush();
    const raw = await reader.hgetall(keys.durations);
    expect(raw).toEqual({
      'org.example.a|0.1': '1',
      'org.example.a|0.5': '1',
      ...Object.fromEntries(
        [1, 2, 5, 10, 30, 60, 300, 900, 3600].map((le) => [`org.example.a|${le}`, '2']),
      ),
      'org.example.a|+Inf': '2',
      'org.example.a|sum': expect.stringMatching(/^0\.75/),
    });
  });

  it('writes by itself 250 ms after the first increment, with no flush called', async () => {
    const redis = createRedis(config.redis.url);
    const c = counters(redis);
    await redis.ping();
    // Only the clock the batching timer runs on is faked: Redis replies still arrive.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'Date'] });
    try {
      let writes = 0;
      const written = new Promise<void>((resolve) => {
        const multi = redis.multi.bind(redis);
        jest.spyOn(redis, 'multi').mockImplementation(((...args: Parameters<typeof multi>) => {
          writes += 1;
          const transaction = multi(...args);
          const exec = transaction.exec.bind(transaction);
          transaction.exec = (async () => {
            const replies = await exec();
            resolve();
            return replies;
          }) as typeof transaction.exec;
          return transaction;
        }) as typeof redis.multi);
      });
      c.incr('consumed');
      await jest.advanceTimersByTimeAsync(100);
      c.incr('consumed');
      // docs/architecture.md: written "at most 250 ms after the first" increment.
      await jest.advanceTimersByTimeAsync(149);
      expect(writes).toBe(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(writes).toBe(1);
      await written;
      expect(await reader.hgetall(keys.counters)).toEqual({ consumed: '2' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps what Redis did not take and writes it once with the next flush', async () => {
    const redis = createProducerRedis(config.redis.url);
    const c = counters(redis);
    await once(redis, 'ready');
    redis.disconnect();
    await once(redis, 'end');
    c.incr('consumed', undefined, 2);
    c.observeDuration('org.example.a', 2);
    await expect(c.flush()).rejects.toThrow();
    await redis.connect();
    c.incr('consumed');
    await c.flush();
    expect(await c.read()).toEqual({ consumed: { '': 3 } });
    expect(await c.readDurations()).toEqual({
      'org.example.a': {
        ...Object.fromEntries([2, 5, 10, 30, 60, 300, 900, 3600].map((le) => [le, 1])),
        '+Inf': 1,
        sum: 2,
      },
    });
  });

  it('reads topics named like Object.prototype members as topics, writing nothing to Object', async () => {
    const c = counters();
    for (const topic of ['constructor', 'toString', 'hasOwnProperty']) {
      c.observeDuration(topic, 1);
      c.incr('unrouted', topic);
    }
    await c.flush();
    const durations = await c.readDurations();
    expect(Object.keys(durations).sort()).toEqual(['constructor', 'hasOwnProperty', 'toString']);
    expect(durations.constructor).toMatchObject({ '1': 1, '+Inf': 1, sum: 1 });
    expect((await c.read()).unrouted).toEqual({ constructor: 1, toString: 1, hasOwnProperty: 1 });
    for (const field of ['1', '+Inf', 'sum']) expect(Object.hasOwn(Object, field)).toBe(false);
  });

  it('writes what is left when closed', async () => {
    const c = counters();
    c.incr('enqueued');
    await c.close();
    expect(await c.read()).toEqual({ enqueued: { '': 1 } });
  });

  it('counts topics beyond metrics.max_topics as "other", across processes', async () => {
    const first = counters(undefined, 2);
    const second = counters(undefined, 2);
    first.incr('completed', 'org.example.a');
    first.observeDuration('org.example.a', 1);
    await first.flush();
    second.incr('completed', 'org.example.b');
    await second.flush();
    second.incr('completed', 'org.example.c', 2);
    second.observeDuration('org.example.c', 1);
    await second.flush();
    first.incr('completed', 'org.example.d');
    first.incr('completed', 'org.example.a');
    await first.flush();
    expect((await first.read()).completed).toEqual({
      'org.example.a': 2,
      'org.example.b': 1,
      other: 3,
    });
    expect(Object.keys(await first.readDurations()).sort()).toEqual(['org.example.a', 'other']);
  });

  it('forgets the topics it was refused once it has been refused more than it keeps, and asks again', async () => {
    const c = counters(undefined, 1);
    c.incr('completed', 'org.example.a');
    c.incr('completed', 'org.example.b');
    await c.flush();
    expect(await c.read()).toEqual({ completed: { 'org.example.a': 1, other: 1 } });
    // Topics that carry ids: each refused, each remembered until there are too many.
    for (let i = 0; i <= REFUSED_KEPT; i++) c.incr('completed', `org.example.id${i}`);
    await c.flush();
    // Labels reset by hand (metrics started over): b, forgotten, is asked about and admitted.
    await reader.del(keys.labels, keys.counters);
    c.incr('completed', 'org.example.b');
    await c.flush();
    expect(await c.read()).toEqual({ completed: { 'org.example.b': 1 } });
  });

  it('keeps topics named like Object properties as plain keys', async () => {
    const c = counters();
    c.incr('unrouted', 'constructor');
    c.incr('unrouted', '__proto__');
    c.observeDuration('constructor', 0.2);
    await c.flush();
    const read = await c.read();
    expect(read.unrouted?.['constructor']).toBe(1);
    expect(read.unrouted?.['__proto__']).toBe(1);
    expect(Object.keys(read.unrouted ?? {}).sort()).toEqual(['__proto__', 'constructor']);
    expect((await c.readDurations())['constructor']?.['sum']).toBeCloseTo(0.2);
    expect(({} as Record<string, unknown>).sum).toBeUndefined();
  });
});
