/** A looper whose start fails must not leave its Redis connection and probes running. */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, expect, it } from '@jest/globals';
import { removeTempDirs, startRedis, testConfig } from '@test/support';
import { Looper } from './index.js';

afterAll(removeTempDirs);

it('closes its Redis connection when a bus.tls file cannot be read', async () => {
  const redis = await startRedis();
  try {
    const config = testConfig({ overrides: { loglevel: 'error', redis: { url: redis.url } } });
    // Read when the connection is set up: the start fails before any connection attempt.
    const missing = '/nonexistent/loopabull-ca.pem';
    const looper = new Looper({
      config: { ...config, bus: { ...config.bus, tls: { ...config.bus.tls, ca_cert: missing } } },
    });
    await expect(looper.start()).rejects.toThrow(missing);
    // Time for a connection still being made to come up, and for a probe to run on it.
    await delay(500);
    expect(await redis.connections()).toBe(0);
  } finally {
    await redis.stop();
  }
});
