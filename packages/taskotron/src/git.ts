import { existsSync, readlinkSync, rmdirSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { sha256Text } from '@loopabull/core/cli';
import {
  branchProblem,
  commitProblem,
  findChecks,
  repoProblem,
  type FoundChecks,
} from './discover.js';
import type { Discovery } from './rules.js';

/**
 * Git for discovered checks: the trigger lists a repository's files, the runner checks it out.
 * Repository URLs and branches come from messages (a package name, a dist-git branch), so git
 * is run without a shell, with `--` before them, only over http(s), git and file (an `ext::`
 * URL would run a command), with no credential prompt and no user or system config, and killed
 * with its helpers after `timeoutSeconds` (and by coreutils' `timeout` a little later should
 * this process be gone).
 */
export interface GitOptions {
  /** Seconds one git command may take (`taskotron.git_timeout`). */
  timeoutSeconds: number;
  /** Aborted when the worker stops (or `replay` is interrupted): git is killed at once. */
  signal?: AbortSignal | undefined;
  /**
   * `taskotron.git_cache_dir`, absolute: one bare mirror per repository, which the trigger's
   * look and a job's checkout of its commit are served from. null: a new clone each time.
   */
  cacheDir?: string | null | undefined;
}

/**
 * Why git could not do what was asked: the message is `<what>: <reason>`, naming the repository
 * (`what`, the command) and what git said (`reason`), which a caller that tries another way
 * quotes without the command it already names.
 */
export class GitError extends Error {
  /** Killed rather than refused: a slow remote, or the worker stopping. */
  readonly stopped: 'timeout' | 'abort' | undefined;

  constructor(
    /** What git said, or why it was not run. */
    readonly reason: string,
    how: { what?: string; stopped?: 'timeout' | 'abort' } = {},
  ) {
    super(how.what === undefined ? reason : `${how.what}: ${reason}`);
    this.name = 'GitError';
    this.stopped = how.stopped;
  }
}

const PROTOCOLS = ['http', 'https', 'git', 'file'];

/** `-c` options before every command: protocols, no credential helper, no hooks from templates. */
const SAFE_CONFIG = [
  '-c',
  'protocol.allow=never',
  ...PROTOCOLS.flatMap((p) => ['-c', `protocol.${p}.allow=always`]),
  '-c',
  'credential.helper=',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'init.templateDir=',
];

/** Only what git needs, and the proxies a deployment may rely on. */
function gitEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmpdir(),
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: PROTOCOLS.join(':'),
  };
  for (const name of [
    'http_proxy',
    'https_proxy',
    'no_proxy',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'NO_PROXY',
  ])
    if (process.env[name] !== undefined) env[name] = process.env[name]!;
  return env;
}

/** What git said, on one line, for an error message. */
const said = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' / ')
    .slice(0, 500);

/** Seconds past `timeoutSeconds` after which git is killed even if this process is gone. */
const ORPHAN_GRACE_SECONDS = 5;

/**
 * Runs `git <args>`; rejects with a GitError naming `what` when it fails or times out. With
 * `lock`, git runs holding that file's exclusive lock (flock(1)), waiting for it within the
 * same time.
 */
async function git(
  args: string[],
  what: string,
  options: GitOptions & { cwd?: string; lock?: string },
): Promise<string> {
  // Under coreutils' `timeout`, so that git ends even when nobody is left to kill it: in its own
  // process group it outlives a worker that dies (SIGKILL, the OOM killer), and a remote that
  // never answers would keep it forever. Later than the kill below, which says why. `timeout`
  // kills its whole process group, so a flock waiting for its lock too.
  const deadline = String(options.timeoutSeconds + ORPHAN_GRACE_SECONDS);
  const locked = options.lock === undefined ? [] : ['flock', '--exclusive', options.lock];
  const command = ['-s', 'KILL', deadline, ...locked, 'git', ...SAFE_CONFIG, ...args];
  const child = execa('timeout', command, {
    env: gitEnv(),
    extendEnv: false,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: 'ignore',
    reject: false,
    // Its own process group, so that a timeout kills git-remote-https and the rest with it.
    detached: true,
    maxBuffer: 64 * 1024 * 1024,
  });
  let stopped: 'timeout' | 'abort' | null = null;
  const kill = (why: 'timeout' | 'abort') => {
    stopped ??= why;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone, or never started.
    }
  };
  const timer = setTimeout(() => kill('timeout'), options.timeoutSeconds * 1000);
  const onAbort = () => kill('abort');
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort);
  const result = await child.finally(() => {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  });
  if (stopped === 'timeout') {
    const waited = options.lock === undefined ? '' : ' (the wait for the git cache lock included)';
    throw new GitError(`git took longer than ${options.timeoutSeconds} s${waited}`, {
      what,
      stopped: 'timeout',
    });
  }
  if (stopped === 'abort')
    throw new GitError('stopped: the worker is shutting down', { what, stopped: 'abort' });
  if (result.failed)
    throw new GitError(said(String(result.stderr ?? '')) || String(result.shortMessage), { what });
  return String(result.stdout ?? '');
}

