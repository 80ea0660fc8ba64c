import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import {
  Counters,
  ParkingLot,
  WorkQueue,
  closeRedis,
  createLogger,
  createProducerRedis,
  logRedisOutages,
  loopabullKeys,
  redactUrl,
  withTimeout,
  type Config,
  type Delivery,
  type Enqueued,
  type LoopabullEvent,
  type Logger,
  type RejectReason,
} from '@loopabull/core';
import { classify, deliveryOf, type Verdict } from './classify.js';
import { BusConsumer, type Inbound } from './consumer.js';
import { EnqueueBatch } from './enqueue-batch.js';
import { EnqueueGate } from './enqueue-gate.js';
import { describeFault, isRedisFault } from './faults.js';

/**
 * How long a Redis write may take before the looper treats Redis as down. The producer client
 * fails at once on a closed connection; this bounds the other case, a Redis that accepted the
 * connection and stopped answering.
 */
const REDIS_REPLY_TIMEOUT_MS = 10_000;

/** How long the key written to probe Redis stays: it says when the looper last probed. */
const PROBE_KEY_TTL_MS = 3_600_000;

export interface LooperOptions {
  config: Config;
  logger?: Logger;
}

export interface LooperEvents {
  /** Connected to the bus with the queue and its bindings declared; consuming may wait for Redis. */
  connected: [];
  /** Consumption started: the first time, after every reconnect and after every resume. */
  consuming: [];
  enqueued: [event: LoopabullEvent, jobId: string];
  parked: [reason: RejectReason, detail: string];
  filtered: [topic: string];
  /** Parking the message failed for a reason that is not Redis's: it was refused for good. */
  rejected: [detail: string];
  /** Redis stopped confirming jobs: no messages are taken until it answers again. */
  paused: [reason: string];
  resumed: [];
  /** The bus connection was lost; it reconnects by itself and emits `consuming` again. */
  disconnected: [error: Error];
}

interface RedisSide {
  redis: Redis;
  queue: WorkQueue;
  /** The jobs of one burst of deliveries, written together. */
  batch: EnqueueBatch<LoopabullEvent, Enqueued>;
  parking: ParkingLot;
  counters: Counters;
}

type Outcome =
  | { kind: 'enqueued'; event: LoopabullEvent; jobId: string }
  | { kind: 'parked'; reason: RejectReason; detail: string }
  | { kind: 'filtered'; topic: string };

type ParkVerdict = Extract<Verdict, { kind: 'park' }>;

/**
 * The bus consumer: every message becomes a job in the work queue, acked only once Redis has it,
 * or is parked or filtered and acked. While Redis does not confirm, messages go back to the
 * broker and consumption stops until Redis answers again; a message whose job cannot be stored
 * for any other reason is parked, so it never stops the looper (faults.ts draws the line).
 */
export class Looper extends EventEmitter<LooperEvents> {
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly consumer: BusConsumer;
  private side: RedisSide | null = null;
  private gate: EnqueueGate | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private state: 'new' | 'running' | 'stopping' = 'new';
  private stopped: Promise<void> | null = null;
  /** Ends a start() still waiting for its first consume. */
  private endStart: (() => void) | null = null;
  /** The last consume/cancel request: requeues wait for it so a cancelled consumer is not fed again. */
  private consumerSynced: Promise<void> = Promise.resolve();
  private everOpened = false;

  constructor(opts: LooperOptions) {
    super();
    this.config = opts.config;
    this.logger = opts.logger ?? createLogger('looper', opts.config.loglevel);
    this.consumer = new BusConsumer({
      config: this.config,
      logger: this.logger,
      onMessage: (inbound) => this.track(this.handle(inbound)),
    });
    this.consumer.on('consuming', () => {
      this.logger.info('consuming', {
        queue: this.config.bus.queue,
        bus: redactUrl(this.config.bus.url),
      });
      // An empty list is legal AMQP (publishers may send to the queue by name) but is far more
      // often a slip that leaves the looper idle without a word.
      if (this.config.bus.bindings.length === 0)
        this.logger.warn(
          'bus.bindings is empty: the queue is bound to no exchange, so only messages published to it by name arrive',
          { queue: this.config.bus.queue },
        );
      this.emit('consuming');
    });
    this.consumer.on('connected', () => this.emit('connected'));
    this.consumer.on('disconnected', (err) => this.emit('disconnected', err));
  }

