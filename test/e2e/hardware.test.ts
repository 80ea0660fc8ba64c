/**
 * Hardware last-seen tracking through the whole engine, as deployed from
 * examples/releng-hardware.yml: real Taskcluster messages published to exchanges named as on
 * Pulse, `loopabull looper`, `loopabull worker` running the shipped playbooks/*.mjs handlers,
 * and `loopabull serve` answering the original releng-hardware API.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import yaml from 'js-yaml';
import {
  jobIdFor,
  loadConfig,
  openQueueServices,
  toEvent,
  type QueueServices,
} from '@loopabull/core';
import { shippedAutomations } from '@loopabull/cli';
import {
  freePort,
  privateVhost,
  readFixture,
  removeTempDirs,
  runCli,
  startCli,
  startRedis,
  tempDir,
  waitFor,
  type CliProcess,
  type RedisInstance,
  type Vhost,
  completedJob,
  allJobs,
} from '@test/support';

interface PulseFixture {
  exchange: string;
  routingKey: string;
  payload: { status: Record<string, unknown> } & Record<string, unknown>;
}

const REPO = new URL('../../', import.meta.url);
const completed = readFixture<PulseFixture>('pulse/task-completed.json');
const otherProvisioner = readFixture<PulseFixture>('pulse/task-running-other-provisioner.json');

/** An exception before any run: no runId, workerGroup or workerId anywhere, `_` in the key. */
const noWorker: PulseFixture = {
  exchange: 'exchange/taskcluster-queue/v1/task-exception',
  routingKey:
    'primary.Zx9kQ2Y7Tq2v3o1n0xkPqw._._._.releng-hardware.gecko-t-osx-1014.gecko-level-3.EJAo7mQyRqS-jmzebhceFA._',
  payload: {
    version: 1,
    status: {
      ...completed.payload.status,
      taskId: 'Zx9kQ2Y7Tq2v3o1n0xkPqw',
      state: 'exception',
      runs: [],
    },
  },
};

