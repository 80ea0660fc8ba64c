import { afterAll, expect, it } from '@jest/globals';
import { loopabullKeysOf, removeTempDirs, testConfig } from '@test/support';
import { loopabullKeys } from './keys.js';
import { ParkingLot } from './parking.js';
import { createRedis } from './redis.js';

/** docs/architecture.md and docs/security.md: the parked stream keeps the "newest 10,000". */
const DOCUMENTED_KEPT = 10_000;

const config = testConfig();
const redis = createRedis(config.redis.url);
afterAll(async () => {
  await redis.del(...loopabullKeysOf(config));
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
