import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { loopabullKeysOf, removeTempDirs, testConfig, testEvent } from '@test/support';
import type { LoopabullEvent } from './event.js';
import { jobIdFor } from './job-id.js';
import { createRedis } from './redis.js';
import { queueServices, type QueueServices } from './services.js';
import type { JobResult } from './job-types.js';

// The numbers docs/http.md promises, not the code's constants: changing those must fail here.
/** "`/api/jobs` returns at most 200 jobs" */
const LIST_MAX = 200;
/** "with `topic=` it looks through the newest 2000 jobs of the state" */
const TOPIC_SCAN = 2000;
/** "`by_topic` … come from the next 1000 waiting jobs to run" */
const DEPTH_SAMPLE = 1000;

let config: ReturnType<typeof testConfig>;
let services: QueueServices;
const connections: Redis[] = [];

beforeEach(() => {
  // One attempt: a failed job goes to the failed set at once, not back to waiting.
  config = testConfig({ overrides: { queue: { attempts: 1 } } });
  services = queueServices(config, createRedis(config.redis.url));
});
afterEach(async () => {
  await services.work.queue.obliterate({ force: true });
  await services.redis.del(...loopabullKeysOf(config));
  await services.close();
  for (const c of connections.splice(0)) await c.quit();
});
afterAll(() => removeTempDirs());

/** A worker that takes jobs only when told to, as a Loopabull worker would. */
async function manualWorker() {
  const connection = createRedis(config.redis.url);
  connections.push(connection);
  const worker = new Worker<LoopabullEvent, JobResult>(config.queue.name, null, {
    connection,
    prefix: config.redis.prefix,
    autorun: false,
  });
  await worker.waitUntilReady();
  const token = randomUUID();
  return {
    take: async () => (await worker.getNextJob(token)) as Job<LoopabullEvent, JobResult>,
    complete: (job: Job) => job.moveToCompleted({ outcome: 'ran' }, token, false),
    fail: (job: Job) => job.moveToFailed(new Error('exit 2'), token, false),
    close: () => worker.close(),
  };
}

