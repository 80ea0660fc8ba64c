import { CHECK_FILES, isCheckPlaybook } from './check-layout.js';
import { TASK_NAME } from './names.js';

/**
 * Discovered checks (a rule's `discover` action, Taskotron 0.4.3+), the pure part: which
 * repositories and branches may be cloned, which directories of a repository are checks.
 * The git commands are in git.ts.
 */

/** The protocols a repository may be reached by: never `ext::`, `ssh` or a local path. */
const REPO_URL = /^(https?|git|file):\/\/[^\s]+$/i;
const REPO_MAX = 1024;

/**
 * Why `repo` may not be cloned, or null (pure). Besides the protocol, a URL with `.` or `..`
 * segments (or their escapes) is refused: git and curl resolve them, so
 * `https://src.example.org/rpms/../evil` would pass a whitelisted prefix and reach another repo.
 */
export function repoProblem(repo: string): string | null {
  const shown = JSON.stringify(repo.slice(0, 200));
  if (repo.length > REPO_MAX)
    return `repository URL of ${repo.length} characters is longer than ${REPO_MAX}`;
  if (repo.startsWith('-')) return `repository ${shown} starts with -`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(repo))
    return `repository ${shown} holds a control character or \\`;
  if (!REPO_URL.test(repo))
    return `repository ${shown} is not an http, https, git or file URL (protocol://...)`;
  const path = repo.replace(/^[a-z]+:\/\//i, '');
  if (/(^|\/)\.\.?(\/|$)/.test(path) || /%2e|%2f|%5c/i.test(path) || /[?#]/.test(path))
    return `repository ${shown} holds a . or .. segment, an escaped . / \\, a query or a fragment`;
  return null;
}

/**
 * Why `branch` is no branch name git takes here, or null (pure): git's check-ref-format rules,
 * and no leading `-` so that it can never be read as an option.
 */
export function branchProblem(branch: string): string | null {
  const shown = JSON.stringify(branch.slice(0, 200));
  if (branch.length === 0 || branch.length > 255)
    return `branch ${shown} is empty or longer than 255`;
  if (branch.startsWith('-')) return `branch ${shown} starts with -`;
  if (
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0020\u007f~^:?*[\\]/.test(branch) ||
    branch.includes('..') ||
    branch.includes('@{') ||
    branch === '@' ||
    branch.includes('//') ||
    /(^|\/)\./.test(branch) ||
    /(\.lock|\/|\.)$/.test(branch) ||
    /(^|\/)[^/]*\.lock\//.test(branch) ||
    branch.startsWith('/')
  )
    return `branch ${shown} is not a branch name`;
  return null;
}

/**
 * Why `commit` is no commit id, or null (pure): the full id git writes, 40 hex digits (SHA-1) or
 * 64 (SHA-256), in lower case. Nothing shorter, so that it names one commit and is never read as
 * an option, a revision expression (`HEAD~1`, `@{-1}`) or a ref.
 */
export function commitProblem(commit: string): string | null {
  if (/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(commit)) return null;
  return `commit ${JSON.stringify(commit.slice(0, 200))} is not a commit id (40 or 64 lower-case hex digits)`;
}

/** A discovered check's task name: its directory in the repository, `tests` or `tests/smoke`. */
export const CHECK_PATH = new RegExp(
  `^(?=.{1,255}$)${TASK_NAME.source.slice(1, -1)}(/${TASK_NAME.source.slice(1, -1)})*$`,
);

/** The most checks one `discover` action schedules (times its arches): more are reported. */
export const MAX_DISCOVERED = 100;

export interface FoundChecks {
  /** Task names (paths in the repository), sorted. */
  checks: string[];
  /** Check directories left out, with why. */
  skipped: Array<{ path: string; reason: string }>;
}

/**
 * The checks in a repository, from its files as `git ls-tree -r` lists them (pure). A check is
 * a directory holding a `tests*.yml` (the check layout: STI playbooks, as dist-git's `tests/`);
 * its task name is its path. The root is no check (a task name is a directory); without
 * `recursive` only the top-level directories are looked at (dist-git's `tests/` among them),
 * with it every directory below, as Taskotron's `recursive` looked into sub-directories.
 * A directory whose playbooks are all symlinks or submodules, or whose path is not a task name
 * (hidden directories, odd characters), is left out.
 */
export function findChecks(
  files: ReadonlyArray<{ mode: string; path: string }>,
  recursive: boolean,
): FoundChecks {
  // Each directory holding a playbook, and whether one of them is a regular file.
  const dirs = new Map<string, boolean>();
  for (const { mode, path } of files) {
    const slash = path.lastIndexOf('/');
    if (slash < 0 || !isCheckPlaybook(path.slice(slash + 1))) continue;
    const dir = path.slice(0, slash);
    if (!recursive && dir.includes('/')) continue;
    dirs.set(dir, dirs.get(dir) === true || mode === '100644' || mode === '100755');
  }
  const found: FoundChecks = { checks: [], skipped: [] };
  for (const [dir, regular] of dirs)
    if (!regular)
      found.skipped.push({ path: dir, reason: `no ${CHECK_FILES.playbooks} is a regular file` });
    else if (!CHECK_PATH.test(dir))
      found.skipped.push({ path: dir, reason: 'the path is not a task name' });
    else found.checks.push(dir);
  found.checks.sort();
  if (found.checks.length > MAX_DISCOVERED)
    for (const path of found.checks.splice(MAX_DISCOVERED))
      found.skipped.push({ path, reason: `more than ${MAX_DISCOVERED} checks in one repository` });
  return found;
}
