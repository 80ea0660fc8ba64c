import { randomUUID } from 'node:crypto';
import type { AutomationEnv, Handler, HandlerContext, LoopabullEvent } from '@loopabull/core';
import { sha256Text, unstorableText } from '@loopabull/core/cli';
import type { JobLog, JobTrigger } from './job-log.js';
import { normalise, type ItemType, type Normalised } from './normalise.js';
import { taskotronPaths, type TaskotronSection } from './section.js';
import { decide, type Decision, type Discovery, type Rule, type Wanted } from './rules.js';
import { discoverChecks, type Discovered, type GitOptions } from './git.js';
import { JOB_TOPIC } from './topics.js';

export { JOB_TOPIC };

/** The longest item the job log (and a sane message) holds: names of 1000 characters each do not. */
export const ITEM_MAX = 1024;

/**
 * What the runner gets: `{item, item_type, taskname, arch, uuid[, git_repo, git_branch,
 * git_commit]}` (part E.3); a discovered check has the repository and branch its taskname is a
 * path in, and the commit the trigger found it at, which the runner checks out.
 */
export interface TriggerJob {
  item: string;
  item_type: ItemType;
  taskname: string;
  arch: string;
  uuid: string;
  git_repo?: string;
  git_branch?: string;
  git_commit?: string;
}

export interface TriggerResult {
  /** Why the message triggers nothing, when it does not. */
  skipped?: string;
  message_type?: string;
  item?: string;
  /** A tag change waits for its fuse: the fuse job that will schedule, and when. */
  fused?: { job: string; fires_at: string; lit: boolean };
  scheduled: TriggerJob[];
  /** Asked for again within the window: not scheduled twice. */
  duplicates: Array<
    { taskname: string; arch: string } & Pick<TriggerJob, 'git_repo' | 'git_branch' | 'git_commit'>
  >;
  matched: Decision['matched'];
  disabled: Decision['disabled'];
  errors: Decision['errors'];
  dropped: Decision['dropped'];
  /**
   * The repositories of `discover` actions looked into: the branch used, the commit it was at
   * and the checks found.
   */
  discovered: Array<{
    rule: string;
    repo: string;
    branch: string;
    commit: string;
    checks: string[];
  }>;
  /** Those that could not be: not cloned, no such branch, a bad URL... The rest still schedule. */
  discover_failed: Array<{ rule: string; repo: string; branch: string; reason: string }>;
}

/** The message that triggers: for a fuse, the first message of the burst it waited for. */
export interface TriggerSource {
  topic: string;
  /** The bus message id, if it had one. */
  id: string | null;
  body: unknown;
}

/** What the trigger asks of the Koji tag fuse (fuse.ts): light it for a tag change. */
interface Fuse {
  light(
    event: LoopabullEvent,
    tag: string,
    ctx: Pick<HandlerContext, 'config' | 'redis'>,
  ): Promise<NonNullable<TriggerResult['fused']>>;
}

export interface TriggerOptions {
  /** The rules in force (read at start). */
  rules: () => readonly Rule[];
  /** The critical-path packages (`taskotron.critpath_file`, read at start). */
  critpathPkgs: () => readonly string[];
  /**
   * Seconds within which the same (item, item_type, taskname, arch; and repository, branch and
   * commit of a discovered check; a Koji tag's message: `dedupKey`) is scheduled once.
   */
  dedupWindow: number;
  /** `taskotron.valid_arches`: other arches (but noarch) that rules ask for are dropped. */
  validArches: readonly string[];
  /** Where each scheduled job is recorded. */
  jobLog: Pick<JobLog, 'scheduled' | 'forget'>;
  /** Holds `KojiTagChanged` messages back; absent, they schedule at once. */
  fuse?: Fuse;
  newUuid?: () => string;
  /** `taskotron.git_timeout`: how long each git command of a `discover` action may take. */
  git: GitOptions;
  /** Finds a `discover` action's checks (git.ts's `discoverChecks`; tests give their own). */
  discoverChecks?: typeof discoverChecks;
}

/** The settings of the section that scheduling follows. */
export const schedulingSettings = (
  env: Pick<AutomationEnv<TaskotronSection>, 'section' | 'resolvePath'>,
): Pick<TriggerOptions, 'dedupWindow' | 'validArches' | 'git'> => ({
  dedupWindow: env.section.dedup_window,
  validArches: env.section.valid_arches,
  git: { timeoutSeconds: env.section.git_timeout, cacheDir: taskotronPaths(env).gitCacheDir },
});

/**
 * The Redis key that holds a (item, item_type, taskname, arch) for the dedup window; a
 * discovered check's repository, branch and commit are part of it: `tests` of two repositories,
 * or of two branches of one, are two checks, and so is `tests` before and after a push to its
 * repository. The window is there so that one event, delivered or announced twice, does not run
 * a check twice; a check whose repository changed has not run on the item yet, and its
 * result may differ (a check fixed, or broken, by the push). For the same reason a `koji_tag`
 * item's key holds the id of the message that scheduled it (the one that lit the tag's fuse): a
 * tag's builds change with each tag change, and Koji announces each once (a build already in a
 * tag cannot be tagged into it again), so a tag change after the fuse burnt is checked again,
 * as each of Taskotron's fuses scheduled, while the message redelivered stays a duplicate.
 */
