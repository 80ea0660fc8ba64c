import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import {
  preloadFixture,
  pulseEvent,
  pulseFixture,
  storedMachine,
  testRedis,
} from '../test/helpers.js';
import { HARDWARE_KEYS } from './keys.js';
import { luaSource } from './lua.js';
import { normalizeTimestamp } from './timestamp.js';

/** docs/hardware.md: "its 256 most recently received events", "the latest 50 exceptions". */
const LIMITS = { recentEvents: 256, exceptions: 50 };
import { MachineStore } from './machine-store.js';
import { observe, type Observation, type Worker } from './observation.js';

let redis: Redis;
let close: () => Promise<void>;
let url: string;
let store: MachineStore;

beforeAll(async () => {
  ({ redis, close, url } = await testRedis());
  store = new MachineStore(redis);
});
beforeEach(() => redis.flushdb());
afterAll(() => close());

const completed = pulseFixture('task-completed');
const ID = 'mdc2:t-mojave-r7-153';

/** The fixture's observation with another time, state, reason or task. */
function obs(
  change: Partial<Omit<Observation, 'worker'>> & { worker?: Worker } = {},
): Observation & { worker: Worker } {
  const r = observe(pulseEvent(completed), 'releng-hardware');
  if (!r.ok || !r.observation.worker) throw new Error('fixture has no worker');
  return { ...r.observation, worker: r.observation.worker, ...change };
}

