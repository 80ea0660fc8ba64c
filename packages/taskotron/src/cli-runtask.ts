import { randomBytes } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { Command, Option } from 'commander';
import {
  ConfigError,
  configOption,
  PermanentError,
  TransientError,
  createLogger,
  printJson,
  resolveFrom,
  type CommandEnv,
} from '@loopabull/core';
import { parseJob } from './job.js';
import { withJobLog } from './job-log.js';
import { ITEM_TYPES } from './normalise.js';
import { exitCodeOf } from './outcomes.js';
import { resultsdbPayload } from './report.js';
import { exportResultYaml, plainResults } from './result-yaml.js';
import { jobEnd, submitAll, unreportedEnd, type Submitted } from './results-sink.js';
import { checkOrigin, namespacedSink, namespacePolicy } from './namespaces.js';
import { CheckNotFoundError, runCheck } from './runner.js';
import { startRunner } from './runner-start.js';
import { taskotronPaths, taskotronSettings } from './section.js';

/** Where the command writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** runtask's default uuid, as checkb made it: `utcnow` as `%Y%m%d_%H%M%S_%f`. */
export function runtaskUuid(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}_` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}_` +
    p(now.getUTCMilliseconds() * 1000, 6)
  );
}

interface RuntaskOpts {
  item: string;
  type: string;
  arch: string;
  uuid?: string;
  jobid: string;
  report: boolean;
  json?: boolean;
  config?: string;
}

/** Exit codes: 0 all PASSED or INFO, 100 otherwise (runtask's), 1 the check is NOT_OK, 2 usage (TASKDIR too). */
async function runtask(env: CommandEnv, io: CliIo, taskdir: string, opts: RuntaskOpts) {
  const config = env.loadConfig(opts);
  const section = taskotronSettings(config);
  const taskDir = resolve(taskdir);
  const parsed = parseJob({
    item: opts.item,
    item_type: opts.type,
    taskname: basename(taskDir),
    arch: opts.arch,
    uuid: opts.uuid ?? runtaskUuid(),
  });
  if (!parsed.ok) throw new ConfigError(parsed.message.replace(/^taskname:/, 'TASKDIR name:'));
  const { job } = parsed;
  const logger = createLogger('taskotron', config.loglevel);
  const automationEnv = {
    config,
    section,
    logger,
    resolvePath: (p: string) => resolveFrom(config.dir, p),
  };
  const { artifactsDir } = taskotronPaths(automationEnv);
  const report = await runCheck({
    job,
    taskDir,
    artifactsDir,
    config,
    timeout: section.check_timeout,
    supportedArches: section.valid_arches,
    owner: `runtask-${randomBytes(6).toString('hex')}`,
    onLine: (line) => io.err(line + '\n'),
  }).catch((err: unknown) => {
    // TASKDIR is what the person typed: a directory with no check in it is a usage error (exit 2),
    // as any other bad argument, not a failed run.
    if (err instanceof CheckNotFoundError) throw new ConfigError(`TASKDIR ${taskdir}: ${err.why}`);
    // A job's uuid clash is the queue's to report; here the person typed the uuid: say how out.
    if (err instanceof PermanentError && err.message.startsWith('Multiple jobs with same UUID'))
      throw new PermanentError(
        `${err.message}: give another --uuid, or none for a new one (the UTC time)`,
      );
    throw err;
  });
  for (const w of report.warnings) io.err(`results: ${w}\n`);
  if (report.results.length && !opts.json) io.out(exportResultYaml(report.results));

  const submitted: Submitted[] = [];
  let unreachable: string | null = null;
  if (opts.report && report.results.length) {
    try {
      await withJobLog(config, logger, async (jobLog, db) => {
        const runner = await startRunner(automationEnv, db, jobLog);
        try {
          const bodies = report.results.map((r) => resultsdbPayload(r, job, section.artifacts_url));
          const sink = namespacedSink(
            runner.sink,
            checkOrigin(taskDir),
            namespacePolicy(automationEnv),
          );
          await submitAll(bodies, sink, submitted, undefined, async (s, i) =>
            io.err(
              s.ok
                ? `reported ${bodies[i]!.testcase.name}: result ${s.id} in ${sink.name}\n`
                : `${sink.name} refused ${bodies[i]!.testcase.name}: ${s.message}\n`,
            ),
          );
        } finally {
          await runner.stop();
        }
      });
    } catch (err) {
      // The results store cannot be reached: the check has run and its results are in its
      // artifacts; end as any NOT_OK run does, with the output (--json too) and what was reported.
      if (!(err instanceof TransientError)) throw err;
      unreachable = err.message;
    }
  }
  const end = unreportedEnd(
    jobEnd(report.status, submitted),
    submitted.length,
    report.results.length,
    unreachable,
  );
  io.err(
    `${end.execution_status}: ${end.status} (uuid ${job.uuid}, artifacts ${report.artifacts})\n`,
  );
  const exitCode =
    end.execution_status === 'NOT_OK' ? 1 : exitCodeOf(report.results.map((r) => r.outcome));
  if (opts.json)
    printJson(io.out, {
      uuid: job.uuid,
      ...end,
      exit_code: exitCode,
      artifacts: report.artifacts,
      results: plainResults(report.results),
      reported: submitted,
    });
  process.exitCode = exitCode;
}

