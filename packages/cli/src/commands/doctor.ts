import { Command } from 'commander';
import { exitCodesAndExamples } from '@loopabull/core/cli';
import { jsonOption, withConfig, type ConfigOpts, type Cli } from '../options.js';

export const doctorCommand = (cli: Cli) =>
  withConfig(new Command('doctor'))
    .description(
      'check Redis, the bus, ansible-playbook, the playbooks directory and each enabled automation (its handler files there included); say what is wrong and how to fix it',
    )
    .addOption(jsonOption())
    .addHelpText(
      'after',
      `
"<automation> files" checks that each topic of an enabled automation that the bus delivers
(bus.bindings, routing_keys) has a file to run in the playbooks directory: the shipped handler
files are in the source tree's playbooks/ and must be copied into a playbooks directory
elsewhere. It changes nothing: no key in Redis, no queue or exchange on the broker, no file,
table or directory. A SQLite database or artifacts directory that does not exist yet is
reported, and made by the first start of the services; migrations the next start applies are
counted, not run. Run it as the services' user with their environment (docs/operating.md), or
its answers are another user's.`,
    )
    .addHelpText(
      'after',
      exitCodesAndExamples(
        {
          0: ['every check is ok'],
          1: ['a check failed (a paused queue counts as one); each says how to fix it'],
          2: ['a usage or configuration error: the config file does not load'],
        },
        [
          'loopabull doctor -c /etc/loopabull/loopabull.yml',
          "loopabull doctor --json | jq -c '.[] | select(.ok | not)'",
        ],
      ),
    )
    .action(async (opts: ConfigOpts & { json?: boolean }) =>
      (await import('./doctor-checks.js')).doctor(cli, opts),
    );
