/**
 * What `loopabull taskotron runtask` runs: imported by its action only (cli-runtask.ts), as it
 * loads the runner, the job log's database and ResultsDB, which the command's definition and
 * `--help` need not (docs/benchmarks.md, "CLI start-up").
 */
import { randomBytes } from 'node:crypto';
import { basename, resolve } from 'node:path';
import {
  ConfigError,
  PermanentError,
  TransientError,
  createLogger,
  printJson,
  type CommandEnv,
} from '@loopabull/core';
import { parseJob } from './job.js';
import { withJobLog } from './job-log.js';
import { exitCodeOf } from './outcomes.js';
import { resultsdbPayload } from './report.js';
import { exportResultYaml, plainResults } from './result-yaml.js';
import { utcNow } from './resultsdb/api.js';
import { jobEnd, submitAll, unreportedEnd, type Submitted } from './results-sink.js';
import { checkOrigin, namespacedSink, namespacePolicy } from './namespaces.js';
import { CheckNotFoundError, runCheck } from './runner.js';
import { startRunner } from './runner-start.js';
import { artifactsUrl, commandSettings, taskotronPaths } from './section.js';

/** Where the command writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * runtask's default uuid, as checkb made it: `utcnow` as `%Y%m%d_%H%M%S_%f`, to the microsecond
 * (two runs started in one millisecond had the same one, and the second was refused).
 */
const runtaskUuid = (): string => utcNow().replace(/[-:]/g, '').replace(/[T.]/g, '_');

export interface RuntaskOpts {
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
export async function runtask(env: CommandEnv, io: CliIo, taskdir: string, opts: RuntaskOpts) {
  const config = env.loadConfig(opts);
  const settings = commandSettings(config);
  const { section } = settings;
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
  const automationEnv = { ...settings, logger };
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
          const bodies = report.results.map((r) =>
            resultsdbPayload(r, job, artifactsUrl(automationEnv)),
          );
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
