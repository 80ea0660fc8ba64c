/**
 * `loopabull jobs` and `publish --json` against a real worker, Redis and RabbitMQ (README,
 * docs/operating.md): listing by state, topic and limit, retrying every failed job, removing a
 * parked message, and the JSON scripts read.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { jobIdFor, TOPIC_SCAN, type ParkInput } from '@loopabull/core';
import {
  openTestQueue,
  readFixture,
  removeTempDirs,
  runCli,
  startPart,
  testConfig,
  testEvent,
  undoAfterEach,
  waitFor,
  writeAutomation,
} from '@test/support';

afterAll(removeTempDirs);
const undo = undoAfterEach();

/** Runs until `<prefix>:release` exists (or the worker stops). */
const HOLD = `export default async (event, ctx) => {
  const key = ctx.config.redis.prefix + ':release';
  while (!(await ctx.redis.exists(key)) && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, 50));
  return 'released';
};\n`;
/** Fails until `<prefix>:fixed` exists. */
const FAILS = `export default async (event, ctx) => {
  await ctx.log('try of ' + event.id);
  if (!(await ctx.redis.exists(ctx.config.redis.prefix + ':fixed'))) throw new Error('broken until fixed');
  return 'fixed';
};\n`;

async function setUp(opts: { worker?: boolean } = {}) {
  const config = testConfig({
    overrides: { queue: { attempts: 1 }, workers: { concurrency: 3, shutdown_grace: 1 } },
  });
  writeAutomation(config.ansible.playbooks_dir, 'org.example.hold.mjs', HOLD);
  writeAutomation(config.ansible.playbooks_dir, 'org.example.fails.mjs', FAILS);
  writeAutomation(config.ansible.playbooks_dir, 'org.example.ok.mjs', 'export default () => 1;\n');
  const cfg = ['--config', config.configPath];
  const services = await openTestQueue(config, undo);
  if (opts.worker) {
    await startPart('worker', config, undo);
    undo(() => services.redis.set(`${config.redis.prefix}:release`, '1'));
  }
  /** `loopabull ARGS` on this config; its parsed JSON output, which needs exit code 0. */
  const json = async (...args: string[]) => {
    const res = await runCli([...args, '--json', ...cfg], { isolated: true });
    if (res.code !== 0) throw new Error(`loopabull ${args.join(' ')}: ${res.code} ${res.stderr}`);
    return JSON.parse(res.stdout);
  };
  const stateOf = async (id: string) => (await services.work.queue.getJob(id))?.getState();
  const add = async (topic: string, id?: string) =>
    services.work.enqueue(testEvent(topic, id ? { id } : {}));
  return { config, cfg, services, json, stateOf, add };
}

const parked = (topic: string, reason: ParkInput['reason'] = 'not-json'): ParkInput => ({
  reason,
  detail: `bad ${topic}`,
  topic,
  exchange: 'amq.topic',
  routing_key: topic,
  message_id: null,
  received_at: new Date().toISOString(),
  content: Buffer.from('{'),
});

