/** What `loopabull taskotron replay` reads from its options and says of each message or job. */
import { ConfigError, parseDuration, counted } from '@loopabull/core/cli';
import type { LoggedJob } from './job-log.js';
import type { Replaying, TriggerResult } from './trigger.js';

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

/**
 * The job log's range of `--since` and `--until` (excluded; default: now), refused when it holds
 * no time: a `--since` not before now, or an `--until` not after `--since` (the two written the
 * wrong way round, `--since 2h --until 3h`). Either would replay nothing and say "0 logged jobs",
 * as if nothing had been lost.
 */
export function replayRange(
  opts: { since: string; until?: string },
  now: Date,
): { since: string; until: string } {
  const since = parseWhen(opts.since, now, '--since');
  const givenSince = `--since ${JSON.stringify(opts.since)} (${since})`;
  if (Date.parse(since) >= now.getTime())
    throw new ConfigError(
      `${givenSince} is not before now (${now.toISOString()}): no job is logged from then yet`,
    );
  if (opts.until === undefined) return { since, until: now.toISOString() };
  const until = parseWhen(opts.until, now, '--until');
  if (Date.parse(until) <= Date.parse(since))
    throw new ConfigError(
      `--until ${JSON.stringify(opts.until)} (${until}) is not after ${givenSince}: the range holds no time`,
    );
  return { since, until };
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

export interface ReplayOpts extends Replaying {
  config?: string;
  since?: string;
  until?: string;
  unfinished?: boolean;
  json?: boolean;
}

/**
 * What `--unfinished` replays: a job the runner never ended (lost, or still running), and one
 * the queue parked (its last try failed: its check never reported). A check that ran and ended
 * NOT_OK is finished: running it again would say the same.
 */
export const unfinished = (j: LoggedJob): boolean => j.finished_at === null || j.parked_at !== null;
