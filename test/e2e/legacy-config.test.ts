/**
 * A Loopabull 0.0.7 configuration file, unchanged, runs the engine (docs/configuration.md,
 * "Loopabull 0.0.7 files"): the looper finds the broker, virtual host, exchange and queue in the
 * fedmsgrabbitmq looper block, and the worker runs the playbook named after the topic with the
 * message as `msg`. The broker is the machine's RabbitMQ, reached through a proxy on a port of
 * its own, so that the file's `rabbitmq.port` is the only way there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import {
  cleanUpTest,
  legacyConfig,
  localPlaybook,
  privateVhost,
  removeTempDirs,
  startPart,
  startReady,
  startTcpProxy,
  tempDir,
  undoAfterEach,
  waitFor,
  writeAutomation,
} from '@test/support';

const TOPIC = 'org.fedoraproject.prod.buildsys.build.state.change';

afterAll(removeTempDirs);
const undo = undoAfterEach();

/** Publishes a build message to a 0.0.7 config's broker and checks that `start` ran its playbook. */
async function runsThePlaybook(start: (legacy: ReturnType<typeof legacyConfig>) => Promise<void>) {
  const vhost = await privateVhost('legacy');
  undo(() => vhost.remove());
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5672 });
  undo(() => proxy.close());
  const legacy = legacyConfig(
    { host: '127.0.0.1', port: proxy.port, virtual_host: vhost.name },
    TOPIC,
  );
  undo(() => cleanUpTest(legacy.config, { amqpUrl: vhost.url }));
  const out = join(tempDir('legacy-out'), 'msg.json');
  writeAutomation(
    legacy.config.ansible.playbooks_dir,
    `${TOPIC}.yml`,
    localPlaybook([{ 'ansible.builtin.copy': { content: '{{ msg | to_json }}', dest: out } }]),
  );
  await start(legacy);

  const model = await amqp.connect(vhost.url);
  undo(() => model.close());
  const ch = await model.createConfirmChannel();
  const body = { build_id: 612324, owner: 'kevin' };
  ch.publish(legacy.exchange, TOPIC, Buffer.from(JSON.stringify(body)), {
    messageId: `legacy-${legacy.queue}`,
    contentType: 'application/json',
    persistent: true,
  });
  await ch.waitForConfirms();
  await waitFor(() => existsSync(out), { what: 'the playbook to run' });
  expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(body);
  // The looper consumed the block's queue, in the block's virtual host, by the block's port.
  expect(await ch.checkQueue(legacy.queue)).toMatchObject({ messageCount: 0, consumerCount: 1 });
  expect(proxy.accepted()).toBeGreaterThan(0);
}

it('consumes from the looper block’s host, port, virtual host, exchange and queue, and runs the playbook', () =>
  runsThePlaybook(async (legacy) => {
    await startPart('looper', legacy, undo);
    await startPart('worker', legacy, undo);
  }));

it('runs the same on 0.0.7’s command line, `loopabull CONFIG`, as its systemd units start it', () =>
  runsThePlaybook(async (legacy) => {
    const proc = await startReady([legacy.configPath], /taking jobs/, { isolated: true });
    undo(() => proc.stop());
  }));

it('logs in to the local broker with the block’s credentials when it names no host, as pika did', async () => {
  // guest may not use this virtual host: a looper that fell back to guest would be refused.
  const vhost = await privateVhost('legacy-user', { ownUser: true });
  undo(() => vhost.remove());
  const legacy = legacyConfig({ virtual_host: vhost.name }, TOPIC, { credentials: vhost.user });
  undo(() => cleanUpTest(legacy.config, { amqpUrl: vhost.url }));
  await startPart('looper', legacy, undo);

  const model = await amqp.connect(vhost.url);
  undo(() => model.close());
  const ch = await model.createChannel();
  expect(await ch.checkQueue(legacy.queue)).toMatchObject({ consumerCount: 1 });
});
