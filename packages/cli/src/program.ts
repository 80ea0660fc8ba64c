import { Command } from 'commander';
import { machinesCommand } from '@loopabull/hardware';
import { doctorCommand } from './commands/doctor.js';
import { jobsCommand } from './commands/jobs.js';
import { looperCommand } from './commands/looper.js';
import { pauseCommand, resumeCommand } from './commands/pause.js';
import { publishCommand } from './commands/publish.js';
import { queueCommand } from './commands/queue.js';
import { replayCommand } from './commands/replay.js';
import { resolveCommand } from './commands/resolve.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { upCommand } from './commands/up.js';
import { workerCommand } from './commands/worker.js';

const VERSION = '0.1.0';

/** Commander settings do not reach commands added with addCommand: apply them to the whole tree. */
function everywhere(cmd: Command, apply: (c: Command) => void): Command {
  apply(cmd);
  for (const sub of cmd.commands) everywhere(sub, apply);
  return cmd;
}

export function createProgram(): Command {
  const program = new Command('loopabull')
    .version(VERSION)
    .description(
      'Event-driven automation: bus messages run the playbook or handler named after their topic.',
    )
    .addCommand(looperCommand())
    .addCommand(workerCommand())
    .addCommand(serveCommand())
    .addCommand(upCommand())
    .addCommand(queueCommand())
    .addCommand(jobsCommand())
    .addCommand(publishCommand())
    .addCommand(replayCommand())
    .addCommand(resolveCommand())
    .addCommand(runCommand())
    .addCommand(pauseCommand())
    .addCommand(resumeCommand())
    .addCommand(doctorCommand())
    .addCommand(machinesCommand())
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
Docs: README.md and docs/ in the source tree.`,
    );
  return everywhere(program, (c) => {
    c.exitOverride();
    c.showHelpAfterError('(add --help for usage)');
  });
}