/** What BullMQ itself counts, and the waiting jobs by topic read one by one from its lists. */
async function bullmqTruth() {
  const q = services.work.queue;
  const states = ['wait', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;
  const counts = await q.getJobCounts(...states);
  const byTopic = new Map<string, number>();
  for (const job of await q.getJobs(['wait', 'prioritized'])) {
    byTopic.set(job.name, (byTopic.get(job.name) ?? 0) + 1);
  }
  return {
    waiting: counts.wait! + counts.prioritized!,
    active: counts.active,
    delayed: counts.delayed,
    failed: counts.failed,
    completed: counts.completed,
    by_topic: Object.fromEntries(byTopic),
  };
}

async function expectDepthToMatchBullmq() {
  const [depth, truth] = await Promise.all([services.work.depth(), bullmqTruth()]);
  expect(depth).toMatchObject({ ...truth, by_topic_counted: truth.waiting });
  expect(Object.keys(depth.by_topic).sort()).toEqual(Object.keys(truth.by_topic).sort());
  return depth;
}

describe('depth()', () => {
  it('stays equal to what BullMQ counts as jobs are added, run, completed, failed and removed', async () => {
    const worker = await manualWorker();
    try {
      expect((await expectDepthToMatchBullmq()).waiting).toBe(0);
      const ids = [];
      for (const topic of ['a.one', 'a.one', 'b.two', 'a.one', 'constructor', '__proto__'])
        ids.push(await services.work.enqueue(testEvent(topic)));
      const added = await expectDepthToMatchBullmq();
      expect(added.by_topic).toEqual({ 'a.one': 3, 'b.two': 1, constructor: 1, ['__proto__']: 1 });
      expect(added.oldest_waiting_seconds).toBeGreaterThanOrEqual(0);

      const first = await worker.take();
      const second = await worker.take();
      expect((await expectDepthToMatchBullmq()).active).toBe(2);
      await worker.complete(first);
      expect((await expectDepthToMatchBullmq()).completed).toBe(1);
      await worker.fail(second);
      expect((await expectDepthToMatchBullmq()).failed).toBe(1);

      await services.jobs.remove(ids.at(-1)!);
      await services.jobs.remove(first.id!);
      const after = await expectDepthToMatchBullmq();
      expect(after).toMatchObject({ waiting: 3, completed: 0, failed: 1 });

      await services.jobs.retry(second.id!);
      expect((await expectDepthToMatchBullmq()).waiting).toBe(4);
      await services.work.queue.pause();
      expect(await expectDepthToMatchBullmq()).toMatchObject({ waiting: 4, paused: true });
    } finally {
      await worker.close();
    }
  });

  it('takes a job back in the queue after a try as waiting since that try began, not since it was made', async () => {
    const now = Date.now();
    const [retried, fresh] = (
      await services.work.enqueueAll([testEvent('a.one'), testEvent('b.two')])
    ).map((job) => job.id);
    // Made an hour ago, its last try began 10 s ago (a retry after backoff, or a stalled job).
    await services.redis.hset(services.work.queue.toKey(retried!), {
      timestamp: now - 3_600_000,
      processedOn: now - 10_000,
    });
    await services.redis.hset(services.work.queue.toKey(fresh!), { timestamp: now - 60_000 });
    const { oldest_waiting_seconds: oldest } = await services.work.depth();
    expect(oldest).toBeGreaterThanOrEqual(60);
    expect(oldest).toBeLessThan(3_600);
  });

  it(`counts topics among the next ${DEPTH_SAMPLE} waiting jobs only, and says so`, async () => {
    const early = Array.from({ length: DEPTH_SAMPLE }, () => testEvent('early.topic'));
    const late = Array.from({ length: 50 }, () => testEvent('late.topic'));
    for (const batch of [early, late]) {
      await services.work.queue.addBulk(
        batch.map((e) => ({ name: e.topic, data: e, opts: services.work.jobOptions(e) })),
      );
    }
    const depth = await services.work.depth();
    expect(depth).toMatchObject({
      waiting: DEPTH_SAMPLE + 50,
      by_topic: { 'early.topic': DEPTH_SAMPLE },
      by_topic_counted: DEPTH_SAMPLE,
    });
  });
});

describe('Jobs.list()', () => {
  it(`returns at most ${LIST_MAX} jobs, and looks for a topic among the newest ${TOPIC_SCAN}`, async () => {
    const old = testEvent('needle.topic');
    await services.work.enqueue(old);
    const hay = Array.from({ length: TOPIC_SCAN }, () => testEvent('hay.topic'));
    await services.work.queue.addBulk(
      hay.map((e) => ({ name: e.topic, data: e, opts: services.work.jobOptions(e) })),
    );

    expect(await services.jobs.list({ state: 'waiting', limit: 1e6 })).toHaveLength(LIST_MAX);
    const hays = await services.jobs.list({ state: 'waiting', topic: 'hay.topic', limit: 5 });
    expect(hays.map((j) => j.topic)).toEqual(Array(5).fill('hay.topic'));
    expect(await services.jobs.list({ state: 'waiting', topic: 'needle.topic' })).toEqual([]);

    await services.jobs.remove(jobIdFor(hay[0]!.id));
    const found = await services.jobs.list({ state: 'waiting', topic: 'needle.topic' });
    expect(found.map((j) => j.topic)).toEqual(['needle.topic']);
  });
});

describe('Jobs.show()', () => {
  it('shows the result of a job that finished between the read of the job and of its state', async () => {
    const worker = await manualWorker();
    try {
      const id = await services.work.enqueue(testEvent('a.one'));
      const running = await worker.take();
      // The job as read just before the worker finished it: active, no result yet.
      const before = await services.work.queue.getJob(id);
      await worker.complete(running);
      const getJob = jest.spyOn(services.work.queue, 'getJob').mockResolvedValueOnce(before);
      try {
        expect(await services.jobs.show(id)).toMatchObject({
          state: 'completed',
          result: { outcome: 'ran' },
          finished_at: expect.any(String),
        });
      } finally {
        getJob.mockRestore();
      }
    } finally {
      await worker.close();
    }
  });
});

describe('noteFailure()', () => {
  it('notes the file and exit code on a job that exists, and never makes one that does not', async () => {
    const id = await services.work.enqueue(testEvent('org.example.fails'));
    await services.work.noteFailure(id, { file: 'org.example.fails.yml', exit_code: 2 });
    const gone = jobIdFor(randomUUID());
    await services.work.noteFailure(gone, { file: 'x.yml', exit_code: null });
    expect(await services.work.failureNotes([id, gone])).toEqual([
      { file: 'org.example.fails.yml', exit_code: 2, refusals: 0 },
      null,
    ]);
    expect(await services.redis.exists(services.work.queue.toKey(gone))).toBe(0);
    // Each refusal is counted; a later failure's note keeps the count.
    const refuse = () =>
      services.work.noteFailure(id, { file: 'f.yml', exit_code: null }, { refused: true });
    await refuse();
    await refuse();
    await services.work.noteFailure(id, { file: 'g.yml', exit_code: 4 });
    expect(await services.work.failureNotes([id])).toEqual([
      { file: 'g.yml', exit_code: 4, refusals: 2 },
    ]);
  });
});