/** `loopabull taskotron runtask`: one check, locally, as libtaskotron's `runtask` ran it. */
export function runtaskCommand(env: CommandEnv, io: CliIo = processIo): Command {
  return configOption(
    new Command('runtask')
      .description('run one check locally and report its results')
      .argument(
        '<taskdir>',
        'the check: a directory holding tests*.yml playbooks; its name is the task name',
      )
      .requiredOption('-i, --item <item>', 'what to check, e.g. cups-2.2.0-9.fc25')
      .addOption(
        new Option('-t, --type <type>', 'the item type').choices(ITEM_TYPES).makeOptionMandatory(),
      )
      .option('-a, --arch <arch>', 'the arch', 'noarch')
      // Taskotron's buildbot ran `runtask ... -j <builder>/<build>`; libtaskotron made buildbot
      // log URLs of it. Taken so that such callers run unchanged; ref_urls point at artifacts.
      .option('-j, --jobid <id>', "the caller's job id (runtask's; accepted, not used)", '-1')
      .option(
        '--uuid <uuid>',
        "the job's uuid, naming its artifacts directory: letters, digits, _ and -, at most 64 (default: the UTC time, YYYYMMDD_HHMMSS_ffffff)",
      )
      .option('--no-report', 'print the results only; store nothing')
      .option(
        '--json',
        'print {uuid, execution_status, status, exit_code, artifacts, results, reported} instead of ResultYAML',
      ),
  )
    .addHelpText(
      'after',
      `
Each tests*.yml playbook of the check runs in name order with ansible-playbook (the ansible.*
settings; together killed, NOT_OK, after taskotron.check_timeout seconds), with vars item,
item_type, arch, uuid and artifacts = <taskotron.artifacts_dir>/<uuid>/<playbook>/, e.g.
<uuid>/tests.yml/ (and Taskotron's taskotron_item, taskotron_item_type, taskotron_arch,
taskotron_supported_arches: taskotron.valid_arches, and taskotron_supported_binary_arches),
where it must write results.yml (ResultYAML; also read as taskotron/results.yml or
checkb/results.yml) or results.tap (TAP 13). A playbook that fails or writes no results makes
the run NOT_OK; the others' results are still reported. Its output goes to standard error and to
<artifacts>/taskotron.log; its results are printed as ResultYAML on standard output and reported
to the built-in ResultsDB (database.url) or to taskotron.resultsdb_url, unless --no-report; a
result whose checkname namespace TASKDIR may not use (taskotron.namespaces_safe,
namespaces_whitelist) is refused.

Exit codes: 0 every result PASSED or INFO (or none), 100 some other outcome, 1 the check failed
to run or wrote no or malformed results (NOT_OK), or ResultsDB refused a result or could not be
reached (the results stay in the artifacts), 2 usage.

Example:
  loopabull taskotron runtask -i ansible-1.8.3-1.el7 -t koji_build -a noarch ./name-lint`,
    )
    .action((taskdir: string, opts: RuntaskOpts) => runtask(env, io, taskdir, opts));
}
