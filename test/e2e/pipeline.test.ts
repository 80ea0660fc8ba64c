/**
 * The whole engine as operators run it: `loopabull looper` and `loopabull worker` processes,
 * a real RabbitMQ, Redis and ansible-playbook, messages published with `loopabull publish`.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { jobIdFor, openQueueServices, type QueueServices } from '@loopabull/core';
import {
  FIXTURES,
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
  allJobs,
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

  // Each run appends its message id to one file, whatever its job, and leaves one file named by
  // job and time, holding what the playbook received.
  const runLog = join(out, 'runs.log');
  writeAutomation(
    config.ansible.playbooks_dir,
    `${TOPIC}.yml`,
    localPlaybook([
      { 'ansible.builtin.shell': `printf '%s\\n' {{ loopabull.id | quote }} >> ${runLog}` },
      {
        'ansible.builtin.copy': {
          content: '{{ {"msg": msg, "loopabull": loopabull} | to_json }}',
          dest: `${out}/{{ loopabull.job_id }}-{{ lookup('pipe', 'date +%s%N') }}.json`,
        },
      },
    ]),
  );

  const runsOf = (jobId: string) => readdirSync(out).filter((f) => f.startsWith(jobId + '-'));
  /** How often the playbook ran for message `id`, under any job. */
  const runCount = (id: string) =>
    existsSync(runLog)
      ? readFileSync(runLog, 'utf8')
          .split('\n')
          .filter((l) => l === id).length
      : 0;
  /** Messages this file sent to the looper's queue: each is consumed at least once. */
  let sent = 0;
  /** The looper counts a message once its job or parked entry is in Redis, before acking it. */
  const handled = async () => {
    const c = await services.counters.read();
    const sum = (m?: Record<string, number>) => Object.values(m ?? {}).reduce((a, b) => a + b, 0);
    return sum(c.enqueued) + sum(c.parked) + sum(c.filtered);
  };
  /** Every message sent is in Redis and every job it made has run. */
  const settled = async () => {
    await waitFor(async () => (await handled()) >= sent, { what: `all ${sent} messages handled` });
    await waitFor(
      async () => {
        const depth = await services.work.depth();
        return depth.waiting + depth.active + depth.delayed === 0;
      },
      { what: 'the queue to be idle' },
    );
  };
  const publish = async (args: string[]) => {
    const res = await runCli(['publish', TOPIC, ...args, ...cfg]);
    if (res.code === 0) sent += 1;
    return res;
  };
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
    expect(runCount(id)).toBe(1);
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
    for (let i = 0; i < 2; i++)
      expect(await publish(['--id', id, '--body', '{"n":1}'])).toMatchObject({ code: 0 });
    await waitFor(() => finished(jobIdFor(id)), { what: 'the job' });
    await settled();
    expect(runCount(id)).toBe(1);
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
    for (let i = 0; i < 2; i++) {
      const res = await runCli(['replay', file, ...cfg]);
      expect(res.stdout).toContain('published 3 messages');
      sent += 3;
    }
    for (const id of [envelope.msg_id, serialized.id]) {
      expect(await waitFor(() => finished(jobIdFor(id)), { what: `job ${id}` })).toBe('completed');
    }
    await settled();
    expect(runCount(envelope.msg_id)).toBe(1);
    expect(runCount(serialized.id)).toBe(1);
    const received = JSON.parse(
      readFileSync(join(out, runsOf(jobIdFor(serialized.id))[0]!), 'utf8'),
    );
    expect(received.loopabull).toMatchObject({
      id: serialized.id,
      sent_at: '2019-07-30T19:12:22+00:00',
    });
    expect(received.msg).toEqual({ n: 2 });
  });

  it('gives the playbook the numbers of a message as published, from a Python publisher, publish and replay', async () => {
    const topic = 'org.fedoraproject.prod.loopabull.numbers';
    writeAutomation(
      config.ansible.playbooks_dir,
      `${topic}.yml`,
      localPlaybook([
        {
          'ansible.builtin.copy': {
            content:
              '{{ msg.timestamp }} {{ msg.big }} {{ msg.timestamp | type_debug }} ' +
              '{{ msg.big | type_debug }} {{ msg.nested[1].x }} {{ msg.msg.version }}',
            dest: `${out}/numbers-{{ loopabull.id }}`,
          },
        },
      ]),
    );
    // A whole fedmsg envelope as the body, as Loopabull 0.0.7's fedmsg looper got it: its
    // timestamp is a float with nothing after the point.
    const text = readFileSync(
      new URL('fedmsg/buildsys.build.state.change.json', FIXTURES),
      'utf8',
    ).replace('"msg": {', '"big": 12345678901234567890123, "nested": [1, {"x": 2.50e1}], "msg": {');
    const ids = ['python', 'publish', 'replay'].map((how) => `numbers-${how}-${Date.now()}`);
    // As fedora-messaging (Python) publishes it: the text as json.dumps wrote it.
    const conn = await amqp.connect(config.bus.url);
    try {
      const ch = await conn.createConfirmChannel();
      ch.publish(config.bus.publish_exchange, topic, Buffer.from(text), {
        messageId: ids[0],
        contentType: 'application/json',
      });
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
    const file = join(out, 'numbers.json');
    writeFileSync(file, text);
    expect(await runCli(['publish', topic, '--id', ids[1]!, '--file', file, ...cfg])).toMatchObject(
      { code: 0 },
    );
    writeFileSync(file, `{"topic": "${topic}", "msg_id": "${ids[2]}", "msg": ${text}}`);
    expect(await runCli(['replay', file, ...cfg])).toMatchObject({ code: 0 });
    sent += 3;
    for (const id of ids) {
      expect(await waitFor(() => finished(jobIdFor(id)), { what: `job ${id}` })).toBe('completed');
      expect(readFileSync(join(out, `numbers-${id}`), 'utf8')).toBe(
        '1424216566.0 12345678901234567890123 float int 25.0 1.8.3',
      );
    }
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
    // Automations where such topics would lead, each leaving a mark if it ever ran.
    const escaped = `escape-${Date.now()}`;
    const marks = { [`../${escaped}`]: join(out, 'escaped'), 'a/b': join(out, 'nested') };
    for (const [topic, mark] of Object.entries(marks))
      writeAutomation(
        config.ansible.playbooks_dir,
        `${topic}.yml`,
        localPlaybook([{ 'ansible.builtin.copy': { content: 'ran', dest: mark } }]),
      );
    const bad = ['../../etc/passwd', ...Object.keys(marks)];
    // `loopabull publish` refuses such topics itself, so send them as a foreign publisher would.
    const conn = await amqp.connect(config.bus.url);
    try {
      const ch = await conn.createConfirmChannel();
      for (const key of bad)
        ch.publish(config.bus.publish_exchange, key, Buffer.from('{}'), {
          messageId: `bad-${key}`,
        });
      await ch.waitForConfirms();
      sent += bad.length;
    } finally {
      await conn.close();
    }
    await waitFor(async () => (await services.parking.count()) >= parkedBefore + bad.length, {
      what: 'three parked messages',
    });
    const parked = await services.parking.list(bad.length);
    expect(parked.map((p) => p.reason)).toEqual(bad.map(() => 'bad-topic'));
    expect(parked.map((p) => p.routing_key).sort()).toEqual([...bad].sort());
    const id = 'after-bad-' + Date.now();
    await publish(['--id', id]);
    expect(await waitFor(() => finished(jobIdFor(id)), { what: 'the next good message' })).toBe(
      'completed',
    );
    await settled();
    const jobs = await allJobs(services.work.queue);
    expect(jobs.filter((j) => bad.includes(j.data.topic))).toEqual([]);
    for (const mark of Object.values(marks)) expect(existsSync(mark)).toBe(false);
  });
});
