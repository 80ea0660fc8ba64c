// `npm run bench [-- --quick] [-- --memory]`: Loopabull's rates beside the raw parts it is built
// from and the systems it replaces, measured in one run on the same machine, so the ratios mean
// something on a shared, noisy host. Writes bench/results.json and prints a table, then runs
// bench/gettac.mjs. `--memory` runs the hardware rows alone: their looper and worker processes
// are the ones whose resident memory is measured.
// Needs Redis (redis-server, started privately), RabbitMQ (rabbitmqctl, for a private vhost) and
// ansible-playbook, as the tests do, and python3-flask and python3-kombu for the PoC's server and
// listener (scripts/bootstrap.sh installs all of them); cleans up what it made.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { Queue, Worker } from 'bullmq';
import { shippedAutomations } from '@loopabull/cli';
import { createLogger, createRedis, loadConfig, queueServices } from '@loopabull/core';
import { Looper } from '@loopabull/looper';
import { LoopabullWorker } from '@loopabull/worker';
import { checkFlask, hardwareRows, machinesRows } from './hardware.mjs';
import {
  benchEvent,
  completions,
  enqueueEvents,
  median,
  percentile,
  privateRedis,
  processingSpan,
  openPublisher,
  run,
  seconds,
  sleep,
  spawnCli,
  until,
  workersReady,
} from './lib.mjs';

const USAGE = `Usage: npm run bench [-- --quick | --memory]

Measures Loopabull beside the raw parts it is built from (amqplib, BullMQ, ansible-playbook) and
the systems it replaces (the releng-hardware PoC's listener and server), in one run on this
machine; writes bench/results.json and prints the table, each row with its ratio and target.
The rows that last under a second (the pipeline's and their raw parts') run six rounds: three to
warm up, then the median of three counts.

  --quick    under 2 minutes: 3,000 messages a row (5,000 for the hardware rows), 4 playbooks,
             3 s per HTTP load
  --memory   the hardware rows alone, with the looper's and worker's peak memory
  -h, --help this help

Environment: BENCH_MESSAGES, BENCH_PLAYBOOKS (sizes); BENCH_NODE_ARGS (node options for the
looper and worker processes it starts, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof').
Needs what the tests need (bash scripts/bootstrap.sh installs it); see docs/benchmarks.md.
`;
const OPTIONS = new Set(['--quick', '--memory', '--help', '-h']);
const unknown = process.argv.slice(2).filter((a) => !OPTIONS.has(a));
if (unknown.length > 0) {
  process.stderr.write(`bench: unknown option ${unknown.join(', ')}\n\n${USAGE}`);
  process.exit(2);
}
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const QUICK = process.argv.includes('--quick');
const MEMORY_ONLY = process.argv.includes('--memory');
const N_MESSAGES = Number(process.env.BENCH_MESSAGES ?? (QUICK ? 3000 : 10000));
const N_PLAYBOOKS = Number(process.env.BENCH_PLAYBOOKS ?? (QUICK ? 4 : 16));
const N_BURST = 1000;
/**
 * Rounds of each of the rows that last under a second in a quick run (amqplib consume + ack,
 * BullMQ's no-op processing and add + process, the looper, the worker, end to end). The first
 * WARM_ROUNDS are a warm-up and the median of the others counts (`steady`): run once, cold, a
 * row of a few hundred ms measured mostly the first compilation of the code it runs, which each
 * side reached at a different point (the raw rows run on code the bench had run before them).
 * Each round's time is in bench/results.json (`rounds_s`).
 */
const ROUNDS = 6;
const WARM_ROUNDS = 3;
const steady = (rounds) => median(rounds.slice(WARM_ROUNDS));
const PLAYBOOK_CONCURRENCY = 2;
const CONCURRENCY = 50;
checkFlask();

const dir = mkdtempSync(join(tmpdir(), 'loopabull-bench-'));
const playbooks = join(dir, 'playbooks');
mkdirSync(playbooks);
const PLAYBOOK =
  '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug: { msg: hi }\n';
writeFileSync(join(playbooks, 'bench.playbook.yml'), PLAYBOOK);
writeFileSync(join(playbooks, 'bench.burst.yml'), PLAYBOOK);
writeFileSync(join(playbooks, 'bench.noop.mjs'), 'export default () => null;\n');

