// The hardware last-seen rows: Loopabull's durable pipeline against the releng-hardware PoC's
// direct consumer, and `/machines` against the PoC's server. On the bench's private Redis and
// RabbitMQ vhost: the keys and exchange names are the real, global ones.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { MachineStore } from '@loopabull/hardware';
import {
  consuming,
  freePort,
  median,
  privateVhost,
  publishMany,
  seconds,
  sleep,
  spawnCli,
  until,
  workersReady,
} from './lib.mjs';

const EXCHANGE = 'exchange/taskcluster-queue/v1/task-completed';
const PLAYBOOKS = new URL('../playbooks', import.meta.url).pathname;
const here = (file) => new URL(file, import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';
/** The PoC's listen_to_pulse.py as it was: the hardware row's second comparator. */
const POC_LISTENER = here('./poc-listener.py');
/** The PoC's webserver.py as it was (the comparator), and the same design in Node. */
const POC_SERVERS = {
  flask: [PYTHON, here('./poc-server.py')],
  node: [process.execPath, here('./poc-server.mjs')],
};

/** Fails early, with the fix, when the Flask comparator cannot run. */
export function checkFlask() {
  const r = spawnSync(PYTHON, ['-c', 'import flask, kombu, redis']);
  if (r.status !== 0)
    throw new Error(
      "bench: the PoC comparators need Debian's python3-flask, python3-kombu and python3-redis " +
        '(bash scripts/bootstrap.sh installs them)',
    );
}

/** A task-completed message of a releng-hardware worker, as the Taskcluster queue sends it. */
function taskMessage(i, machines) {
  const taskId = `T${String(i).padStart(21, '0')}`;
  const workerId = `t-mojave-r7-${i % machines}`;
  const resolved = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const run = { runId: 0, state: 'completed', resolved, workerGroup: 'mdc2', workerId };
  const payload = {
    runId: 0,
    status: {
      provisionerId: 'releng-hardware',
      runs: [run],
      state: 'completed',
      taskId,
      workerType: 'gecko-t-osx-1014',
    },
    version: 1,
    workerGroup: 'mdc2',
    workerId,
  };
  const routingKey = `primary.${taskId}.0.mdc2.${workerId}.releng-hardware.gecko-t-osx-1014.gecko-level-3.G.`;
  return [routingKey, Buffer.from(JSON.stringify(payload)), { contentType: 'application/json' }];
}

/**
 * The direct-consumer ceiling the issue names: the PoC's design (one consumer on a non-durable
 * queue, an HSET and an ack per message, no dedupe, history or retry) in Node, with up to the
 * prefetch's 100 messages in flight, which the PoC's synchronous callback never had.
 */
async function directConsumer(vhostUrl, redisUrl, n, machines) {
  const redis = new Redis(redisUrl);
  const conn = await amqp.connect(vhostUrl);
  const ch = await conn.createChannel();
  await ch.assertExchange(EXCHANGE, 'topic', { durable: true });
  const { queue } = await ch.assertQueue('', { exclusive: true, durable: false });
  await ch.bindQueue(queue, EXCHANGE, 'primary.#');
  await ch.prefetch(100);
  let done = 0;
  const finished = new Promise((resolve) => {
    void ch.consume(queue, async (m) => {
      const p = JSON.parse(m.content.toString());
      const run = p.status.runs[p.runId];
      await redis.hset('machines', `${p.workerGroup}:${p.workerId}`, run.resolved);
      ch.ack(m);
      if (++done === n) resolve();
    });
  });
  const t0 = performance.now();
  await publishMany(vhostUrl, EXCHANGE, n, (i) => taskMessage(i, machines));
  await finished;
  const secs = seconds(t0);
  await conn.close();
  await redis.flushdb();
  redis.disconnect();
  return secs;
}

/** The PoC's own listener (bench/poc-listener.py), from the first publish to its last ack. */
async function pocListener(vhostUrl, redisUrl, n, machines) {
  const queue = 'poc-listener';
  // Pulse's exchanges exist before any listener: the PoC declares them passively.
  const conn = await amqp.connect(vhostUrl);
  await (await conn.createChannel()).assertExchange(EXCHANGE, 'topic', { durable: true });
  await conn.close();
  const child = spawn(PYTHON, [POC_LISTENER, vhostUrl, redisUrl, EXCHANGE, queue, String(n)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`bench: the PoC listener exited with ${code}`)),
    ),
  );
  // Awaited below; a listener that dies first must fail the bench, which then cleans up.
  exited.catch(() => undefined);
  try {
    await Promise.race([
      until(() => consuming(vhostUrl, queue), 'the PoC listener to consume'),
      exited,
    ]);
    const t0 = performance.now();
    await publishMany(vhostUrl, EXCHANGE, n, (i) => taskMessage(i, machines));
    await exited;
    return seconds(t0);
  } finally {
    child.kill('SIGTERM');
    const redis = new Redis(redisUrl);
    await redis.flushdb();
    redis.disconnect();
  }
}

