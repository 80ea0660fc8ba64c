import type { Command } from 'commander';
import { doctorCommand } from './commands/doctor.js';
import { jobsCommand } from './commands/jobs.js';
import { legacyCommand } from './commands/legacy.js';
import { looperCommand } from './commands/looper.js';
import type { Cli } from './options.js';
import { pauseCommand, resumeCommand } from './commands/pause.js';
import { publishCommand } from './commands/publish.js';
import { queueCommand } from './commands/queue.js';
import { replayCommand } from './commands/replay.js';
import { resolveCommand } from './commands/resolve.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { upCommand } from './commands/up.js';
import { workerCommand } from './commands/worker.js';

/**
 * The CLI's own commands, in the order `--help` lists them. Imported by `createProgram` only when
 * the arguments need commands: their definitions load the configuration's schema and its helpers
 * (`@loopabull/core/cli`, about 0.15 s of CPU), which `loopabull --version` has no use for; each
 * action imports the engine it runs when it runs.
 */
export function ownCommands(cli: Cli): Array<[Command, { hidden?: boolean }?]> {
  return [
    [looperCommand(cli)],
    [workerCommand(cli)],
    [serveCommand(cli)],
    [upCommand(cli)],
    [queueCommand(cli)],
    [jobsCommand(cli)],
    [publishCommand(cli)],
    [replayCommand(cli)],
    [resolveCommand(cli)],
    [runCommand(cli)],
    [pauseCommand(cli)],
    [resumeCommand(cli)],
    [doctorCommand(cli)],
    [legacyCommand(cli), { hidden: true }],
  ];
}
