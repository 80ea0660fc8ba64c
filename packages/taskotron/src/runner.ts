import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PermanentError, TransientError, type Config } from '@loopabull/core/cli';
import { renderExtraVars, spawnPlaybook, withVarsFile } from '@loopabull/playbook';
import {
  binaryArches,
  CHECK_FILES,
  checkPlaybooks,
  jobArtifact,
  jobArtifactsDir,
  RESULT_FILES,
} from './check-layout.js';
import type { RunnerJob } from './job.js';
import { outcomeSummary } from './outcomes.js';
import { executionStatus, type ExecutionStatus } from './report.js';
import {
  parseResultYaml,
  RESULT_LIMITS,
  ResultsFormatError,
  type CheckResult,
} from './result-yaml.js';
import { tapResults } from './tap13.js';

export interface CheckRun {
  job: RunnerJob;
  /** The check's directory, holding `tests.yml`. */
  taskDir: string;
  /** A discovered check's clone: playbooks that lead out of it are not run (checkPlaybooks). */
  within?: string | undefined;
  /** `taskotron.artifacts_dir`: the job's artifacts go into `<uuid>/` below it. */
  artifactsDir: string;
  config: Pick<Config, 'ansible'>;
  /** Seconds after which the check is killed with its process group and ends NOT_OK. */
  timeout: number;
  /**
   * The arches the deployment runs checks for (`taskotron.valid_arches`), given to the check as
   * `taskotron_supported_arches`, as libtaskotron gave its `supported_arches`.
   */
  supportedArches: readonly string[];
  /**
   * Who runs the job (the queue's job id): a directory already owned by the same job is a retry
   * and is emptied; one owned by another is "Multiple jobs with same UUID" (part E.3).
   */
  owner: string;
  onLine?(line: string): void;
  /** Aborted when the worker stops: the playbook is killed and the job goes back to the queue. */
  signal?: AbortSignal | undefined;
}

export interface CheckReport {
  status: ExecutionStatus;
  /** Results the check reported (none when it is NOT_OK), artifacts relative to `artifacts`. */
  results: CheckResult[];
  /** What the parser dropped and why. */
  warnings: string[];
  /** The job's artifacts directory. */
  artifacts: string;
}

/** The check does not exist: no other try can find it. */
export class CheckNotFoundError extends PermanentError {
  constructor(
    taskDir: string,
    readonly why = `it has no ${CHECK_FILES.playbooks} playbook`,
  ) {
    super(`no check in ${taskDir}: ${why}`);
    this.name = 'CheckNotFoundError';
  }
}

/**
 * Throws "Multiple jobs with same UUID" (part E.3) when the job's directory exists and is not
 * `owner`'s; resolves with whether it exists (then it is `owner`'s: a retry).
 */
export async function ownArtifacts(dir: string, owner: string): Promise<boolean> {
  const info = await stat(dir).catch(() => null);
  if (!info) return false;
  const was = await readFile(join(dir, CHECK_FILES.owner), 'utf8').catch(() => null);
  if (was !== owner)
    throw new PermanentError(
      `Multiple jobs with same UUID detected: ${dir} exists` +
        (was === null ? '' : ` and belongs to job ${was}`),
    );
  return true;
}

/** Creates the job's artifacts directory, or empties it for a retry of the job that owns it. */
async function claimArtifacts(dir: string, owner: string): Promise<void> {
  await mkdir(join(dir, '..'), { recursive: true });
  const created = await mkdir(dir).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return false;
      throw err;
    },
  );
  if (!created && (await ownArtifacts(dir, owner)))
    for (const entry of await readdir(dir))
      await rm(join(dir, entry), { recursive: true, force: true });
  await writeFile(join(dir, CHECK_FILES.owner), owner);
}

const PARSERS = { yaml: parseResultYaml, tap: tapResults };

/** The results the check left (the first of RESULT_FILES); null when it left none. */
async function readResults(
  dir: string,
): Promise<{ results: CheckResult[]; warnings: string[] } | { error: string } | null> {
  for (const { name, format } of RESULT_FILES) {
    const parse = PARSERS[format];
    const path = join(dir, name);
    const info = await lstat(path).catch(() => null);
    if (!info) continue;
    if (!info.isFile()) return { error: `${name} is not a regular file` };
    if (info.size > RESULT_LIMITS.bytes)
      return { error: `${name} is larger than ${RESULT_LIMITS.bytes} bytes` };
    try {
      return parse(await readFile(path, 'utf8'));
    } catch (err) {
      if (err instanceof ResultsFormatError) return { error: `${name}: ${err.message}` };
      throw err;
    }
  }
  return null;
}

/**
 * The check's extra vars, every value data (never templated): ours, and the names Taskotron's
 * STI checks read (`ansible-playbook tests.yml -e taskotron_item=<nvr>`). Checks such as
 * python-versions loop over `taskotron_supported_arches` and keep a fallback of their own in
 * their play vars, which only an extra var overrides: without it they silently test other arches.
 */
function checkVars(
  job: RunnerJob,
  artifacts: string,
  supportedArches: readonly string[],
): Record<string, string | string[]> {
  const { item, item_type, arch, uuid } = job;
  return {
    item,
    item_type,
    arch,
    uuid,
    artifacts,
    taskotron_item: item,
    taskotron_item_type: item_type,
    taskotron_arch: arch,
    taskotron_supported_arches: [...supportedArches],
    taskotron_supported_binary_arches: binaryArches(supportedArches),
  };
}

