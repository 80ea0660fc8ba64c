// `npm run bench`: Loopabull's rates beside the raw parts it is built from, measured in one run
// on the same machine, so the ratios mean something on a shared, noisy host. Writes
// bench/results.json and prints a table. Needs Redis, RabbitMQ and ansible-playbook (as the tests).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { Queue, Worker } from 'bullmq';
import {
  BusPublisher,
  createLogger,
  createRedis,
  loadConfig,
  loopabullKeys,
  queueServices,
} from '@loopabull/core';
import { Looper } from '@loopabull/looper';
import { LoopabullWorker } from '@loopabull/worker';

const N_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const N_PLAYBOOKS = Number(process.env.BENCH_PLAYBOOKS ?? 8);
const N_LATENCY = Number(process.env.BENCH_LATENCY ?? 200);
const PLAYBOOK_CONCURRENCY = 2;

const dir = mkdtempSync(join(tmpdir(), 'loopabull-bench-'));
const playbooks = join(dir, 'playbooks');
mkdirSync(playbooks);
const PLAYBOOK =
  '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug: { msg: hi }\n';
writeFileSync(join(playbooks, 'bench.playbook.yml'), PLAYBOOK);
writeFileSync(join(playbooks, 'bench.noop.mjs'), 'export default () => null;\n');

const id = randomBytes(4).toString('hex');
const configPath = join(dir, 'loopabull.yml');
writeFileSync(
  configPath,
  `loglevel: warn
redis: { prefix: bench-${id} }
queue: { name: q-${id} }
bus: { queue: bench-${id}, bindings: [{ exchange: bench-${id}, routing_key: '#' }], publish_exchange: bench-${id}, prefetch: 200 }
ansible: { playbooks_dir: ${playbooks} }
`,
);
const config = loadConfig({
  path: configPath,
  env: process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {},
});
const logger = createLogger('bench', 'warn');
const results = [];

const run = promisify(execFile);
const seconds = (t0) => (performance.now() - t0) / 1000;
function record(name, group, count, secs, extra = {}) {
  results.push({
    name,
    group,
    count,
    seconds: Number(secs.toFixed(3)),
    rate_per_s: Number((count / secs).toFixed(1)),
    ...extra,
  });
}
const until = async (check) => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 5));
};
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function publishMany(n, topic, idPrefix) {
  const conn = await amqp.connect(config.bus.url);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
  const body = Buffer.from(
    JSON.stringify({
      build_id: 612324,
      name: 'ansible',
      version: '1.8.3',
      release: '1.el7',
      new: 1,
    }),
  );
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const ok = ch.publish(config.bus.publish_exchange, topic, body, {
      persistent: true,
      messageId: `${idPrefix}-${i}`,
      contentType: 'application/json',
    });
    if (!ok) await new Promise((r) => ch.once('drain', r));
  }
  await ch.waitForConfirms();
  const secs = seconds(t0);
  await conn.close();
  return secs;
}

/** Raw amqplib: persistent publishes with confirms, then consume+ack at the looper's prefetch. */
async function rawAmqp() {
  const conn = await amqp.connect(config.bus.url);
  const ch = await conn.createChannel();
  const q = `bench-raw-${id}`;
  await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
  await ch.assertQueue(q, { durable: true });
  await ch.bindQueue(q, config.bus.publish_exchange, 'raw.#');
  record(
    'amqplib publish (persistent, confirmed)',
    'raw',
    N_MESSAGES,
    await publishMany(N_MESSAGES, 'raw.x', 'raw'),
  );
  await ch.prefetch(config.bus.prefetch);
  let got = 0;
  const t0 = performance.now();
  let consumerTag;
  await new Promise((resolve) => {
    ch.consume(q, (m) => {
      if (!m) return;
      ch.ack(m);
      if (++got === N_MESSAGES) resolve();
    }).then((ok) => (consumerTag = ok.consumerTag));
  });
  record('amqplib consume + ack', 'raw', N_MESSAGES, seconds(t0));
  await ch.cancel(consumerTag);
  await ch.deleteQueue(q);
  await conn.close();
}

/** Raw BullMQ: concurrent adds with job ids, then no-op processing at concurrency 50. */
async function rawBull() {
  const connection = createRedis(config.redis.url);
  const queue = new Queue(`raw-${id}`, { connection, prefix: config.redis.prefix });
  const t0 = performance.now();
  const pending = new Set();
  for (let i = 0; i < N_MESSAGES; i++) {
    const p = queue.add('raw', { i }, { jobId: `raw-${i}` }).finally(() => pending.delete(p));
    pending.add(p);
    if (pending.size >= config.bus.prefetch) await Promise.race(pending);
  }
  await Promise.all(pending);
  record('BullMQ add (200 in flight)', 'raw', N_MESSAGES, seconds(t0));
  let done = 0;
  const t1 = performance.now();
  const worker = new Worker(`raw-${id}`, async () => null, {
    connection: createRedis(config.redis.url),
    prefix: config.redis.prefix,
    concurrency: 50,
  });
  await new Promise((resolve) => worker.on('completed', () => ++done === N_MESSAGES && resolve()));
  record('BullMQ process no-op (concurrency 50)', 'raw', N_MESSAGES, seconds(t1));
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
}

