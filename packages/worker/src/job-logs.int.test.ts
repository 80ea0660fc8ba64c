import { afterAll, afterEach, expect, it } from '@jest/globals';
import { WorkQueue, createRedis } from '@loopabull/core';
import { cleanUpTest, removeTempDirs, testConfig } from '@test/support';
import { makeEvent } from '../test/harness.js';
import { JobLogs } from './job-logs.js';

const config = testConfig();
const redis = createRedis(config.redis.url);
const work = new WorkQueue(config, redis);
afterEach(() => work.queue.obliterate({ force: true }));
afterAll(async () => {
  await cleanUpTest(config);
  await work.close();
  await redis.quit();
  removeTempDirs();
});

it("appends each job's lines in order, and writes nothing for a job that is gone", async () => {
  const [a, b] = await Promise.all([
    work.enqueue(makeEvent('org.example.a')),
    work.enqueue(makeEvent('org.example.b')),
  ]);
  const logs = new JobLogs(redis, (id) => work.queue.toKey(id));
  // Appended in one turn: written together.
  await Promise.all([
    logs.append(a, 'a one'),
    logs.append(b, 'b one'),
    logs.append('removed-job', 'lost'),
    logs.append(a, 'a two'),
  ]);
  await logs.append(b, 'b two');
  expect((await work.queue.getJobLogs(a)).logs).toEqual(['a one', 'a two']);
  expect((await work.queue.getJobLogs(b)).logs).toEqual(['b one', 'b two']);
  expect(await redis.exists(`${work.queue.toKey('removed-job')}:logs`)).toBe(0);
});