const id = randomBytes(4).toString('hex');
const redisServer = await privateRedis();
const configPath = join(dir, 'loopabull.yml');
writeFileSync(
  configPath,
  `loglevel: warn
redis: { url: ${redisServer.url}, prefix: bench-${id} }
queue: { name: q-${id} }
bus: { queue: bench-${id}, bindings: [{ exchange: bench-${id}, routing_key: '#' }], publish_exchange: bench-${id}, prefetch: 200 }
ansible: { playbooks_dir: ${playbooks}, batch: { bench.burst: { max: 250, wait: 1 } } }
slavealloc: { enabled: false }
taskotron: { enabled: false }
hardware: { enabled: false }
`,
);
const config = loadConfig({ path: configPath, env: {}, automations: shippedAutomations });
const logger = createLogger('bench', 'warn');
const results = [];

const rounded = (x) => Number(x.toFixed(x < 10 ? 2 : 1));
/** The bench process's CPU (all its threads) per item since `from` (a process.cpuUsage()). */
const cpuPer = (from, n) => {
  const { user, system } = process.cpuUsage(from);
  return rounded((user + system) / n);
};
/** A rate from a count and a duration. `extra.vs` names the row it is compared with. */
function record(name, group, count, secs, extra = {}) {
  results.push({
    name,
    group,
    count,
    seconds: rounded(secs),
    rate_per_s: rounded(count / secs),
    ...extra,
  });
}
/** A rate measured as such (a load tool's average). */
function rate(name, group, perSecond, extra = {}) {
  results.push({ name, group, rate_per_s: rounded(perSecond), ...extra });
}
/** A quantity that is not a rate (memory), with the bound it must stay under. */
function measure(name, value, unit, { max }) {
  results.push({ name, group: 'loopabull', value: rounded(value), unit, max, met: value < max });
}
const ctx = { quick: QUICK, id, dir, redisUrl: redisServer.url, record, rate, measure };

const BODY = Buffer.from(
  JSON.stringify({ build_id: 612324, name: 'ansible', version: '1.8.3', release: '1.el7', new: 1 }),
);
/**
 * The bench's publisher: one connection for every row, opened by the first (the raw amqplib
 * row, untimed), so that the rows timed from their first publish (end to end, playbooks) do not
 * count its start.
 */
let publisher;
const publish = async (n, topic, idPrefix, body = () => BODY) =>
  (publisher ??= await openPublisher(config.bus.url)).publishMany(
    config.bus.publish_exchange,
    n,
    (i) => [topic, body(i), { messageId: `${idPrefix}-${i}`, contentType: 'application/json' }],
  );

/** Raw amqplib: consume + ack at the looper's prefetch. */
async function rawAmqp() {
  const conn = await amqp.connect(config.bus.url);
  const ch = await conn.createChannel();
  const q = `bench-raw-${id}`;
  await ch.assertExchange(config.bus.publish_exchange, 'topic', { durable: true });
  await ch.assertQueue(q, { durable: true });
  await ch.bindQueue(q, config.bus.publish_exchange, 'raw.#');
  await ch.prefetch(config.bus.prefetch);
  const secs = [];
  for (let round = 0; round < ROUNDS; round++) {
    await publish(N_MESSAGES, 'raw.x', `raw${round}`);
    let got = 0;
    const t0 = performance.now();
    let consumerTag;
    await new Promise((resolve) => {
      ch.consume(q, (m) => {
        ch.ack(m);
        if (++got === N_MESSAGES) resolve();
      }).then((ok) => (consumerTag = ok.consumerTag));
    });
    secs.push(seconds(t0));
    await ch.cancel(consumerTag);
  }
  record('amqplib consume + ack', 'raw', N_MESSAGES, steady(secs), { rounds_s: secs.map(rounded) });
  await ch.deleteQueue(q);
  await conn.close();
}

/** An event as the looper makes it of a message `publish` sends. */
const busEvent = (id, topic, body = JSON.parse(BODY)) =>
  benchEvent(id, topic, body, config.bus.publish_exchange);

/**
 * Raw BullMQ: adds with job ids, no-op processing, and both at once in one script, of jobs as
 * Loopabull's (an event, Loopabull's job options), so that the rows beside them differ only in
 * what Loopabull does around BullMQ.
 */
