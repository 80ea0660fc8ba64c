/**
 * The looper writes what one burst of deliveries holds as one bulk write and acks it together:
 * against the machine's RabbitMQ and Redis, with Redis behind a proxy that can break the
 * connection in the middle of a bulk write.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, expect, it } from '@jest/globals';
import type { Config } from '@loopabull/core';
import { removeTempDirs, startTcpProxy, testConfig, waitFor, type TcpProxy } from '@test/support';
import * as h from '../test/helpers.js';
import { Looper } from './index.js';

afterAll(() => removeTempDirs());
const teardown: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

const BURST = 60;
const REDIS = 'redis://127.0.0.1:6379';

/**
 * A burst of messages waiting in the broker before the looper consumes, so it arrives in
 * batches; half of them published twice with the same message id.
 */
async function setUp(proxy?: TcpProxy) {
  const config = testConfig({
    overrides: proxy ? { redis: { url: `redis://127.0.0.1:${proxy.port}` } } : {},
  });
  const direct = { ...config, redis: { ...config.redis, url: REDIS } };
  teardown.push(() => h.cleanUp(direct));
  const declaring = new Looper({ config, logger: h.recordingLogger() });
  await declaring.start();
  await declaring.stop();
  const run = randomBytes(4).toString('hex');
  const ids = Array.from({ length: BURST }, (_, i) => `burst-${run}-${String(i).padStart(3, '0')}`);
  const { model, ch } = await h.openChannel(config.bus.url);
  teardown.push(() => model.close());
  const exchange = config.bus.bindings[0]!.exchange;
  for (const id of ids) h.publish(ch, exchange, 'test.burst', { id }, { messageId: id });
  for (const id of ids.slice(0, BURST / 2))
    h.publish(ch, exchange, 'test.burst', { id }, { messageId: id });
  await ch.waitForConfirms();
  const looper = new Looper({ config, logger: h.recordingLogger() });
  teardown.push(() => looper.stop());
  const queueState = () => h.queueInfo(config.bus.url, config.bus.queue);
  return { config, direct, looper, ids, queueState };
}

it('a burst becomes one job per message id, and every delivery of it is acked', async () => {
  const { config, looper, ids, queueState } = await setUp();
  const enqueued = h.nextEvents(looper, 'enqueued', ids.length * 1.5);
  await looper.start();
  const jobIds = (await enqueued).map(([, jobId]) => jobId as string);
  expect(new Set(jobIds)).toEqual(new Set(ids));
  expect(await h.withWorkQueue(config, (q) => q.getJobCountByTypes('wait'))).toBe(ids.length);
  await looper.stop();
  expect(await queueState()).toMatchObject({ messageCount: 0 });
});

/**
 * Starts the looper with Redis behind `proxy`, breaks the connection as `breakIt` says, and
 * checks what the bulk write holding `marked`'s job left behind; then lets Redis back and checks
 * that every message became exactly one job and every delivery was acked.
 */
async function redisBreaksDuringABulkWrite(
  breakIt: (proxy: TcpProxy, marked: string, direct: Config) => Promise<void>,
  markedStored: boolean,
) {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  teardown.push(() => proxy.close());
  const { direct, looper, ids, queueState } = await setUp(proxy);
  const acked = new Set<string>();
  let ackedDeliveries = 0;
  looper.on('enqueued', (_event, jobId) => {
    acked.add(jobId);
    ackedDeliveries += 1;
  });
  const marked = ids[BURST / 2]!;
  const paused = h.nextEvents(looper, 'paused');
  const started = looper.start();
  await breakIt(proxy, marked, direct);
  await Promise.all([started, paused]);

  // Every delivery that was not acked goes back to the broker, while Redis stays unreachable.
  const unacked = ids.length * 1.5 - ackedDeliveries;
  await waitFor(async () => (await queueState()).messageCount === unacked, {
    what: `${unacked} messages back in the broker`,
  });
  expect(acked.has(marked)).toBe(false);
  expect(await jobExists(direct, marked)).toBe(markedStored);

  const all = h.distinctJobs(looper, ids.length);
  for (const id of acked) all.ids.add(id);
  proxy.restore();
  expect([...(await all.done)].sort()).toEqual([...ids].sort());
  expect(await h.withWorkQueue(direct, (q) => q.getJobCountByTypes('wait'))).toBe(ids.length);
  await looper.stop();
  expect(await queueState()).toMatchObject({ messageCount: 0 });
}

const jobExists = (config: Config, id: string) =>
  h.withWorkQueue(config, async (q) => (await q.getJob(id)) !== undefined);

it('Redis failing in the middle of a bulk write stores none of it and acks none of its messages, and none is lost or doubled', async () => {
  // The connection breaks in the middle of the write that holds this message's job.
  await redisBreaksDuringABulkWrite(async (proxy, marked) => proxy.cutBefore(marked), false);
});

it('a bulk write that Redis carried out but never confirmed acks none of its messages, and none is doubled', async () => {
  await redisBreaksDuringABulkWrite(async (proxy, marked, direct) => {
    proxy.holdRepliesAfter(marked);
    await waitFor(() => jobExists(direct, marked), { what: `job ${marked} in Redis` });
    proxy.cut();
  }, true);
});
