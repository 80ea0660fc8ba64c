/** A worker process outlives a Redis restart: it reconnects by itself and takes the next job. */
import { afterAll, expect, it } from '@jest/globals';
import { jobIdFor, openQueueServices, type LoopabullEvent } from '@loopabull/core';
import {
  removeTempDirs,
  startCli,
  startRedis,
  testConfig,
  waitFor,
  writeAutomation,
  type CliProcess,
  type RedisInstance,
  completedJob,
} from '@test/support';

let redis: RedisInstance | undefined;
let worker: CliProcess | undefined;
afterAll(async () => {
  await worker?.stop();
  await redis?.stop();
  removeTempDirs();
});

const event = (id: string): LoopabullEvent => ({
  id,
  topic: 'org.example.ping',
  body: { id },
  headers: {},
  exchange: 'amq.topic',
  routing_key: 'org.example.ping',
  sent_at: null,
  received_at: new Date().toISOString(),
});

async function runJob(config: ReturnType<typeof testConfig>, id: string) {
  const services = await openQueueServices(config);
  try {
    await services.work.enqueue(event(id));
    return await waitFor(() => completedJob(services.work.queue, jobIdFor(id)), {
      timeout: 30_000,
      what: `job ${id} to complete`,
    });
  } finally {
    await services.close();
  }
}

it('takes jobs again after Redis was stopped and started under it', async () => {
  redis = await startRedis();
  const config = testConfig({ overrides: { redis: { url: redis.url } } });
  writeAutomation(
    config.ansible.playbooks_dir,
    'org.example.ping.mjs',
    'export default (event) => ({ pong: event.body.id });\n',
  );
  worker = startCli(['worker', '--id', 'r', '--config', config.configPath]);
  await worker.waitForOutput(/taking jobs/);
  expect((await runJob(config, 'before')).returnvalue).toMatchObject({ value: { pong: 'before' } });

  await redis.stop();
  await redis.start();

  expect((await runJob(config, 'after')).returnvalue).toMatchObject({ value: { pong: 'after' } });
  expect(worker.child.exitCode).toBeNull();
}, 90_000);
