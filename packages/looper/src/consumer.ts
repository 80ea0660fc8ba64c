import { EventEmitter } from 'node:events';
import type { Channel, ChannelModel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { busFault, connectRecovering, redactUrl, type Config, type Logger } from '@loopabull/core';
import { AckWindow } from './ack-window.js';
import { installHeaderGuard } from './header-guard.js';
import { declareTopology, rebindTopology } from './topology.js';

/** One delivery, with the means to settle it on the channel it came on. */
export interface Inbound {
  readonly message: ConsumeMessage;
  /**
   * False when its channel has closed: the broker redelivers the message by itself. Acks go out
   * together after the current I/O turn, as one `multiple` ack per run of settled deliveries.
   */
  ack(): boolean;
  /** Hands the message back to the broker, which delivers it again later. */
  requeue(): boolean;
  /** Refuses it for good: the broker dead-letters it if the queue has a dead-letter exchange. */
  reject(): boolean;
}

interface ConsumerEvents {
  /** Connected, with the queue and its bindings declared. */
  connected: [];
  consuming: [];
  disconnected: [error: Error];
}

export interface BusConsumerOptions {
  config: Pick<Config, 'bus'>;
  logger: Logger;
  onMessage: (inbound: Inbound) => void;
}

/**
 * The AMQP side of the looper: a recovering connection whose setup declares the topology and, when
 * wanted, consumes the queue with manual acks. Whether it consumes is decided from outside
 * (`setWanted`), so consumption can stop while Redis is down and resume without reconnecting.
 */
export class BusConsumer extends EventEmitter<ConsumerEvents> {
  private connection: RecoveringChannelModel | null = null;
  private model: ChannelModel | null = null;
  private channel: Channel | null = null;
  /** The current channel's unsettled deliveries; a closed channel's die with it. */
  private acks = new AckWindow();
  private ackScheduled = false;
  private consumerTag: string | null = null;
  private wanted = false;
  private closing = false;
  /** Why the last attempt to connect failed, while they fail: the reason last logged. */
  private failing: string | null = null;
  /** Consume and cancel calls run one at a time, in the order they were asked for. */
  private syncing: Promise<void> = Promise.resolve();
  private rebindTimer: NodeJS.Timeout | null = null;
  private rebinding = false;
  /** Exchanges the last rebind could not bind to, so that each loss and return is logged once. */
  private unbound = new Set<string>();

  constructor(private readonly opts: BusConsumerOptions) {
    super();
  }

  private get bus() {
    return this.opts.config.bus;
  }

  async open(): Promise<void> {
    const { logger } = this.opts;
    if (!installHeaderGuard())
      logger.warn(
        'this amqplib is not a version the header guard knows: a message whose header table is nested thousands deep will stall the queue',
      );
    const connection = await connectRecovering(this.opts.config, (model) => this.setup(model));
    this.connection = connection;
    if (this.closing) {
      await connection.close();
      return;
    }
    connection.on('disconnect', (err) => {
      logger.warn('lost the bus connection, reconnecting', { error: err.message });
      this.failing = null;
      this.emit('disconnected', err);
    });
    connection.on('connect-failed', (err) => {
      // An attempt under way when close() was called fails afterwards; it is not retried.
      if (this.closing) return;
      // A failure says what is wrong; the retries that repeat it are debug lines. One for another
      // reason is said again: a broker back up with a certificate not trusted, after one that
      // refused connections, or the failures after a lost connection.
      const error = busFault(err, this.bus.url);
      if (error === this.failing) logger.debug('bus connection still failing', { error });
      else
        logger.warn('cannot connect to the bus or declare the queue, retrying with backoff', {
          url: redactUrl(this.bus.url),
          error,
        });
      this.failing = error;
    });
    connection.on('connect', () => {
      this.failing = null;
    });
    connection.on('error', (err) => logger.debug('bus connection error', { error: err.message }));
    connection.on('blocked', (reason) =>
      logger.warn('the broker blocked this connection', { reason }),
    );
    connection.on('unblocked', () => logger.info('the broker unblocked this connection'));
    this.rebindTimer = setInterval(() => void this.rebind(), this.bus.rebind_interval * 1000);
    this.rebindTimer.unref();
  }

  /** Starts or stops consuming; resolves once the broker has been told (or the channel is gone). */
  setWanted(wanted: boolean): Promise<void> {
    this.wanted = wanted;
    return this.sync().catch((err: unknown) => {
      // A consume or cancel fails only with its channel, and the channel's close handler reconnects.
      this.opts.logger.debug('consume/cancel failed with its channel', {
        error: (err as Error).message,
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wanted = false;
    if (this.rebindTimer) clearInterval(this.rebindTimer);
    // Channel frames are multiplexed onto the socket after connection-level ones, and the broker
    // ignores whatever follows a connection close: closing the channel first (an RPC behind its
    // acks) is what gets the last acks to the broker.
    this.sendAcks();
    const ch = this.channel;
    this.channel = null;
    await ch?.close().catch(() => undefined);
    await this.connection?.close();
  }

  private async setup(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => {
      // During setup the failed declaration reports the same error as `connect-failed`.
      const level = ch === this.channel ? 'warn' : 'debug';
      this.opts.logger[level]('bus channel error', { error: err.message });
    });
    ch.on('close', () => this.channelClosed(ch, model));
    await declareTopology(ch, this.bus);
    await ch.prefetch(this.bus.prefetch);
    this.model = model;
    this.channel = ch;
    this.acks = new AckWindow();
    this.consumerTag = null;
    this.emit('connected');
    await this.sync();
  }

  /**
   * Binds the queue to its exchanges again (topology.ts, rebindTopology: an exchange deleted and
   * declared again by its publisher has lost our bindings, and the broker does not tell us).
   * Skipped while disconnected: each reconnect declares everything anyway.
   */
  private async rebind(): Promise<void> {
    const model = this.model;
    if (!model || !this.channel || this.closing || this.rebinding) return;
    this.rebinding = true;
    const { logger } = this.opts;
    try {
      const failed = await rebindTopology(model, this.bus);
      const now = new Set(failed.map((f) => f.exchange));
      for (const { exchange, error } of failed)
        if (!this.unbound.has(exchange))
          logger.warn(
            'cannot bind the queue to an exchange: its messages do not reach the queue until it can; retrying',
            { exchange, queue: this.bus.queue, error: error.message },
          );
      for (const exchange of this.unbound)
        if (!now.has(exchange))
          logger.info('bound the queue to the exchange again', { exchange, queue: this.bus.queue });
      this.unbound = now;
    } catch (err) {
      // The connection went away mid-way; its recovery declares everything again.
      logger.debug('rebinding stopped with the connection', { error: (err as Error).message });
    } finally {
      this.rebinding = false;
    }
  }

  private sync(): Promise<void> {
    const run = this.syncing.then(() => this.reconcile());
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private async reconcile(): Promise<void> {
    const ch = this.channel;
    if (!ch) return;
    const wanted = this.wanted && !this.closing;
    if (wanted && this.consumerTag === null) {
      const { consumerTag } = await ch.consume(this.bus.queue, (msg) => this.deliver(ch, msg), {
        noAck: false,
      });
      if (ch !== this.channel) return;
      this.consumerTag = consumerTag;
      this.emit('consuming');
    } else if (!wanted && this.consumerTag !== null) {
      const tag = this.consumerTag;
      this.consumerTag = null;
      await ch.cancel(tag);
    }
  }

  private deliver(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled us (queue deleted, node gone): reconnect, which declares it again.
      if (ch === this.channel && !this.closing) {
        this.opts.logger.warn('the broker cancelled the consumer, reconnecting', {
          queue: this.bus.queue,
        });
        this.consumerTag = null;
        void this.model?.close().catch(() => undefined);
      }
      return;
    }
    const tag = msg.fields.deliveryTag;
    const acks = this.acks;
    acks.delivered(tag);
    const settle = (what: string, fn: () => void) => {
      // It may have held back the acks of later deliveries.
      if (acks.size > 1) this.scheduleAcks();
      acks.forget(tag);
      try {
        fn();
        return true;
      } catch (err) {
        this.opts.logger.debug(`${what} on a closed channel; the broker redelivers`, {
          message_id: msg.properties.messageId ?? null,
          error: (err as Error).message,
        });
        return false;
      }
    };
    this.opts.onMessage({
      message: msg,
      ack: () => {
        if (ch !== this.channel || !acks.ready(tag)) return false;
        this.scheduleAcks();
        return true;
      },
      requeue: () => settle('nack', () => ch.nack(msg, false, true)),
      reject: () => settle('reject', () => ch.nack(msg, false, false)),
    });
  }

  private scheduleAcks(): void {
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => this.sendAcks());
  }

  /** One `multiple` ack for the leading run of deliveries that are ready. */
  private sendAcks(): void {
    this.ackScheduled = false;
    const ch = this.channel;
    const upTo = this.acks.take();
    if (!ch || upTo === null) return;
    try {
      ch.ack({ fields: { deliveryTag: upTo } } as ConsumeMessage, true);
    } catch (err) {
      this.opts.logger.debug('ack on a closed channel; the broker redelivers', {
        error: (err as Error).message,
      });
    }
  }

  private channelClosed(ch: Channel, model: ChannelModel): void {
    if (ch !== this.channel) return;
    this.channel = null;
    this.consumerTag = null;
    if (this.closing) return;
    // Recovery only re-runs setup after a lost connection; a channel the broker closed alone
    // (a protocol error) would leave us connected and idle, so drop the connection with it.
    void model.close().catch(() => undefined);
  }
}
