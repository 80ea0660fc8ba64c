import { setMaxListeners } from 'node:events';
import { resolve as resolvePath } from 'node:path';
import { hostname } from 'node:os';
import { WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  BusPublisher,
  Counters,
  WorkQueue,
  closeRedis,
  createLogger,
  createRedis,
  endRedis,
  loopabullKeys,
  OutageLog,
  redactUrl,
  settlesWithin,
  type Config,
  type JobResult,
  type Logger,
  type LoopabullEvent,
} from '@loopabull/core';
import { KILL_GRACE_MS, playbookCmdProblem, removeLeftVarsDirs } from '@loopabull/playbook';
import { JobLogs } from './job-logs.js';
import { processJob, type JobServices, type LoopabullJob } from './process-job.js';
import { playbooksDirMissing } from './resolve.js';
import { JobBatches } from './job-batches.js';
import {
  noAutomations,
  noBatchAutomations,
  type AutomationLookup,
  type BatchLookup,
} from './run-automation.js';
import { forQueue, StateNotWritten } from './errors.js';
import { withCopies } from './redis-copies.js';

/**
 * Once the running jobs have ended or the shutdown grace is over, how long stopping still waits
 * for Redis to take what is left to write (the jobs' state, counters) before it gives up on
 * Redis: longer than a playbook takes to be killed (SIGTERM, SIGKILL `KILL_GRACE_MS` later), so
 * that a Redis that answers loses nothing.
 */
export const REDIS_WAIT_MS = KILL_GRACE_MS + 5_000;

export interface LoopabullWorkerOptions {
  config: Config;
  /** Shown on the jobs it runs and given to playbooks as LOOPABULL_WORKER_ID; `<host>-<pid>` by default. */
  id?: string;
  /** Jobs at once; `workers.concurrency` by default. */
  concurrency?: number;
  logger?: Logger;
  /** Handlers' `ctx.automation(name, key)`: the started automations' handlers. */
  automation?: AutomationLookup;
  /** Batch handlers' `ctx.automationBatch(name, key)`. */
  automationBatch?: BatchLookup;
}

/**
 * One worker process's share of the queue: takes jobs, runs the automation named after each
 * job's topic, and stops gracefully. Start it once and stop it once.
 */
export class LoopabullWorker {
  readonly id: string;
  private readonly config: Config;
  private readonly concurrency: number;
  private readonly logger: Logger;
  private readonly automation: AutomationLookup;
  private readonly automationBatch: BatchLookup;
  /** Aborted when the shutdown grace is over: running jobs are killed and go back to the queue. */
  private readonly shutdown = new AbortController();
  /** Lookups for counters made from worker events, awaited before the counters are closed. */
  private readonly pending = new Set<Promise<unknown>>();
  /** How many jobs are being run, and who waits for none to be: what the shutdown grace waits for. */
  private running = 0;
  private onIdle: (() => void) | null = null;
  private worker: Worker<LoopabullEvent, JobResult> | null = null;
  private redis: Redis | null = null;
  /** `redis` and BullMQ's copies of it: what stopping ends when it gives up on Redis. */
  private connections: Redis[] = [];
  private counters: Counters | null = null;
  /** The jobs' writes beside BullMQ's (unrouted jobs, failure notes): stopping closes it last. */
  private work: WorkQueue | null = null;
  private publisher: BusPublisher | null = null;
  /** Where the jobs of batch handlers and batched playbook topics gather. */
  private readonly batches: JobBatches;
  private stopping: Promise<void> | null = null;
  /** Redis answered start(): from then on the worker may hold jobs whose state it must write. */
  private reachedRedis = false;

  constructor(opts: LoopabullWorkerOptions) {
    this.config = opts.config;
    this.id = opts.id ?? `${hostname()}-${process.pid}`;
    this.concurrency = opts.concurrency ?? opts.config.workers.concurrency;
    this.logger = opts.logger ?? createLogger('worker', opts.config.loglevel);
    this.automation = opts.automation ?? noAutomations;
    this.automationBatch = opts.automationBatch ?? noBatchAutomations;
    this.batches = new JobBatches(this.concurrency);
    // Every running job listens for shutdown: as many listeners as the concurrency allows.
    setMaxListeners(0, this.shutdown.signal);
  }

