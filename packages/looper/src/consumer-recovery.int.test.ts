/**
 * The looper's consumer after the broker ends it without dropping the connection
 * (packages/looper/README.md, Failures): a cancelled consumer (its queue deleted) and a channel
 * the broker closed (a delivery not acked within the broker's consumer timeout, on a private
 * RabbitMQ node set up for that). Each time it reconnects, declares again and consumes again.
 */
import { afterAll, expect, it } from '@jest/globals';
import { withTimeout, type LoopabullEvent } from '@loopabull/core';
import {
  removeTempDirs,
  startRabbit,
  startRedis,
  testConfig,
  undoAfterEach,
  type TestConfigOptions,
} from '@test/support';
import { cleanUp, nextEvents, openChannel, publish, recordingLogger } from '../test/helpers.js';
import { Looper } from './index.js';

/** Far longer than a reconnect takes (initial backoff 0.2 s): a failure, not a slow success. */
const WAIT_MS = 30_000;

afterAll(removeTempDirs);
const undo = undoAfterEach();

async function running(overrides: TestConfigOptions['overrides'] = {}) {
  const config = testConfig({ overrides });
  undo(() => cleanUp(config));
  const logger = recordingLogger();
  const looper = new Looper({ config, logger });
  undo(() => looper.stop());
  await looper.start();
  const { model, ch } = await openChannel(config.bus.url);
  undo(() => model.close());
  /** Publishes a message and resolves with the event the looper enqueued for it. */
  const roundTrip = async (id: string) => {
    const enqueued = new Promise<LoopabullEvent>((resolve) => {
      const listener = (event: LoopabullEvent) => {
        if (event.id !== id) return;
        looper.off('enqueued', listener);
        resolve(event);
      };
      looper.on('enqueued', listener);
    });
    publish(ch, config.bus.bindings[0]!.exchange, 'test.recovery', { id }, { messageId: id });
    await ch.waitForConfirms();
    return withTimeout(enqueued, WAIT_MS, `message ${id} to be enqueued`);
  };
  /** Resolves at the first `consuming` after the next `disconnected`. */
  const reconsuming = () =>
    withTimeout(
      nextEvents(looper, 'disconnected').then(() => nextEvents(looper, 'consuming')),
      WAIT_MS,
      'the looper to reconnect and consume again',
    );
  return { config, looper, logger, ch, roundTrip, reconsuming };
}

it('consumes again after the broker cancels its consumer', async () => {
  const { config, logger, ch, roundTrip, reconsuming } = await running();
  expect(await roundTrip('before-cancel')).toMatchObject({ body: { id: 'before-cancel' } });

  const again = reconsuming();
  await ch.deleteQueue(config.bus.queue);
  await again;
  expect(logger.lines).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      message: 'the broker cancelled the consumer, reconnecting',
    }),
  );
  // Declared again, with its bindings: a message published now is consumed.
  expect(await ch.checkQueue(config.bus.queue)).toMatchObject({ consumerCount: 1 });
  expect(await roundTrip('after-cancel')).toMatchObject({ body: { id: 'after-cancel' } });
});

it('consumes again after the broker closes its channel', async () => {
  const rabbit = await startRabbit({
    rabbit: '{consumer_timeout, 1000}, {channel_tick_interval, 100}',
  });
  undo(() => rabbit.close());
  const redis = await startRedis();
  undo(() => redis.stop());
  const { logger, roundTrip, reconsuming } = await running({
    bus: { url: rabbit.url },
    redis: { url: redis.url },
  });
  expect(await roundTrip('before-close')).toMatchObject({ body: { id: 'before-close' } });

  // Redis holds the job, so the delivery stays unacked past the broker's consumer timeout.
  const release = await redis.holdWrites();
  undo(release);
  const again = reconsuming();
  const held = roundTrip('held');
  await again;
  expect(logger.lines).toContainEqual(
    expect.objectContaining({
      level: 'warn',
      message: 'bus channel error',
      meta: { error: expect.stringMatching(/PRECONDITION_FAILED.*timed out/) },
    }),
  );

  await release();
  expect(await held).toMatchObject({ body: { id: 'held' } });
  expect(await roundTrip('after-close')).toMatchObject({ body: { id: 'after-close' } });
}, 90_000);