async function rawBull(work) {
  const connection = createRedis(config.redis.url);
  const name = `raw-${id}`;
  const queue = new Queue(name, { connection, prefix: config.redis.prefix });
  const addAll = async (label) => {
    const pending = new Set();
    for (let i = 0; i < N_MESSAGES; i++) {
      const event = busEvent(`${label}-${i}`, 'bench.noop');
      const p = queue
        .add(event.topic, event, work.jobOptions(event))
        .finally(() => pending.delete(p));
      pending.add(p);
      if (pending.size >= config.bus.prefetch) await Promise.race(pending);
    }
    await Promise.all(pending);
  };
  const workerConnections = [];
  const processAll = () => {
    let done = 0;
    const workerConnection = createRedis(config.redis.url);
    workerConnections.push(workerConnection);
    const worker = new Worker(name, async () => null, {
      connection: workerConnection,
      prefix: config.redis.prefix,
      concurrency: CONCURRENCY,
    });
    const finished = new Promise((resolve) =>
      worker.on('completed', () => ++done === N_MESSAGES && resolve()),
    );
    return { worker, finished };
  };
  let t0 = performance.now();
  await addAll('a0');
  record('BullMQ add (200 in flight)', 'raw', N_MESSAGES, seconds(t0));
  const spans = [];
  const cpus = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) await addAll(`a${round}`);
    const cpu0 = process.cpuUsage();
    const w = processAll();
    await w.finished;
    cpus.push(cpuPer(cpu0, N_MESSAGES));
    await w.worker.close();
    spans.push(await processingSpan(queue));
    await queue.clean(0, N_MESSAGES, 'completed');
  }
  record(`BullMQ process no-op (concurrency ${CONCURRENCY})`, 'raw', N_MESSAGES, steady(spans), {
    cpu_us_each: steady(cpus),
    rounds_s: spans.map(rounded),
    rounds_cpu_us: cpus,
  });
  const both = [];
  for (let round = 0; round < ROUNDS; round++) {
    t0 = performance.now();
    const w = processAll();
    await Promise.all([addAll(`b${round}`), w.finished]);
    both.push(seconds(t0));
    await w.worker.close();
    await queue.clean(0, N_MESSAGES, 'completed');
  }
  record('BullMQ add + process in one script', 'raw', N_MESSAGES, steady(both), {
    rounds_s: both.map(rounded),
  });
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  for (const c of workerConnections) c.disconnect();
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

/** A worker of this process on the bench's queue, started. */
async function startWorker(id, concurrency) {
  const worker = new LoopabullWorker({ config, id, concurrency, logger });
  await worker.start();
  return worker;
}