describe('hardware tracking on the engine', () => {
  const dir = tempDir('hardware-e2e');
  const id = randomBytes(4).toString('hex');
  let config: ReturnType<typeof loadConfig>;
  let redisServer: RedisInstance | undefined;
  let base: string;
  let services: QueueServices;
  let bus: { model: ChannelModel; ch: ConfirmChannel };
  let vhost: Vhost;
  const processes: CliProcess[] = [];

  const jobFor = (f: PulseFixture, content = JSON.stringify(f.payload)) => {
    const r = toEvent(
      { exchange: f.exchange, routingKey: f.routingKey, content: Buffer.from(content) },
      'pulse',
      { maxBytes: 1e6 },
    );
    if (!r.ok) throw new Error(r.detail);
    return jobIdFor(r.event.id);
  };
  const publish = async (f: PulseFixture, content = JSON.stringify(f.payload)) => {
    bus.ch.publish(f.exchange, f.routingKey, Buffer.from(content), {
      persistent: true,
      contentType: 'application/json',
    });
    await bus.ch.waitForConfirms();
  };
  const finished = (jobId: string) => completedJob(services.work.queue, jobId);
  const get = (path: string) => fetch(base + path);
  /** The task-completed message handled, as each test that reads its machine needs. */
  const recordCompleted = async () => {
    await publish(completed);
    return waitFor(() => finished(jobFor(completed)), { what: 'the task-completed job' });
  };
  const MOJAVE = {
    machine: 't-mojave-r7-153',
    datacenter: 'mdc2',
    lastseen: '2019-06-26T19:36:10.521000',
  };
  /** Everything the handlers keep: every key but the queue's. */
  const store = async () => {
    const dump: Record<string, unknown> = {};
    const keys = (await services.redis.keys('*')).filter((k) => !k.startsWith(`hw-${id}:`));
    for (const key of keys.sort()) {
      const type = await services.redis.type(key);
      dump[key] =
        type === 'hash'
          ? await services.redis.hgetall(key)
          : type === 'list'
            ? await services.redis.lrange(key, 0, -1)
            : type === 'zset'
              ? await services.redis.zrange(key, '0', '-1', 'WITHSCORES')
              : type === 'set'
                ? (await services.redis.smembers(key)).sort()
                : await services.redis.get(key);
    }
    return dump;
  };
  const enqueuedCount = async () => (await services.counters.read()).enqueued?.[''] ?? 0;
  let configPath: string;

  beforeAll(async () => {
    const example = yaml.load(
      readFileSync(new URL('examples/releng-hardware.yml', REPO), 'utf8'),
    ) as Record<string, Record<string, unknown>>;
    // Its own Redis: the original's `machines` hash has a fixed name.
    redisServer = await startRedis();
    const port = await freePort();
    // Exchange names as on Pulse are shared by every test on this broker: keep ours apart.
    vhost = await privateVhost('hardware');
    const raw = {
      ...example,
      loglevel: 'warn',
      redis: { url: redisServer.url, prefix: `hw-${id}` },
      queue: { name: `hw-${id}`, backoff: 0.05 },
      bus: {
        ...example.bus,
        url: vhost.url,
        queue: `hardware-e2e-${id}`,
      },
      ansible: { playbooks_dir: new URL('playbooks', REPO).pathname },
      http: { ...example.http, port },
    };
    configPath = join(dir, 'loopabull.yml');
    writeFileSync(configPath, yaml.dump(raw));
    config = loadConfig({ path: configPath, env: {}, automations: shippedAutomations });
    base = `http://127.0.0.1:${port}`;
    services = await openQueueServices(config);
    const cfg = ['--config', configPath];
    processes.push(
      startCli(['looper', ...cfg]),
      startCli(['worker', '--id', 'hw', ...cfg]),
      startCli(['serve', ...cfg]),
    );
    await waitFor(async () => (await get('/healthz')).ok, { what: 'loopabull serve' });
    await waitFor(async () => (await services.work.queue.getWorkersCount()) > 0, {
      what: 'the worker',
    });
    // The looper declares the queue and its bindings: publish only once they exist.
    const model = await amqp.connect(config.bus.url);
    // A check of a queue not declared yet closes its channel: one channel per check.
    await waitFor(
      async () => {
        const probe = await model.createChannel();
        probe.on('error', () => undefined);
        const { consumerCount } = await probe.checkQueue(config.bus.queue);
        await probe.close();
        return consumerCount > 0;
      },
      { what: 'the looper to consume' },
    );
    bus = { model, ch: await model.createConfirmChannel() };
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await bus?.model.close();
    await vhost?.remove();
    await services.close();
    await redisServer?.stop();
    removeTempDirs();
  });

  it('records a releng-hardware machine from a real task-completed message, at the run time', async () => {
    await recordCompleted();
    const res = await get('/machines');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toContainEqual(MOJAVE);
  });

  it('answers /machines/<dc>:<host> byte for byte as the original: a JSON string, or 404 text', async () => {
    await recordCompleted();
    const one = await get('/machines/mdc2:t-mojave-r7-153');
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe('application/json');
    expect(await one.text()).toBe('"2019-06-26T19:36:10.521000"');
    const unknown = await get('/machines/mdc9:nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('unknown machine');
  });

  it('runs a redelivered message once and leaves the store as it was', async () => {
    await recordCompleted();
    const before = await store();
    const enqueuedBefore = await enqueuedCount();
    // A consumer of higher priority than the looper's gets the next message first. It closes its
    // channel without acking, as a looper that died before its ack, and the broker redelivers the
    // message to the looper, marked as redelivered.
    const grabber = await bus.model.createChannel();
    try {
      await grabber.prefetch(1);
      const grabbed = new Promise<ConsumeMessage>((resolve) => {
        void grabber.consume(config.bus.queue, (msg) => msg && resolve(msg), { priority: 10 });
      });
      await publish(completed);
      expect((await grabbed).fields.redelivered).toBe(false);
    } finally {
      await grabber.close();
    }
    // The looper counts a message as enqueued once Redis has its job, before acking it.
    await waitFor(async () => (await enqueuedCount()) > enqueuedBefore, {
      what: 'the looper to take the redelivered message',
    });
    const jobs = await allJobs(services.work.queue);
    const runs = jobs.filter((j) => j.data.routing_key === completed.routingKey);
    expect(runs.map((j) => [j.id, j.attemptsMade])).toEqual([[jobFor(completed), 1]]);
    expect(await store()).toEqual(before);
  });

  it('ignores another provisioner, whether the binding keeps it out or it arrives anyway', async () => {
    const before = await services.redis.hgetall('machines');
    await publish(otherProvisioner);
    // Forged into our binding: the handler still sees the body's provisionerId.
    const forged = {
      ...otherProvisioner,
      routingKey: otherProvisioner.routingKey.replace('aws-provisioner-v1', 'releng-hardware'),
    };
    await publish(forged);
    const job = await waitFor(() => finished(jobFor(forged)), { what: 'the forged message' });
    expect(job.returnvalue).toMatchObject({
      outcome: 'ran',
      value: { ignored: expect.stringContaining('aws-provisioner-v1') },
    });
    expect(await services.work.queue.getJob(jobFor(otherProvisioner))).toBeUndefined();
    expect(await services.redis.hgetall('machines')).toEqual(before);
  });

  it('records an exception with no worker as such, without failing', async () => {
    const before = await services.redis.hgetall('machines');
    await publish(noWorker);
    const job = await waitFor(() => finished(jobFor(noWorker)), { what: 'the exception job' });
    expect(job.returnvalue).toMatchObject({ outcome: 'ran', value: { recorded: 'no worker' } });
    expect(await services.redis.hgetall('machines')).toEqual(before);
  });

  it('parks an unparsable body and goes on with the next message', async () => {
    const parkedBefore = await services.parking.count();
    const garbled = {
      ...completed,
      routingKey: completed.routingKey.replace('B3EheQ-IQ5aPzw34KS_a6g', 'garbledTaskId000000000'),
    };
    await publish(garbled, '{"version": 1, "status": ');
    await waitFor(async () => (await services.parking.count()) > parkedBefore, {
      what: 'the parked message',
    });
    expect((await services.parking.list(1))[0]).toMatchObject({
      reason: 'not-json',
      exchange: completed.exchange,
    });

    const running = readFixture<PulseFixture>('pulse/task-completed.json');
    running.exchange = 'exchange/taskcluster-queue/v1/task-running';
    running.routingKey = running.routingKey.replace(
      'mdc2.t-mojave-r7-153',
      'mdc1.t-linux64-ms-100',
    );
    Object.assign(running.payload, {
      workerGroup: 'mdc1',
      workerId: 't-linux64-ms-100',
      takenUntil: '2019-06-26T19:47:48.234Z',
    });
    await publish(running);
    await waitFor(() => finished(jobFor(running)), { what: 'the next message' });
    expect(await (await get('/machines/mdc1:t-linux64-ms-100')).text()).toBe(
      '"2019-06-26T19:27:48.307000"',
    );
  });

  /** The task-completed fixture about another machine of mdc2, which no test has recorded. */
  const unseenMachine = (): PulseFixture => {
    const f = readFixture<PulseFixture>('pulse/task-completed.json');
    f.routingKey = f.routingKey
      .replace('B3EheQ-IQ5aPzw34KS_a6g', 'R3playQ-IQ5aPzw34KS_a6g')
      .replace('t-mojave-r7-153', 't-mojave-r7-154');
    f.payload.workerId = 't-mojave-r7-154';
    const status = f.payload.status as { taskId: string; runs: Array<Record<string, unknown>> };
    status.taskId = 'R3playQ-IQ5aPzw34KS_a6g';
    Object.assign(status.runs[0]!, {
      workerId: 't-mojave-r7-154',
      resolved: '2019-06-26T20:01:02.345Z',
    });
    return f;
  };

  it('replays Pulse captures on their exchanges: what ran maps to its job, what did not runs', async () => {
    const ran = await recordCompleted();
    const missed = unseenMachine();
    expect(await services.redis.hget('machines', 'mdc2:t-mojave-r7-154')).toBeNull();
    // As Mozilla's tools save them: camelCase and snake_case keys, in a list, then as JSON lines
    // on standard input.
    const snake = (f: PulseFixture) => ({
      exchange: f.exchange,
      routing_key: f.routingKey,
      payload: f.payload,
    });
    const file = join(dir, 'pulse-capture.json');
    writeFileSync(file, JSON.stringify([completed, snake(missed)]));
    const res = await runCli(['replay', file, '--json', '--config', configPath]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).published).toEqual([
      {
        topic: 'taskcluster-queue.v1.task-completed',
        message_id: expect.any(String),
        exchange: completed.exchange,
        routing_key: completed.routingKey,
        routed: true,
        job_id: jobFor(completed),
      },
      expect.objectContaining({ routing_key: missed.routingKey, job_id: jobFor(missed) }),
    ]);
    const done = await waitFor(() => finished(jobFor(missed)), { what: 'the replayed message' });
    expect(done.returnvalue).toMatchObject({ outcome: 'ran' });
    expect(await services.redis.hget('machines', 'mdc2:t-mojave-r7-154')).toBe(
      '2019-06-26T20:01:02.345000',
    );
    // The other provisioner's message matches no binding: the broker drops it, and replay says so.
    const lines = [completed, missed, otherProvisioner]
      .map((f) => JSON.stringify(snake(f)))
      .join('\n');
    const enqueuedBefore = await enqueuedCount();
    const again = await runCli(['replay', '-', '--config', configPath], { input: lines });
    expect(again.stdout).toBe(
      'published 3 messages with their original ids (1 dropped: no queue bound to take them)\n',
    );
    expect(again.stderr).toContain(
      `no queue is bound to ${otherProvisioner.exchange} for routing key ${otherProvisioner.routingKey}`,
    );
    expect(again.code).toBe(0);
    // `publish` of the payload alone goes to the same exchange and routing key: the same job.
    const payload = join(dir, 'payload.json');
    writeFileSync(payload, JSON.stringify(completed.payload));
    const published = await runCli([
      ...['publish', 'taskcluster-queue.v1.task-completed', '--file', payload, '--json'],
      ...['--config', configPath],
    ]);
    expect(JSON.parse(published.stdout)).toMatchObject({
      routing_key: completed.routingKey,
      routed: true,
      job_id: jobFor(completed),
    });
    // Enqueued (the looper took them) but not run again: each is still the one job it was.
    await waitFor(async () => (await enqueuedCount()) >= enqueuedBefore + 3, {
      what: 'the looper to take them',
    });
    const jobs = await allJobs(services.work.queue);
    for (const [f, job] of [
      [completed, ran],
      [missed, done],
    ] as const) {
      const same = jobs.filter((j) => j.data.routing_key === f.routingKey);
      expect(same.map((j) => [j.id, j.attemptsMade, j.finishedOn])).toEqual([
        [job.id, 1, job.finishedOn],
      ]);
    }
  });

  it('replay names an exchange that is not on the broker when it may not declare it', async () => {
    const strict = yaml.load(readFileSync(configPath, 'utf8')) as {
      bus: Record<string, unknown>;
    };
    strict.bus.declare_exchanges = false;
    const strictPath = join(dir, 'strict.yml');
    writeFileSync(strictPath, yaml.dump(strict));
    const file = join(dir, 'unknown-exchange.json');
    const unknown = { ...completed, exchange: 'exchange/taskcluster-queue/v1/task-nowhere' };
    writeFileSync(file, JSON.stringify([completed, unknown]));
    const res = await runCli(['replay', file, '--config', strictPath]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      'exchange "exchange/taskcluster-queue/v1/task-nowhere" does not exist on the broker, and bus.declare_exchanges is false',
    );
    const probe = await bus.model.createChannel();
    probe.on('error', () => undefined);
    await expect(probe.checkExchange(unknown.exchange)).rejects.toThrow(/404/);
  });
});
