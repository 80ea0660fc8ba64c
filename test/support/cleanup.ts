import amqp from 'amqplib';
import { loopabullKeys, openQueueServices, type Config } from '@loopabull/core';

/** The Redis prefix testConfig gives each test. */
const TEST_PREFIX = /^test-[0-9a-f]{8}$/;

/**
 * Removes what a test made with its config: the AMQP queue and exchanges the looper or the
 * publisher declared, the BullMQ queue and every key of the queue's `_lb:` namespace, and, under
 * a prefix of testConfig's own (`test-<id>`), every key under it (handlers in tests keep keys
 * there too).
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
    // Automations keep keys of their own in the queue's `_lb:` namespace (taskotron's dedup
    // claims). A prefix that is not a test's own may be shared: only that namespace goes.
    const own = services.redis.scanStream({
      match: TEST_PREFIX.test(config.redis.prefix)
        ? `${config.redis.prefix}:*`
        : `${config.redis.prefix}:${config.queue.name}:_lb:*`,
    });
    for await (const keys of own as AsyncIterable<string[]>)
      if (keys.length) await services.redis.del(...keys);
  } finally {
    await services.close();
  }
}