async function loopabull(services) {
  const completed = () => services.work.queue.getCompletedCount();

  // Looper: a backlog in the broker drained into the queue, from the moment it consumes.
  const declare = new Looper({ config, logger });
  await declare.start();
  await declare.stop();
  // Each round a new looper; the last one's jobs stay for the worker, and it runs on.
  let looper;
  let t0;
  let t1;
  const looperSecs = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (looper) {
      await looper.stop();
      await services.work.queue.drain();
    }
    await publish(N_MESSAGES, 'bench.noop', `lb${round}`);
    looper = new Looper({ config, logger });
    // Timed to the last enqueued event, as the raw row is to its last ack: timed to the poll that
    // saw the count, it had up to the poll's interval added to a row that lasts a few hundred ms.
    let enqueued = 0;
    t1 = undefined;
    looper.on('enqueued', () => ++enqueued === N_MESSAGES && (t1 = performance.now()));
    looper.once('consuming', () => (t0 = performance.now()));
    await looper.start();
    await until(() => t1 !== undefined, 'the looper');
    looperSecs.push((t1 - t0) / 1000);
  }
  record('looper: bus -> queue (ack after Redis)', 'loopabull', N_MESSAGES, steady(looperSecs), {
    vs: 'amqplib consume + ack',
    target: 0.9,
    rounds_s: looperSecs.map(rounded),
  });

  // Worker: the queued jobs through the no-op handler. Timed as the raw row is, by the jobs' own
  // stamps from the first start to the last finish: neither worker's start nor how the bench
  // learns that they are done (an event there, a poll of the count here) is in the rate. The
  // first round takes the looper's jobs, the others the same events enqueued as the looper does;
  // the last round's worker runs on.
  let worker;
  const spans = [];
  const cpus = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (worker) {
      await worker.stop();
      await services.work.queue.clean(0, N_MESSAGES, 'completed');
      const again = Array.from({ length: N_MESSAGES }, (_, i) =>
        busEvent(`w${round}-${i}`, 'bench.noop'),
      );
      await enqueueEvents(services.work, again);
    }
    const cpu0 = process.cpuUsage();
    worker = await startWorker('bench', CONCURRENCY);
    await until(async () => (await completed()) >= N_MESSAGES, 'the worker');
    cpus.push(cpuPer(cpu0, N_MESSAGES));
    spans.push(await processingSpan(services.work.queue));
  }
  record(
    `worker: no-op handler (concurrency ${CONCURRENCY})`,
    'loopabull',
    N_MESSAGES,
    steady(spans),
    {
      vs: `BullMQ process no-op (concurrency ${CONCURRENCY})`,
      target: 0.8,
      cpu_us_each: steady(cpus),
      rounds_s: spans.map(rounded),
      rounds_cpu_us: cpus,
    },
  );

  // End to end: published while looper and worker run.
  const e2eSecs = [];
  for (let round = 0; round < ROUNDS; round++) {
    const base = await completed();
    t0 = performance.now();
    await publish(N_MESSAGES, 'bench.noop', `e2e${round}`);
    await until(async () => (await completed()) >= base + N_MESSAGES, 'end to end');
    e2eSecs.push(seconds(t0));
  }
  const e2e = N_MESSAGES / steady(e2eSecs);
  record('end to end: no-op handler', 'loopabull', N_MESSAGES, steady(e2eSecs), {
    vs: 'BullMQ add + process in one script',
    target: 0.6,
    rounds_s: e2eSecs.map(rounded),
  });

  // Latency at 20 % of that rate: publish -> the job started (BullMQ's processedOn).
  const n = QUICK ? 300 : 1000;
  const perTick = Math.max(1, Math.round((0.2 * e2e) / 100));
  const pub = await amqp.connect(config.bus.url);
  const ch = await pub.createConfirmChannel();
  const base = await completed();
  t0 = performance.now();
  for (let i = 0; i < n; i += perTick) {
    for (let j = i; j < Math.min(n, i + perTick); j++)
      ch.publish(
        config.bus.publish_exchange,
        'bench.noop',
        Buffer.from(JSON.stringify({ t: Date.now() })),
        {
          persistent: true,
          messageId: `lat-${j}`,
          contentType: 'application/json',
        },
      );
    await sleep(10);
  }
  await ch.waitForConfirms();
  await pub.close();
  await until(async () => (await completed()) >= base + n, 'the latency jobs');
  const jobs = await services.work.queue.getJobs(['completed'], 0, base + n);
  const lat = jobs
    .filter((j) => j.id.startsWith('lat-'))
    .map((j) => j.processedOn - j.data.body.t)
    .sort((a, b) => a - b);
  record(
    'latency: publish -> job started, at 20 % of the end-to-end rate',
    'loopabull',
    n,
    seconds(t0),
    {
      p50_ms: percentile(lat, 50),
      p95_ms: percentile(lat, 95),
      p99_ms: percentile(lat, 99),
      max_p99_ms: 50,
      met: percentile(lat, 99) < 50,
    },
  );
  await worker.stop();

  // Playbooks through a worker at the raw loop's concurrency, right after the raw loop: a run of
  // ansible-playbook takes a quarter of a second of both cores, and the machine's other load
  // moves it more than anything Loopabull does.
  await rawAnsible();
  const pbWorker = await startWorker('bench-pb', PLAYBOOK_CONCURRENCY);
  const events = await completions(config.redis.url, config.redis.prefix, config.queue.name);
  let finished = events.more(N_PLAYBOOKS);
  t0 = performance.now();
  await publish(N_PLAYBOOKS, 'bench.playbook', 'pb', (i) => Buffer.from(JSON.stringify({ i })));
  await finished;
  const single = `playbook jobs (${PLAYBOOK_CONCURRENCY} at once)`;
  record(single, 'loopabull', N_PLAYBOOKS, seconds(t0), {
    vs: `ansible-playbook loop (${PLAYBOOK_CONCURRENCY} at once)`,
    target: 0.95,
  });
  await pbWorker.stop();

  // Batch mode (ansible.batch: bench.burst, 250 at once) on a burst, against a run per event.
  const burstWorker = await startWorker('bench-burst', 500);
  finished = events.more(N_BURST);
  t0 = performance.now();
  await publish(N_BURST, 'bench.burst', 'burst', (i) => Buffer.from(JSON.stringify({ i })));
  await finished;
  record(
    `batch-mode playbook, burst of ${N_BURST} (250 a run)`,
    'loopabull',
    N_BURST,
    seconds(t0),
    {
      vs: single,
      target: 10,
    },
  );
  await burstWorker.stop();
  await events.close();
  await looper.stop();

  const conn = await amqp.connect(config.bus.url);
  const admin = await conn.createChannel();
  await admin.deleteQueue(config.bus.queue);
  await admin.deleteExchange(config.bus.publish_exchange);
  await conn.close();
}

