import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, QueueEvents } from 'bullmq';
import {
  Counters,
  createLogger,
  createRedis,
  loopabullKeys,
  WorkQueue,
  type Config,
  type JobResult,
  type LoopabullEvent,
} from '@loopabull/core';
import { testConfig, testEvent } from '@test/support';
import { LoopabullWorker, type LoopabullWorkerOptions } from '../src/worker.js';

const SENT_AT = '2024-05-01T12:00:00+00:00';

/** The shared test event, sent at a fixed time as fedora-messaging's header says. */
export const makeEvent = (topic: string, body: unknown = {}): LoopabullEvent =>
  testEvent(topic, { body, headers: { 'sent-at': SENT_AT }, sent_at: SENT_AT });

const WORKER_PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds the worker package (and core): worker processes run the build, as a service does.
 * Incremental, so about a second and a half when nothing changed; under flock(1), since test
 * files run in parallel and must not write the same files at once.
 */
export function buildWorkerPackage(): void {
  const tsc = fileURLToPath(new URL('../../../node_modules/.bin/tsc', import.meta.url));
  execFileSync(
    'flock',
    [join(tmpdir(), 'loopabull-worker-build.lock'), tsc, '-b', WORKER_PACKAGE],
    { stdio: 'inherit' },
  );
}

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGTERM, as systemd stops a worker, and waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL: a worker that dies mid-job. */
  kill(): Promise<void>;
  /** What it wrote (its log), for failure messages. */
  output(): string;
}

async function spawnWorker(configPath: string, id: string): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [`${WORKER_PACKAGE}/test/worker-process.mjs`, configPath, id],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/^ready$/m.test(output)) resolve();
    });
    void exited.then(() =>
      reject(new Error(`worker process ${id} exited before it was ready:\n${output}`)),
    );
  });
  await ready;
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { child, stop: () => end('SIGTERM'), kill: () => end('SIGKILL'), output: () => output };
}

const quietLogger = () => createLogger('worker-test', 'error');

/**
 * A queue of its own with producers' options, a way to await jobs, and workers that are all
 * stopped (and the queue and Loopabull's keys removed) by `close()`.
 */
export async function harness(overrides: Record<string, unknown> = {}, dir?: string) {
  const { configPath, ...config }: Config & { dir: string; configPath: string } = testConfig({
    overrides,
    ...(dir ? { dir } : {}),
  });
  mkdirSync(config.ansible.playbooks_dir, { recursive: true });
  const redis = createRedis(config.redis.url);
  const work = new WorkQueue(config, redis);
  const events = new QueueEvents(config.queue.name, {
    connection: { url: config.redis.url },
    prefix: config.redis.prefix,
  });
  await events.waitUntilReady();
  const counters = new Counters(redis, loopabullKeys(config));
  const workers: LoopabullWorker[] = [];
  const processes: WorkerProcess[] = [];

  const startWorker = async (opts: Partial<LoopabullWorkerOptions> = {}) => {
    const worker = new LoopabullWorker({ config, logger: quietLogger(), ...opts });
    workers.push(worker);
    await worker.start();
    return worker;
  };

  /** A worker in a process of its own, on the built package. */
  const startWorkerProcess = async (id = `proc-${randomUUID().slice(0, 8)}`) => {
    const proc = await spawnWorker(configPath, id);
    processes.push(proc);
    return proc;
  };

  const add = async (
    topic: string,
    body: unknown = {},
  ): Promise<Job<LoopabullEvent, JobResult>> => {
    const id = await work.enqueue(makeEvent(topic, body));
    return (await Job.fromId<LoopabullEvent, JobResult>(work.queue, id))!;
  };

  /** The job's result, or its failure reason as the rejection after its last try. */
  const finished = (job: Job<LoopabullEvent, JobResult>) =>
    job.waitUntilFinished(events) as Promise<JobResult>;

  const reload = async (job: Job) =>
    (await Job.fromId<LoopabullEvent, JobResult>(work.queue, job.id!))!;

  const logs = async (job: Job) => (await work.queue.getJobLogs(job.id!)).logs.join('\n');

  const counter = async (name: string, topic: string) =>
    (await counters.read())[name]?.[topic] ?? 0;

  /** Workers write their counters every so often and when they stop: after this, all of them. */
  const stopWorkers = async () => {
    await Promise.all([...workers.map((w) => w.stop()), ...processes.map((p) => p.stop())]);
  };

  const close = async () => {
    await stopWorkers();
    await events.close();
    await work.queue.obliterate({ force: true });
    const ours = await redis.keys(`${config.redis.prefix}:*`);
    if (ours.length > 0) await redis.del(...ours);
    await work.close();
    await redis.quit();
  };

  return {
    config,
    redis,
    work,
    startWorker,
    startWorkerProcess,
    add,
    finished,
    reload,
    logs,
    counter,
    stopWorkers,
    close,
  };
}

export type Harness = Awaited<ReturnType<typeof harness>>;
