/**
 * A broker that stops answering without closing the connection (a frozen host, a dropped route):
 * heartbeats notice it in seconds, the looper reconnects once the network is back, and messages
 * flow again. The original hung on such a socket until someone restarted it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from '@jest/globals';
import { removeTempDirs, startTcpProxy, testConfig } from '@test/support';
import { cleanUp, nextEvents, openChannel, publish, recordingLogger } from '../test/helpers.js';
import { Looper } from './index.js';

afterAll(removeTempDirs);

it('notices a frozen broker connection by its heartbeats and recovers when it thaws', async () => {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5672 });
  const direct = testConfig({ overrides: { bus: { heartbeat: 1, connect_timeout: 2 } } });
  const config = {
    ...direct,
    bus: { ...direct.bus, url: `amqp://guest:guest@127.0.0.1:${proxy.port}` },
  };
  const looper = new Looper({ config, logger: recordingLogger() });
  const { model, ch } = await openChannel(direct.bus.url);
  try {
    await looper.start();
    const disconnected = nextEvents(looper, 'disconnected');
    const frozenAt = Date.now();
    proxy.freeze();
    const [[error]] = (await disconnected) as [[Error]];
    expect(Date.now() - frozenAt).toBeLessThan(10_000);
    expect(error.message).toMatch(/heartbeat/i);

    const consuming = nextEvents(looper, 'consuming');
    proxy.thaw();
    await consuming;
    const enqueued = nextEvents(looper, 'enqueued');
    const id = `after-freeze-${randomUUID()}`;
    publish(ch, config.bus.bindings[0]!.exchange, 'test.freeze', { n: 1 }, { messageId: id });
    const [[, jobId]] = (await enqueued) as [[unknown, string]];
    expect(jobId).toBe(id);
  } finally {
    await looper.stop();
    await model.close();
    await proxy.close();
    await cleanUp(direct);
  }
}, 60_000);