describe('loopabull jobs', () => {
  it('lists active, unrouted and failed jobs, each under its own state', async () => {
    const { json, stateOf, add } = await setUp({ worker: true });
    const hold = await add('org.example.hold');
    await waitFor(async () => (await stateOf(hold)) === 'active', { what: 'the held job' });
    const nowhere = await add('org.example.nowhere');
    const failing = await add('org.example.fails');
    await waitFor(async () => (await stateOf(nowhere)) === 'completed', { what: 'unrouted' });
    await waitFor(async () => (await stateOf(failing)) === 'failed', { what: 'the failure' });

    expect(await json('jobs', 'list', '--state', 'active')).toEqual([
      expect.objectContaining({ id: hold, topic: 'org.example.hold', state: 'active' }),
    ]);
    expect(await json('jobs', 'list', '--state', 'unrouted')).toEqual([
      expect.objectContaining({ id: nowhere, topic: 'org.example.nowhere', state: 'unrouted' }),
    ]);
    expect(await json('jobs', 'list', '--state', 'failed')).toEqual([
      expect.objectContaining({
        id: failing,
        state: 'failed',
        attempts: 1,
        failed_reason: expect.stringContaining('broken until fixed'),
      }),
    ]);
  });

  it('shows the attempt a job is on as its log numbers it: 1 while its first try runs', async () => {
    const { cfg, json, stateOf, add } = await setUp({ worker: true });
    const hold = await add('org.example.hold');
    await waitFor(async () => (await stateOf(hold)) === 'active', { what: 'the held job' });
    const failing = await add('org.example.fails');
    await waitFor(async () => (await stateOf(failing)) === 'failed', { what: 'the failure' });

    // --json keeps attempts, the tries made, beside attempt.
    expect(await json('jobs', 'list', '--state', 'active')).toEqual([
      expect.objectContaining({ id: hold, attempts: 0, attempt: 1 }),
    ]);
    expect(await json('jobs', 'show', hold)).toMatchObject({ attempts: 0, attempt: 1 });
    expect(await json('jobs', 'show', failing)).toMatchObject({ attempts: 1, attempt: 1 });
    const text = async (...args: string[]) =>
      (await runCli([...args, ...cfg], { isolated: true })).stdout;
    const listed = await text('jobs', 'list', '--state', 'active');
    expect(listed).toMatch(/^id\s+topic\s+attempt\s+finished\s+file\n/);
    expect(listed).toMatch(new RegExp(`^${hold}\\s+org\\.example\\.hold\\s+1\\b`, 'm'));
    const shown = await text('jobs', 'show', hold);
    expect(shown).toMatch(/^attempt\s+1$/m);
    expect(shown).not.toMatch(/^attempts\b/m);
  });

  it('counts and lists each finished job under one state: completed or unrouted', async () => {
    const { json, stateOf, add, services } = await setUp({ worker: true });
    const done = await add('org.example.ok');
    const nowhere = await add('org.example.nowhere');
    for (const id of [done, nowhere])
      await waitFor(async () => (await stateOf(id)) === 'completed', { what: id });
    await waitFor(async () => (await services.work.unrouted.count()) === 1, { what: 'unrouted' });

    expect(await json('queue')).toMatchObject({ completed: 1, unrouted: 1, failed: 0 });
    expect(await json('jobs', 'list', '--state', 'completed')).toEqual([
      expect.objectContaining({ id: done, state: 'completed' }),
    ]);
    expect(await json('jobs', 'list', '--state', 'unrouted')).toEqual([
      expect.objectContaining({ id: nowhere, state: 'unrouted' }),
    ]);
  });

  it('retry refuses a completed job with exit 1, and runs an unrouted one once its handler is there', async () => {
    const { config, cfg, services, json, stateOf, add } = await setUp({ worker: true });
    const done = await add('org.example.ok');
    const later = await add('org.example.later');
    for (const id of [done, later])
      await waitFor(async () => (await stateOf(id)) === 'completed', { what: id });
    await waitFor(async () => (await services.work.unrouted.count()) === 1, { what: 'unrouted' });

    const refused = await runCli(['jobs', 'retry', done, ...cfg], { isolated: true });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `loopabull: job ${done} completed: only failed and unrouted jobs are retried`,
    );
    expect(await json('jobs', 'show', done)).toMatchObject({ state: 'completed', attempts: 1 });

    writeAutomation(
      config.ansible.playbooks_dir,
      'org.example.later.mjs',
      'export default () => 2;\n',
    );
    expect(await json('jobs', 'retry', later)).toEqual({ retried: 1, id: later });
    await waitFor(async () => (await json('jobs', 'show', later)).state === 'completed', {
      what: 'the retried job to run',
    });
    // Its first try of the handler: being unrouted used none.
    expect(await json('jobs', 'show', later)).toMatchObject({
      file: 'org.example.later.mjs',
      result: { outcome: 'ran', value: 2 },
      attempts: 1,
    });
    expect(await json('queue')).toMatchObject({ completed: 2, unrouted: 0 });
  });

  it('retry --failed puts every failed job back to run; logs --json has every run', async () => {
    const { config, cfg, services, json, stateOf, add } = await setUp({ worker: true });
    const ids = [await add('org.example.fails', 'f-1'), await add('org.example.fails', 'f-2')];
    for (const id of ids)
      await waitFor(async () => (await stateOf(id)) === 'failed', { what: `${id} to fail` });

    await services.redis.set(`${config.redis.prefix}:fixed`, '1');
    const res = await runCli(['jobs', 'retry', '--failed', ...cfg], { isolated: true });
    expect(res).toMatchObject({ code: 0, stdout: '2 failed jobs put back to run\n' });
    for (const id of ids)
      await waitFor(async () => (await stateOf(id)) === 'completed', { what: `${id} to run` });
    expect(await json('jobs', 'list', '--state', 'failed')).toEqual([]);

    const logs = await json('jobs', 'logs', jobIdFor('f-1'));
    expect(Object.keys(logs)).toEqual(['logs']);
    expect(logs.logs.filter((l: string) => l === 'try of f-1')).toHaveLength(2);
    expect(logs.logs[0]).toMatch(/^loopabull: running handler org\.example\.fails\.mjs/);
  });

  it('says a list is empty, naming the state, and the topic with how far back it looked', async () => {
    const { cfg, add } = await setUp();
    await add('org.example.a');
    const list = (...args: string[]) =>
      runCli(['jobs', 'list', ...args, ...cfg], { isolated: true });
    expect(await list()).toMatchObject({ code: 0, stdout: 'no failed jobs\n' });
    expect(await list('--state', 'waiting', '--topic', 'org.example.b')).toMatchObject({
      code: 0,
      stdout: `no waiting jobs of topic org.example.b among the newest ${TOPIC_SCAN}\n`,
    });
    expect(await list('--state', 'parked')).toMatchObject({
      code: 0,
      stdout: 'no parked messages\n',
    });
    expect((await list('--state', 'waiting')).stdout).toMatch(
      /^id +topic .*\n\S+ +org\.example\.a /,
    );
  });

  it('filters by --topic and stops at --limit, newest first', async () => {
    const { json, add } = await setUp();
    const ids: string[] = [];
    for (const topic of ['a', 'b', 'a', 'b', 'a']) ids.push(await add(`org.example.${topic}`));
    const listed = async (...args: string[]) =>
      (await json('jobs', 'list', '--state', 'waiting', ...args)).map((j: { id: string }) => j.id);
    expect(await listed('--topic', 'org.example.a', '--limit', '2')).toEqual([ids[4], ids[2]]);
    expect(await listed('--limit', '3')).toEqual([ids[4], ids[3], ids[2]]);
    expect(await listed('--topic', 'org.example.b')).toEqual([ids[3], ids[1]]);
  });

  it('show --body prints the body as the message carried it, which run --file - takes as it ran', async () => {
    const { config, cfg, services } = await setUp();
    writeAutomation(
      config.ansible.playbooks_dir,
      'org.example.again.mjs',
      'export default () => 1;\n',
    );
    const text = '{"x": 1.0, "big": 12345678901234567890}';
    const id = await services.work.enqueue(
      testEvent('org.example.again', { body: JSON.parse(text), body_text: text }),
    );
    const plain = await services.work.enqueue(testEvent('org.example.again', { body: { a: [1] } }));
    const body = (job: string) =>
      runCli(['jobs', 'show', job, '--body', ...cfg], { isolated: true });
    expect(await body(id)).toMatchObject({ code: 0, stdout: `${text}\n`, stderr: '' });
    expect((await body(plain)).stdout).toBe('{"a":[1]}\n');

    const rerun = await runCli(
      ['run', 'org.example.again', '--dry-run', '--json', '--file', '-', ...cfg],
      { isolated: true, input: (await body(id)).stdout },
    );
    // The literals kept: jq .event.body gave 1 and 12345678901234567000.
    expect(JSON.parse(rerun.stdout).event.body_text).toBe('{"x":1.0,"big":12345678901234567890}');

    await services.parking.park(parked('org.example.x'));
    const parkedId = (await services.parking.list(1))[0]!.id;
    expect(await body(parkedId)).toMatchObject({ code: 0, stdout: '{\n' });
    const both = await runCli(['jobs', 'show', id, '--body', '--json', ...cfg], { isolated: true });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("option '--body' cannot be used with option '--json'");
  });

  it('lists parked messages by topic and limit, and removes one by the id it lists', async () => {
    const { cfg, services, json } = await setUp();
    await services.parking.park(parked('org.example.x', 'too-large'));
    await services.parking.park(parked('org.example.x'));
    await services.parking.park(parked('org.example.y', 'bad-utf8'));
    const all = await json('jobs', 'list', '--state', 'parked');
    expect(all.map((p: { topic: string; reason: string }) => [p.topic, p.reason])).toEqual([
      ['org.example.y', 'bad-utf8'],
      ['org.example.x', 'not-json'],
      ['org.example.x', 'too-large'],
    ]);
    const onlyX = await json('jobs', 'list', '--state', 'parked', '--topic', 'org.example.x');
    expect(onlyX).toEqual([all[1], all[2]]);
    // The newest parked message is another topic's: the limit counts matching ones.
    expect(
      await json('jobs', 'list', '--state', 'parked', '--topic', 'org.example.x', '--limit', '1'),
    ).toEqual([all[1]]);

    const id = all[1].id as string;
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await json('jobs', 'show', id)).toEqual({ ...all[1], state: 'parked' });
    const shown = await runCli(['jobs', 'show', id, ...cfg], { isolated: true });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/\nreason\s+not-json\ndetail\s+bad org\.example\.x\n/);
    const removed = await runCli(['jobs', 'remove', id, ...cfg], { isolated: true });
    expect(removed).toMatchObject({ code: 0, stdout: `removed ${id}\n` });
    expect(await json('jobs', 'list', '--state', 'parked')).toEqual([all[0], all[2]]);
    const again = await runCli(['jobs', 'remove', id, ...cfg], { isolated: true });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no job ${id}`);
  });
});

describe('loopabull publish --json', () => {
  it('prints the topic, message id, exchange, routing key and job id of the message the broker got', async () => {
    const { config, json } = await setUp();
    const model = await amqp.connect(config.bus.url);
    undo(() => model.close());
    const ch = await model.createChannel();
    await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
    await ch.assertQueue(config.bus.queue, { durable: true });
    await ch.bindQueue(config.bus.queue, config.bus.publish_exchange, '#');

    const sent = await json('publish', 'org.example.pub', '--id', 'pub-1', '--body', '{"a":1}');
    expect(sent).toEqual({
      topic: 'org.example.pub',
      message_id: 'pub-1',
      exchange: config.bus.publish_exchange,
      routing_key: 'org.example.pub',
      routed: true,
      job_id: 'pub-1',
    });
    const generated = await json('publish', 'org.example.pub');
    expect(generated.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.job_id).toBe(generated.message_id);
    // An id BullMQ cannot take as it is: the job id is derived from it, and printed.
    const numeric = await json('publish', 'org.example.pub', '--id', '4242');
    expect(numeric).toMatchObject({ message_id: '4242', job_id: jobIdFor('4242') });

    const received = [];
    for (let m = await ch.get(config.bus.queue); m; m = await ch.get(config.bus.queue))
      received.push([
        m.properties.messageId,
        m.fields.routingKey,
        JSON.parse(m.content.toString()),
      ]);
    expect(received).toEqual([
      ['pub-1', 'org.example.pub', { a: 1 }],
      [generated.message_id, 'org.example.pub', {}],
      ['4242', 'org.example.pub', {}],
    ]);
  });

  it('says so when no queue takes the message, which the broker then drops', async () => {
    const { config } = await setUp();
    const model = await amqp.connect(config.bus.url);
    undo(() => model.close());
    const ch = await model.createChannel();
    await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
    const res = await runCli(['publish', 'org.example.nobody', '--json', '-c', config.configPath], {
      isolated: true,
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ routed: false });
    expect(res.stderr).toContain(
      `no queue is bound to ${config.bus.publish_exchange} for routing key org.example.nobody`,
    );
  });

  it('pulse: to the exchange the topic names, under the routing key Taskcluster gives the body', async () => {
    const captured = readFixture<{ routingKey: string; payload: unknown }>(
      'pulse/task-completed.json',
    );
    const config = testConfig({ overrides: { bus: { preset: 'pulse' } } });
    const project = `lbtest${config.redis.prefix.replace(/\W/g, '')}`;
    const exchange = `exchange/${project}/v1/task-completed`;
    const model = await amqp.connect(config.bus.url);
    undo(() => model.close());
    const ch = await model.createChannel();
    await ch.assertExchange(exchange, 'topic', { durable: true });
    undo(() => ch.deleteExchange(exchange));
    const { queue } = await ch.assertQueue('', { exclusive: true });
    // The hardware tracker's binding (examples/releng-hardware.yml): only a full key matches it.
    await ch.bindQueue(queue, exchange, 'primary.*.*.*.*.releng-hardware.*.*.*.#');
    const bodyFile = join(dirname(config.configPath), 'payload.json');
    writeFileSync(bodyFile, JSON.stringify(captured.payload));

    const res = await runCli(
      [
        'publish',
        `${project}.v1.task-completed`,
        '--file',
        bodyFile,
        '--json',
        '--config',
        config.configPath,
      ],
      { isolated: true },
    );
    expect(res.code).toBe(0);
    const sent = JSON.parse(res.stdout);
    expect(sent).toMatchObject({ exchange, routing_key: captured.routingKey });
    const got = await ch.get(queue);
    expect(got && got.fields.routingKey).toBe(captured.routingKey);
    expect(got && JSON.parse(got.content.toString())).toEqual(captured.payload);
  });
});
