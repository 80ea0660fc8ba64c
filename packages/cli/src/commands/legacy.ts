import { existsSync, statSync } from 'node:fs';
import { Command } from 'commander';
import { checkRedisDatabase, createLogger } from '@loopabull/core';
import { startLooper, startWorker } from '../daemons.js';
import { boundHeapGrowth } from '../memory-bounds.js';
import { runUntilSignal } from '../lifecycle.js';
import type { Cli } from '../options.js';

/** The hidden command a 0.0.7 command line (`loopabull CONFIG`) becomes. */
const LEGACY = 'legacy-0.0.7';

/**
 * A word that names a config file no command could be: a path, or a YAML file name. When it does
 * not exist, the hidden command says so ("config file … does not exist") rather than Commander
 * calling `/etc/loopabull.yml` an unknown command, which is what a 0.0.7 unit whose file went
 * missing would log.
 */
const looksLikeConfigPath = (word: string) => word.includes('/') || /\.ya?ml$/i.test(word);

/**
 * Loopabull 0.0.7's whole command line was `loopabull CONFIG`, and its units and Fedora's still
 * run `/usr/bin/loopabull $CONFIG_FILE`. Arguments whose first word is an existing file rather
 * than a command, or a missing one named like a config file, are that command line: they become
 * the hidden command that runs it.
 */
export function legacyArgv(argv: readonly string[], commands: readonly string[]): string[] {
  const first = argv[2];
  if (
    argv.length !== 3 ||
    first === undefined ||
    first.startsWith('-') ||
    commands.includes(first) ||
    (existsSync(first) ? !statSync(first).isFile() : !looksLikeConfigPath(first))
  )
    return [...argv];
  return [argv[0]!, argv[1]!, LEGACY, first];
}

/**
 * What 0.0.7 did with its one process: consume the bus and run each message's playbook, here as
 * a looper and a worker (one job at a time, as 0.0.7 ran them) in one process. Several such
 * processes, as Fedora's `loopabull@N` units ran, share the durable queue and the work queue.
 */
export const legacyCommand = (cli: Cli) =>
  new Command(LEGACY).argument('<config>').action(async (path: string) => {
    boundHeapGrowth();
    const config = cli.loadConfig({ config: path });
    await checkRedisDatabase(config.redis.url);
    const logger = createLogger('loopabull', config.loglevel);
    logger.warn(
      `running ${path} as Loopabull 0.0.7 did, bus and playbooks in one process; systemd units should run \`loopabull looper\` and \`loopabull worker --id N\` (docs/compatibility.md)`,
    );
    const stopLooper = await startLooper(config, logger);
    const stopWorker = await startWorker(cli, config, logger, {
      id: String(process.pid),
      concurrency: 1,
    });
    await runUntilSignal('loopabull', logger, async () => {
      await stopLooper();
      await stopWorker();
    });
  });
