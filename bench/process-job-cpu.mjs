// `node bench/process-job-cpu.mjs [JOBS]` (after `npm run build`): the worker's own CPU per
// no-op job, without Redis or BullMQ. Calls the worker's `processJob` (what a LoopabullWorker
// runs for each job BullMQ hands it) for JOBS jobs (200,000 by default), 50 at once as the bench's
// worker row runs them, on a `.mjs` handler returning null; Redis is a stand-in that answers at
// once. Twelve rounds, the first two to warm up; prints the lowest and the median CPU per job.
// `HEAP=file.heapprofile` also writes a sampling heap profile of two rounds that counts the
// objects garbage collection took too (DevTools opens it): what a job leaves to collect.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counters, createLogger, loadConfig } from '@loopabull/core';
import { JobLogs } from '../packages/worker/dist/job-logs.js';
import { processJob } from '../packages/worker/dist/process-job.js';
import { percentile, sleep } from './lib.mjs';

const JOBS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 12;
const WARMUP = 2;
const CONCURRENCY = 50;

const dir = mkdtempSync(join(tmpdir(), 'loopabull-bench-job-'));
try {
  writeFileSync(join(dir, 'bench.noop.mjs'), 'export default () => null;\n');
  writeFileSync(join(dir, 'loopabull.yml'), `loglevel: warn\nansible: { playbooks_dir: ${dir} }\n`);
  // A directory changed within the last second is listed again for every job (resolve.ts): the
  // worker's playbooks directory has long settled.
  await sleep(1100);
  const config = loadConfig({ path: join(dir, 'loopabull.yml'), env: {} });
  const answered = async () => 1;
  const redis = {
    evalsha: answered,
    eval: answered,
    multi() {
      const tx = { hincrby: () => tx, hincrbyfloat: () => tx, exec: async () => [] };
      return tx;
    },
  };
  const services = {
    config,
    logger: createLogger('bench', 'warn'),
    workerId: 'bench',
    redis,
    counters: new Counters(redis, { counters: 'c', durations: 'd', labels: 'l' }),
    work: { recordUnrouted: answered, noteFailure: answered },
    logs: new JobLogs(redis, (id) => `bull:bench:${id}`),
    automation: () => null,
    automationBatch: () => null,
    publish: answered,
  };
  /** A job as BullMQ hands one over, as far as processJob reads it. */
  const job = (k) => ({
    id: `job-${k}`,
    data: { id: `event-${k}`, topic: 'bench.noop', body: { k }, headers: {} },
    attemptsMade: 0,
    stalledCounter: 0,
    failedReason: undefined,
    opts: {},
  });

  const session = new Session();
  session.connect();
  const perJob = [];
  for (let round = 0; round < ROUNDS; round++) {
    const heap = process.env.HEAP && round === ROUNDS - 2;
    if (heap)
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 256,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    let next = 0;
    const from = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < JOBS) await processJob(services, job(next++));
      }),
    );
    const { user, system } = process.cpuUsage(from);
    if (round >= WARMUP) perJob.push((user + system) / JOBS);
  }
  if (process.env.HEAP) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(process.env.HEAP, JSON.stringify(profile));
  }
  session.disconnect();
  perJob.sort((a, b) => a - b);
  console.log(
    `processJob: ${perJob[0].toFixed(2)} µs of CPU a job at the lowest, ${percentile(perJob, 50).toFixed(2)} the median (${ROUNDS - WARMUP} rounds of ${JOBS})`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
