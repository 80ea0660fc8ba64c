import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve as resolvePath } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { execa, parseCommandString } from 'execa';
import type { Config } from '@loopabull/core';
import { RunError } from './run-error.js';
import { classifyExit } from './exit-codes.js';
import { OutputTail, StreamLines, UsageErrorWatch } from './output.js';
import { onExit } from './exit-cleanup.js';
import { guardGroup } from './orphan-reaper.js';

/** Between SIGTERM and SIGKILL to a playbook's process group. */
export const KILL_GRACE_MS = 5_000;

export interface PlaybookRun {
  config: Pick<Config, 'ansible'>;
  /** Absolute path of the playbook. */
  file: string;
  /** The playbook as named in messages (relative to the playbooks directory). */
  relative: string;
  /**
   * In a private directory of its own that is removed after the run (`withVarsFile`): the
   * playbook's TMPDIR and ANSIBLE_LOCAL_TEMP too, so what ansible leaves there when the run is
   * killed goes with it.
   */
  varsFile: string;
  /** The job's variables (LOOPABULL_TOPIC, …), beside what `ansible.env_passthrough` lets through. */
  env: Record<string, string>;
  /**
   * Each line of stdout and stderr, whole, interleaved, in order; the lines of a chunk of output
   * one after the other, in one go (a `LineSink` writes them together).
   */
  onLine(line: string): void;
  /** Aborted when the worker stops: the run is killed like at its timeout. */
  signal?: AbortSignal | undefined;
  /** Its working directory; the worker's when not given. */
  cwd?: string | undefined;
}

/** Loopabull's own credentials: never handed to a playbook, whatever the passthrough list says. */
const NEVER_PASSED = new Set(['REDIS_URL', 'AMQP_URL', 'LOOPABULL_TOKEN']);

/**
 * The environment a playbook runs with: the worker's variables that `passthrough` names (exact
 * names, prefixes ending in `*`, `*` for all), then the job's own. The broker and Redis URLs
 * never pass: they hold Loopabull's passwords, and a playbook is not trusted with them.
 */
export function playbookEnv(
  parent: NodeJS.ProcessEnv,
  passthrough: readonly string[],
  jobVars: Record<string, string>,
): Record<string, string> {
  const exact = new Set(passthrough.filter((p) => !p.endsWith('*')));
  const prefixes = passthrough.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || NEVER_PASSED.has(name)) continue;
    if (exact.has(name) || prefixes.some((p) => name.startsWith(p))) env[name] = value;
  }
  return { ...env, ...jobVars };
}

/**
 * `ansible.playbook_cmd` (its words, as `parseCommandString` splits them) with `args` after
 * them, and the environment a playbook gets: what runs a playbook and what `doctor` asks for
 * its version, so that both see the same command.
 */
export function playbookCommand(
  ansible: Pick<Config['ansible'], 'playbook_cmd' | 'env_passthrough' | 'cfg_file_path'>,
  args: readonly string[],
  jobVars: Record<string, string>,
  parent: NodeJS.ProcessEnv = process.env,
): { file: string; args: string[]; env: Record<string, string> } {
  const [cmd = '', ...cmdArgs] = parseCommandString(ansible.playbook_cmd);
  const env = playbookEnv(parent, ansible.env_passthrough, jobVars);
  if (ansible.cfg_file_path) env.ANSIBLE_CONFIG = ansible.cfg_file_path;
  return { file: cmd, args: [...cmdArgs, ...args], env };
}

/** How often a group being killed is looked at, to learn that it is gone. */
const GROUP_POLL_MS = 100;
/** How long, after SIGKILL, the group is waited for at most (SIGKILL acts when a process next runs). */
const SIGKILL_WAIT_MS = 2_000;

/** Sends a signal (0: none, only the check) to a process group; false when it has no process left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once the group is gone, or at the deadline with it still there (true). */
async function outlives(pgid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    await delay(GROUP_POLL_MS);
    if (!signalGroup(pgid, 0)) return false;
  }
  return true;
}

/**
 * Kills a process group: SIGTERM now, SIGKILL to whatever is left of it `KILL_GRACE_MS` later,
 * so the playbook's children (ssh, shell tasks, …) die with it instead of outliving the job.
 * Resolves once the group is gone (or, SIGKILL sent, has had a moment to go): until then the
 * run is not over, so neither a retry nor a stopping worker's exit leaves behind a process
 * that ignores SIGTERM.
 */
async function killGroup(pgid: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (!(await outlives(pgid, Date.now() + KILL_GRACE_MS))) return;
  signalGroup(pgid, 'SIGKILL');
  await outlives(pgid, Date.now() + SIGKILL_WAIT_MS);
}

/** Where Node's spawn looks for a command when the environment it is given has no PATH. */
const SPAWN_DEFAULT_PATH = '/usr/bin:/bin';

