/** Shared by the looper tests (outside src/, so neither compiled nor collected as a test). */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config, Logger, LoopabullEvent } from '@loopabull/core';
import type { Looper } from '../src/index.js';
import { FIXTURES } from '@test/support';

const fixtures = FIXTURES;

export function fixture<T>(relative: string): T {
  return JSON.parse(readFileSync(new URL(relative, fixtures), 'utf8')) as T;
}

export type { PulseFixture } from '@test/support';

export interface FedmsgFixture {
  topic: string;
  msg_id: string;
  msg: unknown;
}

/** A confirm channel beside the looper's, to publish (`waitForConfirms`: the broker has them) and inspect. */
export async function openChannel(
  url: string,
): Promise<{ model: ChannelModel; ch: ConfirmChannel }> {
  const model = await amqp.connect(url);
  const ch = await model.createConfirmChannel();
  return { model, ch };
}

export function publish(
  ch: Channel,
  exchange: string,
  routingKey: string,
  body: unknown,
  props: Options.Publish = {},
): void {
  const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  ch.publish(exchange, routingKey, content, {
    contentType: 'application/json',
    persistent: true,
    ...props,
  });
}

/** Resolves with the arguments of the next `n` emissions of `event`. */
export function nextEvents<
  E extends
    | 'enqueued'
    | 'parked'
    | 'filtered'
    | 'paused'
    | 'resumed'
    | 'consuming'
    | 'connected'
    | 'disconnected',
>(looper: Looper, event: E, n = 1): Promise<unknown[][]> {
  return new Promise((resolve) => {
    const seen: unknown[][] = [];
    const listener = (...args: unknown[]) => {
      seen.push(args);
      if (seen.length === n) {
        looper.off(event, listener as never);
        resolve(seen);
      }
    };
    looper.on(event, listener as never);
  });
}

/** Resolves with the distinct job ids once `n` distinct ones were enqueued (redeliveries repeat ids). */
export function distinctJobs(
  looper: Looper,
  n: number,
): { ids: Set<string>; done: Promise<Set<string>> } {
  const ids = new Set<string>();
  const done = new Promise<Set<string>>((resolve) => {
    const listener = (_event: LoopabullEvent, jobId: string) => {
      ids.add(jobId);
      if (ids.size === n) {
        looper.off('enqueued', listener);
        resolve(ids);
      }
    };
    looper.on('enqueued', listener);
  });
  return { ids, done };
}

/** Runs `fn` with the test's BullMQ queue, on a connection of its own. */
export async function withWorkQueue<T>(
  config: Config,
  fn: (queue: Queue<LoopabullEvent>, redis: Redis) => Promise<T>,
): Promise<T> {
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue<LoopabullEvent>(config.queue.name, {
    connection: redis,
    prefix: config.redis.prefix,
  });
  try {
    return await fn(queue, redis);
  } finally {
    await queue.close();
    await redis.quit();
  }
}

/** The looper's AMQP queue as the broker sees it, asked on a connection of its own. */
export async function queueInfo(
  url: string,
  queue: string,
): Promise<{ messageCount: number; consumerCount: number }> {
  const { model, ch } = await openChannel(url);
  try {
    return await ch.checkQueue(queue);
  } finally {
    await model.close().catch(() => undefined);
  }
}

/** Messages ready in the queue (not counting those delivered and not yet acked). */
export async function readyCount(url: string, queue: string): Promise<number> {
  return (await queueInfo(url, queue)).messageCount;
}

export { cleanUpTest as cleanUp } from '@test/support';

export interface LogLine {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

export type RecordingLogger = Logger & {
  lines: LogLine[];
  /** Resolves at the first line (from now on) whose message matches. */
  said(pattern: RegExp): Promise<void>;
};

/** A logger that keeps its lines for assertions instead of printing them. */
export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const waiting = new Set<(line: LogLine) => void>();
  const at =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}) => {
      const line = { level, message, meta };
      lines.push(line);
      for (const wake of waiting) wake(line);
    };
  const said = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      const wake = (line: LogLine) => {
        if (!pattern.test(line.message)) return;
        waiting.delete(wake);
        resolve();
      };
      waiting.add(wake);
    });
  return {
    lines,
    said,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  } as unknown as RecordingLogger;
}

/**
 * Publishes persistent messages with confirms, as a careful producer does across a broker restart:
 * whatever the broker did not confirm is sent again on a new connection, so some may arrive twice.
 * `onConfirmed` sees the running total; `intervalMs` paces the batches into a stream.
 */
export async function publishConfirmed(
  url: string,
  exchange: string,
  routingKey: string,
  ids: string[],
  opts: { batch?: number; intervalMs?: number; onConfirmed?: (total: number) => void } = {},
): Promise<{ failures: number }> {
  const { batch = 10, intervalMs = 0 } = opts;
  const pending = [...ids];
  let confirmed = 0;
  let failures = 0;
  while (pending.length > 0) {
    let model: ChannelModel | undefined;
    try {
      model = await amqp.connect(url, { timeout: 2000 });
      model.on('error', () => undefined);
      const ch = await model.createConfirmChannel();
      ch.on('error', () => undefined);
      while (pending.length > 0) {
        const chunk = pending.slice(0, batch);
        const results = await Promise.allSettled(
          chunk.map(
            (id) =>
              new Promise<void>((resolve, reject) => {
                const content = Buffer.from(JSON.stringify({ id }));
                const props = { persistent: true, messageId: id, contentType: 'application/json' };
                ch.publish(exchange, routingKey, content, props, (err: unknown) =>
                  err ? reject(err as Error) : resolve(),
                );
              }),
          ),
        );
        const unconfirmed = chunk.filter((_, i) => results[i]!.status === 'rejected');
        pending.splice(0, chunk.length, ...unconfirmed);
        confirmed += chunk.length - unconfirmed.length;
        opts.onConfirmed?.(confirmed);
        if (unconfirmed.length > 0) throw new Error(`${unconfirmed.length} messages not confirmed`);
        if (intervalMs > 0) await delay(intervalMs);
      }
    } catch {
      failures += 1;
      await delay(100);
    } finally {
      await model?.close().catch(() => undefined);
    }
  }
  return { failures };
}
