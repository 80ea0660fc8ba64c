/**
 * The whole engine as operators run it: `loopabull looper` and `loopabull worker` processes,
 * a real RabbitMQ, Redis and ansible-playbook, messages published with `loopabull publish`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import {
  COUNTERS_FLUSH_MS,
  jobIdFor,
  openQueueServices,
  type QueueServices,
} from '@loopabull/core';
import {
  localPlaybook,
  readFixture,
  removeTempDirs,
  runCli,
  startCli,
  tempDir,
  testConfig,
  waitFor,
  writeAutomation,
  type CliProcess,
  cleanUpTest,
} from '@test/support';

const TOPIC = 'org.fedoraproject.prod.buildsys.build.state.change';
const fixture = readFixture<{ msg: Record<string, unknown> }>(
  'fedmsg/buildsys.build.state.change.json',
);

describe('bus -> looper -> queue -> worker -> playbook', () => {
  const out = tempDir('e2e-out');
  const config = testConfig();
  const cfg = ['--config', config.configPath];
  let looper: CliProcess;
  let worker: CliProcess;
  let services: QueueServices;

  // Each run leaves one file named by time, holding what the playbook received.
  writeAutomation(
    config.ansible.playbooks_dir,
    `${TOPIC}.yml`,
    localPlaybook([
      {
        'ansible.builtin.copy': {
          content: '{{ {"msg": msg, "loopabull": loopabull} | to_json }}',
          dest: `${out}/{{ loopabull.job_id }}-{{ lookup('pipe', 'date +%s%N') }}.json`,
        },
      },
    ]),
  );

  const runsOf = (jobId: string) => readdirSync(out).filter((f) => f.startsWith(jobId + '-'));
  const publish = (args: string[]) => runCli(['publish', TOPIC, ...args, ...cfg]);
  const finished = async (jobId: string) => {
    const state = await (await services.work.queue.getJob(jobId))?.getState();
    return state === 'completed' || state === 'failed' ? state : null;
  };

  beforeAll(async () => {
    services = await openQueueServices(config);
    looper = startCli(['looper', ...cfg]);
    worker = startCli(['worker', '--id', 'e2e', ...cfg]);
    await Promise.all([looper.waitForOutput(/consuming/i), worker.waitForOutput(/taking jobs/i)]);
  });

  afterAll(async () => {
    await Promise.all([looper?.stop(), worker?.stop()]);
    await services.close();
    await cleanUpTest(config);
    removeTempDirs();
  });

  it('runs the playbook named after the topic once, with the payload as msg', async () => {
    const id = 'e2e-' + Date.now();
    const sent = await publish(['--id', id, '--body', JSON.stringify(fixture.msg)]);
    expect(sent.code).toBe(0);
    expect(await waitFor(() => finished(jobIdFor(id)), { what: 'the job' })).toBe('completed');
    const [run, ...more] = runsOf(jobIdFor(id));
    expect(more).toEqual([]);
    const received = JSON.parse(readFileSync(join(out, run!), 'utf8'));
    expect(received.msg).toEqual(fixture.msg);
    expect(received.loopabull).toMatchObject({
      topic: TOPIC,
      id,
      exchange: config.bus.publish_exchange,
      routing_key: TOPIC,
      attempt: 1,
    });
    expect(received.loopabull.headers).toHaveProperty('sent-at');
  });

  it('runs a message published twice with the same message_id once', async () => {
    const id = 'twice-' + Date.now();
    // The looper writes a count within COUNTERS_FLUSH_MS: after that, all it counted until now.
    await new Promise((resolve) => setTimeout(resolve, 2 * COUNTERS_FLUSH_MS));
    const consumedBefore = (await services.counters.read()).consumed?.[''] ?? 0;
    for (let i = 0; i < 2; i++)
      expect((await publish(['--id', id, '--body', '{"n":1}'])).code).toBe(0);
    await waitFor(
      async () => ((await services.counters.read()).consumed?.[''] ?? 0) >= consumedBefore + 2,
      { what: 'both deliveries' },
    );
    await waitFor(() => finished(jobIdFor(id)), { what: 'the job' });
    const depth = await services.work.depth();
    expect(depth.waiting + depth.active).toBe(0);
    expect(runsOf(jobIdFor(id))).toHaveLength(1);
  });

  it('replays saved messages with their original ids and headers, once however often replayed', async () => {
    const envelope = { topic: TOPIC, msg_id: `2015-replay-${Date.now()}`, msg: fixture.msg };
    const serialized = {
      topic: TOPIC,
      id: `replay-${Date.now()}`,
      headers: { 'sent-at': '2019-07-30T19:12:22+00:00' },
      body: { n: 2 },
    };
    const file = join(out, 'dump.jsonl');
    writeFileSync(file, [envelope, serialized, envelope].map((m) => JSON.stringify(m)).join('\n'));
    await new Promise((resolve) => setTimeout(resolve, 2 * COUNTERS_FLUSH_MS));
    const consumed = async () => (await services.counters.read()).consumed?.[''] ?? 0;
    const before = await consumed();
    for (let i = 0; i < 2; i++) {
      const res = await runCli(['replay', file, ...cfg]);
      expect(res.stdout).toContain('published 3 messages');
    }
    for (const id of [envelope.msg_id, serialized.id]) {
      expect(await waitFor(() => finished(jobIdFor(id)), { what: `job ${id}` })).toBe('completed');
    }
    await waitFor(async () => (await consumed()) >= before + 6, { what: 'all six deliveries' });
    const depth = await services.work.depth();
    expect(depth.waiting + depth.active).toBe(0);
    expect(runsOf(jobIdFor(envelope.msg_id))).toHaveLength(1);
    expect(runsOf(jobIdFor(serialized.id))).toHaveLength(1);
    const received = JSON.parse(
      readFileSync(join(out, runsOf(jobIdFor(serialized.id))[0]!), 'utf8'),
    );
    expect(received.loopabull).toMatchObject({
      id: serialized.id,
      sent_at: '2019-07-30T19:12:22+00:00',
    });
    expect(received.msg).toEqual({ n: 2 });
  });

  it('passes Jinja in a message through as text, never running it', async () => {
    const marker = join(out, `pwned-${Date.now()}`);
    const body = { comment: `{{ lookup('pipe','touch ${marker}') }}` };
    const id = 'jinja-' + Date.now();
    await publish(['--id', id, '--body', JSON.stringify(body)]);
    expect(await waitFor(() => finished(jobIdFor(id)), { what: 'the job' })).toBe('completed');
    const received = JSON.parse(readFileSync(join(out, runsOf(jobIdFor(id))[0]!), 'utf8'));
    expect(received.msg).toEqual(body);
    expect(existsSync(marker)).toBe(false);
  });

  it('parks a message whose topic could name a path, and goes on', async () => {
    const parkedBefore = await services.parking.count();
    // `loopabull publish` refuses such topics itself, so send them as a foreign publisher would.
    const conn = await amqp.connect(config.bus.url);
    const ch = await conn.createConfirmChannel();
    for (const key of ['../../etc/passwd', 'a/b']) {
      ch.publish(config.bus.publish_exchange, key, Buffer.from('{}'), { messageId: `bad-${key}` });
    }
    await ch.waitForConfirms();
    await conn.close();
    await waitFor(async () => (await services.parking.count()) >= parkedBefore + 2, {
      what: 'two parked messages',
    });
    const parked = await services.parking.list(2);
    expect(parked.map((p) => p.reason)).toEqual(['bad-topic', 'bad-topic']);
    expect(parked.map((p) => p.routing_key).sort()).toEqual(['../../etc/passwd', 'a/b']);
    expect(existsSync(join(config.ansible.playbooks_dir, '..', '..', 'etc'))).toBe(false);
    const id = 'after-bad-' + Date.now();
    await publish(['--id', id]);
    expect(await waitFor(() => finished(jobIdFor(id)), { what: 'the next good message' })).toBe(
      'completed',
    );
  });
});