  /**
   * Resolves once the worker is connected and taking jobs, which waits for Redis for as long as
   * it is away, or once stop() is called before that: a stop while it waits is no failure.
   */
  async start(): Promise<void> {
    if (this.worker) throw new Error('this worker was already started');
    const { config } = this;
    const redis = createRedis(config.redis.url);
    this.redis = redis;
    const counters = new Counters(redis, loopabullKeys(config), {
      maxLabels: config.metrics.max_topics,
      onError: (err) => this.logger.warn('could not update counters', { error: err.message }),
    });
    this.counters = counters;
    const work = new WorkQueue(config, redis);
    this.work = work;
    const services: JobServices = {
      config,
      logger: this.logger,
      workerId: this.id,
      redis,
      counters,
      work,
      logs: new JobLogs(redis, (id) => work.queue.toKey(id)),
      automation: this.automation,
      automationBatch: this.automationBatch,
      batches: this.batches,
      publish: async (topic, body) => {
        this.publisher ??= new BusPublisher(config);
        await this.publisher.publish(topic, body);
      },
    };
    const lockDuration = config.workers.lock_timeout * 1000;
    const [worker, copies] = withCopies(
      redis,
      () =>
        new Worker<LoopabullEvent, JobResult>(
          config.queue.name,
          (job, token) => this.process(services, job, token),
          {
            connection: redis,
            prefix: config.redis.prefix,
            name: this.id,
            concurrency: this.concurrency,
            lockDuration,
            // Renewed every quarter, so a lock always has three quarters of lock_timeout left: a
            // Redis outage up to that (less the reconnect) runs no job twice. BullMQ's half left
            // only half, and an outage of 16 s with the 30 s default ran a finished job again.
            lockRenewTime: lockDuration / 4,
            // A job whose worker died is back in the queue at most 1.5 lock timeouts later.
            stalledInterval: lockDuration / 2,
            // A worker killed mid-job uses up a try, like a failed run does.
            maxStalledCount: config.queue.attempts,
          },
        ),
    );
    this.worker = worker;
    this.connections = [redis, ...copies];
    // Mostly Redis's connection failing (refused, a certificate not trusted): which Redis is
    // half of what the operator needs. The client keeps reconnecting by itself.
    const outage = new OutageLog(this.logger, { redis: redactUrl(config.redis.url) });
    // BullMQ's own copies reconnect apart from ours: Redis is back once every one is.
    const connected = () => this.connections.every((c) => c.status === 'ready');
    const queueError = (err: Error) => outage.error(err, connected());
    for (const c of this.connections) c.on('ready', () => connected() && outage.ready());
    worker.on('error', queueError);
    work.queue.on('error', queueError);
    worker.on('completed', (job, result) => {
      if (result.outcome === 'ran') counters.incr('completed', job.data.topic);
    });
    worker.on('failed', (job) => {
      // BullMQ sets finishedOn only when this was the last try.
      if (job) counters.incr(job.finishedOn ? 'failed' : 'retried', job.data.topic);
    });
    worker.on('stalled', (jobId) => {
      // Its worker died and it is back in the queue. One that stalled too often is there only to
      // be failed by the next worker (`defa`), which counts it then.
      this.track(
        redis.hmget(worker.toKey(jobId), 'name', 'defa').then(([topic, deferredFailure]) => {
          if (topic && !deferredFailure) counters.incr('retried', topic);
          // The worker that died could not say so; the journal would show the job's run again
          // (or its failure) with nothing before it.
          this.logger.warn(
            deferredFailure
              ? `job failed: ${deferredFailure}`
              : 'job back in the queue: its worker died (killed, or its lock lost)',
            { topic, job: jobId },
          );
        }),
      );
    });
    try {
      await worker.waitUntilReady();
    } catch (err) {
      if (!this.stopping) throw err;
    }
    // stop() ended the wait by ending the connections, which BullMQ answers either way.
    if (this.stopping) return;
    this.reachedRedis = true;
    this.logger.info('worker started', {
      id: this.id,
      queue: config.queue.name,
      concurrency: this.concurrency,
    });
    const left = removeLeftVarsDirs();
    if (left.length)
      this.logger.info('removed the vars files of runs whose worker was killed', {
        dirs: left.join(', '),
      });
    const playbooks = resolvePath(config.ansible.playbooks_dir);
    if (playbooksDirMissing(playbooks))
      this.logger.error(
        'the playbooks directory does not exist: every job fails and is retried until it does',
        { playbooks_dir: playbooks },
      );
    const cmdProblem = await playbookCmdProblem(config.ansible);
    if (cmdProblem)
      this.logger.error(
        'ansible.playbook_cmd cannot be run: every playbook job fails, is retried and is parked until it can',
        { playbook_cmd: config.ansible.playbook_cmd, reason: cmdProblem },
      );
  }

