import amqp from 'amqplib';
import { loopabullKeys, openQueueServices, type Config } from '@loopabull/core';

/**
 * Removes what a test made with its config: the AMQP queue and exchanges the looper or the
 * publisher declared, the BullMQ queue and Loopabull's keys.
 */
export async function cleanUpTest(config: Config, opts: { amqpUrl?: string } = {}): Promise<void> {
  const model = await amqp.connect(opts.amqpUrl ?? config.bus.url);
  try {
    const ch = await model.createChannel();
    await ch.deleteQueue(config.bus.queue);
    const exchanges = new Set([
      ...config.bus.bindings.map((b) => b.exchange),
      config.bus.publish_exchange,
    ]);
    for (const exchange of exchanges) {
      if (!exchange.startsWith('amq.')) await ch.deleteExchange(exchange);
    }
  } finally {
    await model.close();
  }
  const services = await openQueueServices(config);
  try {
    await services.work.queue.obliterate({ force: true });
    await services.redis.del(...Object.values(loopabullKeys(config)));
  } finally {
    await services.close();
  }
}
