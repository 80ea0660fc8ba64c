/**
 * Redis going away under the looper, or freezing with its connections open, on a redis-server of
 * this test's own (AOF on, so jobs written before the outage are still there after it): messages
 * wait in the bus, none is acked or lost.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { removeTempDirs, startRedis, testConfig, waitFor, type RedisInstance } from '@test/support';
import {
  cleanUp,
  distinctJobs,
  nextEvents,
  openChannel,
  publish,
  queueInfo,
  recordingLogger,
  withWorkQueue,
} from '../test/helpers.js';
import { Looper } from './index.js';

let redis: RedisInstance;
let redisDown = false;
let redisFrozen = false;
beforeAll(async () => {
  redis = await startRedis();
});
const stopRedis = async () => {
  redisDown = true;
  await redis.stop();
};
const restartRedis = async () => {
  await redis.start();
  redisDown = false;
};
const freezeRedis = () => {
  redisFrozen = true;
  redis.freeze();
};
const thawRedis = () => {
  redis.thaw();
  redisFrozen = false;
};
afterAll(async () => {
  await redis.stop();
  removeTempDirs();
});

const teardown: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

async function setUp() {
  const config = testConfig({ overrides: { redis: { url: redis.url } } });
  const logger = recordingLogger();
  const looper = new Looper({ config, logger });
  teardown.push(async () => {
    // A failed test may leave Redis stopped or frozen; cleaning up needs it.
    if (redisFrozen) thawRedis();
    if (redisDown) await restartRedis();
    await cleanUp(config);
  });
  teardown.push(() => looper.stop());
  const { model, ch } = await openChannel(config.bus.url);
  teardown.push(() => model.close());
  const queueState = () => queueInfo(config.bus.url, config.bus.queue);
  const send = async (ids: string[]) => {
    for (const id of ids)
      publish(ch, config.bus.bindings[0]!.exchange, 'test.outage', { id }, { messageId: id });
    await ch.waitForConfirms();
  };
  return { config, looper, logger, queueState, send };
}

const idsFor = (label: string, n: number) => {
  const run = randomBytes(4).toString('hex');
  return Array.from({ length: n }, (_, i) => `${label}-${run}-${i}`);
};

type Setup = Awaited<ReturnType<typeof setUp>>;

/**
 * Starts the looper and has `before` enqueued; then, through `outage`, sends `during` and checks
 * that the looper paused with all of them back in the queue, unacked, none enqueued and nothing
 * consuming; then ends the outage and checks that each of them was enqueued.
 */
async function throughOutage(
  { looper, queueState, send }: Setup,
  outage: { begin: () => Promise<void> | void; end: () => Promise<void> | void },
  before: string[],
  during: string[],
): Promise<void> {
  await looper.start();
  const jobsBefore = distinctJobs(looper, before.length);
  await send(before);
  await jobsBefore.done;

  const paused = nextEvents(looper, 'paused');
  let enqueuedDuring = 0;
  const countEnqueued = () => void (enqueuedDuring += 1);
  looper.on('enqueued', countEnqueued);
  await outage.begin();
  await send(during);
  await paused;
  await waitFor(async () => (await queueState()).messageCount === during.length, {
    what: 'all messages back in the queue',
  });
  expect((await queueState()).consumerCount).toBe(0);
  looper.off('enqueued', countEnqueued);
  expect(enqueuedDuring).toBe(0);

  const resumed = nextEvents(looper, 'resumed');
  const after = distinctJobs(looper, during.length);
  await outage.end();
  await resumed;
  expect([...(await after.done)].sort()).toEqual([...during].sort());
  await looper.stop();
  expect((await queueState()).messageCount).toBe(0);
}

it('stops taking messages while Redis is down, acks none of them, and enqueues them all when it is back', async () => {
  const setup = await setUp();
  const outage = { begin: stopRedis, end: restartRedis };
  await throughOutage(setup, outage, idsFor('before', 5), idsFor('during', 20));
  expect(await withWorkQueue(setup.config, (q) => q.getJobCountByTypes('wait'))).toBe(25);
  // One line when it stopped taking messages, one when it resumed: not one per message.
  const consuming = /taking messages/;
  expect(setup.logger.lines.filter((l) => consuming.test(l.message)).map((l) => l.level)).toEqual([
    'warn',
    'info',
  ]);
});

