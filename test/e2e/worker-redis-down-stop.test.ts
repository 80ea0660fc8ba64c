/**
 * A worker whose Redis has gone away still stops on SIGTERM (packages/worker/README.md,
 * Failures): its running job gets `workers.shutdown_grace` and is then stopped, the worker waits
 * `REDIS_WAIT_MS` more for Redis, gives up on it and exits 1, saying why. The job stays active in
 * Redis and runs again on another worker once its lock has expired. A worker running no job has
 * no grace to wait out. A Redis that froze is given
 * up on the same way, and a 0.0.7 command line, a looper and a worker in one process, stops the
 * same way.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { openQueueServices, type Config } from '@loopabull/core';
import { REDIS_WAIT_MS } from '@loopabull/worker';
import {
  completedJob,
  legacyConfig,
  privateVhost,
  removeTempDirs,
  startPart,
  startReady,
  startRedis,
  testConfig,
  testEvent,
  undoAfterEach,
  waitFor,
  writeAutomation,
  type CliProcess,
  type RedisInstance,
} from '@test/support';

afterAll(removeTempDirs);
const undo = undoAfterEach();

const TOPIC = 'org.example.held';
const workers = { shutdown_grace: 1, lock_timeout: 2 };
/** From SIGTERM to exit at most: the grace, the wait for Redis, and room for a slow machine. */
const STOP_BOUND_MS = workers.shutdown_grace * 1000 + REDIS_WAIT_MS + 5_000;

async function privateRedis(): Promise<RedisInstance> {
  const redis = await startRedis();
  undo(() => redis.stop());
  return redis;
}

/**
 * A handler that holds its first job until the worker stops it, noting `started` and why it was
 * stopped (`aborted`) in the config's directory, and finishes the next run of it at once.
 */
function holdingHandler(config: Config): void {
  const file = (name: string) => JSON.stringify(join(config.dir, name));
  writeAutomation(
    config.ansible.playbooks_dir,
    `${TOPIC}.mjs`,
    `import { existsSync, writeFileSync } from 'node:fs';
export default (event, ctx) => {
  if (existsSync(${file('started')})) return { again: true };
  writeFileSync(${file('started')}, '');
  ctx.signal.addEventListener('abort', () => writeFileSync(${file('aborted')}, ctx.signal.reason.message));
  return new Promise(() => {});
};\n`,
  );
}

/** `loopabull worker --id ID` on a private Redis, once it runs a job the handler holds. */
async function workerWithHeldJob(id: string) {
  const redis = await privateRedis();
  const config = testConfig({ overrides: { redis: { url: redis.url }, workers } });
  holdingHandler(config);
  const worker = await startPart('worker', config, undo, ['--id', id]);
  const services = await openQueueServices(config);
  const job = await services.work.enqueue(testEvent(TOPIC)).finally(() => services.close());
  await waitFor(() => existsSync(join(config.dir, 'started')), { what: 'the job to start' });
  return { redis, config, worker, job };
}

/**
 * Stops Redis under `proc` (once it noticed) or freezes it (which it cannot notice), SIGTERMs
 * it, and resolves with its exit code.
 */
async function stopWithRedisDown(
  proc: CliProcess,
  redis: RedisInstance,
  outage: 'stopped' | 'frozen' = 'stopped',
  boundMs = STOP_BOUND_MS,
): Promise<number | null> {
  const exited = once(proc.child, 'exit') as Promise<[number | null]>;
  if (outage === 'frozen') redis.freeze();
  else {
    await redis.stop();
    await proc.waitForOutput(/queue error .*ECONNREFUSED/);
  }
  proc.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still running ${boundMs} ms after SIGTERM:\n${proc.output()}`)),
      boundMs,
    );
  });
  try {
    const [code] = await Promise.race([exited, bound]);
    return code;
  } finally {
    clearTimeout(timer);
  }
}

/** What a worker that gave up on an unreachable Redis says, in order. */
const GAVE_UP = [
  /Redis is unreachable: running jobs get the shutdown grace/,
  /shutdown grace is over/,
  /Redis is still unreachable: stopping without writing the state of the jobs taken/,
  /loopabull: the worker stopped without writing the state of its jobs: Redis at redis:\/\/127\.0\.0\.1:\d+ did not answer/,
];
/** The same, from a worker that was running no job: it has no grace to wait out. */
const GAVE_UP_IDLE = GAVE_UP.filter((line) => !line.test('shutdown grace is over'));

function expectInOrder(output: string, lines: RegExp[]): void {
  let rest = output;
  for (const line of lines) {
    const at = rest.search(line);
    expect(at >= 0 ? 'found' : `no ${String(line)} in what follows:\n${rest}`).toBe('found');
    rest = rest.slice(at);
  }
}

describe('SIGTERM with Redis down', () => {
  it('a worker gives its running job the grace, then exits 1 saying why; the job runs again later', async () => {
    const { redis, config, worker, job } = await workerWithHeldJob('doomed');

    expect(await stopWithRedisDown(worker, redis)).toBe(1);
    expectInOrder(worker.output(), GAVE_UP);
    expect(readFileSync(join(config.dir, 'aborted'), 'utf8')).toBe('the worker is shutting down');

    // Nothing was written (the private Redis keeps its data, AOF): the job is still active,
    // until its lock expires.
    await redis.start();
    const services = await openQueueServices(config);
    undo(() => services.close());
    expect(await services.work.queue.getJobState(job)).toBe('active');
    await startPart('worker', config, undo, ['--id', 'rescuer']);
    const done = await waitFor(() => completedJob(services.work.queue, job), {
      what: 'the job to run again',
    });
    expect(done.returnvalue).toMatchObject({ value: { again: true } });
  }, 90_000);

  it('a worker running no job does not wait out the grace: it waits for Redis alone', async () => {
    const redis = await privateRedis();
    const longGrace = { ...workers, shutdown_grace: 60 };
    const config = testConfig({ overrides: { redis: { url: redis.url }, workers: longGrace } });
    const worker = await startPart('worker', config, undo, ['--id', 'idle']);

    expect(await stopWithRedisDown(worker, redis, 'stopped', REDIS_WAIT_MS + 5_000)).toBe(1);
    expect(worker.output()).not.toMatch(/shutdown grace is over/);
    expectInOrder(worker.output(), GAVE_UP_IDLE);
  }, 60_000);

  it('a worker whose Redis froze, connected and answering nothing, gives up on it the same way', async () => {
    const { redis, worker } = await workerWithHeldJob('frozen');

    expect(await stopWithRedisDown(worker, redis, 'frozen')).toBe(1);
    expectInOrder(worker.output(), [
      /shutdown grace is over/,
      /Redis is not answering: stopping without writing the state of the jobs taken/,
      GAVE_UP.at(-1)!,
    ]);
  }, 60_000);

  it('a 0.0.7 command line, looper and worker in one process, exits 1 the same way', async () => {
    const redis = await privateRedis();
    // Its queue and exchange go with the virtual host, whether Redis is up or not by then.
    const vhost = await privateVhost('redis-down');
    undo(() => vhost.remove());
    const rabbit = { host: '127.0.0.1', port: 5672, virtual_host: vhost.name };
    const legacy = legacyConfig(rabbit, TOPIC, { redisUrl: redis.url });
    appendFileSync(legacy.configPath, yaml.dump({ workers }));
    const proc = await startReady([legacy.configPath], /taking jobs/, { isolated: true });
    undo(() => proc.stop());

    expect(await stopWithRedisDown(proc, redis)).toBe(1);
    expectInOrder(proc.output(), GAVE_UP_IDLE);
  }, 60_000);
});
