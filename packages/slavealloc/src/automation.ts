import { lazyAutomation } from '@loopabull/core/cli';
import { slaveallocSection, type SlaveallocSection } from './section.js';

/**
 * Build-slave allocation (Mozilla slavealloc): `/gettac`, `/api`, `loopabull slavealloc`, bus
 * handlers. The CLI imports this module alone (`@loopabull/slavealloc/automation`); the rest, with
 * the database drivers, comes with the first process that uses it.
 */
export const slavealloc = lazyAutomation<SlaveallocSection>(
  {
    name: 'slavealloc',
    description: 'build-slave allocation: a buildbot.tac for each slave (Mozilla slavealloc)',
    section: slaveallocSection,
    // What another automation or an operator publishes to take a slave out or put it back (handler.ts).
    topics: [{ topic: 'slavealloc.slave.disable' }, { topic: 'slavealloc.slave.enable' }],
    // The command's definition alone: its actions import the database when they run.
    commands: async (env) => [(await import('./cli.js')).slaveallocCommand(env)],
  },
  async () => (await import('./parts.js')).slaveallocParts,
);