  private async process(
    services: JobServices,
    job: LoopabullJob,
    token: string | undefined,
  ): Promise<JobResult> {
    // BullMQ can hand over a job it fetched just as close() began: it goes back untouched.
    if (this.stopping) return this.requeue(job, token);
    this.running += 1;
    try {
      return await processJob(services, job, this.shutdown.signal);
    } catch (err) {
      if (!this.shutdown.signal.aborted) throw forQueue(err);
      return this.requeue(job, token);
    } finally {
      if (--this.running === 0) this.onIdle?.();
    }
  }

  /** Back to the queue as it was, not a failed try, so that it runs again elsewhere. */
  private async requeue(job: LoopabullJob, token: string | undefined): Promise<never> {
    await job.moveToWait(token).catch((moveErr: unknown) => {
      this.logger.warn(
        'could not requeue a stopped job; it will be picked up when its lock expires',
        { job: job.id, error: String(moveErr) },
      );
    });
    throw new WaitingError();
  }

  private track(write: Promise<unknown>): void {
    const tracked = write
      .catch((err: unknown) =>
        this.logger.warn('could not update counters', { error: String(err) }),
      )
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /**
   * Stops taking jobs, gives running ones `workers.shutdown_grace` seconds to finish, then kills
   * them (their whole process groups) and puts them back in the queue. With Redis unreachable
   * it stops all the same, some `REDIS_WAIT_MS` after the grace, and then rejects
   * (`StateNotWritten`): the jobs it had taken stay active in Redis until their locks expire.
   * Called while start() still waits for Redis, it stops at once: it has taken no job.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    const { worker, redis } = this;
    if (!worker || !redis) return;
    const { workers } = this.config;
    this.logger.info('worker stopping', { id: this.id });
    // Still waiting for Redis to start, it has taken no job: nothing to write, nothing to wait
    // for. Ending the connections ends start()'s wait; BullMQ's close, forced, waits for no job.
    const waitingForRedis = !this.reachedRedis;
    if (waitingForRedis) for (const client of this.connections) endRedis(client);
    else if (redis.status !== 'ready')
      this.logger.error(
        `Redis is unreachable: running jobs get the shutdown grace; if Redis is still away ${REDIS_WAIT_MS / 1000} s after it, the worker stops without writing their state`,
        { ...this.redisFields(redis), shutdown_grace: workers.shutdown_grace },
      );
    const closing = worker.close(waitingForRedis);
    // No more jobs will come to fill them.
    this.batches.flushAll();
    // The grace is the running jobs': with Redis away, BullMQ's close() would take all of it even
    // with none running, as it waits on Redis too; writeLast gives Redis its own wait.
    const finished =
      this.running === 0 ? Promise.resolve() : new Promise<void>((r) => (this.onIdle = r));
    if (!(await settlesWithin(Promise.race([closing, finished]), workers.shutdown_grace * 1000))) {
      this.logger.warn('shutdown grace is over: stopping running jobs, they will run again', {
        id: this.id,
      });
      this.shutdown.abort();
    }
    const written = this.writeLast(closing);
    const gaveUp = !(await settlesWithin(written, REDIS_WAIT_MS));
    if (gaveUp) {
      this.giveUpOnRedis(redis);
      await written;
    }
    await this.publisher?.close();
    await closeRedis(redis);
    this.logger.info('worker stopped', { id: this.id });
    if (gaveUp) throw new StateNotWritten(this.config.redis.url);
  }

  /** What stopping writes to Redis: the jobs' state (BullMQ's close), then the counters. */
  private async writeLast(closing: Promise<void>): Promise<void> {
    await closing;
    await Promise.all(this.pending);
    await this.counters
      ?.close()
      .catch((err: Error) =>
        this.logger.warn('counters since the last flush are lost', { error: err.message }),
      );
    await this.work?.close();
  }

  /**
   * BullMQ's close() waits on its connections for as long as Redis does not answer, and until it
   * is done its lock-renewal timer keeps the process alive. Ending the connections fails every
   * command still waiting, the jobs' own writes included, so that it finishes at once.
   */
  private giveUpOnRedis(redis: Redis): void {
    this.logger.error(
      `${redis.status === 'ready' ? 'Redis is not answering' : 'Redis is still unreachable'}: stopping without writing the state of the jobs taken; they stay active in Redis until their locks expire, then run again`,
      { ...this.redisFields(redis), lock_timeout: this.config.workers.lock_timeout },
    );
    for (const client of this.connections) endRedis(client);
  }

  private redisFields(redis: Redis) {
    return { id: this.id, redis: redactUrl(this.config.redis.url), status: redis.status };
  }
}
