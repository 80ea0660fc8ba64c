/**
 * How many jobs one `loopabull worker` runs at once: `workers.concurrency`, or `--concurrency N`
 * over it (docs/configuration.md, `loopabull worker --help`). The handler records when it starts
 * and ends as numbers from one Redis counter, and runs until the test releases it: N jobs
 * running at once is seen, not inferred from how long things took.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  openTestQueue,
  removeTempDirs,
  startPart,
  testConfig,
  testEvent,
  undoAfterEach,
  waitFor,
  writeAutomation,
} from '@test/support';

afterAll(removeTempDirs);
const undo = undoAfterEach();

const TOPIC = 'org.example.slow';
const HANDLER = `export default async (event, ctx) => {
  const key = (name) => ctx.config.redis.prefix + ':' + name;
  await ctx.redis.hset(key('start'), event.id, await ctx.redis.incr(key('seq')));
  while (!(await ctx.redis.exists(key('release'))) && !ctx.signal.aborted)
    await new Promise((r) => setTimeout(r, 20));
  await ctx.redis.hset(key('end'), event.id, await ctx.redis.incr(key('seq')));
  return 'done';
};\n`;

/** The most runs that were between their start and their end at the same time. */
function mostAtOnce(starts: Record<string, string>, ends: Record<string, string>): number {
  const marks = [
    ...Object.values(starts).map((seq) => [Number(seq), +1] as const),
    ...Object.values(ends).map((seq) => [Number(seq), -1] as const),
  ].sort((a, b) => a[0] - b[0]);
  let running = 0;
  let most = 0;
  for (const [, step] of marks) most = Math.max(most, (running += step));
  return most;
}

describe('jobs at once in one worker process', () => {
  it.each([
    ['--concurrency 3 over workers.concurrency 1', 1, ['--concurrency', '3'], 3],
    ['workers.concurrency 3', 3, [], 3],
    ['--concurrency 2 over workers.concurrency 4', 4, ['--concurrency', '2'], 2],
  ])('%s: that many run together, and no more', async (_name, configured, flags, expected) => {
    const config = testConfig({
      overrides: { workers: { concurrency: configured, shutdown_grace: 1 } },
    });
    const key = (name: string) => `${config.redis.prefix}:${name}`;
    writeAutomation(config.ansible.playbooks_dir, `${TOPIC}.mjs`, HANDLER);
    const services = await openTestQueue(config, undo);
    undo(() => services.redis.del(key('start'), key('end'), key('seq'), key('release')));
    await startPart('worker', config, undo, flags);
    undo(() => services.redis.set(key('release'), '1'));

    const ids: string[] = [];
    for (let i = 0; i <= expected; i++) ids.push(await services.work.enqueue(testEvent(TOPIC)));
    // `expected` runs are under way together: none can end before the release.
    await waitFor(async () => (await services.redis.hlen(key('start'))) === expected, {
      what: `${expected} runs at once`,
    });
    // The one left over waits for a free slot.
    expect(await services.work.queue.getJobCounts('active', 'wait')).toEqual({
      active: expected,
      wait: 1,
    });
    expect(await services.redis.hlen(key('end'))).toBe(0);

    await services.redis.set(key('release'), '1');
    await waitFor(async () => (await services.redis.hlen(key('end'))) === ids.length, {
      what: 'every job to end',
    });
    const [starts, ends] = await Promise.all([
      services.redis.hgetall(key('start')),
      services.redis.hgetall(key('end')),
    ]);
    expect(mostAtOnce(starts, ends)).toBe(expected);
  });
});
