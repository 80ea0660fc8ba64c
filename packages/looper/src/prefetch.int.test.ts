/**
 * `bus.prefetch` (docs/configuration.md): the looper has at most that many messages in flight.
 * Its Redis (a private one) holds every write, so no job is confirmed and nothing is acked; the
 * machine's broker then shows how many it delivered and how many it keeps back.
 */
import { afterAll, expect, it } from '@jest/globals';
import {
  consumerPrefetch,
  queueMessages,
  removeTempDirs,
  startRedis,
  testConfig,
  undoAfterEach,
  waitFor,
} from '@test/support';
import { cleanUp, openChannel, publish, recordingLogger, withWorkQueue } from '../test/helpers.js';
import { Looper } from './index.js';

afterAll(removeTempDirs);
const undo = undoAfterEach();

it('keeps at most bus.prefetch messages unacked while Redis confirms none, and loses none', async () => {
  const prefetch = 3;
  const total = 8;
  const redis = await startRedis();
  undo(() => redis.stop());
  const config = testConfig({ overrides: { redis: { url: redis.url }, bus: { prefetch } } });
  undo(() => cleanUp(config));
  const looper = new Looper({ config, logger: recordingLogger() });
  undo(() => looper.stop());
  await looper.start();
  // The broker's own record of the consumer.
  expect(await consumerPrefetch(config.bus.queue)).toEqual([prefetch]);

  const release = await redis.holdWrites();
  undo(release);
  const { model, ch } = await openChannel(config.bus.url);
  undo(() => model.close());
  for (let i = 0; i < total; i++)
    publish(ch, config.bus.bindings[0]!.exchange, 'test.prefetch', { i }, { messageId: `p-${i}` });
  await ch.waitForConfirms();

  // (Within the looper's 10 s Redis timeout, after which it hands them back and tries again.)
  await waitFor(
    async () => {
      const counts = await queueMessages(config.bus.queue);
      return counts?.unacked === prefetch && counts.ready === total - prefetch;
    },
    { interval: 200, what: `${prefetch} unacked and ${total - prefetch} ready` },
  );

  await release();
  await waitFor(
    async () =>
      (await withWorkQueue(config, (q) => q.getJobCountByTypes('wait'))) === total &&
      (await queueMessages(config.bus.queue))?.unacked === 0,
    { interval: 200, what: 'every message to become a job and be acked' },
  );
  expect((await ch.checkQueue(config.bus.queue)).messageCount).toBe(0);
});