  /**
   * Resolves once the looper consumes for the first time, which waits for both Redis and the bus,
   * or once stop() is called before that: a stop while it connects is no failure, and stop()'s
   * own promise says when everything is closed.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('a Looper starts once');
    this.state = 'running';
    const redis = createProducerRedis(this.config.redis.url);
    // Its outages in the journal when they begin and end, also while no message comes, which is
    // when nothing else the looper does would say so.
    logRedisOutages([redis], this.logger, { redis: redactUrl(this.config.redis.url) });
    const queue = new WorkQueue(this.config, redis);
    // The connection's own errors, passed on by BullMQ, which prints them when nothing listens.
    queue.queue.on('error', () => undefined);
    const keys = loopabullKeys(this.config);
    this.side = {
      redis,
      queue,
      batch: new EnqueueBatch({
        // One timer for a bulk write, not one per message.
        writeAll: (events) =>
          withTimeout(queue.enqueueAll(events), REDIS_REPLY_TIMEOUT_MS, 'Redis job add'),
        writeOne: async (event) =>
          (
            await withTimeout(queue.enqueueAll([event]), REDIS_REPLY_TIMEOUT_MS, 'Redis job add')
          )[0]!,
        isShared: isRedisFault,
        max: this.config.bus.prefetch,
      }),
      parking: new ParkingLot(redis, keys.parked),
      counters: new Counters(redis, keys, {
        maxLabels: this.config.metrics.max_topics,
        onError: (err) =>
          this.logger.debug('counters not written, kept for the next try', {
            error: err.message,
          }),
      }),
    };

    const gate = new EnqueueGate({
      // A write, not PING: a Redis at maxmemory (noeviction), a replica gone READONLY or one
      // that cannot save (MISCONF) answers PING and refuses jobs, and the looper would take the
      // messages again at once, refuse them, and so on, many times a second.
      probe: () =>
        withTimeout(
          redis.set(keys.probe, new Date().toISOString(), 'PX', PROBE_KEY_TTL_MS),
          REDIS_REPLY_TIMEOUT_MS,
          'Redis SET',
        ),
    });
    this.gate = gate;
    gate.on('open', () => this.redisAnswers());
    gate.on('probe-failed', (err, failures) => {
      if (!this.everOpened && failures === 1) {
        // A refused write (OOM, READONLY, NOPERM) is an answer: say which it was.
        const refused = (err as Error).name === 'ReplyError';
        const what = refused ? 'Redis refuses writes' : 'Redis does not answer';
        this.logger.warn(`${what}: waiting for it before taking messages`, {
          redis: redactUrl(this.config.redis.url),
          error: (err as Error).message,
        });
      }
    });
    // Probing before the client's first connection attempt has ended would only report a
    // connection still in progress as a failure.
    let probing = false;
    const firstAttemptEnded = () => {
      if (!probing) gate.start();
      probing = true;
    };
    redis.once('ready', firstAttemptEnded);
    redis.once('error', firstAttemptEnded);
    redis.on('ready', () => gate.nudge());

    const firstConsume = new Promise<void>((resolve) => {
      this.endStart = resolve;
      this.once('consuming', resolve);
    });
    try {
      await this.consumer.open();
    } catch (err) {
      // Redis and its probes are running already: a failed start must not leave them behind. It
      // closes them as stop() does, but it is no stop: its error says what happened.
      this.stopped ??= this.shutdown({ stopped: false });
      await this.stopped;
      throw err;
    }
    await firstConsume;
  }

  /**
   * Stops consuming, lets the messages in hand finish (enqueued and acked, or requeued), then
   * closes the bus and Redis. Messages the broker had sent but the looper had not taken go back
   * to the queue when the channel closes. Called while start() still waits for the bus or Redis,
   * it ends the connection attempts and the Redis probes as well.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown({ stopped: true });
    return this.stopped;
  }

  /** Closes everything; `stopped`: for stop(), which says so once done. */
  private async shutdown({ stopped }: { stopped: boolean }): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.endStart?.();
    if (!wasRunning) return;
    this.gate?.dispose();
    await this.syncConsumer();
    while (this.inflight.size > 0) await Promise.all(this.inflight);
    await this.consumer.close();
    if (this.side) {
      const { redis, queue, counters } = this.side;
      await withTimeout(counters.close(), REDIS_REPLY_TIMEOUT_MS, 'Redis counters').catch(
        (err: Error) =>
          this.logger.warn('counters since the last flush are lost', { error: err.message }),
      );
      await queue.close().catch(() => undefined);
      await closeRedis(redis);
    }
    if (stopped) this.logger.info('looper stopped');
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  private syncConsumer(): Promise<void> {
    const wanted = this.state === 'running' && this.gate !== null && this.gate.open;
    this.consumerSynced = this.consumer.setWanted(wanted);
    return this.consumerSynced;
  }

