import { afterAll, expect, it } from '@jest/globals';
import { loopabullKeysOf, removeTempDirs, testConfig } from '@test/support';
import { loopabullKeys } from './keys.js';
import { ParkingLot, type ParkInput } from './parking.js';
import { createRedis } from './redis.js';

/** docs/architecture.md and docs/security.md: the parked stream keeps the "newest 10,000". */
const DOCUMENTED_KEPT = 10_000;
/** `jobs list --help`: with --topic, only the newest 2000 of the state are looked through. */
const DOCUMENTED_SCAN = 2000;

const config = testConfig();
const scanned = testConfig();
const redis = createRedis(config.redis.url);
afterAll(async () => {
  await redis.del(...loopabullKeysOf(config), ...loopabullKeysOf(scanned));
  redis.disconnect();
  removeTempDirs();
});

it('keeps the newest 10,000 parked messages and drops the older ones', async () => {
  const key = loopabullKeys(config).parked;
  const lot = new ParkingLot(redis, key);
  const parked = DOCUMENTED_KEPT + 250;
  // ioredis pipelines commands sent without waiting, so this is one burst, not 10,250 round trips.
  await Promise.all(
    Array.from({ length: parked }, (_, n) =>
      lot.park({
        reason: 'not-json',
        detail: `message ${n}`,
        topic: null,
        exchange: 'amq.topic',
        routing_key: 'org.example.cap',
        message_id: String(n),
        received_at: new Date(0).toISOString(),
        content: Buffer.from(String(n)),
      }),
    ),
  );

  expect(await lot.count()).toBe(DOCUMENTED_KEPT);
  const [oldest] = await redis.xrange(key, '-', '+', 'COUNT', 1);
  expect((await lot.get(oldest![0]))!.message_id).toBe(String(parked - DOCUMENTED_KEPT));
  expect((await lot.list(1))[0]!.message_id).toBe(String(parked - 1));
});

it('finds and removes nothing for an id of the form <ms>-<seq> that no stream entry can have', async () => {
  const lot = new ParkingLot(redis, loopabullKeys(config).parked);
  await lot.park({
    reason: 'not-json',
    detail: 'one',
    topic: null,
    exchange: 'amq.topic',
    routing_key: 'org.example.cap',
    message_id: null,
    received_at: new Date(0).toISOString(),
    content: Buffer.from('x'),
  });
  // Past 2^64-1: Redis refuses these as stream ids ("ERR Invalid stream ID").
  for (const id of ['18446744073709551616-0', '1-18446744073709551616', '99999999999999999999-0']) {
    await expect(lot.get(id)).resolves.toBeNull();
    await expect(lot.remove(id)).resolves.toBe(false);
  }
  await expect(lot.get('18446744073709551615-18446744073709551615')).resolves.toBeNull();
});

it('finds a topic among the newest 2000 parked messages, whatever the limit, and not beyond', async () => {
  const lot = new ParkingLot(redis, loopabullKeys(scanned).parked);
  const message = (topic: string): ParkInput => ({
    reason: 'not-json',
    detail: topic,
    topic,
    exchange: 'amq.topic',
    routing_key: topic,
    message_id: null,
    received_at: new Date(0).toISOString(),
    content: Buffer.from('x'),
  });
  const hay = (count: number) =>
    Promise.all(Array.from({ length: count }, () => lot.park(message('org.example.hay'))));
  await lot.park(message('org.example.needle'));
  await hay(DOCUMENTED_SCAN - 1);
  for (const limit of [1, 50, 1000]) {
    const found = await lot.list(limit, 'org.example.needle');
    expect(found.map((p) => p.topic)).toEqual(['org.example.needle']);
  }
  await hay(1);
  for (const limit of [1, 50, 1000])
    await expect(lot.list(limit, 'org.example.needle')).resolves.toEqual([]);
});
