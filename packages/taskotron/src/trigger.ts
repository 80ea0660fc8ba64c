import { createHash, randomUUID } from 'node:crypto';
import type { Handler, HandlerContext } from '@loopabull/core';
import { normalise, type ItemType } from './normalise.js';
import { decide, type Decision, type Rule } from './rules.js';

/** The topic a scheduled check is published on: the job of part E.3. */
export const JOB_TOPIC = 'taskotron.job';

/** What the runner gets: `{item, item_type, taskname, arch, uuid}` (part E.3). */
export interface TriggerJob {
  item: string;
  item_type: ItemType;
  taskname: string;
  arch: string;
  uuid: string;
}

export interface TriggerResult {
  /** Why the message triggers nothing, when it does not. */
  skipped?: string;
  message_type?: string;
  item?: string;
  scheduled: TriggerJob[];
  /** Asked for again within the window: not scheduled twice. */
  duplicates: Array<{ taskname: string; arch: string }>;
  matched: Decision['matched'];
  disabled: Decision['disabled'];
  errors: Decision['errors'];
}

export interface TriggerOptions {
  /** The rules in force (read at start). */
  rules: () => readonly Rule[];
  /** Seconds within which the same (item, item_type, taskname, arch) is scheduled once. */
  dedupWindow: number;
  newUuid?: () => string;
}

/** The Redis key that holds a (item, item_type, taskname, arch) for the dedup window. */
export function dedupKey(
  ctx: Pick<HandlerContext, 'config'>,
  job: Omit<TriggerJob, 'uuid'>,
): string {
  const id = createHash('sha256')
    .update(JSON.stringify([job.item, job.item_type, job.taskname, job.arch]))
    .digest('hex');
  return `${ctx.config.redis.prefix}:${ctx.config.queue.name}:_lb:taskotron:dedup:${id}`;
}

/**
 * The trigger: a Fedora message normalised, the rules decided, and each wanted (task, arch)
 * published as a job on `taskotron.job`, unless the same one was scheduled within the window.
 * The claim is taken before publishing and given back if publishing fails, so a retry of the
 * message schedules it then.
 */
export function taskotronTrigger(options: TriggerOptions): Handler {
  const newUuid = options.newUuid ?? randomUUID;
  return async (event, ctx): Promise<TriggerResult> => {
    const n = normalise(event.topic, event.body);
    const empty = { scheduled: [], duplicates: [], matched: [], disabled: [], errors: [] };
    if (!n.ok) {
      await ctx.log(`nothing to schedule: ${n.reason}`);
      return { ...empty, skipped: n.reason };
    }
    const { item, item_type, message_type } = n.data;
    const decision = decide(options.rules(), n.data);
    const result: TriggerResult = { ...empty, message_type, item, ...decisionParts(decision) };
    for (const e of decision.errors)
      await ctx.log(`rule ${e.rule} could not be evaluated: ${e.error}`);
    if (!decision.wanted.length)
      await ctx.log(`${message_type} ${item}: no rule schedules anything`);
    for (const { taskname, arch, rules } of decision.wanted) {
      const job: TriggerJob = { item, item_type, taskname, arch, uuid: newUuid() };
      const key = dedupKey(ctx, job);
      const claimed = await ctx.redis.set(key, job.uuid, 'EX', options.dedupWindow, 'NX');
      if (claimed !== 'OK') {
        result.duplicates.push({ taskname, arch });
        await ctx.log(
          `${item}: ${taskname}/${arch} already scheduled within ${options.dedupWindow} s`,
        );
        continue;
      }
      try {
        await ctx.publish(JOB_TOPIC, job);
      } catch (err) {
        await ctx.redis.del(key);
        throw err;
      }
      result.scheduled.push(job);
      await ctx.log(
        `${item}: ${taskname}/${arch} scheduled as ${job.uuid} (rules: ${rules.join(', ')})`,
      );
    }
    return result;
  };
}

const decisionParts = (d: Decision) => ({
  matched: d.matched,
  disabled: d.disabled,
  errors: d.errors,
});