async function executableFile(path: string): Promise<string | null> {
  try {
    if (!(await stat(path)).isFile()) return `${path} is not a file`;
    await access(path, constants.X_OK);
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist` : `${path} is not executable`;
  }
}

/**
 * Why `ansible.playbook_cmd` could not be started as `spawnPlaybook` starts it (its first word,
 * looked up on the PATH a playbook gets, or a path from the working directory), else null.
 */
export async function playbookCmdProblem(
  ansible: Pick<Config['ansible'], 'playbook_cmd' | 'env_passthrough'>,
  parent: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  const [cmd] = parseCommandString(ansible.playbook_cmd);
  if (!cmd) return 'it is empty';
  if (cmd.includes('/')) return executableFile(resolvePath(cmd));
  const path = playbookEnv(parent, ansible.env_passthrough, {}).PATH ?? SPAWN_DEFAULT_PATH;
  const dirs = path.split(delimiter).filter((dir) => dir !== '');
  for (const dir of dirs) if ((await executableFile(join(dir, cmd))) === null) return null;
  return `${cmd} is not an executable file on PATH (${path})`;
}

/** How a playbook's process ended. */
export interface PlaybookExit {
  /** null when it was ended by a signal or could not start. */
  exitCode: number | null;
  signal: string | null;
  /** Killed by us: at `ansible.timeout`, or because `signal` was aborted. */
  stopped: 'timeout' | 'abort' | null;
  /** Why it could not start (the command is missing, …), else null. */
  startError: string | null;
  /** The last lines of its output. */
  output: string;
  /** argparse's `<prog>: error: …` line when the command line was refused (exit 2), else null. */
  usageError: string | null;
}

/**
 * Runs `ansible-playbook <file> -e @<varsfile>` in its own process group, without a shell, and
 * resolves with how it ended, whatever that was: callers that read a failing playbook as an
 * outcome (a check that fails) use this; `runPlaybook` makes a failure an error.
 */
export async function spawnPlaybook(run: PlaybookRun): Promise<PlaybookExit> {
  const { ansible } = run.config;
  const { file, args, env } = playbookCommand(ansible, [run.file, '-e', `@${run.varsFile}`], {
    ...run.env,
    // A module's AnsiballZ payload is unpacked under TMPDIR and removed only when the module
    // ends; a run killed at its timeout or at shutdown would leave it behind, one per run. So
    // would ansible-playbook its own `ansible-local-*` directory (~/.ansible/tmp by default,
    // local_tmp in ansible.cfg, which this overrides), where nothing would ever remove it.
    TMPDIR: dirname(run.varsFile),
    ANSIBLE_LOCAL_TEMP: dirname(run.varsFile),
  });
  const tail = new OutputTail();
  const usage = new UsageErrorWatch();
  const subprocess = execa(file, args, {
    env,
    extendEnv: false,
    ...(run.cwd ? { cwd: run.cwd } : {}),
    detached: true,
    stdin: 'ignore',
    buffer: false,
    reject: false,
  });
  const onLine = (line: string) => {
    tail.push(line);
    usage.push(line);
    run.onLine(line);
  };
  // Each stream in lines of its own, interleaved as they end (execa's `all` would split the two
  // merged, cutting a line of one written in pieces around a line of the other); a chunk's lines
  // are handed on at once, not one generator step and promise each.
  const outputs = [subprocess.stdout, subprocess.stderr].map((stream) => {
    const lines = new StreamLines(onLine);
    stream.on('data', (chunk: Buffer) => lines.write(chunk));
    return lines;
  });

  let stopped: 'timeout' | 'abort' | null = null;
  let killed: Promise<void> | undefined;
  const stop = (why: 'timeout' | 'abort') => {
    if (stopped || subprocess.pid === undefined) return;
    stopped = why;
    killed = killGroup(subprocess.pid);
  };
  const pgid = subprocess.pid;
  // No time for a grace on exit: SIGKILL.
  const forget = pgid === undefined ? () => false : onExit(() => signalGroup(pgid, 'SIGKILL'));
  // A worker killed outright runs no exit cleanup: the reaper outlives it to stop the group.
  const unguard = pgid === undefined ? () => undefined : guardGroup(pgid, KILL_GRACE_MS);
  const timer = setTimeout(() => stop('timeout'), ansible.timeout * 1000);
  const onAbort = () => stop('abort');
  run.signal?.addEventListener('abort', onAbort, { once: true });
  if (run.signal?.aborted) onAbort();

  // Settles once the process has exited and both streams have ended, or when it could not start.
  const result = await subprocess;
  // What each stream ended with after its last line break.
  for (const lines of outputs) lines.end();
  clearTimeout(timer);
  run.signal?.removeEventListener('abort', onAbort);
  // The playbook may be gone while a child that ignores SIGTERM is not.
  await killed;
  forget();
  unguard();
  const notStarted = result.failed && result.exitCode === undefined && result.signal === undefined;
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stopped,
    startError: notStarted ? (result.originalMessage ?? result.message ?? '') : null,
    output: tail.text(),
    usageError: usage.line,
  };
}

/**
 * Runs the playbook as `spawnPlaybook` does. Resolves with exit code 0; otherwise throws a
 * RunError whose summary names the exit code and the playbook and whose message ends with the
 * tail of the output (`permanent` when another try cannot do better).
 */
export async function runPlaybook(run: PlaybookRun): Promise<{ exitCode: 0 }> {
  const { ansible } = run.config;
  const { exitCode, signal, stopped, startError, output, usageError } = await spawnPlaybook(run);
  const what = `(playbook ${run.relative})`;
  if (stopped === 'abort') {
    throw new RunError(
      `ansible-playbook stopped ${what}: the worker is shutting down`,
      null,
      false,
      output,
    );
  }
  if (startError !== null)
    throw new RunError(
      `could not start ${ansible.playbook_cmd} ${what}: ${startError}`,
      null,
      false,
    );
  const verdict = classifyExit({
    exitCode,
    signal,
    output,
    timedOut: stopped === 'timeout',
    usageError,
  });
  if (verdict.verdict === 'success') return { exitCode: 0 };
  // A signal's reason names it: said once, as `was killed by SIGKILL`.
  const how =
    stopped === 'timeout'
      ? `timed out after ${ansible.timeout} s ${what}, ${verdict.reason}`
      : exitCode === null
        ? `was ${verdict.reason} ${what}`
        : `exited ${exitCode} ${what}, ${verdict.reason}`;
  throw new RunError(`ansible-playbook ${how}`, exitCode, verdict.verdict === 'permanent', output);
}
