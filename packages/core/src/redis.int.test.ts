import { afterAll, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { removeTempDirs, startRedis, startSilentServer } from '@test/support';
import {
  CONNECT_ONCE_MS,
  checkRedisDatabase,
  closeRedis,
  connectRedisOnce,
  createRedis,
} from './redis.js';

afterAll(removeTempDirs);

it('closeRedis ends a connection whose QUIT a frozen Redis never answers', async () => {
  const server = await startRedis();
  try {
    // disconnect() gives the socket 2 s to close, by a timer that would outlive the test.
    const redis = createRedis(server.url, { disconnectTimeout: 0 });
    await redis.ping();
    // Connected and answering nothing, as a stopped host or a swapping machine.
    server.freeze();
    const ended = new Promise((resolve) => redis.once('end', resolve));
    await closeRedis(redis);
    await ended;
    expect(redis.status).toBe('end');
  } finally {
    await server.stop();
  }
});

it('connectRedisOnce gives up on a frozen Redis, naming it, instead of waiting for good', async () => {
  const server = await startRedis();
  try {
    // Its kernel still accepts the connection: only the ready check goes unanswered.
    server.freeze();
    const started = Date.now();
    await expect(connectRedisOnce(server.url)).rejects.toThrow(
      `cannot reach Redis at ${server.url}: it did not answer within ${CONNECT_ONCE_MS} ms`,
    );
    expect(Date.now() - started).toBeLessThan(CONNECT_ONCE_MS + 3_000);
  } finally {
    await server.stop();
  }
});

it('checkRedisDatabase ends at once when its signal is aborted, closing its connection', async () => {
  const silent = await startSilentServer();
  try {
    const stopping = new AbortController();
    const checked = checkRedisDatabase(`redis://127.0.0.1:${silent.port}`, {
      signal: stopping.signal,
    });
    const connection = await silent.nextConnection();
    const closed = once(connection, 'close');
    const abortedAt = Date.now();
    stopping.abort();
    // A stop is no failure of the check: it resolves, well before the check's own deadline.
    await checked;
    expect(Date.now() - abortedAt).toBeLessThan(CONNECT_ONCE_MS / 2);
    await closed;
  } finally {
    await silent.close();
  }
});
