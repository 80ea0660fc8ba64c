import { z } from 'zod';
import { unstorableText } from '@loopabull/core/cli';
import { ITEM_TYPES } from './normalise.js';
import { branchProblem, CHECK_PATH, commitProblem, repoProblem } from './discover.js';
import { ARCH, TASK_NAME } from './names.js';
import type { TriggerJob } from './trigger.js';

/**
 * A job uuid: it names the job's artifacts directory and goes into URLs, so only characters that
 * are safe in both (an RFC 4122 uuid, or runtask's `20161017_101334_123456`).
 */
export const JOB_UUID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** An optional string, refused with what `problemOf` says is wrong with it. */
const optionalChecked = (problemOf: (value: string) => string | null) =>
  z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      const problem = value === undefined ? null : problemOf(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

/** A `taskotron.job` body (part E.3): what comes off the bus is checked before anything uses it. */
const jobSchema = z
  .object({
    // The job log and the results hold it: one they cannot store would fail every try.
    item: z
      .string()
      .min(1)
      .max(1024)
      .superRefine((item, ctx) => {
        const problem = unstorableText(item);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    item_type: z.enum(ITEM_TYPES),
    taskname: z.string(),
    arch: z.string().regex(ARCH, 'not an arch (letters, digits, _, at most 32: x86_64, noarch)'),
    uuid: z.string().regex(JOB_UUID, 'not a job uuid (letters, digits, _ and -, at most 64)'),
    git_repo: optionalChecked(repoProblem),
    git_branch: optionalChecked(branchProblem),
    git_commit: optionalChecked(commitProblem),
  })
  // A check of tasks_dir is a directory name there; a discovered one a path in its repository.
  .superRefine((job, ctx) => {
    if (job.git_repo === undefined && job.git_branch !== undefined)
      ctx.addIssue({ code: 'custom', path: ['git_branch'], message: 'given without git_repo' });
    else if (job.git_repo === undefined && job.git_commit !== undefined)
      ctx.addIssue({ code: 'custom', path: ['git_commit'], message: 'given without git_repo' });
    else if (job.git_repo === undefined && !TASK_NAME.test(job.taskname))
      ctx.addIssue({
        code: 'custom',
        path: ['taskname'],
        message: 'not a task name (a directory name in tasks_dir)',
      });
    else if (job.git_repo !== undefined && !CHECK_PATH.test(job.taskname))
      ctx.addIssue({
        code: 'custom',
        path: ['taskname'],
        message: 'not a check path in git_repo (task names joined by /)',
      });
  });

export type RunnerJob = TriggerJob;

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