/** `loopabull looper` and `loopabull worker` processes on the shipped batch handlers. */
async function loopabullPipeline(ctx, vhostUrl, n, machines) {
  const configPath = join(ctx.dir, 'hardware.yml');
  writeFileSync(
    configPath,
    `loglevel: warn
redis: { url: ${ctx.redisUrl}, prefix: bench-hw-${ctx.id} }
queue: { name: hw-${ctx.id} }
bus:
  url: ${vhostUrl}
  preset: pulse
  queue: bench-hw-${ctx.id}
  declare_exchanges: true
  prefetch: 500
  bindings: [{ exchange: ${EXCHANGE}, routing_key: 'primary.#' }]
ansible: { playbooks_dir: ${PLAYBOOKS} }
workers: { concurrency: 200 }
hardware: { enabled: true, provisioner: releng-hardware }
slavealloc: { enabled: false }
taskotron: { enabled: false }
`,
  );
  const redis = new Redis(ctx.redisUrl);
  const looper = spawnCli(['looper'], configPath);
  const worker = spawnCli(['worker', '--id', 'hw'], configPath);
  try {
    await until(() => consuming(vhostUrl, `bench-hw-${ctx.id}`), 'the looper to consume');
    const completedKey = `bench-hw-${ctx.id}:hw-${ctx.id}:completed`;
    await workersReady(redis, `bench-hw-${ctx.id}`, `hw-${ctx.id}`, 1);
    const t0 = performance.now();
    await publishMany(vhostUrl, EXCHANGE, n, (i) => taskMessage(i, machines));
    await until(async () => (await redis.zcard(completedKey)) >= n, 'the hardware jobs');
    const secs = seconds(t0);
    const stored = await redis.hlen('machines');
    if (stored !== machines) throw new Error(`bench: ${stored} machines stored, not ${machines}`);
    return { secs, looperMb: looper.peakRssMb(), workerMb: worker.peakRssMb() };
  } finally {
    await Promise.all([looper.stop(), worker.stop()]);
    await redis.flushdb();
    redis.disconnect();
  }
}

export async function hardwareRows(ctx) {
  const n = ctx.quick ? 5000 : 20000;
  const machines = 1000;
  const vhost = await privateVhost(ctx.id);
  try {
    const poc = "the PoC's listener: kombu consume + HSET + ack, one at a time (non-durable)";
    const direct = 'direct consumer: amqplib consume + HSET + ack, 100 in flight (non-durable)';
    ctx.record(poc, 'raw', n, await pocListener(vhost.url, ctx.redisUrl, n, machines));
    ctx.record(direct, 'raw', n, await directConsumer(vhost.url, ctx.redisUrl, n, machines));
    const lb = await loopabullPipeline(ctx, vhost.url, n, machines);
    const row = 'hardware last-seen end to end (durable, batched)';
    ctx.record(row, 'loopabull', n, lb.secs, { vs: direct, target: 1.5 });
    ctx.record(`${row}, against the PoC's listener`, 'loopabull', n, lb.secs, { vs: poc });
    ctx.measure('looper resident memory (peak, hardware run)', lb.looperMb, 'MB', { max: 120 });
    ctx.measure('worker resident memory (peak, hardware run)', lb.workerMb, 'MB', { max: 150 });
  } finally {
    await vhost.remove();
  }
}

