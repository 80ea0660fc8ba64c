/**
 * A Redis outage shorter than the lock a running job holds runs nothing twice. The outage starts
 * at the worst moment, just before the worker renews the lock (when it has least time left), and
 * lasts half of workers.lock_timeout: BullMQ's default renewal left only half, and an outage of
 * that length took the lock away from a job that then finished, so it ran a second time.
 */
import { afterAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { closeRedis, openQueueServices } from '@loopabull/core';
import {
  completedJob,
  removeTempDirs,
  startCli,
  startRedis,
  testConfig,
  testEvent,
  waitFor,
  writeAutomation,
  type CliProcess,
  type RedisInstance,
} from '@test/support';

let redis: RedisInstance | undefined;
let worker: CliProcess | undefined;
afterAll(async () => {
  await worker?.stop();
  await redis?.stop();
  removeTempDirs();
});

const LOCK_TIMEOUT_S = 12;

/** Counts its runs, then holds its job until `<prefix>:release` exists. */
const HOLD = `export default async (event, ctx) => {
  const p = ctx.config.redis.prefix;
  await ctx.redis.incr(p + ':runs');
  while (!(await ctx.redis.exists(p + ':release')) && !ctx.signal.aborted)
    await new Promise((r) => setTimeout(r, 100));
  return 'released';
};\n`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Watches the lock's time to live through a whole renewal period and resolves once it is again as
 * low as it got then: the moment just before the worker renews it.
 */
async function lockAtItsLowest(client: Redis, key: string): Promise<number> {
  const ttl = () => client.pttl(key);
  const renewed = async () => {
    let last = await ttl();
    let low = last;
    for (;;) {
      await pause(50);
      const now = await ttl();
      if (now > last + 500) return low;
      low = Math.min(low, now);
      last = now;
    }
  };
  await renewed();
  const low = await renewed();
  for (let now = await ttl(); ; now = await ttl()) {
    if (now <= low + 300) return now;
    await pause(50);
  }
}

it('a Redis outage of half of workers.lock_timeout, begun just before a renewal, runs no job twice', async () => {
  redis = await startRedis();
  const config = testConfig({
    overrides: {
      redis: { url: redis.url },
      workers: { lock_timeout: LOCK_TIMEOUT_S, concurrency: 2 },
    },
  });
  writeAutomation(config.ansible.playbooks_dir, 'org.example.hold.mjs', HOLD);
  worker = startCli(['worker', '--id', 'o', '--config', config.configPath]);
  await worker.waitForOutput(/taking jobs/);
  const services = await openQueueServices(config);
  const id = await services.work.enqueue(testEvent('org.example.hold'));
  await services.close();

  const watcher = new Redis(redis.url);
  try {
    const runs = `${config.redis.prefix}:runs`;
    await waitFor(async () => (await watcher.get(runs)) === '1', { what: 'the job to start' });
    const left = await lockAtItsLowest(
      watcher,
      `${config.redis.prefix}:${config.queue.name}:${id}:lock`,
    );
    // A quarter renewed leaves three quarters; half renewed left half.
    expect(left).toBeGreaterThan(LOCK_TIMEOUT_S * 1000 * 0.7);
    watcher.disconnect();
    await redis.stop();
    await pause((LOCK_TIMEOUT_S * 1000) / 2);
    await redis.start();
    await worker.waitForOutput(/Redis is back/, 20_000);

    const checker = new Redis(redis.url);
    try {
      await checker.set(`${config.redis.prefix}:release`, '1');
      const done = await waitFor(
        async () => {
          const queue = await openQueueServices(config);
          try {
            return await completedJob(queue.work.queue, id);
          } finally {
            await queue.close();
          }
        },
        { timeout: 30_000, what: 'the job to complete' },
      );
      expect(done.attemptsMade).toBe(1);
      expect(await checker.get(runs)).toBe('1');
      expect(worker.output()).not.toMatch(/Missing lock|could not renew lock/);
    } finally {
      closeRedis(checker);
    }
  } finally {
    watcher.disconnect();
  }
}, 90_000);
