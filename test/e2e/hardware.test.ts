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
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
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
  startCli,
  startRedis,
  tempDir,
  waitFor,
  type CliProcess,
  type RedisInstance,
  type Vhost,
  completedJob,
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
    const configPath = join(dir, 'loopabull.yml');
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
    await publish(completed);
    await waitFor(() => finished(jobFor(completed)), { what: 'the task-completed job' });
    const res = await get('/machines');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual([
      { machine: 't-mojave-r7-153', datacenter: 'mdc2', lastseen: '2019-06-26T19:36:10.521000' },
    ]);
  });

  it('answers /machines/<dc>:<host> byte for byte as the original: a JSON string, or 404 text', async () => {
    const one = await get('/machines/mdc2:t-mojave-r7-153');
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe('application/json');
    expect(await one.text()).toBe('"2019-06-26T19:36:10.521000"');
    const unknown = await get('/machines/mdc9:nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe('unknown machine');
  });

  it('runs a redelivered message once and leaves the store as it was', async () => {
    const before = await services.redis.hgetall('machines');
    await publish(completed);
    await publish(completed);
    await waitFor(async () => ((await services.counters.read()).consumed?.[''] ?? 0) >= 3, {
      what: 'both copies consumed',
    });
    const job = await finished(jobFor(completed));
    expect(job?.attemptsMade).toBe(1);
    expect(await services.redis.hgetall('machines')).toEqual(before);
  });

  it('ignores another provisioner, whether the binding keeps it out or it arrives anyway', async () => {
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
    expect(Object.keys(await services.redis.hgetall('machines'))).toEqual(['mdc2:t-mojave-r7-153']);
  });

  it('records an exception with no worker as such, without failing', async () => {
    await publish(noWorker);
    const job = await waitFor(() => finished(jobFor(noWorker)), { what: 'the exception job' });
    expect(job.returnvalue).toMatchObject({ outcome: 'ran', value: { recorded: 'no worker' } });
    expect(Object.keys(await services.redis.hgetall('machines'))).toEqual(['mdc2:t-mojave-r7-153']);
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
});
