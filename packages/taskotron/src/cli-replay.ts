import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import {
  BusPublisher,
  closeRedis,
  configOption,
  ConfigError,
  connectRedisOnce,
  createLogger,
  parseDuration,
  parseReplay,
  readCommandFile,
  printJson,
  resolveFrom,
  type CommandEnv,
  type Config,
  counted,
} from '@loopabull/core';
import { withJobLog, type JobLog, type LoggedJob } from './job-log.js';
import { readCritpath } from './critpath-file.js';
import { readRules } from './rules-file.js';
import { taskotronSettings } from './section.js';
import {
  schedule,
  schedulingSettings,
  scheduleJob,
  type Replaying,
  type SchedulingContext,
  type TriggerResult,
} from './trigger.js';

/** A date and time without `Z` or an offset, which JavaScript would read as local time. */
const NO_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i;

/**
 * `--since` / `--until`: an ISO 8601 time, or a duration before `now` (`90m`, `2d`). A time
 * without an offset is UTC, as the job log and `loopabull jobs` show times, whatever the
 * machine's time zone.
 */
export function parseWhen(text: string, now: Date, option: string): string {
  const ago = parseDuration(text);
  if (ago !== null) {
    const at = new Date(now.getTime() - ago * 1000);
    // A Date holds about 270,000 years either side of 1970.
    if (Number.isNaN(at.getTime()))
      throw new ConfigError(`${option} ${JSON.stringify(text)}: too long ago to be a time`);
    return at.toISOString();
  }
  const utc = NO_ZONE.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  const t = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(utc) : NaN;
  if (Number.isNaN(t))
    throw new ConfigError(
      `${option} ${JSON.stringify(text)}: expected an ISO 8601 time, or how long ago (90m, 2d)`,
    );
  return new Date(t).toISOString();
}

/** One line of what a replay did (or, dry, would do) with one message or one logged job. */
export interface ReplayLine {
  /** The message id, or the uuid of the logged job replayed. */
  from: string;
  what: string;
  scheduled: number;
  duplicates: number;
  skipped: boolean;
}

/** Where a discovered check comes from, for a line. */
const from = (j: { git_repo?: string; git_branch?: string }) =>
  j.git_repo === undefined ? '' : ` from ${j.git_repo} ${j.git_branch}`;

export function messageLine(id: string, topic: string, r: TriggerResult, dry: boolean): ReplayLine {
  const verb = dry ? 'would schedule' : 'scheduled';
  const parts = r.skipped
    ? [`skipped: ${r.skipped}`]
    : [
        `${r.message_type} ${r.item}`,
        ...r.scheduled.map(
          (j) => `${verb} ${j.taskname}/${j.arch}${from(j)}${dry ? '' : ` as ${j.uuid}`}`,
        ),
        ...r.duplicates.map((d) => `${d.taskname}/${d.arch} already scheduled within the window`),
        ...(r.scheduled.length + r.duplicates.length ? [] : ['no rule schedules anything']),
        ...r.errors.map((e) => `rule ${e.rule}: ${e.error}`),
        ...r.dropped.map((d) => `rule ${d.rule}: not scheduled: ${d.reason}`),
        ...r.discover_failed.map(
          (f) => `rule ${f.rule}: no checks discovered in ${f.repo} (${f.branch}): ${f.reason}`,
        ),
      ];
  return {
    from: id,
    what: `message ${id} (${topic}): ${parts.join('; ')}`,
    scheduled: r.scheduled.length,
    duplicates: r.duplicates.length,
    skipped: r.skipped !== undefined,
  };
}

/** The closing line: counts, and what to do about duplicates. */
export function replaySummary(lines: readonly ReplayLine[], source: string, dry: boolean): string {
  const sum = (f: (l: ReplayLine) => number) => lines.reduce((n, l) => n + f(l), 0);
  const scheduled = sum((l) => l.scheduled);
  const duplicates = sum((l) => l.duplicates);
  const skipped = sum((l) => Number(l.skipped));
  return (
    `${dry ? 'dry run: ' : ''}${counted(lines.length, source)}: ` +
    `${counted(scheduled, 'job')} ${dry ? 'would be ' : ''}scheduled, ` +
    `${counted(duplicates, 'duplicate')} within the window` +
    (duplicates ? ' (--force schedules them)' : '') +
    (skipped ? `, ${skipped} skipped` : '') +
    (dry ? '; nothing was scheduled' : '')
  );
}

interface ReplayOpts extends Replaying {
  config?: string;
  since?: string;
  until?: string;
  unfinished?: boolean;
  json?: boolean;
}