/** `branch <b>`, or `default branch`, as messages name a branch. */
const branchName = (branch: string | undefined) =>
  branch === undefined ? 'default branch' : `branch ${branch}`;

function checkArgs(repo: string, branches: readonly string[]): void {
  const bad = repoProblem(repo) ?? branches.map(branchProblem).find((p) => p !== null);
  if (bad) throw new GitError(bad);
}

/**
 * Which of `branches` the repository has, in the order given (`git ls-remote --heads`): the
 * first is the branch to use, so `[branch, fallback]` falls back when the branch is missing.
 */
async function existingBranches(
  repo: string,
  branches: readonly string[],
  options: GitOptions,
): Promise<string[]> {
  checkArgs(repo, branches);
  const out = await git(
    ['ls-remote', '--heads', '--', repo, ...branches.map((b) => `refs/heads/${b}`)],
    `git ls-remote ${repo}`,
    options,
  );
  const refs = new Set(out.split('\n').map((line) => line.split('\t')[1]));
  return branches.filter((b) => refs.has(`refs/heads/${b}`));
}

/** What git says when a dumb-HTTP remote is asked for a shallow clone. */
const DUMB_HTTP = /dumb http transport does not support shallow capabilities/;

/**
 * Clones are made in a directory of this process,
 * `<tmpdir>/loopabull-git-<pid>-<pid namespace>-<hostname>-XXXXXX` (mkdtemp: no other user can
 * have made it), so that the clones of a process killed mid-clone (SIGKILL, which runs no
 * `finally`) can be told from a live one's: sweepClones removes them.
 */
const CLONES = 'loopabull-git-';
const OWN_DIR = new RegExp(`^${CLONES}(\\d+)-(\\d+)-(.+)-[A-Za-z0-9]{6}$`);

/**
 * The PID namespace's inode (`/proc/self/ns/pid`), 0 where there is none to read. A pid means a
 * process only within its namespace: containers that share the tmp directory may also share the
 * hostname (the containers of a Kubernetes pod, `docker run --uts=host`) while numbering their
 * processes apart, so that a live process of one is a pid that does not run in the other.
 */
function pidNamespace(): string {
  try {
    return /\d+/.exec(readlinkSync('/proc/self/ns/pid'))?.[0] ?? '0';
  } catch {
    return '0';
  }
}

/** The start of the clone directory's name of process `pid` of this namespace and host. */
export const cloneDirPrefix = (pid: number): string =>
  `${CLONES}${pid}-${pidNamespace()}-${hostname()}-`;

let ownDir: Promise<string> | null = null;

function processDir(): Promise<string> {
  ownDir ??= mkdtemp(join(tmpdir(), cloneDirPrefix(process.pid))).then(
    (dir) => {
      // Left empty by a process that ends well; one that is killed leaves it for the sweep.
      process.once('exit', () => {
        try {
          rmdirSync(dir);
        } catch {
          // Not empty (a clone being made), or gone.
        }
      });
      return dir;
    },
    (err: unknown) => {
      ownDir = null;
      throw err;
    },
  );
  return ownDir;
}