describe('record', () => {
  it('writes lastseen in the original hash and the detail beside it', async () => {
    const r = await store.record(obs());
    expect(r).toEqual({
      machine: ID,
      duplicate: false,
      lastseenUpdated: true,
      lastseen: '2019-06-26T19:36:10.521000',
    });
    expect(await redis.hgetall('machines')).toEqual({ [ID]: '2019-06-26T19:36:10.521000' });
    expect(await store.get(ID)).toMatchObject({
      id: ID,
      datacenter: 'mdc2',
      machine: 't-mojave-r7-153',
      lastseen: '2019-06-26T19:36:10.521000',
      last_state: 'completed',
      last_task_id: 'B3EheQ-IQ5aPzw34KS_a6g',
      last_run_id: 0,
      last_worker_type: 'gecko-t-osx-1014',
      counts: { running: 0, completed: 1, failed: 0, exception: 0 },
      exceptions: [],
    });
  });

  it('changes nothing on a redelivery', async () => {
    await store.record(obs());
    const before = await storedMachine(redis, ID);
    const again = await store.record(obs({ time: '2020-01-01T00:00:00.000000' }));
    expect(again).toMatchObject({
      duplicate: true,
      lastseenUpdated: false,
      lastseen: '2019-06-26T19:36:10.521000',
    });
    expect(await storedMachine(redis, ID)).toEqual(before);
  });

  it('never moves lastseen back, and keeps the newest event as the last state', async () => {
    await store.record(
      obs({
        eventId: 'new',
        time: '2019-06-27T00:00:00.000000',
        state: 'running',
        taskId: 'newer',
      }),
    );
    const old = await store.record(
      obs({ eventId: 'old', time: '2019-06-20T00:00:00.000000', state: 'failed', taskId: 'older' }),
    );
    expect(old).toMatchObject({ lastseenUpdated: false, lastseen: '2019-06-27T00:00:00.000000' });
    expect(await store.get(ID)).toMatchObject({
      lastseen: '2019-06-27T00:00:00.000000',
      last_state: 'running',
      last_task_id: 'newer',
      counts: { running: 1, failed: 1 },
    });
  });

  it('keeps the newest time when writers race', async () => {
    const { Redis: RedisClient } = await import('ioredis');
    const clients = Array.from({ length: 4 }, () => new RedisClient(url));
    const times = Array.from(
      { length: 60 },
      (_, i) => `2019-06-26T19:${String(i).padStart(2, '0')}:00.000000`,
    ).sort(() => Math.random() - 0.5);
    await Promise.all(
      times.map((time, i) =>
        new MachineStore(clients[i % clients.length]!).record(obs({ eventId: `c${i}`, time })),
      ),
    );
    await Promise.all(clients.map((c) => c.quit()));
    expect(await store.lastseen(ID)).toBe('2019-06-26T19:59:00.000000');
    expect(await store.get(ID)).toMatchObject({
      last_event_at: '2019-06-26T19:59:00.000000',
      counts: { completed: 60 },
    });
  });

  it('tracks an exception of a gone worker without counting it as life', async () => {
    await store.record(obs());
    const gone = obs({
      eventId: 'gone',
      state: 'exception',
      reason: 'claim-expired',
      alive: false,
      time: '2019-06-28T00:00:00.000000',
    });
    expect(await store.record(gone)).toMatchObject({
      lastseenUpdated: false,
      lastseen: '2019-06-26T19:36:10.521000',
    });
    expect(await store.get(ID)).toMatchObject({
      lastseen: '2019-06-26T19:36:10.521000',
      last_state: 'exception',
      last_exception_reason: 'claim-expired',
      last_exception_at: '2019-06-28T00:00:00.000000',
      counts: { completed: 1, exception: 1 },
      exceptions: [
        {
          at: '2019-06-28T00:00:00.000000',
          reason: 'claim-expired',
          task_id: 'B3EheQ-IQ5aPzw34KS_a6g',
          run_id: 0,
          worker_type: 'gecko-t-osx-1014',
          alive: false,
        },
      ],
    });
  });

  it('records an event again after an error in its script instead of taking it for a redelivery', async () => {
    // Another program left a key of the wrong type: the script fails, the jobs are retried.
    await redis.set(HARDWARE_KEYS.detail(ID), 'not a hash');
    const other = obs({
      eventId: 'other',
      worker: { datacenter: 'mdc1', hostname: 'other', id: 'mdc1:other' },
    });
    const batch = [other, obs()];
    await expect(store.recordMany(batch)).rejects.toThrow(/WRONGTYPE/);
    await redis.del(HARDWARE_KEYS.detail(ID));
    expect(await store.recordMany(batch)).toMatchObject([
      { machine: 'mdc1:other', duplicate: true },
      { machine: ID, duplicate: false, lastseen: '2019-06-26T19:36:10.521000' },
    ]);
    expect(await store.get(ID)).toMatchObject({
      lastseen: '2019-06-26T19:36:10.521000',
      last_state: 'completed',
      counts: { completed: 1 },
    });
    expect(await store.get('mdc1:other')).toMatchObject({ counts: { completed: 1 } });
  });

  it('lists a machine only ever seen gone, without a lastseen', async () => {
    await store.record(obs({ state: 'exception', reason: 'worker-shutdown', alive: false }));
    expect(await redis.exists('machines')).toBe(0);
    expect(await store.list()).toMatchObject([
      { id: ID, lastseen: null, age_seconds: null, last_state: 'exception' },
    ]);
  });

  it('caps the exception history and the redelivery memory', async () => {
    for (let i = 0; i < LIMITS.exceptions + 5; i++) {
      await store.record(
        obs({ eventId: `e${i}`, state: 'exception', reason: 'malformed-payload', receivedAtMs: i }),
      );
    }
    expect(await redis.llen(HARDWARE_KEYS.exceptions(ID))).toBe(LIMITS.exceptions);
    expect((await store.get(ID))?.counts.exception).toBe(LIMITS.exceptions + 5);
    for (let i = 0; i < LIMITS.recentEvents + 5; i++)
      await store.record(obs({ eventId: `r${i}`, receivedAtMs: 1000 + i }));
    expect(await redis.zcard(HARDWARE_KEYS.recent(ID))).toBe(LIMITS.recentEvents);
  });

  it('moves past a stored value of the original without fraction, and replaces unreadable ones', async () => {
    await redis.hset('machines', ID, '2019-06-26T19:36:10', 'mdc1:odd', 'garbage');
    expect(await store.record(obs())).toMatchObject({ lastseenUpdated: true });
    await redis.hset('machines', ID, '2019-06-26T19:36:11');
    expect(await store.record(obs({ eventId: 'x' }))).toMatchObject({
      lastseenUpdated: false,
      lastseen: '2019-06-26T19:36:11',
    });
    const odd = obs({
      eventId: 'y',
      worker: { datacenter: 'mdc1', hostname: 'odd', id: 'mdc1:odd' },
    });
    expect(await store.record(odd)).toMatchObject({
      lastseenUpdated: true,
      lastseen: '2019-06-26T19:36:10.521000',
    });
  });

  it('reads a stored value in any form the readers take as a time, and never moves it back', async () => {
    // Written by another program into the original's hash (preload_redis.py stored anything).
    // The fixture's event resolved at 2019-06-26T19:36:10.521Z; each of these is later.
    const later = {
      'mdc1:z': '2019-06-26T20:00:00Z',
      'mdc1:offset': '2019-06-26T22:00:00+02:00',
      'mdc1:space': '2019-06-26 20:00:00',
      'mdc1:digits': '2019-06-26T20:00:00.1234567',
    };
    await redis.hset('machines', later);
    for (const [id, stored] of Object.entries(later)) {
      const [datacenter, hostname] = id.split(':') as [string, string];
      const seen = obs({ eventId: `e-${id}`, worker: { datacenter, hostname, id } });
      expect(await store.record(seen)).toMatchObject({ lastseenUpdated: false, lastseen: stored });
    }
    const older = Object.keys(later).map((id) => {
      const [datacenter, machine] = id.split(':');
      return { datacenter, machine, lastseen: '2019-06-26T19:00:00.000000' };
    });
    expect(await store.preload(older)).toMatchObject({ updated: 0, skipped: 4 });
    expect(await redis.hgetall('machines')).toEqual(later);
  });

  it('reads stored values in Lua exactly as the readers do in TypeScript', async () => {
    const values = [
      '2019-06-26T19:36:10',
      '2019-06-26T19:36:10.5',
      '2019-06-26T19:36:10.521000',
      '2019-06-26T19:36:10.123456789',
      '2019-06-26T19:36:10.1234567890',
      '2019-06-26t19:36:10Z',
      '2019-06-26 19:36:10z',
      ' 2019-06-26T19:36:10.25+05:30 ',
      '2019-06-26T01:00:00+0200',
      '2019-12-31T23:30:00-01:00',
      '2020-02-29T00:00:00',
      '2019-02-29T00:00:00',
      '2019-13-01T00:00:00',
      '2019-06-26T24:00:00',
      '2019-06-26T23:60:00',
      '0099-06-26T00:00:00',
      '2019-06-26T19:36:10+5',
      '2030-01-01T00:00:00+24:00',
      '2030-01-01T00:00:00-23:59',
      '2030-01-01T00:00:00+01:60',
      '2019-06-26T19:36:10.521+99:99',
      '2019-06-26',
      'garbage',
      '',
    ];
    const reply = (await redis.eval(
      `${luaSource('lastseen')}\nlocal out = {}\nfor i, v in ipairs(ARGV) do out[i] = norm(v) or false end\nreturn out`,
      0,
      ...values,
    )) as Array<string | null>;
    expect(reply).toEqual(values.map((v) => normalizeTimestamp(v)));
  });

  it('keeps messages without a worker apart, once each', async () => {
    const none = {
      ...obs(),
      worker: null,
      state: 'exception' as const,
      reason: 'deadline-exceeded',
      eventId: 'nw',
    };
    expect(await store.recordUnattributed(none)).toBe(true);
    expect(await store.recordUnattributed(none)).toBe(false);
    expect(await store.unattributed()).toEqual({
      total: 1,
      recent: [
        expect.objectContaining({
          state: 'exception',
          reason: 'deadline-exceeded',
          task_id: 'B3EheQ-IQ5aPzw34KS_a6g',
          event_id: 'nw',
        }),
      ],
    });
    expect(await redis.exists('machines')).toBe(0);
  });

  it('keeps a message without a worker after an error in its script made it be retried', async () => {
    const none = { ...obs(), worker: null, eventId: 'nw' };
    await redis.set(HARDWARE_KEYS.stats, 'not a hash');
    await expect(store.recordUnattributed(none)).rejects.toThrow(/WRONGTYPE/);
    await redis.del(HARDWARE_KEYS.stats);
    expect(await store.recordUnattributed(none)).toBe(true);
    expect(await store.unattributed()).toMatchObject({
      total: 1,
      recent: [expect.objectContaining({ event_id: 'nw' })],
    });
  });
});

