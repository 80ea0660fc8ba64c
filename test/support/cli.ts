import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.js';

/** The built command, as systemd and operators run it (`npm test` builds it first). */
export const CLI = fileURLToPath(new URL('../../packages/cli/bin/loopabull.js', import.meta.url));

/** What in the caller's environment would point a CLI at other services or another configuration. */
export const HOST_VARIABLE = /^(REDIS_URL|AMQP_URL|LOOPABULL_.*)$/;

/** The caller's environment without REDIS_URL, AMQP_URL and LOOPABULL_*, plus `env`. */
export function isolatedEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const kept = Object.entries(process.env).filter(([name]) => !HOST_VARIABLE.test(name));
  return { ...Object.fromEntries(kept), ...env };
}

export interface CliOptions {
  /** Added to (with `isolated`: to the scrubbed) environment. */
  env?: NodeJS.ProcessEnv;
  /** Working directory; with `isolated`, a new temporary one unless given. */
  cwd?: string;
  /**
   * A scrubbed environment (`isolatedEnv`) and a temporary working directory, so that neither
   * the caller's exported variables nor a `./loopabull.yml` where the tests run decide the
   * result. On unless a test turns it off to see the caller's environment pass.
   */
  isolated?: boolean;
}

function spawnOptions(opts: CliOptions): { env: NodeJS.ProcessEnv; cwd: string | undefined } {
  return opts.isolated !== false
    ? { env: isolatedEnv(opts.env), cwd: opts.cwd ?? tempDir('cwd') }
    : { env: { ...process.env, ...opts.env }, cwd: opts.cwd };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `loopabull ARGS` to completion; SIGKILLed if it still runs after `timeoutMs`. */
export async function runCli(
  args: string[],
  opts: CliOptions & { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    ...spawnOptions(opts),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 50_000);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.input ?? '');
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves when its output matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for exit (the graceful path); SIGKILL to its group if it still runs after `killAfterMs`. */
  stop(killAfterMs?: number): Promise<void>;
  /** SIGKILL its whole process group, as systemd's control-group kill does. */
  killGroup(): Promise<void>;
}

/**
 * Starts a long-running `loopabull ARGS` (looper, worker, serve) in its own process group, so a
 * test can kill it with everything it started.
 */
export function startCli(args: string[], opts: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    ...spawnOptions(opts),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit');
  return {
    child,
    output: () => out,
    waitForOutput(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms; got:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop(killAfterMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => killGroup(child), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
    },
    async killGroup() {
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child);
        await exited;
      }
    },
  };
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * `startCli`, resolved once the output matches `ready` (a worker's "taking jobs", a looper's
 * "consuming"); one that does not get there is killed with its group and the error names why.
 */
export async function startReady(
  args: string[],
  ready: RegExp,
  opts: CliOptions = {},
): Promise<CliProcess> {
  const proc = startCli(args, opts);
  try {
    await proc.waitForOutput(ready);
  } catch (err) {
    await proc.killGroup();
    throw err;
  }
  return proc;
}