  private async handle(inbound: Inbound): Promise<void> {
    const side = this.side;
    if (!side || !this.gate?.open) {
      await this.consumerSynced;
      inbound.requeue();
      return;
    }
    side.counters.incr('consumed');
    let outcome: Outcome;
    try {
      outcome = await this.store(inbound, side);
    } catch (err) {
      if (isRedisFault(err)) {
        this.redisFailed(err as Error);
        await this.consumerSynced;
        inbound.requeue();
        return;
      }
      // Parking writes only text it made itself, so this is a bug; but handing the message back
      // would bring it straight back to fail again, stalling the queue behind it.
      const detail = describeFault(err);
      const { fields, properties } = inbound.message;
      this.logger.error('could not park a message: rejected it for good', {
        exchange: fields.exchange,
        routing_key: fields.routingKey,
        message_id: typeof properties.messageId === 'string' ? properties.messageId : null,
        error: detail,
      });
      side.counters.incr('rejected');
      inbound.reject();
      this.emit('rejected', detail);
      return;
    }
    inbound.ack();
    switch (outcome.kind) {
      case 'enqueued':
        this.emit('enqueued', outcome.event, outcome.jobId);
        break;
      case 'parked':
        this.emit('parked', outcome.reason, outcome.detail);
        break;
      case 'filtered':
        this.emit('filtered', outcome.topic);
        break;
    }
  }

  /**
   * Everything that must reach Redis before the message may be acked; throws if it did not.
   * Only Redis's faults and failures to park are thrown: anything else wrong is parked.
   */
  private async store(inbound: Inbound, side: RedisSide): Promise<Outcome> {
    const delivery = deliveryOf(inbound.message);
    let verdict: Verdict;
    try {
      verdict = classify(delivery, this.config);
    } catch (err) {
      // classify does no I/O: whatever it throws on is in the message.
      verdict = {
        kind: 'park',
        reason: 'unstorable',
        detail: `cannot make an event of it: ${describeFault(err)}`,
        topic: null,
      };
    }
    switch (verdict.kind) {
      case 'filter':
        this.logger.debug('Unsupported routing_key', {
          topic: verdict.topic,
          exchange: delivery.exchange,
        });
        side.counters.incr('filtered');
        return { kind: 'filtered', topic: verdict.topic };
      case 'park':
        return this.park(delivery, verdict, side);
      case 'enqueue': {
        let job: Enqueued;
        try {
          job = await side.batch.add(verdict.event);
        } catch (err) {
          if (isRedisFault(err)) throw err;
          const detail = `its job could not be stored: ${describeFault(err)}`;
          const topic = verdict.event.topic;
          return this.park(delivery, { kind: 'park', reason: 'unstorable', detail, topic }, side);
        }
        const { id: jobId, repeated } = job;
        this.logger.debug(repeated ? 'enqueued: its job was already there' : 'enqueued', {
          topic: verdict.event.topic,
          job_id: jobId,
        });
        side.counters.incr('enqueued');
        // A redelivery, or the same message published again: its job runs once all the same.
        if (repeated) side.counters.incr('repeated');
        return { kind: 'enqueued', event: verdict.event, jobId };
      }
    }
  }

  private async park(delivery: Delivery, verdict: ParkVerdict, side: RedisSide): Promise<Outcome> {
    const park = side.parking.park({
      reason: verdict.reason,
      detail: verdict.detail,
      topic: verdict.topic,
      exchange: delivery.exchange,
      routing_key: delivery.routingKey,
      message_id: delivery.messageId ?? null,
      received_at: new Date().toISOString(),
      content: delivery.content,
    });
    await withTimeout(park, REDIS_REPLY_TIMEOUT_MS, 'Redis XADD');
    this.logger.warn('parked a message that cannot become an event', {
      reason: verdict.reason,
      exchange: delivery.exchange,
      routing_key: delivery.routingKey,
      message_id: delivery.messageId ?? null,
      detail: verdict.detail,
    });
    side.counters.incr('parked', verdict.reason);
    return { kind: 'parked', reason: verdict.reason, detail: verdict.detail };
  }

  private redisFailed(err: Error): void {
    if (this.state !== 'running' || !this.gate?.close()) return;
    this.logger.warn('Redis is not confirming jobs: stopped taking messages until it answers', {
      error: err.message,
    });
    void this.syncConsumer();
    this.emit('paused', err.message);
  }

  private redisAnswers(): void {
    if (this.everOpened) {
      this.logger.info('Redis answers again: taking messages');
      this.emit('resumed');
    }
    this.everOpened = true;
    void this.syncConsumer();
  }
}
