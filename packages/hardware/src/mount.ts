import type { RouteModule } from '@loopabull/server';
import { DASHBOARD } from './dashboard-link.js';

/**
 * Mounted by `loopabull serve` when `hardware.enabled` is on. The routes' module, and with it the
 * HTTP framework, is imported when the server mounts them: a worker starts this automation for
 * its handlers and never loads it.
 */
export const hardwareRoutes: RouteModule = {
  name: 'hardware',
  dashboard: DASHBOARD,
  register: async (app, deps) => (await import('./routes.js')).registerHardwareRoutes(app, deps),
};