export function dedupKey(
  ctx: Pick<HandlerContext, 'config'>,
  job: Omit<TriggerJob, 'uuid'>,
  trigger: Pick<JobTrigger, 'msg_id'>,
): string {
  const fields: string[] = [job.item, job.item_type, job.taskname, job.arch];
  if (job.git_repo !== undefined) fields.push(job.git_repo, job.git_branch ?? '');
  if (job.git_commit !== undefined) fields.push(job.git_commit);
  if (job.item_type === 'koji_tag' && trigger.msg_id !== null) fields.push(`msg:${trigger.msg_id}`);
  const id = sha256Text(JSON.stringify(fields));
  return `${ctx.config.redis.prefix}:${ctx.config.queue.name}:_lb:taskotron:dedup:${id}`;
}

/** How `loopabull taskotron replay` schedules: past the dedup window, or not at all. */
export interface Replaying {
  force?: boolean;
  dryRun?: boolean;
}

/**
 * What scheduling needs of a handler's context; the replay command gives its own. `signal` stops
 * the git of `discover` actions (the worker stopping, the command interrupted).
 */
export type SchedulingContext = Pick<HandlerContext, 'config' | 'redis' | 'publish' | 'log'> &
  Partial<Pick<HandlerContext, 'signal'>>;

/**
 * Schedules one job unless the same (dedupKey) was within the window
 * (`force`: schedules anyway and restarts the window). It is claimed in Redis, recorded in the job
 * log, then published on `taskotron.job`; if publishing fails the claim and the record are given
 * back, so a retry schedules it then. `dryRun` only says which it would be.
 */
export async function scheduleJob(
  job: TriggerJob,
  trigger: JobTrigger,
  ctx: SchedulingContext,
  options: Pick<TriggerOptions, 'dedupWindow' | 'jobLog'> & Replaying,
): Promise<'scheduled' | 'duplicate'> {
  const key = dedupKey(ctx, job, trigger);
  if (options.dryRun)
    return !options.force && (await ctx.redis.exists(key)) ? 'duplicate' : 'scheduled';
  const claimed = options.force
    ? await ctx.redis.set(key, job.uuid, 'EX', options.dedupWindow)
    : await ctx.redis.set(key, job.uuid, 'EX', options.dedupWindow, 'NX');
  if (claimed !== 'OK') return 'duplicate';
  try {
    await options.jobLog.scheduled({ ...job, trigger });
    await ctx.publish(JOB_TOPIC, job);
  } catch (err) {
    await options.jobLog.forget(job.uuid).catch(() => {});
    await ctx.redis.del(key);
    throw err;
  }
  return 'scheduled';
}

const normaliseFor = (
  message: { topic: string; body: unknown },
  options: Pick<TriggerOptions, 'critpathPkgs'>,
): Normalised => normalise(message.topic, message.body, { critpathPkgs: options.critpathPkgs() });

const emptyResult = () => ({
  scheduled: [],
  duplicates: [],
  matched: [],
  disabled: [],
  errors: [],
  dropped: [],
  discovered: [],
  discover_failed: [],
});

/**
 * The checks of the decision's `discover` actions, as (task, arch) wanted with their repository
 * and branch. A repository that cannot be used is reported in `discover_failed` and logged; the
 * other actions still schedule. The same repository and branch asked by several rules is
 * cloned once.
 */
async function discoveredJobs(
  discoveries: readonly Discovery[],
  result: TriggerResult,
  ctx: SchedulingContext,
  options: Pick<TriggerOptions, 'git' | 'discoverChecks'>,
): Promise<Wanted[]> {
  const find = options.discoverChecks ?? discoverChecks;
  const cache = new Map<string, Promise<Discovered>>();
  const wanted = new Map<string, Wanted>();
  for (const d of discoveries) {
    const { rule, repo, branch } = d;
    let found: Discovered;
    try {
      if (d.problem) throw new Error(d.problem);
      const key = JSON.stringify([repo, branch, d.fallback_branch, d.recursive]);
      // The handler's signal: git runs in its own process group, which a worker that stops
      // would otherwise leave running (a remote that never answers: for ever).
      if (!cache.has(key)) cache.set(key, find(d, { ...options.git, signal: ctx.signal }));
      found = await cache.get(key)!;
    } catch (err) {
      // The worker is stopping: the job goes back to the queue, and its next run schedules.
      if (ctx.signal?.aborted) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      result.discover_failed.push({ rule, repo, branch, reason });
      await ctx.log(`rule ${rule}: no checks discovered in ${repo} (${branch}): ${reason}`);
      continue;
    }
    const { commit } = found;
    result.discovered.push({ rule, repo, branch: found.branch, commit, checks: found.checks });
    const fell = found.branch === branch ? '' : ` (no branch ${branch}: fell back)`;
    await ctx.log(
      `rule ${rule}: ${found.checks.length} checks in ${repo} ${found.branch} at ${commit}${fell}: ${found.checks.join(', ') || 'none'}`,
    );
    for (const s of found.skipped)
      await ctx.log(`rule ${rule}: ${repo} ${s.path} left out: ${s.reason}`);
    for (const taskname of found.checks)
      for (const arch of d.arches) {
        const key = JSON.stringify([repo, found.branch, taskname, arch]);
        const seen = wanted.get(key);
        if (seen) {
          if (!seen.rules.includes(rule)) seen.rules.push(rule);
        } else
          wanted.set(key, {
            taskname,
            arch,
            rules: [rule],
            git_repo: repo,
            git_branch: found.branch,
            git_commit: commit,
          });
      }
  }
  return [...wanted.values()];
}