describe('list', () => {
  const now = new Date('2019-06-27T01:36:10.521Z');
  beforeEach(async () => {
    await store.preload([
      { datacenter: 'mdc2', machine: 'b', lastseen: '2019-06-27T01:00:00.000000' },
      { datacenter: 'mdc1', machine: 'z', lastseen: '2019-06-26T19:36:10.521000' },
      { datacenter: 'mdc1', machine: 'a', lastseen: '2019-06-27T01:36:00.521000' },
    ]);
  });

  it('sorts by datacenter and machine and says how long ago each was seen', async () => {
    const list = await store.list({ now });
    expect(list.map((m) => [m.id, m.age_seconds])).toEqual([
      ['mdc1:a', 10],
      ['mdc1:z', 6 * 3600],
      ['mdc2:b', 2170],
    ]);
  });

  it('filters by datacenter and by time not seen', async () => {
    expect((await store.list({ now, datacenter: 'mdc2' })).map((m) => m.id)).toEqual(['mdc2:b']);
    expect((await store.list({ now, staleSeconds: 6 * 3600 })).map((m) => m.id)).toEqual([
      'mdc1:z',
    ]);
    expect((await store.list({ now, staleSeconds: 30 * 60 })).map((m) => m.id)).toEqual([
      'mdc1:z',
      'mdc2:b',
    ]);
    expect(await store.datacenters()).toEqual(['mdc1', 'mdc2']);
  });

  it('answers the original list in the hash order', async () => {
    expect(await store.compatList()).toEqual([
      { machine: 'b', datacenter: 'mdc2', lastseen: '2019-06-27T01:00:00.000000' },
      { machine: 'z', datacenter: 'mdc1', lastseen: '2019-06-26T19:36:10.521000' },
      { machine: 'a', datacenter: 'mdc1', lastseen: '2019-06-27T01:36:00.521000' },
    ]);
    expect(await store.get('mdc9:nobody')).toBeNull();
  });
});

