import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { TransientError } from '@loopabull/core/cli';
import { GitError, withClone, type GitOptions } from './git.js';
import type { RunnerJob } from './job.js';
import { checkOrigin } from './namespaces.js';
import { CheckNotFoundError } from './runner.js';

/**
 * Where a job's check comes from. A job with `git_repo` (a discovered check) is a path in that
 * repository, whose namespaces are those the whitelist gives its URL; any other is a directory
 * of `tasks_dir`.
 */
export const jobOrigin = (job: RunnerJob, tasksDir: string): string =>
  job.git_repo ?? checkOrigin(join(tasksDir, job.taskname));

/**
 * Hands `use` the job's check directory, the seconds spent getting it and, for a discovered
 * check, the clone (which its playbooks must not lead out of): `<tasks_dir>/<taskname>`,
 * or for a discovered check `<taskname>` in a shallow clone of `git_repo` at `git_branch`, in a
 * temporary directory removed afterwards. A clone that fails (the network, the repository
 * away, the branch gone) fails the try with a TransientError naming the repository, so that the
 * job is retried as for a network error; a check that is not in the clone (or leads out of it)
 * is a CheckNotFoundError naming the repository.
 */
export async function withCheckDir<T>(
  job: RunnerJob,
  tasksDir: string,
  git: GitOptions,
  use: (taskDir: string, spentSeconds: number, clone?: string) => Promise<T>,
): Promise<T> {
  if (job.git_repo === undefined) return use(join(tasksDir, job.taskname), 0);
  const where = `${job.git_repo} (branch ${job.git_branch ?? 'default'}) ${job.taskname}`;
  const started = Date.now();
  try {
    return await withClone(job.git_repo, job.git_branch, git, async (clone) => {
      const taskDir = join(clone, job.taskname);
      // A symlink in the repository must not make a directory outside it the check.
      const [root, real] = await Promise.all([
        realpath(clone),
        realpath(taskDir).catch(() => null),
      ]);
      if (real !== null && !real.startsWith(root + sep))
        throw new CheckNotFoundError(where, 'it is a symlink out of the repository');
      try {
        return await use(taskDir, (Date.now() - started) / 1000, root);
      } catch (err) {
        if (err instanceof CheckNotFoundError) throw new CheckNotFoundError(where, err.why);
        throw err;
      }
    });
  } catch (err) {
    if (err instanceof GitError)
      throw new TransientError(`the check could not be fetched: ${err.message}`, { cause: err });
    throw err;
  }
}
