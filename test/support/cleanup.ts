import amqp from 'amqplib';
import { loopabullKeys, openQueueServices, type Config } from '@loopabull/core';

/**
 * Removes what a test made with its config: the AMQP queue and exchanges the looper or the
 * publisher declared, the BullMQ queue and every key of the queue's `_lb:` namespace.
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
    // Automations keep keys of their own in the queue's `_lb:` namespace (taskotron's dedup claims).
    const own = services.redis.scanStream({
      match: `${config.redis.prefix}:${config.queue.name}:_lb:*`,
    });
    for await (const keys of own as AsyncIterable<string[]>)
      if (keys.length) await services.redis.del(...keys);
  } finally {
    await services.close();
  }
}
