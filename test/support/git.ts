import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDir } from './temp.js';

/** A file's text, or `{symlink: target}` for a symbolic link. */
export type GitFile = string | { symlink: string };

/**
 * A bare git repository in a temporary directory (removed by `removeTempDirs`), made with the
 * real git: each branch holds the files given (paths relative to the root). Returns its
 * `file://` URL (`<dir>/<name>.git`), as a test reaches a repository the way a deployment reaches a remote one.
 */
export function gitRepo(branches: Record<string, Record<string, GitFile>>, name = 'repo'): string {
  const root = tempDir('gitrepo');
  const work = join(root, 'work');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', ...args], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  mkdirSync(work);
  git('init', '-q');
  for (const [branch, files] of Object.entries(branches)) {
    git('checkout', '-q', '--orphan', branch);
    git('rm', '-rqf', '--ignore-unmatch', '.');
    for (const [path, content] of Object.entries(files)) {
      const file = join(work, path);
      mkdirSync(dirname(file), { recursive: true });
      if (typeof content === 'string') writeFileSync(file, content);
      else execFileSync('ln', ['-s', content.symlink, file]);
    }
    git('add', '-A');
    git('commit', '-qm', `${branch}`, '--allow-empty');
  }
  const bare = join(root, `${name}.git`);
  execFileSync('git', ['clone', '-q', '--bare', work, bare], { stdio: 'ignore' });
  return `file://${bare}`;
}
