/** `bus.queue_expires`: the queue RabbitMQ deletes once unused, as `loopabull up --demo` declares it. */
import { afterAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { createLogger } from '@loopabull/core';
import { cleanUpTest, removeTempDirs, testConfig } from '@test/support';
import { Looper } from './index.js';
import { queueOptions } from './topology.js';

afterAll(removeTempDirs);

describe('queueOptions', () => {
  it('declares a durable queue without expiry by default', () => {
    const { bus } = testConfig();
    expect(queueOptions(bus)).toEqual({ durable: true, autoDelete: false, exclusive: false });
  });
});

describe('bus.queue_expires', () => {
  it('is declared on the broker as x-expires in milliseconds', async () => {
    const config = testConfig({ overrides: { bus: { queue_expires: 600 } } });
    const looper = new Looper({ config, logger: createLogger('test', 'error') });
    await looper.start();
    const model = await amqp.connect(config.bus.url);
    try {
      const ch = await model.createChannel();
      ch.on('error', () => undefined);
      // The broker refuses a declaration whose arguments differ from the queue's own.
      await expect(
        ch.assertQueue(config.bus.queue, {
          durable: true,
          arguments: { 'x-expires': 600_000 },
        }),
      ).resolves.toMatchObject({ queue: config.bus.queue });
      const other = await model.createChannel();
      other.on('error', () => undefined);
      await expect(other.assertQueue(config.bus.queue, { durable: true })).rejects.toThrow(
        /PRECONDITION_FAILED.*x-expires/,
      );
    } finally {
      await model.close();
      await looper.stop();
      await cleanUpTest(config);
    }
  });
});
