/**
 * What a worker keeps in Redis is bounded: unrouted jobs beyond a sample, job logs past their caps;
 * and what is not unrouted: jobs while the playbooks directory is missing.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { writeAutomation } from '@test/support';
import { harness, type Harness } from '../test/harness.js';

let h: Harness;
afterEach(() => h.close());

describe('unrouted jobs', () => {
  it('keeps the newest queue.keep_unrouted whole, removes older ones, and still counts them all', async () => {
    h = await harness({ queue: { keep_unrouted: 2 } });
    await h.startWorker();
    const jobs = [];
    for (let i = 0; i < 4; i++) {
      const job = await h.add('nobody.listens', { i });
      expect(await h.finished(job)).toEqual({ outcome: 'unrouted' });
      jobs.push(job);
    }
    const listed = await h.work.unrouted.newest(10);
    expect(listed).toEqual([jobs[3]!.id, jobs[2]!.id]);
    for (const old of jobs.slice(0, 2)) expect(await h.work.queue.getJob(old.id!)).toBeUndefined();
    for (const kept of jobs.slice(2)) expect(await h.work.queue.getJob(kept.id!)).toBeDefined();
    await h.stopWorkers();
    expect(await h.counter('unrouted', 'nobody.listens')).toBe(4);
  });
});

describe('a missing playbooks directory', () => {
  it('fails jobs, to be retried and then parked, instead of ending them unrouted', async () => {
    h = await harness({ queue: { attempts: 2, backoff: 0.01 } });
    rmSync(h.config.ansible.playbooks_dir, { recursive: true });
    await h.startWorker();
    const job = await h.add('nobody.listens');
    await expect(h.finished(job)).rejects.toThrow(
      /the playbooks directory .* does not exist or is not a directory \(ansible\.playbooks_dir\)/,
    );
    expect((await h.reload(job)).attemptsMade).toBe(2);
    await h.stopWorkers();
    expect(await h.counter('unrouted', 'nobody.listens')).toBe(0);
    expect(await h.counter('failed', 'nobody.listens')).toBe(1);
    expect(await h.work.unrouted.newest(10)).toEqual([]);
  });
});

describe('job logs', () => {
  it('stop at workers.log_max_lines with a line that says so', async () => {
    h = await harness({ workers: { log_max_lines: 5 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'chatty.mjs',
      "export default async (e, ctx) => { for (let i = 0; i < 50; i++) await ctx.log(`line ${i}`); return 'done'; };\n",
    );
    await h.startWorker();
    const job = await h.add('chatty');
    expect(await h.finished(job)).toMatchObject({ outcome: 'ran', value: 'done' });
    const lines = (await h.logs(job)).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^loopabull: running handler chatty\.mjs/);
    expect(lines.slice(1, 5)).toEqual(['line 0', 'line 1', 'line 2', 'line 3']);
    expect(lines[5]).toMatch(/^loopabull: log cut at 5 lines/);
  });
});
