/**
 * What `loopabull taskotron replay` runs: imported by its action only (cli-replay.ts), as it
 * loads Redis, the bus and the job log's database, which the command's definition and `--help`
 * need not (docs/benchmarks.md, "CLI start-up").
 */
import { randomUUID } from 'node:crypto';
import {
  BusPublisher,
  closeRedis,
  connectRedisOnce,
  createLogger,
  parseReplay,
  readCommandFile,
  commandFileName,
  type Config,
} from '@loopabull/core';
import {
  messageLine,
  replayRange,
  unfinished,
  type ReplayLine,
  type ReplayOpts,
} from './replay-lines.js';
import { withJobLog, type JobLog, type LoggedJob } from './job-log.js';
import { readCritpath } from './critpath-file.js';
import { readRules } from './rules-file.js';
import { commandSettings, taskotronSettings } from './section.js';
import { schedule, schedulingSettings, scheduleJob, type SchedulingContext } from './trigger.js';

/** Redis and the bus, as the trigger uses them in a worker. */
async function withScheduling<T>(
  config: Config,
  use: (ctx: SchedulingContext) => Promise<T>,
): Promise<T> {
  const publisher = new BusPublisher(config);
  let redis: Awaited<ReturnType<typeof connectRedisOnce>> | undefined;
  const interrupt = interruptSignal();
  try {
    redis = await connectRedisOnce(config.redis.url);
    const ctx: SchedulingContext = {
      config,
      redis,
      publish: async (topic, body) => void (await publisher.publish(topic, body)),
      log: async () => {},
      signal: interrupt.signal,
    };
    return await use(ctx);
  } finally {
    interrupt.dispose();
    if (redis) closeRedis(redis);
    await publisher.close();
  }
}

/** The job log, read only on a dry run (which neither makes nor migrates its database). */
const withLog = <T>(config: Config, opts: ReplayOpts, use: (jobLog: JobLog) => Promise<T>) =>
  withJobLog(config, createLogger('taskotron', config.loglevel), use, {
    readOnly: opts.dryRun === true,
  });

/**
 * What a dry run of saved messages is given for a job log: it asks Redis whether each job is a
 * duplicate and records nothing, so it needs no database, even one not made yet.
 */
const UNWRITTEN: Pick<JobLog, 'scheduled' | 'forget'> = {
  scheduled: () => Promise.reject(new Error('a dry run records no job')),
  forget: () => Promise.resolve(),
};

/**
 * A signal aborted on SIGINT or SIGTERM, which then ends the process as the signal would have.
 * A `discover` rule runs git in its own process group (git.ts), which the terminal's Ctrl-C does
 * not reach: aborting kills it (synchronously), or it would outlive the command, for ever on a
 * remote that never answers.
 */
function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    dispose();
    controller.abort(new Error(`interrupted (${sig})`));
    process.kill(process.pid, sig);
  };
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { signal: controller.signal, dispose };
}

export async function replayMessages(
  config: Config,
  files: string[],
  opts: ReplayOpts,
): Promise<ReplayLine[]> {
  const env = commandSettings(config);
  const { rules } = readRules(env);
  const { packages } = readCritpath(env);
  const messages = files.flatMap((file) =>
    parseReplay(readCommandFile(file), commandFileName(file)),
  );
  const replay = (jobLog: Pick<JobLog, 'scheduled' | 'forget'>) =>
    withScheduling(config, async (ctx) => {
      const lines: ReplayLine[] = [];
      const options = {
        rules: () => rules,
        critpathPkgs: () => packages,
        ...schedulingSettings(env),
        jobLog,
        ...opts,
      };
      for (const m of messages) {
        const result = await schedule({ topic: m.topic, id: m.id, body: m.body }, ctx, options);
        lines.push(messageLine(m.id, m.topic, result, opts.dryRun === true));
      }
      return lines;
    });
  return opts.dryRun ? replay(UNWRITTEN) : withLog(config, opts, replay);
}

export async function replayJobLog(config: Config, opts: ReplayOpts): Promise<ReplayLine[]> {
  const { since, until } = replayRange({ since: opts.since!, until: opts.until }, new Date());
  const { dedup_window } = taskotronSettings(config);
  return withLog(config, opts, (jobLog) =>
    withScheduling(config, async (ctx) => {
      const logged = (await jobLog.between(since, until)).filter(
        (j) => !opts.unfinished || unfinished(j),
      );
      const lines: ReplayLine[] = [];
      for (const old of logged) {
        const job = { ...jobOf(old), uuid: randomUUID() };
        const options = { dedupWindow: dedup_window, jobLog, ...opts };
        const outcome = await scheduleJob(job, old.trigger, ctx, options);
        const task = `${old.taskname}/${old.arch} of ${old.item}${old.parked_at ? ', parked' : ''}`;
        const scheduled = outcome === 'scheduled';
        const did = opts.dryRun ? 'would be scheduled again' : `scheduled again as ${job.uuid}`;
        lines.push({
          from: old.uuid,
          what: `job ${old.uuid} (${task}): ${scheduled ? did : 'already scheduled within the window'}`,
          scheduled: Number(scheduled),
          duplicates: Number(!scheduled),
          skipped: false,
        });
      }
      return lines;
    }),
  );
}

const jobOf = (j: LoggedJob) => ({
  item: j.item,
  item_type: j.item_type,
  taskname: j.taskname,
  arch: j.arch,
  // A discovered check runs again from its repository, branch and commit.
  ...(j.git_repo === undefined ? {} : { git_repo: j.git_repo }),
  ...(j.git_branch === undefined ? {} : { git_branch: j.git_branch }),
  ...(j.git_commit === undefined ? {} : { git_commit: j.git_commit }),
});
