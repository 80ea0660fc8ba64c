import { Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { openQueueServices } from '@loopabull/core';
import { localPlaybook, removeTempDirs, writeAutomation } from '@test/support';
import { harness, type Harness } from '../test/harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});
afterAll(() => removeTempDirs());

/**
 * A job as BullMQ keeps it after earlier runs: `atm` failed tries, `stc` runs whose worker died,
 * and the failedReason each failed try writes (a retry by hand clears it).
 */
async function given(topic: string, atm: number, stc: number, failedReason: string | null) {
  writeAutomation(
    h!.config.ansible.playbooks_dir,
    `${topic}.yml`,
    localPlaybook([{ 'ansible.builtin.debug': { msg: 'ran' } }]),
  );
  const job = await h!.add(topic);
  const key = `${h!.config.redis.prefix}:${h!.config.queue.name}:${job.id!}`;
  await h!.redis.hset(key, 'atm', String(atm), 'stc', String(stc));
  if (failedReason !== null) await h!.redis.hset(key, 'failedReason', failedReason);
  return job;
}

/** The job as `loopabull jobs show` gives it. */
async function shown(id: string) {
  const services = await openQueueServices(h!.config);
  try {
    return await services.jobs.show(id);
  } finally {
    await services.close();
  }
}

/** A worker's logger that keeps each line it writes, as JSON. */
function keptLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'warn',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, lines };
}

describe('tries used up by runs whose worker died', () => {
  it('a job whose last try crashed fails without running again, and the worker says so', async () => {
    h = await harness({ queue: { attempts: 3 } });
    // Tries 1 and 2 failed, try 3 was killed: queue.attempts are used up.
    const job = await given('crashed.last', 2, 1, 'ansible-playbook exited 2');
    const { logger, lines } = keptLog();
    await h.startWorker({ logger });
    await expect(h.finished(job)).rejects.toThrow(/its 3 tries are used up/);
    expect(await h.logs(job)).not.toMatch(/running playbook/);
    expect(await (await h.reload(job)).getState()).toBe('failed');
    // Three tries ran; the refusal is none, though BullMQ counts it in attemptsMade.
    expect(await shown(job.id!)).toMatchObject({ attempts: 3, attempt: 3 });
    // The worker that died logged nothing; its journal would have had no word of this failure.
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'job failed',
        job: job.id,
        reason: expect.stringMatching(/its 3 tries are used up, the last on a worker that died/),
        next: 'parked',
      }),
    );
  });

  it("says on each failed try's journal line and at the end of its log whether it is retried or parked", async () => {
    h = await harness({ queue: { attempts: 2, backoff: 0.1 } });
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'always.fails.mjs',
      "export default async () => { throw new Error('the build server is on fire'); };",
    );
    const job = await h.add('always.fails');
    const { logger, lines } = keptLog();
    await h.startWorker({ logger });
    await expect(h.finished(job)).rejects.toThrow(/on fire/);
    const failures = lines.filter((l) => l.message === 'job failed' && l.job === job.id);
    expect(failures.map((l) => [l.attempt, l.next])).toEqual([
      [1, 'retry'],
      [2, 'parked'],
    ]);
    // The job log too, which showed nothing of a handler's error or of why a try ended.
    const ends = (await h.logs(job)).split('\n').filter((l) => l.startsWith('loopabull: attempt'));
    expect(ends).toEqual([
      expect.stringMatching(/^loopabull: attempt 1 failed, to be retried: .*on fire$/),
      expect.stringMatching(
        /^loopabull: attempt 2 failed, the job is parked in the failed set: .*on fire$/,
      ),
    ]);
  });

  it('so does one whose every try crashed', async () => {
    h = await harness({ queue: { attempts: 3 } });
    const job = await given('crashed.always', 0, 3, null);
    await h.startWorker();
    await expect(h.finished(job)).rejects.toThrow(/its 3 tries are used up/);
    expect(await h.logs(job)).not.toMatch(/running playbook/);
    expect(await shown(job.id!)).toMatchObject({ attempts: 3, attempt: 3 });
  });

  it('a job retried by hand after its tries has its one more try', async () => {
    h = await harness({ queue: { attempts: 3 } });
    const job = await given('retried.by.hand', 3, 1, null);
    await h.startWorker();
    expect(await h.finished(job)).toMatchObject({ outcome: 'ran' });
    expect(await h.logs(job)).toMatch(/running playbook retried\.by\.hand\.yml .*attempt 5/);
  });
});
