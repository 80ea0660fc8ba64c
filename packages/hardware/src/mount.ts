import type { RouteModule } from '@loopabull/server';
import { DASHBOARD } from './dashboard-link.js';
import { unknownMachine, unknownMachineJson } from './unknown-machine.js';

/**
 * Mounted by `loopabull serve` when `hardware.enabled` is on. The routes' module, and with it the
 * HTTP framework, is imported when the server mounts them: a worker starts this automation for
 * its handlers and never loads it.
 */
export const hardwareRoutes: RouteModule = {
  name: 'hardware',
  dashboard: DASHBOARD,
  // An id the router cannot take (a bad %-escape, over 512 characters) names no machine either.
  misses: [
    { under: '/machines/', answer: unknownMachine },
    { under: '/api/hardware/machines/', answer: (reply) => unknownMachineJson(reply) },
  ],
  register: async (app, deps) => (await import('./routes.js')).registerHardwareRoutes(app, deps),
};