/** One playbook's run: its status, and its results with artifacts relative to the job's dir. */
interface PlaybookRun {
  playbook: string;
  status: ExecutionStatus;
  results: CheckResult[];
  warnings: string[];
  /** It ran past the check's time: no other playbook is started. */
  timedOut: boolean;
}

/**
 * Runs one playbook of the check with checkVars, `artifacts` being its own directory
 * `<job dir>/<playbook>/`, its output kept there as `taskotron.log`, and reads its results.
 */
async function runPlaybook(
  run: CheckRun,
  jobDir: string,
  playbook: string,
  timeout: number,
): Promise<PlaybookRun> {
  const dir = join(jobDir, playbook);
  await mkdir(dir);
  const log = createWriteStream(join(dir, CHECK_FILES.log));
  // The file is a copy of what the job's log has: losing it (a full disk) must not stop the run.
  log.on('error', (err) =>
    run.onLine?.(`loopabull: ${playbook}/${CHECK_FILES.log} not written: ${err.message}`),
  );
  const vars = checkVars(run.job, dir, run.supportedArches);
  let exit;
  try {
    exit = await withVarsFile(renderExtraVars(vars), (varsFile) =>
      spawnPlaybook({
        config: { ansible: { ...run.config.ansible, timeout } },
        file: join(run.taskDir, playbook),
        relative: `${basename(run.taskDir)}/${playbook}`,
        varsFile,
        env: {},
        cwd: run.taskDir,
        onLine: (line) => {
          log.write(line + '\n');
          run.onLine?.(line);
        },
        signal: run.signal,
      }),
    );
  } finally {
    await new Promise((done) => (log.destroyed ? done(undefined) : log.end(done)));
  }
  if (exit.stopped === 'abort')
    throw new TransientError('the check was stopped: the worker is shutting down');
  if (exit.startError !== null)
    throw new TransientError(
      `could not start ${run.config.ansible.playbook_cmd}: ${exit.startError}`,
    );

  const read = exit.exitCode === 0 ? await readResults(dir) : null;
  const status = executionStatus({
    exitCode: exit.exitCode,
    signal: exit.signal,
    timedOutAfter: exit.stopped === 'timeout' ? timeout : null,
    results: read && 'results' in read ? { outcomes: read.results.map((r) => r.outcome) } : read,
  });
  const ok = status.execution_status === 'OK' && read !== null && 'results' in read;
  return {
    playbook,
    status,
    results: ok
      ? read.results.map((r) => ({ ...r, artifact: jobArtifact(jobDir, playbook, r.artifact) }))
      : [],
    warnings: ok ? read.warnings : [],
    timedOut: exit.stopped === 'timeout',
  };
}

/**
 * The check's status from its playbooks': OK when every one is ("2 PASSED, 1 FAILED" over all
 * their results), else NOT_OK naming each playbook and how it ended. A check of one playbook
 * says what that playbook's status says, as before there were several.
 */
function checkStatus(runs: readonly PlaybookRun[], notRun: readonly string[]): ExecutionStatus {
  const ok = notRun.length === 0 && runs.every((r) => r.status.execution_status === 'OK');
  if (runs.length === 1 && notRun.length === 0) return runs[0]!.status;
  if (ok) {
    const outcomes = runs.flatMap((r) => r.results.map((x) => x.outcome));
    return {
      execution_status: 'OK',
      status: outcomes.length ? outcomeSummary(outcomes) : 'no results',
    };
  }
  const parts = runs.map((r) => `${r.playbook}: ${r.status.status}`);
  if (notRun.length) parts.push(`not run (no time left): ${notRun.join(', ')}`);
  return { execution_status: 'NOT_OK', status: parts.join('; ') };
}

/**
 * Runs one check: each of its `tests*.yml` playbooks in turn (checkVars, its own artifacts
 * directory `<artifacts_dir>/<uuid>/<playbook>/`, its output kept there as `taskotron.log`), and
 * reads their results, as checkb's executor did. The check is NOT_OK when any playbook fails,
 * crashes or writes results that cannot be read; the results of the others are still reported,
 * as checkb reported each playbook's. A NOT_OK check is a report, not an error; errors are what
 * another try may mend (TransientError: the worker stopping, ansible-playbook not starting) or not
 * (PermanentError: no such check, the uuid taken by another job). The playbooks share the check's
 * time limit, as runtask's did under buildbot.
 */
export async function runCheck(run: CheckRun): Promise<CheckReport> {
  const { run: playbooks, outside, unreadable } = await checkPlaybooks(run.taskDir, run.within);
  if (!playbooks.length) {
    const leadOut = outside.length ? `${outside.join(', ')}: symlinks out of the repository` : null;
    throw new CheckNotFoundError(run.taskDir, unreadable ?? leadOut ?? undefined);
  }
  const dir = jobArtifactsDir(run.artifactsDir, run.job.uuid);
  await claimArtifacts(dir, run.owner);

  const deadline = Date.now() + run.timeout * 1000;
  const runs: PlaybookRun[] = [];
  const notRun: string[] = [];
  for (const playbook of playbooks) {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0 || runs.some((r) => r.timedOut)) {
      notRun.push(playbook);
      continue;
    }
    runs.push(await runPlaybook(run, dir, playbook, left));
  }
  return {
    status: checkStatus(runs, notRun),
    results: runs.flatMap((r) => r.results),
    // Which playbook a warning is about, when there are several.
    warnings: outside
      .map((p) => `${p}: not run: it is a symlink out of the repository`)
      .concat(
        runs.flatMap((r) =>
          playbooks.length > 1 ? r.warnings.map((w) => `${r.playbook}: ${w}`) : r.warnings,
        ),
      ),
    artifacts: dir,
  };
}