/** Redis, the bus and the job log, as the trigger uses them in a worker. */
async function withScheduling<T>(
  config: Config,
  use: (ctx: SchedulingContext, jobLog: JobLog) => Promise<T>,
): Promise<T> {
  return withJobLog(config, createLogger('taskotron', config.loglevel), async (jobLog) => {
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
      return await use(ctx, jobLog);
    } finally {
      interrupt.dispose();
      if (redis) closeRedis(redis);
      await publisher.close();
    }
  });
}

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

async function replayMessages(
  config: Config,
  files: string[],
  opts: ReplayOpts,
): Promise<ReplayLine[]> {
  const section = taskotronSettings(config);
  const env = { section, resolvePath: (p: string) => resolveFrom(config.dir, p) };
  const { rules } = readRules(env);
  const { packages } = readCritpath(env);
  const messages = files.flatMap((file) =>
    parseReplay(readCommandFile(file), file === '-' ? 'standard input' : file),
  );
  return withScheduling(config, async (ctx, jobLog) => {
    const lines: ReplayLine[] = [];
    for (const m of messages) {
      const options = {
        rules: () => rules,
        critpathPkgs: () => packages,
        ...schedulingSettings(section),
        jobLog,
        ...opts,
      };
      const result = await schedule({ topic: m.topic, id: m.id, body: m.body }, ctx, options);
      lines.push(messageLine(m.id, m.topic, result, opts.dryRun === true));
    }
    return lines;
  });
}

async function replayJobLog(config: Config, opts: ReplayOpts): Promise<ReplayLine[]> {
  const now = new Date();
  const since = parseWhen(opts.since!, now, '--since');
  const until =
    opts.until === undefined ? now.toISOString() : parseWhen(opts.until, now, '--until');
  const { dedup_window } = taskotronSettings(config);
  return withScheduling(config, async (ctx, jobLog) => {
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
  });
}

/**
 * What `--unfinished` replays: a job the runner never ended (lost, or still running), and one
 * the queue parked (its last try failed: its check never reported). A check that ran and ended
 * NOT_OK is finished: running it again would say the same.
 */
export const unfinished = (j: LoggedJob): boolean => j.finished_at === null || j.parked_at !== null;

const jobOf = (j: LoggedJob) => ({
  item: j.item,
  item_type: j.item_type,
  taskname: j.taskname,
  arch: j.arch,
  // A discovered check runs again from its repository and branch.
  ...(j.git_repo === undefined ? {} : { git_repo: j.git_repo }),
  ...(j.git_branch === undefined ? {} : { git_branch: j.git_branch }),
});

/** `loopabull taskotron replay`: re-trigger from saved messages or from the job log. */
export function replayCommand(env: CommandEnv): Command {
  return configOption(new Command('replay'))
    .description(
      'schedule checks again: from saved Fedora messages, or the job log over a time range',
    )
    .argument('[files...]', 'saved messages (JSON: one, a list, or one per line; - for stdin)')
    .option(
      '--since <time>',
      'replay the jobs the job log holds from this time (ISO 8601, UTC unless it has an offset; or how long ago: 90m, 2h, 2d)',
    )
    .option('--until <time>', 'with --since: up to this time, excluded (default: now)')
    .option(
      '--unfinished',
      'with --since: only jobs that never finished, and those the queue parked (their last try failed)',
    )
    .option('--force', 'schedule also what was scheduled within taskotron.dedup_window')
    .option('--dry-run', 'say what would be scheduled, schedule nothing')
    .addOption(new Option('--json', 'print {lines, summary} as JSON'))
    .addHelpText(
      'after',
      `
From files: each message ({topic, id, body} as fedora-messaging serializes it, or
{topic, msg_id, msg} as fedmsg and datagrepper give it; a page of datagrepper's /raw too) runs
through the trigger rules in this process, as a worker would run it, and each wanted check is
published as a new taskotron.job and logged; a Koji tag change schedules at once, without its
fuse.
From the job log (--since): each logged job is published again with a new uuid and the trigger
of the original, so lost or failed runs happen again.
Either way a check scheduled within taskotron.dedup_window is a duplicate and left alone unless
--force is given.`,
    )
    .action(async (files: string[], opts: ReplayOpts) => {
      if (files.length === 0 && opts.since === undefined)
        throw new ConfigError('give message files or --since');
      if (files.length > 0 && opts.since !== undefined)
        throw new ConfigError('give message files or --since, not both');
      if (opts.since === undefined && (opts.until !== undefined || opts.unfinished))
        throw new ConfigError('--until and --unfinished go with --since');
      const config = env.loadConfig(opts);
      const lines = files.length
        ? await replayMessages(config, files, opts)
        : await replayJobLog(config, opts);
      const summary = replaySummary(
        lines,
        files.length ? 'message' : 'logged job',
        opts.dryRun === true,
      );
      if (opts.json) return printJson((t) => process.stdout.write(t), { lines, summary });
      process.stdout.write([...lines.map((l) => l.what), summary, ''].join('\n'));
    });
}
