import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { Config } from '@loopabull/core';
import {
  exampleConfig,
  withHardware,
  handlerContext,
  pulseEvent,
  pulseFixture,
  testRedis,
  variant,
  storedMachine,
} from '../test/helpers.js';
import { hardwareBatchHandler, hardwareHandler } from './handler.js';
import { HARDWARE_KEYS } from './keys.js';
import { MachineStore } from './machine-store.js';

let redis: Redis;
let close: () => Promise<void>;
let url: string;
let config: Config;

beforeAll(async () => {
  ({ redis, close, url } = await testRedis());
  config = exampleConfig(url);
});
beforeEach(() => redis.flushdb());
afterAll(() => close());

const completed = pulseFixture('task-completed');
const other = pulseFixture('task-running-other-provisioner');
const run = (content?: Buffer, fixture = completed, cfg = config) => {
  const ctx = handlerContext(redis, cfg);
  return Promise.resolve(hardwareHandler(pulseEvent(fixture, content), ctx)).then((result) => ({
    result,
    lines: ctx.lines,
  }));
};

const allKeys = async () => (await redis.keys('*')).sort();

describe('hardwareHandler', () => {
  it('records a completed task of a releng-hardware machine', async () => {
    const { result, lines } = await run();
    expect(result).toEqual({
      recorded: 'machine',
      machine: 'mdc2:t-mojave-r7-153',
      state: 'completed',
      alive: true,
      time: '2019-06-26T19:36:10.521000',
      time_source: 'event',
      lastseen: '2019-06-26T19:36:10.521000',
      lastseen_updated: true,
      duplicate: false,
      problems: [],
    });
    expect(lines).toEqual([
      'mdc2:t-mojave-r7-153 completed (completed) at 2019-06-26T19:36:10.521000 [event time]: lastseen updated',
    ]);
    expect(await redis.hget('machines', 'mdc2:t-mojave-r7-153')).toBe('2019-06-26T19:36:10.521000');
  });

  it('reports a redelivery and changes nothing', async () => {
    await run();
    const before = await storedMachine(redis, 'mdc2:t-mojave-r7-153');
    const { result } = await run();
    expect(result).toMatchObject({ duplicate: true, lastseen_updated: false });
    expect(await storedMachine(redis, 'mdc2:t-mojave-r7-153')).toEqual(before);
  });

  it('leaves no trace of another provisioner', async () => {
    expect((await run(undefined, other)).result).toEqual({
      ignored: 'provisioner aws-provisioner-v1',
    });
    expect(await allKeys()).toEqual([]);
  });

  it('follows hardware.provisioner', async () => {
    const cfg = withHardware(config, { provisioner: 'aws-provisioner-v1' });
    expect((await run(undefined, other, cfg)).result).toMatchObject({
      machine: 'us-west-1:i-0429b6e2c0ac7474d',
    });
    expect((await run(undefined, completed, cfg)).result).toEqual({
      ignored: 'provisioner releng-hardware',
    });
  });

  it('records an exception without a worker as such', async () => {
    const early = variant(completed, {
      exchange: 'exchange/taskcluster-queue/v1/task-exception',
      words: { 2: '_', 3: '_', 4: '_' },
      edit: (p) => {
        delete p.runId;
        delete p.workerGroup;
        delete p.workerId;
        p.status.runs = [];
      },
    });
    expect((await run(undefined, early)).result).toEqual({
      recorded: 'no worker',
      state: 'exception',
      task_id: 'B3EheQ-IQ5aPzw34KS_a6g',
      duplicate: false,
      problems: [],
    });
    expect((await run(undefined, early)).result).toMatchObject({ duplicate: true });
    expect(await redis.exists('machines')).toBe(0);
    expect((await new MachineStore(redis).unattributed()).total).toBe(1);
  });

  it('records bodies that are not task messages from the routing key, without throwing', async () => {
    for (const body of ['[]', '"text"', 'null', '{"workerGroup": {"$gt": ""}}']) {
      const { result } = await run(Buffer.from(body));
      expect(result).toMatchObject({
        recorded: 'machine',
        machine: 'mdc2:t-mojave-r7-153',
        time_source: 'received',
      });
    }
  });

  it('names the fields it could not use in the result and the job log', async () => {
    const slash = variant(completed, {
      edit: (p) => {
        p.workerId = 'a/b';
        p.status.runs[0]!.resolved = 'yesterday';
      },
    });
    const { result, lines } = await run(undefined, slash);
    const problems = [
      'workerId "a/b" is not an id (1 to 128 of A-Z a-z 0-9 _ . -)',
      'machine taken from its run',
      'status.runs[0].resolved "yesterday" is not a timestamp: stamped with the receive time',
    ];
    expect(result).toMatchObject({
      recorded: 'machine',
      machine: 'mdc2:t-mojave-r7-153',
      time_source: 'received',
      problems,
    });
    expect(lines[0]).toBe(`not used: ${problems.join('; ')}`);
  });

  it('throws when Redis fails, so the job is retried', async () => {
    const { Redis: RedisClient } = await import('ioredis');
    const broken = new RedisClient(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const ctx = handlerContext(broken, config);
    await expect(Promise.resolve(hardwareHandler(pulseEvent(completed), ctx))).rejects.toThrow();
    broken.disconnect();
  });

  it('records a batch in one script call, each event with the result it gets alone', async () => {
    const failed = variant(completed, {
      exchange: 'exchange/taskcluster-queue/v1/task-failed',
      edit: (p) => {
        p.status.runs[0]!.state = 'failed';
      },
    });
    const fixtures = [completed, other, failed, completed];
    const events = fixtures.map((f) => pulseEvent(f));
    // The same events one at a time, on a fresh store: what each must get in the batch too.
    const alone: unknown[] = [];
    const aloneLines: Array<[number, string]> = [];
    for (const [i, f] of fixtures.entries()) {
      const { result, lines } = await run(undefined, f);
      alone.push(result);
      for (const line of lines) aloneLines.push([i, line]);
    }
    await redis.flushdb();

    await redis.config('RESETSTAT');
    const lines: Array<[number, string]> = [];
    const ctx = {
      ...handlerContext(redis, config),
      jobs: events.map((_, i) => ({ id: `j${i}`, attempt: 1 })),
      log: async (i: number, line: string) => void lines.push([i, line]),
      automationBatch: () => {
        throw new Error('not in this test');
      },
    };
    const results = await hardwareBatchHandler(events, ctx);
    const stats = await redis.info('commandstats');
    expect(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1]).toBe('1');
    expect(results).toEqual(alone);
    expect(results[3]).toMatchObject({ duplicate: true });
    expect(lines).toEqual(aloneLines);
    expect(lines.map(([i]) => i)).toEqual([0, 2, 3]);
  });

  it("fails the event of a machine whose key Redis refuses alone, and records the others'", async () => {
    const machine = (name: string) =>
      variant(completed, {
        words: { 1: `T-${name}`, 4: name },
        edit: (p) => {
          p.status.taskId = `T-${name}`;
          p.workerId = name;
        },
      });
    const events = ['ok-1', 'poison', 'ok-2'].map((name) => pulseEvent(machine(name)));
    const poisoned = `${completed.payload.workerGroup}:poison`;
    await redis.set(HARDWARE_KEYS.detail(poisoned), 'another program wrote this');
    const ctx = {
      ...handlerContext(redis, config),
      jobs: events.map((_, i) => ({ id: `j${i}`, attempt: 1 })),
      log: async () => {},
      automationBatch: () => {
        throw new Error('not in this test');
      },
    };
    const results = await hardwareBatchHandler(events, ctx);
    expect(results[1]).toBeInstanceOf(Error);
    expect((results[1] as Error).message).toMatch(/WRONGTYPE/);
    for (const i of [0, 2]) expect(results[i]).toMatchObject({ recorded: 'machine' });
    const lastseen = await redis.hgetall('machines');
    expect(Object.keys(lastseen).sort()).toEqual(
      ['ok-1', 'ok-2'].map((n) => `${completed.payload.workerGroup}:${n}`),
    );
    // Alone, as the handler of one event: the job fails, to be retried.
    await expect(
      Promise.resolve(hardwareHandler(events[1]!, handlerContext(redis, config))),
    ).rejects.toThrow(/WRONGTYPE/);
  });
});
