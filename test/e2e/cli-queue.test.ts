/**
 * `loopabull queue` (README, docs/operating.md): the backlog once, `--json` with the keys
 * scripts rely on, and `--watch`, which prints it again every few seconds until stopped.
 */
import { once } from 'node:events';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Worker } from 'bullmq';
import { createRedis } from '@loopabull/core';
import {
  openTestQueue,
  removeTempDirs,
  runCli,
  startCli,
  startRedis,
  testConfig,
  testEvent,
  undoAfterEach,
  waitFor,
} from '@test/support';

afterAll(removeTempDirs);
const undo = undoAfterEach();

async function setUp() {
  const config = testConfig();
  const services = await openTestQueue(config, undo);
  return { config, services, cfg: ['--config', config.configPath] };
}

describe('loopabull queue', () => {
  it('--json prints exactly the documented keys, with the queue as it is', async () => {
    const { services, cfg } = await setUp();
    await services.work.enqueue(testEvent('org.example.waits'));
    await services.parking.park({
      reason: 'not-json',
      detail: 'Unexpected token',
      topic: 'org.example.bad',
      exchange: 'amq.topic',
      routing_key: 'org.example.bad',
      message_id: null,
      received_at: new Date().toISOString(),
      content: Buffer.from('{'),
    });
    await services.work.pause();
    const res = await runCli(['queue', '--json', ...cfg], { isolated: true });
    expect(res.code).toBe(0);
    const depth = JSON.parse(res.stdout);
    expect(Object.keys(depth).sort()).toEqual(
      [
        'waiting',
        'active',
        'delayed',
        'failed',
        'completed',
        'unrouted',
        'parked',
        'paused',
        'by_topic',
        'by_topic_counted',
        'oldest_waiting_seconds',
      ].sort(),
    );
    expect(depth).toMatchObject({
      waiting: 1,
      parked: 1,
      paused: true,
      by_topic: { 'org.example.waits': 1 },
    });
  });

  it('names the queue it looked at and the workers connected to it: a wrong prefix is told from an idle queue', async () => {
    const { config, cfg } = await setUp();
    const where = `queue ${config.queue.name} (prefix ${config.redis.prefix}) at ${config.redis.url}`;
    const first = async () =>
      (await runCli(['queue', ...cfg], { isolated: true })).stdout.split('\n')[0];
    expect(await first()).toBe(`${where}: no worker connected`);
    const worker = new Worker(config.queue.name, async () => null, {
      connection: createRedis(config.redis.url),
      prefix: config.redis.prefix,
    });
    undo(() => worker.close());
    await worker.waitUntilReady();
    expect(await first()).toBe(`${where}: 1 worker connected`);
  });

  it('--watch 1 prints the backlog again and again, each time as it is then, until stopped', async () => {
    const { services, cfg } = await setUp();
    const watch = startCli(['queue', '--watch', '1', ...cfg], { isolated: true });
    undo(() => watch.stop(5_000));
    // Piped, not a terminal: each print after the last, no screen-clearing codes.
    const frames = () => watch.output().split(/^(?=\d{4}-\d\d-\d\dT)/m);
    await watch.waitForOutput(/oldest waiting: none/);
    expect(frames()[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z\nqueue \S+ \(prefix \S+\) at \S+: no worker connected\nwaiting\s+active[^\n]*\n0\s+0\s/,
    );

    await services.work.enqueue(testEvent('org.example.watched'));
    const later = await waitFor(
      () =>
        frames().find(
          (f) => /^1\s+org\.example\.watched$/m.test(f) && /oldest waiting: \d+ s/.test(f),
        ),
      { what: 'a later print showing the new job' },
    );
    expect(later).toMatch(/\n1\s+0\s/);
    expect(frames().length).toBeGreaterThanOrEqual(2);
    expect(watch.output()).not.toContain('\x1b');
    await watch.stop(5_000);
    expect(watch.child.signalCode ?? watch.child.exitCode).toBe('SIGTERM');
  });

  it('--watch ends on Ctrl-C (SIGINT) with exit code 0', async () => {
    const { cfg } = await setUp();
    const watch = startCli(['queue', '--watch', '1', ...cfg], { isolated: true });
    undo(() => watch.stop(5_000));
    await watch.waitForOutput(/oldest waiting: none/);
    const exited = once(watch.child, 'exit');
    watch.child.kill('SIGINT');
    expect(await exited).toEqual([0, null]);
  });

  /** A line of `queue --watch --json`: one object (NDJSON). */
  const OBJECT_LINE = /^\{.*\}$/m;
  const OBJECT_LINES = /^\{.*\}$/gm;

  it('--watch with --json prints one object a line (NDJSON) each time, with its time', async () => {
    const { services, cfg } = await setUp();
    const watch = startCli(['queue', '--watch', '1', '--json', ...cfg], { isolated: true });
    undo(() => watch.stop(5_000));
    await watch.waitForOutput(OBJECT_LINE);
    await services.work.enqueue(testEvent('org.example.json'));
    await watch.waitForOutput(/"org\.example\.json":1/);
    const objects = watch
      .output()
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects.length).toBeGreaterThanOrEqual(2);
    expect(objects[0]).toMatchObject({ waiting: 0, by_topic: {} });
    expect(objects.at(-1)).toMatchObject({ waiting: 1, by_topic: { 'org.example.json': 1 } });
    for (const o of objects) expect(new Date(o.time as string).toISOString()).toBe(o.time);
  });

  /** `queue --watch 1 --json` on a redis-server of its own, once it has printed. */
  async function watchingOwnRedis() {
    const redis = await startRedis();
    undo(() => redis.stop());
    const config = testConfig({ overrides: { redis: { url: redis.url } } });
    const cfg = ['--config', config.configPath];
    const watch = startCli(['queue', '--watch', '1', '--json', ...cfg], { isolated: true });
    undo(() => watch.stop(5_000));
    await watch.waitForOutput(OBJECT_LINE);
    return { redis, config, watch };
  }

  it('--watch says so when Redis stops answering, and goes on once it answers again', async () => {
    const { redis, watch } = await watchingOwnRedis();
    // Frozen: the connection stays up and nothing is answered.
    redis.freeze();
    undo(() => redis.thaw());
    await watch.waitForOutput(/lost Redis at .*: it did not answer within 10000 ms/, 20_000);
    const printed = (watch.output().match(OBJECT_LINES) ?? []).length;
    redis.thaw();
    await waitFor(() => (watch.output().match(OBJECT_LINES) ?? []).length > printed, {
      timeout: 20_000,
    });
    expect(watch.child.exitCode).toBeNull();
  }, 60_000);

  it('--watch goes on through a Redis restart, saying once on stderr that Redis is away', async () => {
    const { redis, config, watch } = await watchingOwnRedis();
    await redis.stop();
    await watch.waitForOutput(new RegExp(`lost Redis at ${redis.url}: .*; trying again every 1 s`));
    await redis.start();
    const services = await openTestQueue(config, undo);
    await services.work.enqueue(testEvent('org.example.after.restart'));
    await watch.waitForOutput(/"org\.example\.after\.restart":1/);
    expect(watch.child.exitCode).toBeNull();
    const away = watch.output().match(/^loopabull: .*$/gm) ?? [];
    // One line when the watch lost Redis, one for the first failed reconnection: not one a second.
    expect(away.length).toBeLessThanOrEqual(2);
  });

  it.each([['x'], ['0'], ['1.5']])('--watch %s is a usage error, exit code 2', async (value) => {
    const res = await runCli(['queue', '--watch', value], {
      isolated: true,
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--watch[\s\S]*expected a whole number of 1 or more/);
  });
});
