import { lazyAutomation } from '@loopabull/core';
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
  },
  async () => (await import('./parts.js')).hardwareParts,
);