/** The PoC's server (Flask, or its Node rewrite) or `loopabull serve`, answering on `port`. */
async function startServer(kind, ctx, port) {
  let child;
  if (kind === 'loopabull') {
    const configPath = join(ctx.dir, `serve-${port}.yml`);
    writeFileSync(
      configPath,
      `loglevel: warn
redis: { url: ${ctx.redisUrl}, prefix: bench-srv-${ctx.id} }
http: { port: ${port} }
hardware: { enabled: true }
slavealloc: { enabled: false }
taskotron: { enabled: false }
`,
    );
    child = spawnCli(['serve'], configPath);
  } else {
    const [command, script] = POC_SERVERS[kind];
    child = spawn(command, [script, String(port), ctx.redisUrl], { stdio: 'ignore' });
  }
  for (let i = 0; ; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/machines/x:y`).catch(() => null))?.status === 404)
      break;
    if (i > 300) throw new Error(`bench: the ${kind} server did not start`);
    await sleep(50);
  }
  return () => (kind === 'loopabull' ? child.stop() : child.kill('SIGTERM'));
}

async function load(port, path, duration) {
  let n = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 10,
    duration,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path(n++) }) }],
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`bench: ${path(0)} answered errors`);
  return { rate: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 };
}

export async function machinesRows(ctx) {
  const duration = ctx.quick ? 3 : 10;
  const redis = new Redis(ctx.redisUrl);
  const ports = { loopabull: await freePort(), flask: await freePort(), node: await freePort() };
  const stops = [];
  for (const [kind, port] of Object.entries(ports)) stops.push(await startServer(kind, ctx, port));
  const lbPort = ports.loopabull;
  try {
    for (const size of [5000, 10000]) {
      await redis.del('machines');
      const entries = Array.from({ length: size }, (_, i) => ({
        machine: `t-linux64-ms-${i}`,
        datacenter: `mdc${i % 2}`,
        lastseen: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().slice(0, 23) + '000',
      }));
      await new MachineStore(redis).preload(entries);
      const one = (i) => `/machines/mdc${i % 2}:t-linux64-ms-${i % size}`;
      for (const [label, path] of [
        [`GET /machines (${size} machines)`, () => '/machines'],
        [`GET /machines/<id> (${size} machines)`, one],
      ]) {
        const flask = await load(ports.flask, path, duration);
        const node = await load(ports.node, path, duration);
        const lb = await load(lbPort, path, duration);
        const latency = (r) => ({ p50_ms: r.p50, p99_ms: r.p99 });
        ctx.rate(`PoC server (Flask) ${label}`, 'raw', flask.rate, latency(flask));
        ctx.rate(`PoC design in Node ${label}`, 'raw', node.rate, latency(node));
        ctx.rate(label, 'loopabull', lb.rate, {
          vs: `PoC server (Flask) ${label}`,
          target: 10,
          ...latency(lb),
        });
        ctx.rate(`${label}, against the Node rewrite`, 'loopabull', lb.rate, {
          vs: `PoC design in Node ${label}`,
        });
      }
      // One request at a time: the time to answer, the whole body received.
      const times = [];
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        await (await fetch(`http://127.0.0.1:${lbPort}/machines`)).arrayBuffer();
        times.push(performance.now() - t0);
      }
      ctx.measure(
        `GET /machines (${size} machines), one client: median time`,
        median(times),
        'ms',
        { max: 10 },
      );
    }
  } finally {
    for (const stop of stops) await stop();
    await redis.flushdb();
    redis.disconnect();
  }
}
