/**
 * `loopabull serve` and Redis going away while nobody asks it anything: the journal says when the
 * outage began and when it ended, which only /readyz showed before.
 */
import { afterAll, expect, it } from '@jest/globals';
import {
  cleanUpTest,
  freePort,
  removeTempDirs,
  startCli,
  startRedis,
  testConfig,
  waitFor,
} from '@test/support';

afterAll(removeTempDirs);

it('logs the first error of a Redis outage and when Redis is back, with which Redis', async () => {
  const redis = await startRedis();
  const port = await freePort();
  const config = testConfig({ overrides: { redis: { url: redis.url }, http: { port } } });
  const serve = startCli(['serve', '--config', config.configPath], { isolated: true });
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      what: 'loopabull serve to reach Redis',
    });
    await redis.stop();
    await serve.waitForOutput(/error \[serve\] queue error .*redis=redis:\/\/127\.0\.0\.1:\d+/);
    await redis.start();
    await serve.waitForOutput(/info \[serve\] Redis is back /);
    expect(serve.output().match(/queue error/g)).toHaveLength(1);
  } finally {
    await serve.stop();
    await cleanUpTest(config);
    await redis.stop();
  }
});