it('says when Redis goes away and when it is back while no message comes', async () => {
  const { looper, logger } = await setUp();
  await looper.start();
  const lost = logger.said(/^queue error$/);
  await stopRedis();
  await lost;
  const back = logger.said(/^Redis is back$/);
  await restartRedis();
  await back;
  const outage = logger.lines.filter((l) => /^(queue error|Redis is back)/.test(l.message));
  expect(outage.map((l) => [l.level, l.message, l.meta.redis])).toEqual([
    ['error', 'queue error', redis.url],
    ['info', 'Redis is back', redis.url],
  ]);
});

it('stops taking messages while Redis is frozen with its connections open, and enqueues each one once after it thaws', async () => {
  const setup = await setUp();
  const [before, during] = [idsFor('before', 3), idsFor('frozen', 20)];
  // No connection closes: only the looper's own reply timeout can tell that Redis stopped. The
  // job writes that timed out reach Redis once it thaws, and the redelivered messages are
  // enqueued again under the same job ids: each message is still one job.
  await throughOutage(setup, { begin: freezeRedis, end: thawRedis }, before, during);
  const jobs = await withWorkQueue(setup.config, (q) => q.getJobs(['wait']));
  expect(jobs.map((j) => j.id).sort()).toEqual([...before, ...during].sort());
});

it('starts while Redis is down and consumes once it answers', async () => {
  const { looper, queueState, send } = await setUp();
  await stopRedis();
  const connected = nextEvents(looper, 'connected');
  const started = looper.start();
  started.catch(() => undefined); // awaited below; a failure before that is reported by the assertions
  // The topology is declared without Redis, so messages already wait in the durable queue.
  await connected;
  expect((await queueState()).consumerCount).toBe(0);
  const ids = idsFor('early', 3);
  await send(ids);
  expect((await queueState()).messageCount).toBe(3);

  const jobs = distinctJobs(looper, ids.length);
  await restartRedis();
  await started;
  expect([...(await jobs.done)].sort()).toEqual([...ids].sort());
});

it('stops cleanly while Redis is down, leaving the unsaved messages in the queue', async () => {
  const { looper, queueState, send } = await setUp();
  await looper.start();
  const paused = nextEvents(looper, 'paused');
  await stopRedis();
  await send(idsFor('unsaved', 3));
  await paused;
  await looper.stop();
  expect(await queueState()).toMatchObject({ messageCount: 3, consumerCount: 0 });
});

it('stops taking messages while Redis answers PING but refuses writes, until it takes them again', async () => {
  // maxmemory reached with noeviction (or a replica gone READONLY, or MISCONF): PING is still
  // answered, so only a write tells whether the messages can be taken again.
  const setup = await setUp();
  teardown.push(() => redis.configure({ maxmemory: '0' }));
  let pauses = 0;
  setup.looper.on('paused', () => void (pauses += 1));
  const outage = {
    begin: () => redis.configure({ maxmemory: '1', 'maxmemory-policy': 'noeviction' }),
    end: async () => {
      // Time enough for a looper that took PONG for yes to have taken them again many times.
      await new Promise((r) => setTimeout(r, 2000));
      expect(pauses).toBe(1);
      await redis.configure({ maxmemory: '0' });
    },
  };
  await throughOutage(setup, outage, idsFor('before', 5), idsFor('full', 20));
  expect(pauses).toBe(1);
});

it('starts while Redis refuses writes, says so, and consumes once it takes them', async () => {
  const { looper, logger, send } = await setUp();
  teardown.push(() => redis.configure({ maxmemory: '0' }));
  await redis.configure({ maxmemory: '1', 'maxmemory-policy': 'noeviction' });
  const connected = nextEvents(looper, 'connected');
  const started = looper.start();
  started.catch(() => undefined); // awaited below
  await connected;
  await waitFor(() => logger.lines.some((l) => l.level === 'warn'), {
    what: 'the looper to say why it waits',
  });
  expect(logger.lines.find((l) => l.level === 'warn')).toMatchObject({
    message: 'Redis refuses writes: waiting for it before taking messages',
    meta: { error: expect.stringMatching(/^OOM/) },
  });
  const ids = idsFor('refused', 2);
  await send(ids);
  const jobs = distinctJobs(looper, ids.length);
  await redis.configure({ maxmemory: '0' });
  await started;
  expect([...(await jobs.done)].sort()).toEqual([...ids].sort());
});
