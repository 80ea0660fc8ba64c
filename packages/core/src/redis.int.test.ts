import { afterAll, expect, it } from '@jest/globals';
import { removeTempDirs, startRedis } from '@test/support';
import { closeRedis, createRedis } from './redis.js';

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
