/**
 * A looper whose start fails, or that is stopped before it consumes, must not leave its Redis
 * connection and probes running.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, expect, it } from '@jest/globals';
import {
  closedPort,
  releaseClosedPorts,
  removeTempDirs,
  startRedis,
  testConfig,
  waitFor,
} from '@test/support';
import { recordingLogger } from '../test/helpers.js';
import { Looper } from './index.js';

afterAll(async () => {
  await releaseClosedPorts();
  removeTempDirs();
});

it('closes its Redis connection when a bus.tls file cannot be read, and does not say it stopped', async () => {
  const redis = await startRedis();
  try {
    const config = testConfig({ overrides: { redis: { url: redis.url } } });
    // Read when the connection is set up: the start fails before any connection attempt.
    const missing = '/nonexistent/loopabull-ca.pem';
    const logger = recordingLogger();
    const looper = new Looper({
      config: { ...config, bus: { ...config.bus, tls: { ...config.bus.tls, ca_cert: missing } } },
      logger,
    });
    await expect(looper.start()).rejects.toThrow(missing);
    // Time for a connection still being made to come up, and for a probe to run on it.
    await delay(500);
    expect(await redis.connections()).toBe(0);
    // A failed start, not a stop: the process prints its error instead.
    expect(logger.lines.map((line) => line.message)).not.toContain('looper stopped');
  } finally {
    await redis.stop();
  }
});

it('stopped while it retries the bus, its start resolves and its Redis connection closes', async () => {
  const redis = await startRedis();
  try {
    const busUrl = `amqp://guest:guest@127.0.0.1:${await closedPort()}`;
    const config = testConfig({ overrides: { redis: { url: redis.url }, bus: { url: busUrl } } });
    const logger = recordingLogger();
    const retrying = logger.said(/cannot connect to the bus or declare the queue, retrying/);
    const looper = new Looper({ config, logger });
    const started = looper.start();
    await retrying;
    await looper.stop();
    await expect(started).resolves.toBeUndefined();
    expect(logger.lines.at(-1)).toMatchObject({ level: 'info', message: 'looper stopped' });
    await waitFor(async () => (await redis.connections()) === 0, { what: 'no connection left' });
  } finally {
    await redis.stop();
  }
});

it('warns again when the bus fails for another reason, and repeats a reason only at debug', async () => {
  const redis = await startRedis();
  // What answers on the bus's port: at first it closes each connection at once, then it answers
  // with what is not AMQP, as a port behind the wrong listener would.
  let answer: (socket: Socket) => void = (socket) => socket.destroy();
  const server = createServer((socket) => answer(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const busUrl = `amqp://guest:guest@127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = testConfig({ overrides: { redis: { url: redis.url }, bus: { url: busUrl } } });
    const logger = recordingLogger();
    const failed = (level: string) =>
      logger.lines.filter((l) => l.level === level && /bus/.test(l.message));
    const looper = new Looper({ config, logger });
    const started = looper.start();
    await waitFor(() => failed('debug').length >= 1, { what: 'a repeated failure' });
    expect(failed('warn')).toHaveLength(1);
    const firstReason = failed('warn')[0]!.meta.error;
    answer = (socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    await waitFor(() => failed('warn').length >= 2, { what: 'a warning for the new reason' });
    expect(failed('warn')[1]).toMatchObject({
      message: 'cannot connect to the bus or declare the queue, retrying with backoff',
      meta: { url: busUrl.replace(':guest@', ':***@') },
    });
    expect(failed('warn')[1]!.meta.error).not.toBe(firstReason);
    await looper.stop();
    await started;
  } finally {
    server.close();
    await redis.stop();
  }
});