/**
 * Normalises a message (unless the caller did), decides the rules and schedules each wanted
 * (task, arch) with `scheduleJob`: the trigger's work once any fuse has burnt.
 */
export async function schedule(
  source: TriggerSource,
  ctx: SchedulingContext,
  options: TriggerOptions & Replaying,
  n: Normalised = normaliseFor(source, options),
): Promise<TriggerResult> {
  const newUuid = options.newUuid ?? randomUUID;
  if (!n.ok) {
    await ctx.log(`nothing to schedule: ${n.reason}`);
    return { ...emptyResult(), skipped: n.reason };
  }
  const { item, item_type, message_type } = n.data;
  // The job log holds the item, and so do the results: one it cannot store fails every try.
  const unfit = unstorableText(item);
  const tooLong = item.length > ITEM_MAX;
  if (tooLong || unfit) {
    const reason = tooLong
      ? `item of ${item.length} characters is longer than ${ITEM_MAX}`
      : `item ${JSON.stringify(item)} ${unfit}`;
    await ctx.log(`nothing to schedule: ${reason}`);
    return { ...emptyResult(), message_type, skipped: reason };
  }
  const decision = decide(options.rules(), n.data, { validArches: options.validArches });
  const result: TriggerResult = {
    ...emptyResult(),
    message_type,
    item,
    ...decisionParts(decision),
  };
  for (const e of decision.errors)
    await ctx.log(`rule ${e.rule} could not be evaluated: ${e.error}`);
  for (const d of decision.dropped) await ctx.log(`rule ${d.rule}: not scheduled: ${d.reason}`);
  const wanted = [
    ...decision.wanted,
    ...(await discoveredJobs(decision.discover, result, ctx, options)),
  ];
  if (!wanted.length) await ctx.log(`${message_type} ${item}: no rule schedules anything`);
  for (const { taskname, arch, rules, git_repo, git_branch, git_commit } of wanted) {
    const git = git_repo === undefined ? {} : { git_repo, git_branch, git_commit };
    const job: TriggerJob = { item, item_type, taskname, arch, uuid: newUuid(), ...git };
    const at = git_commit === undefined ? '' : ` at ${git_commit}`;
    const from = git_repo === undefined ? '' : ` from ${git_repo} ${git_branch}${at}`;
    const trigger = { topic: source.topic, msg_id: source.id, rules };
    if ((await scheduleJob(job, trigger, ctx, options)) === 'duplicate') {
      result.duplicates.push({ taskname, arch, ...git });
      await ctx.log(
        `${item}: ${taskname}/${arch}${from} already scheduled within ${options.dedupWindow} s`,
      );
      continue;
    }
    result.scheduled.push(job);
    await ctx.log(
      `${item}: ${taskname}/${arch}${from} scheduled as ${job.uuid} (rules: ${rules.join(', ')})`,
    );
  }
  return result;
}

/**
 * The trigger handler: a Fedora message scheduled as the rules say, except that a Koji tag change
 * lights its tag's fuse (see fuse.ts) and the fuse schedules once it has burnt.
 */
export function taskotronTrigger(options: TriggerOptions): Handler {
  return async (event, ctx): Promise<TriggerResult> => {
    const n = normaliseFor(event, options);
    if (n.ok && n.data.message_type === 'KojiTagChanged' && options.fuse) {
      const fused = await options.fuse.light(event, n.data.item, ctx);
      const when = `${fused.lit ? 'lit' : 'already burning'}: jobs are scheduled at ${fused.fires_at}`;
      await ctx.log(`KojiTagChanged ${n.data.item}: fuse ${fused.job} ${when}`);
      return { ...emptyResult(), message_type: n.data.message_type, item: n.data.item, fused };
    }
    return schedule(sourceOf(event), ctx, options, n);
  };
}

export const sourceOf = (event: LoopabullEvent): TriggerSource => ({
  topic: event.topic,
  id: event.id,
  body: event.body,
});

const decisionParts = (d: Decision) => ({
  matched: d.matched,
  disabled: d.disabled,
  errors: d.errors,
  dropped: d.dropped,
});