/** The no-op rate with 1, 2 and 4 `loopabull worker` processes on one queue. */
async function workerProcesses(services) {
  const n = QUICK ? 3000 : 10000;
  const events = (label) =>
    Array.from({ length: n }, (_, i) => busEvent(`${label}-${i}`, 'bench.noop'));
  for (const count of [1, 2, 4]) {
    await services.work.pause();
    const all = events(`p${count}`);
    await enqueueEvents(services.work, all);
    const base = await services.work.queue.getCompletedCount();
    const procs = Array.from({ length: count }, (_, i) =>
      spawnCli(
        ['worker', '--id', `p${count}-${i}`, '--concurrency', String(CONCURRENCY)],
        configPath,
      ),
    );
    await workersReady(services.redis, config.redis.prefix, config.queue.name, count);
    const t0 = performance.now();
    await services.work.resume();
    await until(
      async () => (await services.work.queue.getCompletedCount()) >= base + n,
      `${count} workers`,
    );
    const secs = seconds(t0);
    await Promise.all(procs.map((p) => p.stop()));
    record(
      `worker processes: ${count} (no-op, concurrency ${CONCURRENCY} each)`,
      'loopabull',
      n,
      secs,
      count > 1 ? { vs: `worker processes: 1 (no-op, concurrency ${CONCURRENCY} each)` } : {},
    );
  }
}

let failed = false;
try {
  if (!MEMORY_ONLY) {
    await rawAmqp();
    const services = queueServices(config, createRedis(config.redis.url));
    await rawBull(services.work);
    await loopabull(services);
    await workerProcesses(services);
    await services.work.queue.obliterate({ force: true });
    await services.close();
  }
  await hardwareRows(ctx);
  if (!MEMORY_ONLY) await machinesRows(ctx);
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await publisher?.close();
  redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}

const byName = Object.fromEntries(results.map((r) => [r.name, r]));
for (const r of results)
  if (r.vs) {
    r.ratio = Number((r.rate_per_s / byName[r.vs].rate_per_s).toFixed(3));
    if (r.target !== undefined) r.met = r.ratio >= r.target;
  }
const out = {
  when: new Date().toISOString(),
  node: process.version,
  quick: QUICK,
  memory_only: MEMORY_ONLY,
  messages: N_MESSAGES,
  playbooks: N_PLAYBOOKS,
  results,
};
writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.table(
  results.map((r) => ({
    name: r.name,
    'per s': r.rate_per_s ?? '',
    value: r.value !== undefined ? `${r.value} ${r.unit}` : '',
    ratio: r.ratio ?? '',
    target:
      r.target !== undefined
        ? `>= ${r.target}`
        : r.max !== undefined
          ? `< ${r.max}`
          : r.max_p99_ms
            ? `p99 < ${r.max_p99_ms} ms`
            : '',
    met: r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    'cpu µs': r.cpu_us_each ?? '',
    p50_ms: r.p50_ms ?? '',
    p95_ms: r.p95_ms ?? '',
    p99_ms: r.p99_ms ?? '',
  })),
);
if (failed) process.exit(1);
if (MEMORY_ONLY) process.exit(0);

// GET /gettac, which adds its own entry to results.json.
const gettac = spawn(
  process.execPath,
  [new URL('./gettac.mjs', import.meta.url).pathname, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
gettac.on('exit', (code) => process.exit(code ?? 1));
