import { Command } from 'commander';
import { boundHeapGrowth } from '../memory-bounds.js';
import type { Cli } from '../options.js';
import { LEGACY } from './legacy-argv.js';

export { legacyArgv } from './legacy-argv.js';

/**
 * What 0.0.7 did with its one process: consume the bus and run each message's playbook, here as
 * a looper and a worker (one job at a time, as 0.0.7 ran them) in one process. Several such
 * processes, as Fedora's `loopabull@N` units ran, share the durable queue and the work queue.
 */
export const legacyCommand = (cli: Cli) =>
  new Command(LEGACY).argument('<config>').action(async (path: string) => {
    boundHeapGrowth();
    const config = cli.loadConfig({ config: path });
    const { createLogger } = await import('@loopabull/core');
    const { looperPart, runParts, workerPart } = await import('../daemons.js');
    const logger = createLogger('loopabull', config.loglevel);
    logger.warn(
      `running ${path} as Loopabull 0.0.7 did, bus and playbooks in one process; systemd units should run \`loopabull looper\` and \`loopabull worker --id N\` (docs/compatibility.md)`,
    );
    // The worker starts once the looper runs, and stops after it.
    await runParts('loopabull', config, logger, [
      await looperPart(config, logger),
      await workerPart(cli, config, logger, { id: String(process.pid), concurrency: 1 }),
    ]);
  });
