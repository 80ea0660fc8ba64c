/**
 * A broker restart under a stream of messages, on a RabbitMQ node of this test's own: the looper
 * reconnects by itself and at-least-once delivery ends in exactly one job per message.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  removeTempDirs,
  testConfig,
  waitFor,
  startRabbit,
  type RabbitInstance,
} from '@test/support';
import {
  cleanUp,
  distinctJobs,
  nextEvents,
  publishConfirmed,
  readyCount,
  recordingLogger,
  withWorkQueue,
} from '../test/helpers.js';
import { Looper } from './index.js';

let rabbit: RabbitInstance;
beforeAll(async () => {
  rabbit = await startRabbit();
}, 60_000);
afterAll(async () => {
  await rabbit?.close();
  removeTempDirs();
});

it('reconnects after a broker restart mid-stream and makes every message exactly one job', async () => {
  const total = 600;
  const config = testConfig({ overrides: { bus: { url: rabbit.url } } });
  const exchange = config.bus.bindings[0]!.exchange;
  const looper = new Looper({ config, logger: recordingLogger() });
  try {
    await looper.start();
    const jobs = distinctJobs(looper, total);
    const disconnected = nextEvents(looper, 'disconnected');
    const reconsuming = disconnected.then(() => nextEvents(looper, 'consuming'));

    const run = randomBytes(4).toString('hex');
    const ids = Array.from({ length: total }, (_, i) => `bus-${run}-${i}`);
    let restart: Promise<void> | undefined;
    const { failures } = await publishConfirmed(rabbit.url, exchange, 'test.stream', ids, {
      intervalMs: 20,
      onConfirmed: (confirmed) => {
        if (!restart && confirmed >= total / 6) restart = rabbit.stop().then(() => rabbit.start());
      },
    });
    await restart;
    // The broker went down while the publisher still had messages to send.
    expect(failures).toBeGreaterThan(0);
    await reconsuming;
    expect((await jobs.done).size).toBe(total);

    await waitFor(async () => (await readyCount(rabbit.url, config.bus.queue)) === 0, {
      what: 'the AMQP queue to drain',
    });
    await looper.stop();
    expect(await readyCount(rabbit.url, config.bus.queue)).toBe(0);
    const stored = await withWorkQueue(config, (q) => q.getJobCountByTypes('wait'));
    expect(stored).toBe(total);
  } finally {
    await looper.stop();
    await cleanUp(config);
  }
}, 120_000);