/** A bare ansible-playbook loop at the workers' concurrency: the floor for playbook jobs. */
async function rawAnsible() {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PLAYBOOK_CONCURRENCY }, async () => {
      while (next++ < N_PLAYBOOKS)
        await run('ansible-playbook', [join(playbooks, 'bench.playbook.yml')]);
    }),
  );
  record(
    `ansible-playbook loop (${PLAYBOOK_CONCURRENCY} at once)`,
    'raw',
    N_PLAYBOOKS,
    seconds(t0),
  );
}

async function loopabull() {
  const services = queueServices(config, createRedis(config.redis.url));
  // Jobs in BullMQ's completed set: counters are written only every COUNTERS_FLUSH_MS, so
  // waiting on them would measure that interval instead of the jobs.
  const completed = () => services.work.queue.getCompletedCount();

  // Looper: a backlog of N messages waiting in the broker, drained into the queue.
  const looper = new Looper({ config, logger });
  await looper.start();
  await looper.stop();
  await publishMany(N_MESSAGES, 'bench.noop', 'lb');
  const t0 = performance.now();
  const looper2 = new Looper({ config, logger });
  let enqueued = 0;
  looper2.on('enqueued', () => enqueued++);
  await looper2.start();
  await until(() => enqueued >= N_MESSAGES);
  record('looper: bus -> queue (ack after Redis)', 'loopabull', N_MESSAGES, seconds(t0), {
    vs: 'amqplib consume + ack',
  });

  // Worker: the queued jobs through the no-op handler (resolution, context, counters).
  const t1 = performance.now();
  const worker = new LoopabullWorker({ config, id: 'bench', concurrency: 50, logger });
  await worker.start();
  await until(async () => (await completed()) >= N_MESSAGES);
  record('worker: no-op handler jobs (concurrency 50)', 'loopabull', N_MESSAGES, seconds(t1), {
    vs: 'BullMQ process no-op (concurrency 50)',
  });
  await worker.stop();
  const counted = (await services.counters.read()).completed?.['bench.noop'];
  if (counted !== N_MESSAGES)
    throw new Error(`the worker counted ${counted} of ${N_MESSAGES} jobs`);

  // Playbooks through the worker at the raw loop's concurrency.
  const publisher = new BusPublisher(config);
  const pbWorker = new LoopabullWorker({
    config,
    id: 'bench-pb',
    concurrency: PLAYBOOK_CONCURRENCY,
    logger,
  });
  await pbWorker.start();
  const pbBase = await completed();
  const t2 = performance.now();
  await Promise.all(
    Array.from({ length: N_PLAYBOOKS }, (_, i) => publisher.publish('bench.playbook', { i })),
  );
  await until(async () => (await completed()) >= pbBase + N_PLAYBOOKS);
  record(
    `end to end: playbook jobs (${PLAYBOOK_CONCURRENCY} at once)`,
    'loopabull',
    N_PLAYBOOKS,
    seconds(t2),
    { vs: `ansible-playbook loop (${PLAYBOOK_CONCURRENCY} at once)` },
  );
  await pbWorker.stop();

  // Latency: one message at a time, publish -> handler job completed.
  const latWorker = new LoopabullWorker({ config, id: 'bench-lat', concurrency: 1, logger });
  await latWorker.start();
  const base = await completed();
  const lat = [];
  const t3 = performance.now();
  for (let i = 0; i < N_LATENCY; i++) {
    const s = performance.now();
    await publisher.publish('bench.noop', { i });
    await until(async () => (await completed()) >= base + i + 1);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  record('end to end latency: publish -> handler done', 'loopabull', N_LATENCY, seconds(t3), {
    p50_ms: Number(percentile(lat, 50).toFixed(1)),
    p95_ms: Number(percentile(lat, 95).toFixed(1)),
    p99_ms: Number(percentile(lat, 99).toFixed(1)),
  });
  await latWorker.stop();
  await looper2.stop();
  await publisher.close();

  const conn = await amqp.connect(config.bus.url);
  const ch = await conn.createChannel();
  await ch.deleteQueue(config.bus.queue);
  await ch.deleteExchange(config.bus.publish_exchange);
  await conn.close();
  await services.work.queue.obliterate({ force: true });
  await services.redis.del(...Object.values(loopabullKeys(config)));
  await services.close();
}

try {
  await rawAmqp();
  await rawBull();
  await rawAnsible();
  await loopabull();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const byName = Object.fromEntries(results.map((r) => [r.name, r]));
for (const r of results)
  if (r.vs) r.ratio_vs_raw = Number((r.rate_per_s / byName[r.vs].rate_per_s).toFixed(3));
const out = {
  when: new Date().toISOString(),
  node: process.version,
  messages: N_MESSAGES,
  playbooks: N_PLAYBOOKS,
  results,
};
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.table(
  results.map(({ name, count, rate_per_s, ratio_vs_raw, p50_ms, p95_ms }) => ({
    name,
    count,
    'per s': rate_per_s,
    'vs raw': ratio_vs_raw ?? '',
    p50_ms: p50_ms ?? '',
    p95_ms: p95_ms ?? '',
  })),
);
process.exit(0);
