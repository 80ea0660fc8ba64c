import { realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { TransientError } from '@loopabull/core/cli';
import { GitError, withBranchHead, withCommit, type GitOptions } from './git.js';
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

/** A discovered check's checkout: its directory and the commit checked out. */
export interface Checkout {
  dir: string;
  commit: string;
}

/**
 * Hands `use` the job's check directory, the seconds spent getting it and, for a discovered
 * check, the checkout (which its playbooks must not lead out of): `<tasks_dir>/<taskname>`,
 * or for a discovered check `<taskname>` in a checkout of `git_commit` (the commit the trigger
 * saw: the check that was discovered, not what `git_branch` holds by now) or, for a job
 * without it (scheduled before the trigger recorded it, or by hand), of what `git_branch`
 * holds now (withBranchHead: from the git cache when there is one), in a temporary directory
 * removed afterwards. A clone that fails (the network,
 * the repository away, the branch or commit gone) fails the try with a TransientError naming the
 * repository, so that the job is retried as for a network error; a check that is not in the
 * clone (or leads out of it) is a CheckNotFoundError naming the repository.
 */
export async function withCheckDir<T>(
  job: RunnerJob,
  tasksDir: string,
  git: GitOptions,
  use: (taskDir: string, spentSeconds: number, checkout?: Checkout) => Promise<T>,
): Promise<T> {
  const { git_repo: repo, git_branch: branch, git_commit: commit } = job;
  if (repo === undefined) return use(join(tasksDir, job.taskname), 0);
  const at = commit === undefined ? '' : ` at ${commit}`;
  const where = `${repo} (branch ${branch ?? 'default'}${at}) ${job.taskname}`;
  const started = Date.now();
  const checkedOut = (inClone: (clone: string, commit: string) => Promise<T>) =>
    commit === undefined
      ? withBranchHead(repo, branch, git, inClone)
      : withCommit(repo, branch, commit, git, (clone) => inClone(clone, commit));
  try {
    return await checkedOut(async (clone, ran) => {
      const taskDir = join(clone, job.taskname);
      // A symlink in the repository must not make a directory outside it the check.
      const [root, real] = await Promise.all([
        realpath(clone),
        realpath(taskDir).catch(() => null),
      ]);
      if (real !== null && !real.startsWith(root + sep))
        throw new CheckNotFoundError(where, 'it is a symlink out of the repository');
      try {
        return await use(taskDir, (Date.now() - started) / 1000, { dir: root, commit: ran });
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
