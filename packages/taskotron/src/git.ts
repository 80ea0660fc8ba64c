import { readlinkSync, rmdirSync } from 'node:fs';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { branchProblem, findChecks, repoProblem, type FoundChecks } from './discover.js';
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
}

/** Why git could not do what was asked: the message names the repository and what git said. */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
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

/** Runs `git <args>`; rejects with a GitError naming `what` when it fails or times out. */
async function git(
  args: string[],
  what: string,
  options: GitOptions & { cwd?: string },
): Promise<string> {
  // Under coreutils' `timeout`, so that git ends even when nobody is left to kill it: in its own
  // process group it outlives a worker that dies (SIGKILL, the OOM killer), and a remote that
  // never answers would keep it forever. Later than the kill below, which says why.
  const deadline = String(options.timeoutSeconds + ORPHAN_GRACE_SECONDS);
  const child = execa('timeout', ['-s', 'KILL', deadline, 'git', ...SAFE_CONFIG, ...args], {
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
  if (stopped === 'timeout')
    throw new GitError(`${what}: git took longer than ${options.timeoutSeconds} s`);
  if (stopped === 'abort') throw new GitError(`${what}: stopped: the worker is shutting down`);
  if (result.failed) {
    const why = said(String(result.stderr ?? '')) || result.shortMessage;
    throw new GitError(`${what}: ${why}`);
  }
  return String(result.stdout ?? '');
}

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
  const tmp = await cloneDir();
  try {
    const dir = join(tmp, 'repo');
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
    return await use(dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The files of the clone's HEAD, with their git modes (`git ls-tree -r`): nothing is read. */
async function treeFiles(
  dir: string,
  options: GitOptions,
): Promise<Array<{ mode: string; path: string }>> {
  const out = await git(['ls-tree', '-r', '-z', 'HEAD'], 'git ls-tree', { ...options, cwd: dir });
  return out
    .split('\0')
    .filter(Boolean)
    .map((entry) => {
      const tab = entry.indexOf('\t');
      return { mode: entry.slice(0, entry.indexOf(' ')), path: entry.slice(tab + 1) };
    });
}

/** What `discoverChecks` found: the branch cloned and the checks in it. */
export interface Discovered extends FoundChecks {
  branch: string;
}

/**
 * A `discover` action's checks: `branch` of `repo`, or `fallback_branch` when the repository has
 * no `branch`, cloned shallow without checkout, its files listed and the checks picked
 * (findChecks). Rejects with a GitError naming the repository and why.
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
  const files = await withClone(d.repo, branch, { ...options, checkout: false }, (dir) =>
    treeFiles(dir, options),
  );
  return { branch, ...findChecks(files, d.recursive) };
}
