import { Command, Option } from 'commander';
import { configOption, exitCodesAndExamples, type CommandEnv } from '@loopabull/core/cli';
import { ITEM_TYPES } from './normalise.js';
import type { CliIo, RuntaskOpts } from './runtask.js';

const processIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/**
 * `loopabull taskotron runtask`: one check, locally, as libtaskotron's `runtask` ran it. Its
 * --config comes first, as every command lists it.
 */
export function runtaskCommand(env: CommandEnv, io: CliIo = processIo): Command {
  return (
    configOption(new Command('runtask'))
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
      .option(
        '-j, --jobid <id>',
        "the caller's job id, as runtask took it: accepted, not used",
        '-1',
      )
      .option(
        '--uuid <uuid>',
        "the job's uuid, naming its artifacts directory: letters, digits, _ and -, at most 64 (default: the UTC time, YYYYMMDD_HHMMSS_ffffff)",
      )
      .option('--no-report', 'print the results only; store nothing')
      .option(
        '--json',
        'print {uuid, execution_status, status, exit_code, artifacts, results, reported} instead of ResultYAML',
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
` +
          exitCodesAndExamples(
            `0 every result PASSED or INFO (or none), 100 some other outcome, 1 the check failed
to run or wrote no or malformed results (NOT_OK), or ResultsDB refused a result or could not be
reached (the results stay in the artifacts), 2 usage.`,
            [
              'loopabull taskotron runtask -i ansible-1.8.3-1.el7 -t koji_build -a noarch \\\n' +
                '    packages/taskotron/tasks/name-lint',
            ],
          ),
      )
      .action(async (taskdir: string, opts: RuntaskOpts) =>
        (await import('./runtask.js')).runtask(env, io, taskdir, opts),
      )
  );
}
