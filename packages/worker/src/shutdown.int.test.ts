import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  removeTempDirs,
  startSilentServer,
  testConfig,
  waitFor,
  localPlaybook,
  processAlive,
  writeAutomation,
} from '@test/support';
import { Jobs, ParkingLot, createLogger, loopabullKeys } from '@loopabull/core';
import { buildWorkerPackage, harness, type Harness } from '../test/harness.js';
import { LoopabullWorker } from './worker.js';

beforeAll(() => buildWorkerPackage(), 60_000);

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});
afterAll(() => removeTempDirs());

describe('stopping workers', () => {
  it('stop() after the grace kills a running playbook and puts the job back, to run again', async () => {
    h = await harness({ workers: { shutdown_grace: 0.5 } });
    const pidFile = join(h.config.dir, 'child.pid');
    const marker = join(h.config.dir, 'second-run');
    // The first run hangs; the one after the restart finishes at once.
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'slow.job.yml',
      localPlaybook([
        {
          'ansible.builtin.shell': `if [ -e ${pidFile} ]; then touch ${marker}; else sleep 300 & echo $! > ${pidFile}; wait; fi`,
        },
      ]),
    );
    const first = await h.startWorker();
    const job = await h.add('slow.job');
    const pid = Number(
      await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim()),
    );

    await first.stop();
    const stopped = await h.reload(job);
    expect(await stopped.getState()).toBe('waiting');
    expect(stopped.attemptsMade).toBe(0);
    expect(stopped.failedReason).toBeFalsy();
    await waitFor(() => !processAlive(pid), { what: `the playbook's child ${pid} to be gone` });
    expect(await h.counter('failed', 'slow.job')).toBe(0);
    expect(await h.counter('retried', 'slow.job')).toBe(0);

    await h.startWorker();
    expect(await h.finished(job)).toMatchObject({ outcome: 'ran', file: 'slow.job.yml' });
    expect(existsSync(marker)).toBe(true);
  });

  it('stop() lets a running job finish within the grace', async () => {
    h = await harness({ workers: { shutdown_grace: 30 } });
    const [started, release] = [join(h.config.dir, 'started'), join(h.config.dir, 'release')];
    // Runs until the test lets it end, which it does only once stop() was called.
    writeAutomation(
      h.config.ansible.playbooks_dir,
      'short.job.yml',
      localPlaybook([
        {
          'ansible.builtin.shell': `touch ${started}; while [ -d ${h.config.dir} ] && [ ! -e ${release} ]; do sleep 0.1; done`,
        },
      ]),
    );
    const worker = await h.startWorker();
    const job = await h.add('short.job');
    await waitFor(() => existsSync(started));
    try {
      const stopping = worker.stop();
      writeFileSync(release, '');
      await stopping;
    } finally {
      writeFileSync(release, '');
    }
    expect(await (await h.reload(job)).getState()).toBe('completed');
    expect((await h.reload(job)).returnvalue).toMatchObject({ outcome: 'ran', exit_code: 0 });
  });

  /**
   * Runs `topic` with a handler that hangs on its first start, so that its worker ('doomed') can
   * be killed in the middle of it, and does `then` (with `n`, the start) on the next ones; kills
   * that worker and starts another ('rescuer'). Resolves with the job and the starts' key.
   */
  async function killedMidJob(topic: string, then: string) {
    const startsKey = `${h!.config.redis.prefix}:starts`;
    writeAutomation(
      h!.config.ansible.playbooks_dir,
      `${topic}.mjs`,
      `export default async (e, ctx) => {
        const n = await ctx.redis.incr(${JSON.stringify(startsKey)});
        if (n === 1) await new Promise(() => {});
        ${then}
      };\n`,
    );
    const doomed = await h!.startWorkerProcess('doomed');
    const job = await h!.add(topic);
    await waitFor(() => h!.redis.get(startsKey));
    await doomed.kill();
    await h!.startWorkerProcess('rescuer');
    return { job, startsKey };
  }

  it('a job whose worker was killed runs again on another worker', async () => {
    h = await harness({ workers: { lock_timeout: 1 } });
    const { job } = await killedMidJob('crash.test', 'return { starts: n };');

    expect(await h.finished(job)).toMatchObject({ outcome: 'ran', value: { starts: 2 } });
    expect((await h.reload(job)).attemptsStarted).toBe(2);
    // Each attempt's log starts with the worker that ran it.
    const ranBy = [...(await h.logs(job)).matchAll(/^loopabull: running .*, worker (\S+)$/gm)];
    expect(ranBy.map((m) => m[1])).toEqual(['doomed', 'rescuer']);
    await h.stopWorkers();
    expect(await h.counter('retried', 'crash.test')).toBe(1);
    expect(await h.counter('failed', 'crash.test')).toBe(0);
  });

  it('a job whose worker was killed has used up a try: it runs queue.attempts times in all', async () => {
    h = await harness({ workers: { lock_timeout: 1 }, queue: { attempts: 2, backoff: 0.1 } });
    const { job, startsKey } = await killedMidJob(
      'crash.fail',
      "throw new Error('failed at start ' + n + ', attempt ' + ctx.job.attempt);",
    );

    await expect(h.finished(job)).rejects.toThrow('failed at start 2, attempt 2');
    expect(await h.redis.get(startsKey)).toBe('2');
    const attempts = [...(await h.logs(job)).matchAll(/^loopabull: running .*, attempt (\d+),/gm)];
    expect(attempts.map((m) => m[1])).toEqual(['1', '2']);
    // `loopabull jobs show` counts the run that was killed.
    const parking = new ParkingLot(h.redis, loopabullKeys(h.config).parked);
    const jobs = new Jobs(h.work, parking, h.work.unrouted);
    expect(await jobs.show(job.id!)).toMatchObject({ state: 'failed', attempts: 2 });
    await h.stopWorkers();
    expect(await h.counter('failed', 'crash.fail')).toBe(1);
  });
});

it('stop() while start() waits for a Redis that does not answer ends the wait at once, closing every connection', async () => {
  const silent = await startSilentServer();
  try {
    const redis = { url: `redis://127.0.0.1:${silent.port}` };
    const worker = new LoopabullWorker({
      config: testConfig({ overrides: { redis } }),
      logger: createLogger('worker-test', 'error'),
    });
    const started = worker.start();
    // Connected, its ready check unanswered: waiting for Redis, with no job taken.
    await silent.nextConnection();

    // Neither the grace nor REDIS_WAIT_MS to wait out, nor state to write: no StateNotWritten.
    await worker.stop();
    await expect(started).resolves.toBeUndefined();
    await waitFor(() => silent.connections() === 0, { what: 'its connections to close' });
  } finally {
    await silent.close();
  }
});
