/**
 * A broker that stops answering without closing the connection (a frozen host, a dropped route):
 * heartbeats notice it in seconds, the looper reconnects once the network is back, and messages
 * flow again. The original hung on such a socket until someone restarted it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, expect, it } from '@jest/globals';
import { removeTempDirs, startTcpProxy, testConfig } from '@test/support';
import { cleanUp, nextEvents, openChannel, publish, recordingLogger } from '../test/helpers.js';
import { Looper } from './index.js';

// In the order pushed, after a test that timed out too, whose own code still waits on the link.
const teardown: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of teardown.splice(0)) await step();
});
afterAll(removeTempDirs);

it('notices a frozen broker connection by its heartbeats and recovers when it thaws', async () => {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5672 });
  // Closed before the looper stops: a frozen link would hold its stop up.
  teardown.push(() => proxy.close());
  const direct = testConfig({ overrides: { bus: { heartbeat: 1, connect_timeout: 2 } } });
  const config = {
    ...direct,
    bus: { ...direct.bus, url: `amqp://guest:guest@127.0.0.1:${proxy.port}` },
  };
  const looper = new Looper({ config, logger: recordingLogger() });
  teardown.push(() => looper.stop());
  const { model, ch } = await openChannel(direct.bus.url);
  teardown.push(() => model.close());
  teardown.push(() => cleanUp(direct));

  await looper.start();
  const disconnected = nextEvents(looper, 'disconnected');
  proxy.freeze();
  // Nothing else can end a connection that stays open: the error says the heartbeats did, and
  // the test's timeout bounds how long they may take.
  const [[error]] = (await disconnected) as [[Error]];
  expect(error.message).toMatch(/heartbeat/i);

  const consuming = nextEvents(looper, 'consuming');
  proxy.thaw();
  await consuming;
  const enqueued = nextEvents(looper, 'enqueued');
  const id = `after-freeze-${randomUUID()}`;
  publish(ch, config.bus.bindings[0]!.exchange, 'test.freeze', { n: 1 }, { messageId: id });
  const [[, jobId]] = (await enqueued) as [[unknown, string]];
  expect(jobId).toBe(id);
}, 60_000);
