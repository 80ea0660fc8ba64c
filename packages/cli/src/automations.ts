import type { Handler } from '@loopabull/core';
import { hardwareHandler, hardwareRoutes } from '@loopabull/hardware';
import type { RouteModule } from '@loopabull/server';

/** The shipped automations' handlers, reachable from playbooks as `ctx.automation(name)`. */
export const shippedHandlers: Record<string, Handler> = { hardware: hardwareHandler };

/** The shipped automations' HTTP routes, mounted by `loopabull serve` when enabled. */
export const shippedRoutes: RouteModule[] = [hardwareRoutes];
