import { z } from 'zod';
import { ITEM_TYPES } from './normalise.js';
import { ARCH, TASK_NAME } from './rules.js';
import type { TriggerJob } from './trigger.js';

/**
 * A job uuid: it names the job's artifacts directory and goes into URLs, so only characters that
 * are safe in both (an RFC 4122 uuid, or runtask's `20161017_101334_123456`).
 */
export const JOB_UUID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A `taskotron.job` body (part E.3): what comes off the bus is checked before anything uses it. */
const jobSchema = z.object({
  item: z.string().min(1).max(1024),
  item_type: z.enum(ITEM_TYPES),
  taskname: z.string().regex(TASK_NAME, 'not a task name (a directory name in tasks_dir)'),
  arch: z.string().regex(ARCH, 'not an arch'),
  uuid: z.string().regex(JOB_UUID, 'not a job uuid (letters, digits, _ and -, at most 64)'),
  git_repo: z.string().optional(),
  git_branch: z.string().optional(),
});

export type RunnerJob = TriggerJob & { git_repo?: string; git_branch?: string };

/** The job, or the first problem with it naming the field. */
export function parseJob(
  body: unknown,
): { ok: true; job: RunnerJob } | { ok: false; message: string } {
  const parsed = jobSchema.safeParse(body);
  if (parsed.success) return { ok: true, job: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length ? issue.path.join('.') : 'the body';
  return { ok: false, message: `${field}: ${issue.message}` };
}
