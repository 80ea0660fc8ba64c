/**
 * The queue settings of docs/configuration.md, through `loopabull looper`, `worker` and
 * `publish`: `queue.keep_completed` is the de-duplication window, `queue.keep_failed` bounds the
 * failed set, and `queue.backoff` doubles between attempts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from '@jest/globals';
import { QueueEvents } from 'bullmq';
import { jobIdFor } from '@loopabull/core';
import {
  openTestQueue,
  removeTempDirs,
  runCli,
  startPart,
  testConfig,
  testEvent,
  undoAfterEach,
  waitFor,
  writeAutomation,
  type TestConfigOptions,
} from '@test/support';

afterAll(removeTempDirs);
const undo = undoAfterEach();

const TOPIC = 'org.example.settings';
/** Counts its runs by message id, so that a second run under any job id shows. */
const COUNTS_RUNS = `export default async (event, ctx) => {
  await ctx.redis.hincrby(ctx.config.redis.prefix + ':runs', event.id, 1);
};\n`;
/** Records its attempt number and when it started and failed, then fails. */
const RECORDS_AND_FAILS = `export default async (event, ctx) => {
  const record = { attempt: ctx.job.attempt, started: Date.now() };
  await ctx.redis.rpush(ctx.config.redis.prefix + ':attempts', JSON.stringify({ ...record, failed: Date.now() }));
  throw new Error('fails every time');
};\n`;

async function setUp(overrides: TestConfigOptions['overrides'], handler: string, looper = false) {
  const config = testConfig({ overrides: { ...overrides, workers: { shutdown_grace: 1 } } });
  writeAutomation(config.ansible.playbooks_dir, `${TOPIC}.mjs`, handler);
  const cfg = ['--config', config.configPath];
  const services = await openTestQueue(config, undo);
  const extra = [`${config.redis.prefix}:runs`, `${config.redis.prefix}:attempts`];
  undo(() => services.redis.del(...extra));
  // Both settle before a failure is thrown, so that each one started is stopped.
  const parts = await Promise.allSettled([
    startPart('worker', config, undo),
    looper ? startPart('looper', config, undo) : null,
  ]);
  for (const part of parts) if (part.status === 'rejected') throw part.reason;
  const stateOf = async (id: string) => (await services.work.queue.getJob(id))?.getState();
  const finished = (id: string) =>
    waitFor(async () => ['completed', 'failed'].includes((await stateOf(id)) ?? ''), {
      what: `job ${id} to finish`,
    });
  const runs = async (id: string) =>
    Number((await services.redis.hget(`${config.redis.prefix}:runs`, id)) ?? 0);
  const publish = async (id: string) => {
    const res = await runCli(['publish', TOPIC, '--id', id, ...cfg], { isolated: true });
    expect(res.code).toBe(0);
  };
  return { config, services, cfg, stateOf, finished, runs, publish };
}

describe('queue.keep_completed, the de-duplication window', () => {
  it('runs a message published again within it once, and again once its job is removed', async () => {
    const { services, cfg, finished, runs, publish } = await setUp({}, COUNTS_RUNS, true);
    const enqueued = async () => (await services.counters.read()).enqueued?.[''] ?? 0;
    await publish('dup-1');
    await finished('dup-1');
    expect(await runs('dup-1')).toBe(1);

    await publish('dup-1');
    await waitFor(async () => (await enqueued()) === 2, { what: 'the looper to take it again' });
    // Counted as a repeat: its job was there already.
    expect((await services.counters.read()).repeated).toEqual({ '': 1 });
    const counts = await services.work.queue.getJobCounts('wait', 'active', 'delayed', 'completed');
    expect(counts).toEqual({ wait: 0, active: 0, delayed: 0, completed: 1 });
    expect(await runs('dup-1')).toBe(1);

    const removed = await runCli(['jobs', 'remove', jobIdFor('dup-1'), ...cfg], { isolated: true });
    expect(removed.code).toBe(0);
    await publish('dup-1');
    await waitFor(async () => (await runs('dup-1')) === 2, { what: 'the second run' });
  });

  it('lets a message run again once the window is over', async () => {
    const window = 0.5;
    const { services, finished, runs, publish } = await setUp(
      { queue: { keep_completed: window } },
      COUNTS_RUNS,
      true,
    );
    await publish('old-1');
    await finished('old-1');
    const job = await services.work.queue.getJob('old-1');
    expect(job!.opts.removeOnComplete).toEqual({ age: window });
    // Only time passing ends the window; BullMQ drops expired jobs when another one finishes.
    await delay(Math.max(0, job!.finishedOn! + window * 1000 - Date.now()) + 50);
    await publish('new-1');
    await finished('new-1');
    expect(await services.work.queue.getJob('old-1')).toBeUndefined();

    await publish('old-1');
    await waitFor(async () => (await runs('old-1')) === 2, { what: 'the run after the window' });
  });
});

describe('queue.keep_failed', () => {
  it('keeps only the newest failed jobs, as many as it says', async () => {
    const { services, finished } = await setUp(
      { queue: { attempts: 1, keep_failed: 2 } },
      RECORDS_AND_FAILS,
    );
    const ids: string[] = [];
    for (let i = 1; i <= 4; i++) {
      ids.push(await services.work.enqueue(testEvent(TOPIC, { id: `failed-${i}` })));
      await finished(ids.at(-1)!);
    }
    const failed = await services.work.queue.getJobs(['failed']);
    expect(failed.map((j) => j.id).sort()).toEqual(['failed-3', 'failed-4']);
    expect(await services.work.queue.getJob('failed-1')).toBeUndefined();
    expect(await services.work.queue.getJob('failed-2')).toBeUndefined();
  });
});

describe('queue.backoff', () => {
  it('is the delay before the first retry, doubled before each one after', async () => {
    const backoff = 1;
    const { config, services, finished } = await setUp(
      { queue: { attempts: 4, backoff } },
      RECORDS_AND_FAILS,
    );
    // The delay BullMQ stores on a job when it puts it aside for a retry, read as it does so
    // (it is reset when the job is taken again).
    // From the stream's start: the queue is this test's own, and a listener that began at '$'
    // misses the first retry whenever its first read comes after it (seen on a loaded machine).
    const events = new QueueEvents(config.queue.name, {
      connection: { url: config.redis.url },
      prefix: config.redis.prefix,
      lastEventId: '0',
    });
    undo(() => events.close());
    await events.waitUntilReady();
    const delays: Array<Promise<number>> = [];
    events.on('delayed', ({ jobId }) => {
      delays.push(services.redis.hget(services.work.queue.toKey(jobId), 'delay').then(Number));
    });

    const id = await services.work.enqueue(testEvent(TOPIC));
    await finished(id);
    const ms = backoff * 1000;
    expect(await Promise.all(delays)).toEqual([ms, 2 * ms, 4 * ms]);
    // Each retry did wait that long after the failure before it.
    const attempts = (await services.redis.lrange(`${config.redis.prefix}:attempts`, 0, -1)).map(
      (text) => JSON.parse(text) as { attempt: number; started: number; failed: number },
    );
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < attempts.length; i++)
      expect(attempts[i]!.started - attempts[i - 1]!.failed).toBeGreaterThanOrEqual(
        ms * 2 ** (i - 1),
      );
  });
});