/** A new directory for one clone, in the process's (made again if a tmp cleaner took it). */
async function cloneDir(): Promise<string> {
  for (let again = false; ; again = true) {
    const dir = await processDir();
    try {
      return await mkdtemp(join(dir, 'clone-'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || again) throw err;
      ownDir = null;
    }
  }
}

/** Whether a process of this machine (of this PID namespace) runs: EPERM is another user's. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the clone directories of processes that are gone (a worker killed mid-clone), and
 * returns them. Only those this user owns, named after this host and this PID namespace
 * (another container sharing the tmp directory numbers its processes apart) and a process that
 * does not run: a live worker's clones, or those of a process that took a dead one's pid, are
 * left alone.
 */
export async function sweepClones(): Promise<string[]> {
  const host = hostname();
  const namespace = pidNamespace();
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of await readdir(tmpdir())) {
    const m = OWN_DIR.exec(name);
    if (!m || m[2] !== namespace || m[3] !== host) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    const dir = join(tmpdir(), name);
    const info = await lstat(dir).catch(() => null);
    if (!info?.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * A shallow clone of `branch` (the default branch when absent) in a new temporary directory,
 * handed to `use` and removed afterwards, whatever `use` does. A dumb-HTTP remote, which
 * cannot serve a shallow clone, is cloned whole (its single branch). `checkout: false` fetches the
 * tree without writing the files (enough to list them).
 */
export async function withClone<T>(
  repo: string,
  branch: string | undefined,
  options: GitOptions & { checkout?: boolean },
  use: (dir: string) => Promise<T>,
): Promise<T> {
  checkArgs(repo, branch === undefined ? [] : [branch]);
  return inCloneDir(async (dir) => {
    const clone = (depth: string[]) =>
      git(
        [
          'clone',
          '--quiet',
          ...depth,
          '--single-branch',
          '--no-tags',
          ...(options.checkout === false ? ['--no-checkout'] : []),
          ...(branch === undefined ? [] : ['--branch', branch]),
          '--',
          repo,
          dir,
        ],
        `git clone ${repo}${branch === undefined ? '' : ` (branch ${branch})`}`,
        options,
      );
    try {
      await clone(['--depth', '1']);
    } catch (err) {
      // A repository served as static files (dumb HTTP, `git update-server-info`) cannot be
      // cloned shallow: git refuses before fetching anything, so the branch is cloned whole.
      if (!(err instanceof GitError && DUMB_HTTP.test(err.message))) throw err;
      await rm(dir, { recursive: true, force: true });
      await clone([]);
    }
    return use(dir);
  });
}

/** A directory for one clone, handed to `use` and removed afterwards, whatever `use` does. */
async function inCloneDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const tmp = await cloneDir();
  try {
    return await use(join(tmp, 'repo'));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * `commit` of `repo` checked out in a new temporary directory, handed to `use` and removed
 * afterwards, whatever `use` does: the commit the trigger saw on `branch`, whatever the branch
 * holds by now. The commit is fetched alone by its id (`git fetch --depth 1 <repo> <commit>`,
 * which servers speaking git's protocol v2 answer while they hold the commit); when the server
 * refuses that (protocol v0 without `uploadpack.allowAnySHA1InWant`, dumb HTTP, which fetches
 * nothing shallow), `branch` (the default branch when absent) is fetched whole and must hold
 * the commit. A commit the server no longer has (the branch pushed over and the commit
 * garbage-collected) is a GitError naming the repository and the commit. With a git cache the
 * commit comes from the repository's mirror, fetched into only when it does not hold it yet.
 */
export async function withCommit<T>(
  repo: string,
  branch: string | undefined,
  commit: string,
  options: GitOptions,
  use: (dir: string) => Promise<T>,
): Promise<T> {
  checkArgs(repo, branch === undefined ? [] : [branch]);
  const bad = commitProblem(commit);
  if (bad) throw new GitError(bad);
  const what = `git fetch ${repo} (${branchName(branch)}, commit ${commit})`;
  const mirror = options.cacheDir
    ? await mirrorWith(options.cacheDir, repo, branch, commit, what, options)
    : null;
  return inCloneDir(async (dir) => {
    await git(['init', '--quiet', '--', dir], 'git init', options);
    const inDir = { ...options, cwd: dir };
    const fetch = (args: string[], how: string) =>
      git(['fetch', '--quiet', '--no-tags', ...args], `${what}: ${how}`, inDir);
    if (mirror !== null) {
      // The mirror holds the commit: only its files are copied from it, as from a server.
      await fetch(['--depth', '1', '--', mirror, commit], 'from the git cache');
    } else {
      try {
        await fetch(['--depth', '1', '--', repo, commit], 'by id');
      } catch (err) {
        if (!(err instanceof GitError) || err.stopped) throw err;
        const byId = `by id: ${err.reason}`;
        const whole = branch === undefined ? 'the default branch' : `branch ${branch}`;
        await fetch(
          ['--', repo, branch === undefined ? 'HEAD' : `refs/heads/${branch}`],
          `${byId}; then ${whole} whole`,
        );
        if (!(await holds(dir, commit, options)))
          throw new GitError(
            `the server has no such commit: ${byId}; ${whole}, fetched whole, does not hold it (pushed over?)`,
            { what },
          );
      }
    }
    await git(['checkout', '--quiet', '--detach', commit, '--'], `git checkout ${what}`, inDir);
    return use(dir);
  });
}

/** Whether the repository at `dir` (a clone or a mirror) has `commit`. */
const holds = (dir: string, commit: string, options: GitOptions): Promise<boolean> =>
  git(['cat-file', '-e', `${commit}^{commit}`], 'git cat-file', { ...options, cwd: dir }).then(
    () => true,
    () => false,
  );

/**
 * The git cache (`taskotron.git_cache_dir`): one bare mirror of each repository, named after the
 * sha256 of its URL (never the URL's text, which would make a path of `..` or a slash), with
 * the branches looked into. What changes a mirror (making it, fetching into it) runs under
 * the exclusive lock of `<name>.lock` beside it (flock(1): the kernel lets go of it when the
 * process ends, however it ends), so that two workers never write into one at once; reading
 * takes no lock, since git writes objects before the refs that name them. The lock file's mtime
 * is when the mirror was last used (git-cache-prune.ts removes those unused for long).
 */
export function mirrorOf(cacheDir: string, repo: string): { path: string; lock: string } {
  const name = sha256Text(repo);
  return { path: join(cacheDir, `${name}.git`), lock: join(cacheDir, `${name}.lock`) };
}

/**
 * The mirror of `repo`, marked used now: its lock file's mtime set (the file made if missing),
 * also when the mirror is only read, which takes no lock.
 */
async function usedMirror(cacheDir: string, repo: string): Promise<{ path: string; lock: string }> {
  const mirror = mirrorOf(cacheDir, repo);
  await mkdir(cacheDir, { recursive: true });
  const now = new Date();
  await utimes(mirror.lock, now, now).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    await writeFile(mirror.lock, '', { flag: 'a' });
  });
  return mirror;
}

/**
 * The ref a mirror holds `branch` under: its own name, or for the default branch (the remote's
 * HEAD) a ref of its own, so that no fetch of another leaves it to FETCH_HEAD, which the next
 * fetch of any worker overwrites.
 */
const mirrorRef = (branch: string | undefined) =>
  branch === undefined ? 'refs/loopabull/default-branch' : `refs/heads/${branch}`;

/** The refspec that fetches `branch` into a mirror, moved even when it was pushed over. */
const mirrorBranch = (branch: string | undefined) =>
  `+${branch === undefined ? 'HEAD' : `refs/heads/${branch}`}:${mirrorRef(branch)}`;

/**
 * Fetches `refspecs` of `repo` into its mirror (made if it is not there yet), under the lock;
 * returns the mirror's path. A full fetch: a mirror is never shallow, so that a dumb-HTTP
 * remote is fetched as any other.
 */
async function fetchIntoMirror(
  cacheDir: string,
  repo: string,
  refspecs: string[],
  what: string,
  options: GitOptions,
): Promise<string> {
  const { path, lock } = await usedMirror(cacheDir, repo);
  const locked = { ...options, lock };
  if (!existsSync(join(path, 'HEAD')))
    // Again on a mirror another process has just made: git init leaves a repository as it was.
    await git(['init', '--bare', '--quiet', '--', path], `${what}: git init of the mirror`, locked);
  // gc in the foreground: a gc left running in the background would outlive the lock.
  await git(
    ['-c', 'gc.autoDetach=false', 'fetch', '--quiet', '--no-tags', '--', repo, ...refspecs],
    what,
    {
      ...locked,
      cwd: path,
    },
  );
  return path;
}

/**
 * Fetches `branch` (the default branch when absent) of `repo` into its mirror; returns the
 * mirror's path and the ref that names the branch there.
 */
async function branchIntoMirror(
  cacheDir: string,
  repo: string,
  branch: string | undefined,
  options: GitOptions,
): Promise<{ path: string; ref: string }> {
  const what = `git fetch ${repo} (${branchName(branch)}) into the git cache`;
  const path = await fetchIntoMirror(cacheDir, repo, [mirrorBranch(branch)], what, options);
  return { path, ref: mirrorRef(branch) };
}

/**
 * The mirror of `repo`, holding `commit`: fetched when it does not yet, `branch` (the default
 * branch when absent), then, if the branch no longer holds the commit, the commit by its id.
 */
async function mirrorWith(
  cacheDir: string,
  repo: string,
  branch: string | undefined,
  commit: string,
  what: string,
  options: GitOptions,
): Promise<string> {
  const { path } = await usedMirror(cacheDir, repo);
  if (existsSync(join(path, 'HEAD')) && (await holds(path, commit, options))) return path;
  const whole = branch === undefined ? 'the default branch' : `branch ${branch}`;
  await fetchIntoMirror(
    cacheDir,
    repo,
    [mirrorBranch(branch)],
    `${what}: ${whole} into the git cache`,
    options,
  );
  if (await holds(path, commit, options)) return path;
  try {
    await fetchIntoMirror(cacheDir, repo, [commit], `${what}: by id into the git cache`, options);
  } catch (err) {
    if (!(err instanceof GitError) || err.stopped) throw err;
    throw new GitError(
      `the server has no such commit: ${whole}, fetched into the git cache, does not hold it (pushed over?); by id into the git cache: ${err.reason}`,
      { what },
    );
  }
  return path;
}

/**
 * What `branch` of `repo` (the default branch when absent) holds now, checked out in a new
 * temporary directory, handed to `use` with its commit and removed afterwards: the check of a
 * job that names no commit. With a git cache the branch is fetched into the repository's mirror
 * and its head checked out from there, as a job of that commit is (withCommit); without, a
 * shallow clone (withClone).
 */
export async function withBranchHead<T>(
  repo: string,
  branch: string | undefined,
  options: GitOptions,
  use: (dir: string, commit: string) => Promise<T>,
): Promise<T> {
  if (!options.cacheDir)
    return withClone(repo, branch, options, async (dir) =>
      use(dir, await commitOf(dir, 'HEAD', options)),
    );
  checkArgs(repo, branch === undefined ? [] : [branch]);
  const { path, ref } = await branchIntoMirror(options.cacheDir, repo, branch, options);
  const commit = await commitOf(path, ref, options);
  return withCommit(repo, branch, commit, options, (dir) => use(dir, commit));
}

/** The commit `rev` names in the repository at `dir` (a clone or a mirror). */
async function commitOf(dir: string, rev: string, options: GitOptions): Promise<string> {
  const out = await git(
    ['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`],
    'git rev-parse',
    { ...options, cwd: dir },
  );
  return out.trim();
}

/**
 * The commit `rev` names in the repository at `dir` (a clone or a mirror) and its files, with
 * their git modes (`git ls-tree -r`): nothing is read.
 */
async function listed(
  dir: string,
  rev: string,
  options: GitOptions,
): Promise<{ commit: string; files: Array<{ mode: string; path: string }> }> {
  const commit = await commitOf(dir, rev, options);
  const out = await git(['ls-tree', '-r', '-z', commit], 'git ls-tree', { ...options, cwd: dir });
  const files = out
    .split('\0')
    .filter(Boolean)
    .map((entry) => {
      const tab = entry.indexOf('\t');
      return { mode: entry.slice(0, entry.indexOf(' ')), path: entry.slice(tab + 1) };
    });
  return { commit, files };
}

/** What `discoverChecks` found: the branch cloned, the commit it was at, and the checks in it. */
export interface Discovered extends FoundChecks {
  branch: string;
  /** The commit listed: a job runs its checks from it, not from what the branch holds later. */
  commit: string;
}

/**
 * A `discover` action's checks: `branch` of `repo`, or `fallback_branch` when the repository has
 * no `branch`, cloned shallow without checkout (with a git cache: fetched into the repository's
 * mirror), its commit and files listed and the checks picked (findChecks). Rejects with a
 * GitError naming the repository and why.
 */
export async function discoverChecks(
  d: Pick<Discovery, 'repo' | 'branch' | 'fallback_branch' | 'recursive'>,
  options: GitOptions,
): Promise<Discovered> {
  const wanted = d.fallback_branch === undefined ? [d.branch] : [d.branch, d.fallback_branch];
  const [branch] = await existingBranches(d.repo, wanted, options);
  if (branch === undefined)
    throw new GitError(
      `${d.repo} has no branch ${wanted.map((b) => JSON.stringify(b)).join(' nor fallback branch ')}`,
    );
  const { commit, files } = options.cacheDir
    ? await branchIntoMirror(options.cacheDir, d.repo, branch, options).then(({ path, ref }) =>
        listed(path, ref, options),
      )
    : await withClone(d.repo, branch, { ...options, checkout: false }, (dir) =>
        listed(dir, 'HEAD', options),
      );
  return { branch, commit, ...findChecks(files, d.recursive) };
}
