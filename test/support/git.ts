import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.js';

/** A file's text, or `{symlink: target}` for a symbolic link. */
export type GitFile = string | { symlink: string };

const gitIn =
  (cwd: string) =>
  (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .toString()
      .trim();

/** Commits `files`, and only them, as the work tree's current branch. */
function commitFiles(work: string, files: Record<string, GitFile>, message: string): void {
  const git = gitIn(work);
  git('rm', '-rqf', '--ignore-unmatch', '.');
  for (const [path, content] of Object.entries(files)) {
    const file = join(work, path);
    mkdirSync(dirname(file), { recursive: true });
    if (typeof content === 'string') writeFileSync(file, content);
    else execFileSync('ln', ['-s', content.symlink, file]);
  }
  git('add', '-A');
  git('commit', '-qm', message, '--allow-empty');
}

/**
 * A bare git repository in a temporary directory (removed by `removeTempDirs`), made with the
 * real git: each branch holds the files given (paths relative to the root). Returns its
 * `file://` URL (`<dir>/<name>.git`), as a test reaches a repository the way a deployment reaches a remote one.
 */
export function gitRepo(branches: Record<string, Record<string, GitFile>>, name = 'repo'): string {
  const root = tempDir('gitrepo');
  const work = join(root, 'work');
  const git = gitIn(work);
  mkdirSync(work);
  git('init', '-q');
  for (const [branch, files] of Object.entries(branches)) {
    git('checkout', '-q', '--orphan', branch);
    commitFiles(work, files, branch);
  }
  const bare = join(root, `${name}.git`);
  execFileSync('git', ['clone', '-q', '--bare', work, bare], { stdio: 'ignore' });
  return `file://${bare}`;
}

/** The commit id `branch` of a repository made by `gitRepo` is at. */
export const gitHead = (repo: string, branch: string): string =>
  gitIn(fileURLToPath(repo))('rev-parse', `refs/heads/${branch}`);

/**
 * Pushes a commit holding `files` (and only them) to `branch` of a repository made by `gitRepo`,
 * as someone pushing after the trigger looked; returns its id. `rewrite`: the commit replaces
 * the branch's history (a force push) and the server's garbage collection drops the old commits,
 * which the repository then no longer has.
 */
export function gitPush(
  repo: string,
  branch: string,
  files: Record<string, GitFile>,
  opts: { rewrite?: boolean } = {},
): string {
  const work = join(tempDir('gitpush'), 'work');
  execFileSync('git', ['clone', '-q', '--branch', branch, repo, work], { stdio: 'ignore' });
  const git = gitIn(work);
  if (opts.rewrite) git('checkout', '-q', '--orphan', 'rewritten');
  commitFiles(work, files, `${branch} again`);
  git('push', '-qf', 'origin', `HEAD:refs/heads/${branch}`);
  if (opts.rewrite) {
    const bare = gitIn(fileURLToPath(repo));
    bare('reflog', 'expire', '--expire=now', '--all');
    bare('gc', '-q', '--prune=now');
  }
  return git('rev-parse', 'HEAD');
}
