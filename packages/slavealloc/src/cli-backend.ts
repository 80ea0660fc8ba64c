import { ConfigError, createLogger, isObject, type Config } from '@loopabull/core';
import { NotCreatedYet, type DatabaseLogger } from '@loopabull/database';
import { openSlaveallocDb, type SlaveallocDb } from './db.js';
import { busEvents } from './events.js';
import type { ApiRow } from './rows.js';
import { slaveallocSettings } from './section.js';
import { Slavealloc } from './service.js';

/** What the admin commands (gettac, lock, disable, enable, notes) need, over the API or the database. */
export interface Backend {
  /** A row by name (`?byname=1`), or null. */
  byName(table: 'slaves' | 'masters', name: string): Promise<ApiRow | null>;
  /** PUT: throws when the change was not made. */
  update(table: 'slaves', id: number, changes: Record<string, unknown>): Promise<void>;
  /** The tac without recording the allocation, or null when there is none. */
  gettac(name: string): Promise<string | null>;
  close(): Promise<void>;
}

/**
 * The original's `-A` URL ended in `/api`; a bare server address is taken to mean its `/api`.
 * A user and password in it are for a proxy in front of the API, sent as HTTP basic
 * authentication: fetch refuses a URL that holds them, and messages name the URL without them.
 */
function apiBase(url: string): { base: string; basic: string | null } {
  const u = new URL(url);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/api';
  const basic =
    u.username || u.password
      ? Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString(
          'base64',
        )
      : null;
  u.username = '';
  u.password = '';
  return { base: u.toString().replace(/\/+$/, ''), basic };
}

/**
 * The REST client of the original CLI, with the bearer token the server asks for on PUT, or the
 * basic authentication of a proxy in front of it when the URL has a user (one header holds one).
 */
export function apiBackend(url: string, token: string | null): Backend {
  const { base, basic } = apiBase(url);
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = {
      'user-agent': 'slavealloc command line',
      'content-type': 'application/json',
    };
    if (basic) headers.authorization = `Basic ${basic}`;
    else if (token && method !== 'GET') headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(`${base}/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(
        `cannot reach ${base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
      );
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: reported below with the status
    }
    return { status: res.status, json: json as ApiRow | null, text };
  };
  /** An answer that is not the API's: a 404 of its own most often means -A is not its /api. */
  const notTheApi = (path: string, res: { status: number; text: string }) =>
    new Error(
      `${base}/${path} answered ${res.status}: ${res.text.slice(0, 200)}${
        res.status === 404 ? ` (is ${base} the slavealloc API, e.g. http://host:8080/api?)` : ''
      }`,
    );
  /** The API's own "no such row" (`{}`) or "no allocation" (`{"success": false}`). */
  const isMissing = (res: { status: number; json: ApiRow | null }, missing: ApiRow) =>
    res.status === 404 &&
    isObject(res.json) &&
    JSON.stringify(res.json) === JSON.stringify(missing);
  return {
    async byName(table, name) {
      const path = `${table}/${encodeURIComponent(name)}?byname=1`;
      const res = await call('GET', path);
      if (isMissing(res, {})) return null;
      if (res.status !== 200 || !isObject(res.json)) throw notTheApi(path, res);
      return Object.keys(res.json).length ? res.json : null;
    },
    async update(table, id, changes) {
      const res = await call('PUT', `${table}/${id}`, changes);
      if (res.status === 401 || res.status === 403)
        throw new Error(
          `the server refused the change (HTTP ${res.status}): give its http.token in LOOPABULL_TOKEN or in this config's http.token`,
        );
      if (res.json?.success !== true)
        throw new Error(
          `Operation failed on server.${res.json?.error ? ` ${String(res.json.error)}` : ''}`,
        );
    },
    async gettac(name) {
      const path = `gettac/${encodeURIComponent(name)}`;
      const res = await call('GET', path);
      if (isMissing(res, { success: false })) return null;
      if (res.status === 200 && res.json?.success === true && typeof res.json.tac === 'string')
        return res.json.tac;
      throw notTheApi(path, res);
    },
    close: async () => {},
  };
}

/**
 * A database that must be there already: a command that reads it, or changes a slave in it,
 * never makes one (a mistyped SQLite path made an empty database and its folders, and `dbdump`
 * wrote an empty backup). `dbinit`, `dbimport` and `dbload` make it.
 */
export async function openExistingDb(
  url: string,
  baseDir: string,
  logger: DatabaseLogger,
): Promise<SlaveallocDb> {
  try {
    return await openSlaveallocDb(url, baseDir, logger, { create: false });
  } catch (err) {
    if (!(err instanceof NotCreatedYet)) throw err;
    throw new ConfigError(
      `the SQLite database ${err.path} does not exist${err.problem ? `, and ${err.problem}` : ''}: check -D or database.url, or make it with loopabull slavealloc dbinit`,
    );
  }
}

/**
 * Straight to the database (`-D URL`, or the config's database.url; a relative SQLite path from
 * `baseDir`), which must exist; changes publish their events from here.
 */
export async function dbBackend(
  config: Config,
  url: string,
  baseDir: string = config.dir,
): Promise<Backend & { service: Slavealloc }> {
  const settings = slaveallocSettings(config);
  const db = await openExistingDb(url, baseDir, createLogger('slavealloc', config.loglevel));
  const events = busEvents(config, settings.events, {
    warn: (m: string) => process.stderr.write(`warning: ${m}\n`),
  });
  const service = new Slavealloc(db, settings, events.sink);
  return {
    service,
    byName: async (table, name) => (await service.get(table, { name })) ?? null,
    async update(table, id, changes) {
      const result = await service.update(table, id, changes, 'cli');
      if (!result.ok) throw new Error(`Operation failed: ${result.error}`);
    },
    async gettac(name) {
      const a = await service.gettac(name, false);
      return a.kind === 'allocated' || a.kind === 'disabled' ? a.tac : null;
    },
    async close() {
      await events.close();
      await db.close();
    },
  };
}
