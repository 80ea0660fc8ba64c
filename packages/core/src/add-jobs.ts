import { readFileSync } from 'node:fs';
import { optsEncodeMap, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { LuaScript } from './lua-script.js';

/**
 * Many standard jobs in one script call, in BullMQ's own layout. BullMQ's `addBulk` runs its
 * `addStandardJob` script once per job, and building each call (a Job object, msgpack, nine key
 * names) cost the looper about 60 µs of CPU and Redis about 25 µs per message; this costs about
 * 10 and 11 (docs/benchmarks.md). What lands in Redis is what `addStandardJob` writes for these
 * jobs, so BullMQ's workers, queue and events read them as their own: add-jobs.int.test.ts adds
 * the same jobs both ways and compares every key, which is what catches a BullMQ upgrade that
 * changes the layout (bullmq is pinned to an exact version for that reason).
 */
const SCRIPT = new LuaScript(
  // `lua/` sits beside both `src/` and `dist/`, so the tests and the build read the same file.
  readFileSync(new URL('../lua/add-jobs.lua', import.meta.url), 'utf8'),
);

export interface NewJob {
  id: string;
  name: string;
  /** The job's data, as JSON. */
  data: string;
}

/**
 * Job options as BullMQ stores them (its short names for some), with each job's id put in
 * front: the options every job of a queue shares are serialized once.
 */
export class JobOptionsJson {
  private readonly rest: string;
  constructor(shared: Omit<JobsOptions, 'jobId'>) {
    const names: Record<string, string> = optsEncodeMap;
    const stored = Object.fromEntries(
      Object.entries(shared)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => [names[name] ?? name, value]),
    );
    const json = JSON.stringify(stored);
    this.rest = json === '{}' ? '}' : ',' + json.slice(1);
  }
  for(jobId: string): string {
    return `{"jobId":${JSON.stringify(jobId)}${this.rest}`;
  }
}

/**
 * Adds the jobs, in order, in one atomic call; a job whose id exists is left as it is. Resolves
 * with whether each was new (false: its id was already there).
 */
export async function addJobs(
  redis: Redis,
  queue: Queue,
  opts: JobOptionsJson,
  jobs: readonly NewJob[],
): Promise<boolean[]> {
  const k = queue.keys;
  const args: Array<string | number> = [queue.toKey(''), Date.now()];
  for (const job of jobs) args.push(job.id, job.name, job.data, opts.for(job.id));
  const keys = [k.wait!, k.meta!, k.id!, k.active!, k.events!, k.marker!];
  return ((await SCRIPT.run(redis, keys, args)) as number[]).map((added) => added === 1);
}
