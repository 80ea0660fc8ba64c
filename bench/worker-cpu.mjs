// `node bench/worker-cpu.mjs [JOBS] [ROUNDS]` (after `npm run build`): the worker's CPU per no-op
// job beside BullMQ's own no-op worker, in this process on a private redis-server, rounds of
// the two alternating so that the machine's noise falls on both. Each round enqueues JOBS
// (3,000 by default) jobs as the looper does, then times one worker (concurrency 50) through
// them: this process's CPU (process.cpuUsage, every thread) per job, and the jobs' own stamps
// from the first start to the last finish. Prints the median of the rounds after the first two.
// `--cpu-prof` on the node command line profiles the lot (`--cpu-prof-dir` to choose where).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { createLogger, createRedis, loadConfig, WorkQueue } from '@loopabull/core';
import { LoopabullWorker } from '@loopabull/worker';
import { benchEvent, enqueueEvents, median, privateRedis, processingSpan, until } from './lib.mjs';

const JOBS = Number(process.argv[2] ?? 3000);
const ROUNDS = Number(process.argv[3] ?? 8);
const WARMUP = 2;
const CONCURRENCY = 50;

const dir = mkdtempSync(join(tmpdir(), 'loopabull-bench-worker-'));
const redisServer = await privateRedis();
try {
  writeFileSync(join(dir, 'bench.noop.mjs'), 'export default () => null;\n');
  const configPath = join(dir, 'loopabull.yml');
  writeFileSync(
    configPath,
    `loglevel: warn\nredis: { url: ${redisServer.url}, prefix: bench-worker }\nqueue: { name: bench-worker }\nansible: { playbooks_dir: ${dir} }\n`,
  );
  const config = loadConfig({ path: configPath, env: {} });
  const redis = createRedis(redisServer.url);
  const work = new WorkQueue(config, redis);
  const logger = createLogger('bench', 'warn');

  const fill = (label) =>
    enqueueEvents(
      work,
      Array.from({ length: JOBS }, (_, i) => benchEvent(`${label}-${i}`, 'bench.noop', { i })),
    );
  const completed = () => work.queue.getCompletedCount();

  const kinds = {
    async bullmq() {
      const connection = createRedis(redisServer.url);
      let done = 0;
      let finished;
      const all = new Promise((r) => (finished = r));
      const worker = new Worker(config.queue.name, async () => null, {
        connection,
        prefix: config.redis.prefix,
        concurrency: CONCURRENCY,
      });
      worker.on('completed', () => ++done === JOBS && finished());
      await all;
      await worker.close();
      connection.disconnect();
    },
    async loopabull() {
      const worker = new LoopabullWorker({ config, id: 'bench', concurrency: CONCURRENCY, logger });
      await worker.start();
      await until(async () => (await completed()) >= JOBS, 'the worker');
      await worker.stop();
    },
  };
  // BENCH_ONLY=bullmq or loopabull runs the one, for a profile of it alone.
  if (process.env.BENCH_ONLY)
    for (const name of Object.keys(kinds)) if (name !== process.env.BENCH_ONLY) delete kinds[name];
  const cpu = { bullmq: [], loopabull: [] };
  const secs = { bullmq: [], loopabull: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, once] of Object.entries(kinds)) {
      await fill(`${name}${round}`);
      const from = process.cpuUsage();
      await once();
      const { user, system } = process.cpuUsage(from);
      if (round >= WARMUP) {
        cpu[name].push((user + system) / JOBS);
        secs[name].push(await processingSpan(work.queue));
      }
      await work.queue.clean(0, JOBS, 'completed');
    }
  }
  for (const name of Object.keys(kinds))
    console.log(
      `${name}: ${median(cpu[name]).toFixed(1)} µs of CPU a job, ${Math.round(JOBS / median(secs[name]))} jobs/s (median of ${ROUNDS - WARMUP} rounds of ${JOBS})`,
    );
  if (!process.env.BENCH_ONLY)
    console.log(
      `ratio: ${(median(cpu.bullmq) / median(cpu.loopabull)).toFixed(2)} by CPU, ${(median(secs.bullmq) / median(secs.loopabull)).toFixed(2)} by rate`,
    );
  await work.close();
  redis.disconnect();
} finally {
  redisServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
