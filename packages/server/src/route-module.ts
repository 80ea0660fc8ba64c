import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config, Logger } from '@loopabull/core';

/** What the server hands to the routes it mounts. */
export interface ServerDeps {
  config: Config;
  /** Shared connection for reads and writes (not for blocking commands). */
  redis: Redis;
  logger: Logger;
}

/**
 * A set of HTTP routes a started automation adds to `loopabull serve` (a disabled one is not
 * started, so it mounts nothing). The server checks the bearer
 * token for every changing method (PUT/POST/DELETE/PATCH) before a module's handler runs, so
 * modules do not check it themselves.
 */
export interface RouteModule {
  name: string;
  register(app: FastifyInstance, deps: ServerDeps): void | Promise<void>;
  /** A page for people, linked from the dashboard at `/`. */
  dashboard?: { title: string; path: string };
}

declare module '@loopabull/core' {
  interface AutomationInstance {
    /** Mounted by `loopabull serve`. */
    routes?: RouteModule;
  }
}
