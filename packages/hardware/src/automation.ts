import { lazyAutomation } from '@loopabull/core/cli';
import { RUN_STATES } from './observation.js';
import { hardwareSection, type HardwareSection } from './section.js';

/**
 * Hardware last-seen tracking (Mozilla releng-hardware): handlers, `/machines`, `loopabull
 * machines`. The CLI imports this module alone (`@loopabull/hardware/automation`); the rest comes
 * with the first process that uses it.
 */
export const hardware = lazyAutomation<HardwareSection>(
  {
    name: 'hardware',
    description: 'hardware last-seen tracking from Taskcluster queue messages (releng-hardware)',
    section: hardwareSection,
    // The Taskcluster queue's task exchanges, one handler file each (playbooks/taskcluster-queue.*.mjs).
    topics: RUN_STATES.map((state) => ({ topic: `taskcluster-queue.v1.task-${state}` })),
    // The commands' definitions alone: their actions import the store when they run.
    commands: async (env) => [(await import('./cli.js')).machinesCommand(env)],
  },
  async () => (await import('./parts.js')).hardwareParts,
);
