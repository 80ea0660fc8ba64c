import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config, Logger } from '@loopabull/core';
import type { PageLink } from './html.js';

/** What the server hands to the routes it mounts. */
export interface ServerDeps {
  config: Config;
  /**
   * Shared connection for reads and writes (not for blocking commands). Its commands fail at once
   * while Redis is away, and the server answers such a failure 503.
   */
  redis: Redis;
  logger: Logger;
  /**
   * The pages of every mounted module (their `dashboard`), in mount order: pass them as `page()`'s
   * `links`, so that a module's pages have the same navigation as the others'. Modules never
   * import each other; this is how one's pages link to another's.
   */
  pages: readonly PageLink[];
}

/**
 * A set of HTTP routes a started automation adds to `loopabull serve` (a disabled one is not
 * started, so it mounts nothing). Before a module's handler runs, the server checks the Host
 * header, and for every changing method (PUT/POST/DELETE/PATCH) the bearer token, the origin and
 * a JSON body (guard.ts), so modules do not check them themselves.
 */
export interface RouteModule {
  name: string;
  register(app: FastifyInstance, deps: ServerDeps): void | Promise<void>;
  /** A page for people, linked from the dashboard at `/`. */
  dashboard?: PageLink;
  /**
   * How the server words its own refusals and errors under `under` (a path prefix): the API's
   * original clients read their error from one key (ResultsDB's `{"message": ...}`). Elsewhere
   * the server answers `{"error": ...}`.
   */
  errors?: { under: string; body(message: string): Record<string, unknown> };
  /**
   * How requests the router cannot hand to any route are answered under these path prefixes:
   * their percent-encoding does not decode (`/gettac/%ZZ`), or a parameter is over 512
   * characters. The module's own routes answer every other path there that names nothing; this
   * gives those two the same answer. The longest prefix of any module wins. Elsewhere they are
   * 404 and 414 as the server answers them (bad-url.ts). Only methods the routes there take get
   * here: for another the server answers 405 with their `Allow` (OPTIONS: 200), as on a path
   * the router can read, so a module need not route such a request again to get it.
   */
  misses?: readonly RouteMiss[];
  /**
   * Where the API's original clients send the token inside the JSON body rather than as a
   * header: resultsdb_api's `ResultsDBapi(url, auth_token=...)` posts it as `_auth_token`. A
   * changing request under `under` without the bearer token is checked once its body is read,
   * the body's `key` standing for `Authorization: Bearer` (guard.ts).
   */
  bodyToken?: BodyToken;
}

/** A path prefix of a module, and the key of a JSON body that may carry the token there. */
export interface BodyToken {
  under: string;
  key: string;
}

/** A path prefix of a module, and its answer to a request there that the router cannot route. */
export interface RouteMiss {
  under: string;
  answer(reply: FastifyReply): unknown;
}

declare module '@loopabull/core' {
  interface AutomationInstance {
    /** Mounted by `loopabull serve`. */
    routes?: RouteModule;
  }
}
