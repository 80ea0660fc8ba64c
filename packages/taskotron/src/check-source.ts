import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { TransientError } from '@loopabull/core/cli';
import { GitError, withClone, withCommit, type GitOptions } from './git.js';
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
 * or for a discovered check `<taskname>` in a checkout of `git_commit` (the commit the trigger
 * saw: the check that was discovered, not what `git_branch` holds by now) or, for a job
 * without it (scheduled before the trigger recorded it, or by hand), in a shallow clone of
 * `git_branch`, in a temporary directory removed afterwards. A clone that fails (the network,
 * the repository away, the branch or commit gone) fails the try with a TransientError naming the
 * repository, so that the job is retried as for a network error; a check that is not in the
 * clone (or leads out of it) is a CheckNotFoundError naming the repository.
 */
export async function withCheckDir<T>(
  job: RunnerJob,
  tasksDir: string,
  git: GitOptions,
  use: (taskDir: string, spentSeconds: number, clone?: string) => Promise<T>,
): Promise<T> {
  const { git_repo: repo, git_branch: branch, git_commit: commit } = job;
  if (repo === undefined) return use(join(tasksDir, job.taskname), 0);
  const at = commit === undefined ? '' : ` at ${commit}`;
  const where = `${repo} (branch ${branch ?? 'default'}${at}) ${job.taskname}`;
  const started = Date.now();
  const checkedOut = (inClone: (clone: string) => Promise<T>) =>
    commit === undefined
      ? withClone(repo, branch, git, inClone)
      : withCommit(repo, branch, commit, git, inClone);
  try {
    return await checkedOut(async (clone) => {
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