describe('preload', () => {
  it('loads the README example, then never overwrites a newer time', async () => {
    expect(await store.preload(preloadFixture())).toEqual({
      new: 1,
      updated: 0,
      skipped: 0,
      invalid: 0,
      rejected: [],
    });
    expect(await store.lastseen('mdc1:t-linux64-ms-100')).toBe('2018-11-08T08:47:50.939514');
    const older = [
      { machine: 't-linux64-ms-100', datacenter: 'mdc1', lastseen: '2018-11-01T00:00:00' },
    ];
    expect(await store.preload(older)).toEqual({
      new: 0,
      updated: 0,
      skipped: 1,
      invalid: 0,
      rejected: [],
    });
    expect(await store.preload(preloadFixture())).toEqual({
      new: 0,
      updated: 0,
      skipped: 1,
      invalid: 0,
      rejected: [],
    });
    const newer = [
      { machine: 't-linux64-ms-100', datacenter: 'mdc1', lastseen: '2018-11-09T00:00:00Z' },
    ];
    expect(await store.preload(newer)).toEqual({
      new: 0,
      updated: 1,
      skipped: 0,
      invalid: 0,
      rejected: [],
    });
    expect(await store.lastseen('mdc1:t-linux64-ms-100')).toBe('2018-11-09T00:00:00.000000');
  });

  it('counts entries that are not machines and writes nothing for them', async () => {
    const bad = [
      null,
      'mdc1:x',
      { machine: 'x', datacenter: 'mdc1' },
      { machine: 'x', datacenter: 'mdc1', lastseen: 'yesterday' },
      { machine: '', datacenter: 'mdc1', lastseen: '2018-11-08T08:47:50' },
      { machine: 'x', datacenter: 'md:c1', lastseen: '2018-11-08T08:47:50' },
      { machine: 'x', datacenter: 'mdc1', lastseen: '2018-11-08T08:47:50' },
      { datacenter: 'mdc1', lastseen: '2018-11-08T08:47:50' },
      { machine: 'x', lastseen: '2018-11-08T08:47:50' },
      { machine: 'x', datacenter: 'mdc1', lastseen: null },
      { machine: 'x', datacenter: 'mdc1', lastseen: 'y'.repeat(100) },
    ];
    expect(await store.preload(bad)).toEqual({
      new: 1,
      updated: 0,
      skipped: 0,
      invalid: 10,
      rejected: [
        { index: 0, reason: 'null is not an object' },
        { index: 1, reason: '"mdc1:x" is not an object' },
        { index: 2, reason: 'lastseen is missing' },
        { index: 3, reason: 'lastseen "yesterday" is not a timestamp' },
        { index: 4, reason: 'machine "" is not 1 to 128 characters of A-Z a-z 0-9 _ . -' },
        { index: 5, reason: 'datacenter "md:c1" is not 1 to 128 characters of A-Z a-z 0-9 _ . -' },
        { index: 7, reason: 'machine is missing' },
        { index: 8, reason: 'datacenter is missing' },
        // There, but not a time: its value is shown, cut short when long.
        { index: 9, reason: 'lastseen null is not a timestamp' },
        { index: 10, reason: `lastseen "${'y'.repeat(59)}… (102 characters) is not a timestamp` },
      ],
    });
    expect(await redis.hgetall('machines')).toEqual({ 'mdc1:x': '2018-11-08T08:47:50.000000' });
  });

  it('refuses a time more than five minutes ahead, which would pin the machine as seen', async () => {
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    const entries = [
      { machine: 'typo', datacenter: 'mdc1', lastseen: '2091-11-08T08:47:50' },
      { machine: 'ahead', datacenter: 'mdc1', lastseen: at(6 * 60_000) },
      { machine: 'skewed', datacenter: 'mdc1', lastseen: at(60_000) },
    ];
    expect(await store.preload(entries)).toMatchObject({
      new: 1,
      invalid: 2,
      rejected: [
        { index: 0, reason: 'lastseen "2091-11-08T08:47:50" is more than 5 minutes ahead of now' },
        { index: 1 },
      ],
    });
    expect(Object.keys(await redis.hgetall('machines'))).toEqual(['mdc1:skewed']);
  });

  it('loads large files in batches', async () => {
    const many = Array.from({ length: 1234 }, (_, i) => ({
      machine: `m${i}`,
      datacenter: 'mdc1',
      lastseen: '2018-11-08T08:47:50',
    }));
    expect(await store.preload(many)).toEqual({
      new: 1234,
      updated: 0,
      skipped: 0,
      invalid: 0,
      rejected: [],
    });
    expect(await redis.hlen('machines')).toBe(1234);
  });

  it('gives the reasons of the first 100 invalid entries, and counts them all', async () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ machine: `m${i}`, datacenter: 'a b' }));
    const result = await store.preload([{ lastseen: 'x'.repeat(1000) }, ...many]);
    expect(result.invalid).toBe(151);
    expect(result.rejected).toHaveLength(100);
    expect(result.rejected[0]).toEqual({
      index: 0,
      reason: 'datacenter is missing',
    });
    expect(result.rejected[99]!.index).toBe(99);
    expect(await redis.exists('machines')).toBe(0);
  });
});
