// Shared by the bench's parts: timing, a private Redis, Loopabull as separate processes.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { nodeFlagsFor } from '@loopabull/cli';

export const CLI = new URL('../packages/cli/bin/loopabull.js', import.meta.url).pathname;
export const run = promisify(execFile);
export const seconds = (t0) => (performance.now() - t0) / 1000;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(check, what, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** The median of numbers in any order (left as they are). */
export const median = (xs) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/**
 * A redis-server of the bench's own: the hardware keys (`machines`, `hardware:*`) are global
 * names that must not be written on the machine's shared Redis, and its INFO is the bench's alone.
 */
export async function privateRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  // Whatever ends the bench, even a throw before its cleanup, ends this server too.
  process.once('exit', () => child.kill('SIGTERM'));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await run('redis-cli', ['-p', String(port), 'ping']);
      break;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(50);
    }
  }
  return { url, port, stop: () => child.kill('SIGTERM') };
}

/** A RabbitMQ vhost of the bench's own, for exchanges named as on Pulse. */
export async function privateVhost(id) {
  const name = `loopabull-bench-${id}`;
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    url: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    remove: () => run('rabbitmqctl', ['-q', 'delete_vhost', name]),
  };
}

/** `loopabull <args>` as a process of its own, as systemd runs it (with the same node flags). */
export function spawnCli(args, configPath) {
  // BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the looper and workers.
  const nodeArgs = [
    ...nodeFlagsFor(args[0]),
    ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
  ];
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args, '-c', configPath], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    pid: child.pid,
    /** Peak resident memory so far, in MB. */
    peakRssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A confirm channel kept open, so that a row that publishes times its messages, not a
 * connection's start: `publishMany(exchange, n, make)`, `make(i)` giving [routingKey, body,
 * props], resolves with the seconds until the broker confirmed them all.
 */
export async function openPublisher(url) {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  return {
    async publishMany(exchange, n, make) {
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const [routingKey, body, props] = make(i);
        if (!ch.publish(exchange, routingKey, body, { persistent: true, ...props }))
          await new Promise((r) => ch.once('drain', r));
      }
      await ch.waitForConfirms();
      return seconds(t0);
    },
    close: () => conn.close(),
  };
}

/** Publishes with confirms on a connection of its own, as a new publisher would. */
export async function publishMany(url, exchange, n, make) {
  const publisher = await openPublisher(url);
  try {
    return await publisher.publishMany(exchange, n, make);
  } finally {
    await publisher.close();
  }
}

/** An event as the looper makes it of a message published to `exchange` under its topic. */
export const benchEvent = (id, topic, body, exchange = 'amq.topic') => ({
  id,
  topic,
  body,
  headers: {},
  exchange,
  routing_key: topic,
  sent_at: null,
  received_at: new Date().toISOString(),
});

/** Enqueues events as the looper does, a thousand at a time (`WorkQueue.enqueueAll`). */
export async function enqueueEvents(work, events) {
  for (let i = 0; i < events.length; i += 1000) await work.enqueueAll(events.slice(i, i + 1000));
}

/** Seconds from the first start (`processedOn`) to the last finish of a queue's completed jobs. */
export async function processingSpan(queue) {
  let first = Infinity;
  let last = 0;
  for (const job of await queue.getJobs(['completed'])) {
    first = Math.min(first, job.processedOn);
    last = Math.max(last, job.finishedOn);
  }
  return (last - first) / 1000;
}

/** A consumer count above zero on the queue: the looper is taking messages. */
export async function consuming(url, queue) {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    return (await ch.checkQueue(queue)).consumerCount > 0;
  } catch {
    return false;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Waits until `count` workers take jobs from the queue. */
export async function workersReady(connection, prefix, name, count) {
  const queue = new Queue(name, { connection, prefix });
  try {
    await until(async () => (await queue.getWorkersCount()) >= count, `${count} workers`);
  } finally {
    await queue.close();
  }
}

/**
 * Counts the queue's completed jobs as BullMQ's events stream tells them (a blocking read), for
 * the slow rows: polling the count every few ms would take CPU from the playbooks it times.
 */
export async function completions(url, prefix, name) {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const events = new QueueEvents(name, { connection, prefix });
  await events.waitUntilReady();
  let done = 0;
  let waiting = null;
  events.on('completed', () => {
    done += 1;
    if (waiting && done >= waiting.count) waiting.resolve();
  });
  return {
    /** Resolves once `n` more jobs than now completed. */
    more(n) {
      const count = done + n;
      return new Promise((resolve) => (waiting = { count, resolve }));
    },
    close: async () => {
      await events.close();
      connection.disconnect();
    },
  };
}
