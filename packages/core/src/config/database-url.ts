import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { percentDecoded } from '../percent.js';
import { SECRET_PARAM } from '../redact-url.js';

/** The SQL dialect behind a URL; MariaDB speaks `mysql`. */
export type DatabaseDialect = 'sqlite' | 'postgresql' | 'mysql';

export interface SqliteTarget {
  dialect: 'sqlite';
  /** An absolute file path, or `:memory:`. */
  path: string;
}

export interface ServerTarget {
  dialect: 'postgresql' | 'mysql';
  host: string;
  /** Unset: the dialect's default port. */
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  database: string;
}

export type DatabaseTarget = SqliteTarget | ServerTarget;

/** SQLAlchemy's backend names; a `+driver` suffix is accepted and ignored. */
const DIALECTS: Record<string, DatabaseDialect> = {
  sqlite: 'sqlite',
  postgresql: 'postgresql',
  postgres: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mysql',
};

const ACCEPTED = [
  'sqlite:///relative/path.db (relative to the config file)',
  'sqlite:////absolute/path.db',
  'sqlite:// or sqlite:///:memory: (in memory)',
  'postgresql://user:password@host:port/database (also postgres://)',
  'mysql://user:password@host:port/database (also mariadb://)',
].join(', ');

/**
 * Replaces the password, and the value of a query parameter named like one (`?password=`,
 * `?sslpassword=`: libpq's), with `***`. Works on text that is not a valid URL too, since those
 * are exactly the ones that end up in error messages (a scheme no URL has, spaces before it, no
 * `//`): everything from the first `:` after the `://` (or from the first `:`, without one) up
 * to the last `@` counts as the password, which can only hide too much. A user name alone is
 * kept: `postgresql://postgres@db/x` is how trust and peer logins are written.
 */
export function redactDatabaseUrl(url: string): string {
  const at = url.lastIndexOf('@');
  const slashes = url.indexOf('://');
  const colon = at < 0 ? -1 : url.indexOf(':', slashes >= 0 && slashes < at ? slashes + 3 : 0);
  const hidden = colon < 0 || colon > at ? url : `${url.slice(0, colon + 1)}***${url.slice(at)}`;
  const host = hidden.lastIndexOf('@') + 1;
  const query = hidden.slice(host).search(/[?#]/);
  if (query < 0) return hidden;
  // A fragment too: the URL check lets one through, and doctor prints what it could not open.
  return (
    hidden.slice(0, host + query) +
    hidden
      .slice(host + query)
      .replace(/([?&#][^=&#]*=)[^&#]*/g, (param: string, name: string) =>
        SECRET_PARAM.test(percentDecodedOrAsIs(name)) ? `${name}***` : param,
      )
  );
}

/** `%70assword` is `password` to a driver that decodes it. */
function percentDecodedOrAsIs(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function invalid(url: string, problem: string): ConfigError {
  return new ConfigError(
    `database URL ${redactDatabaseUrl(url)} ${problem}. Accepted forms: ${ACCEPTED}`,
  );
}

/**
 * SQLAlchemy keeps the path after `sqlite:///` as it is (no percent-decoding): one slash more
 * makes it absolute. It is read as text because WHATWG URL parsing would re-encode it.
 */
function sqliteTarget(url: string, rest: string, baseDir: string): SqliteTarget {
  if (rest.includes('?')) throw invalid(url, 'has query parameters, which are not supported');
  if (rest === '' || rest === '/' || rest === '/:memory:') {
    return { dialect: 'sqlite', path: ':memory:' };
  }
  if (!rest.startsWith('/')) {
    throw invalid(url, `names a host; a file is written sqlite:///${rest}`);
  }
  const path = rest.slice(1);
  return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(baseDir, path) };
}

/**
 * What is wrong with a server URL's query, or null. SQLAlchemy URLs of MySQL often carry
 * `?charset=utf8`: taken, as the connection is always utf8mb4 (UTF-8 whole, which utf8 is not).
 * TLS options are not read from the URL: PostgreSQL's driver takes libpq's PGSSLMODE from the
 * environment (docs/configuration.md).
 */
function queryProblem(params: URLSearchParams, dialect: ServerTarget['dialect']): string | null {
  for (const [name, value] of params) {
    if (dialect === 'mysql' && name === 'charset' && /^utf8(mb4)?$/i.test(value)) continue;
    if (/^ssl/i.test(name))
      return dialect === 'postgresql'
        ? `has ${name}=, which is not read from the URL: set PGSSLMODE in the services' environment instead (PGSSLMODE=require for TLS, a private CA in NODE_EXTRA_CA_CERTS)`
        : `has ${name}=: TLS to MariaDB/MySQL is not supported; reach it over a local socket or a tunnel`;
    return `has the query parameter ${name}=, which is not supported${dialect === 'mysql' ? ' (charset=utf8 or utf8mb4 is: the connection is always utf8mb4)' : ''}`;
  }
  return null;
}

function serverTarget(url: string, dialect: ServerTarget['dialect']): ServerTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(url, 'cannot be parsed');
  }
  const problem = queryProblem(parsed.searchParams, dialect);
  if (problem) throw invalid(url, problem);
  // WHATWG URL keeps a `%` that starts no escape; decoding it would throw a URIError that names
  // neither the key nor the URL.
  const decode = (part: string, what: string) => {
    const decoded = percentDecoded(part);
    if (decoded === null)
      throw invalid(url, `has a % that starts no escape in its ${what} (write % as %25)`);
    return decoded;
  };
  const database = decode(parsed.pathname.slice(1), 'database name');
  if (!database || database.includes('/')) throw invalid(url, 'needs one database name');
  const decoded = (part: string, what: string) => (part ? decode(part, what) : undefined);
  return {
    dialect,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: parsed.port ? Number(parsed.port) : undefined,
    user: decoded(parsed.username, 'user'),
    password: decoded(parsed.password, 'password'),
    database,
  };
}

/**
 * Reads a database URL as SQLAlchemy writes them. A relative SQLite path is relative to
 * `baseDir`, the config file's directory. Anything else is a ConfigError naming the URL without
 * its password.
 */
export function parseDatabaseUrl(url: string, baseDir: string): DatabaseTarget {
  const match = /^([a-z0-9]+)(?:\+[a-z0-9_]+)?:\/\/(.*)$/is.exec(url.trim());
  const dialect = match ? DIALECTS[match[1]!.toLowerCase()] : undefined;
  if (!match || !dialect) throw invalid(url, 'is not supported');
  if (dialect === 'sqlite') return sqliteTarget(url, match[2]!, baseDir);
  return serverTarget(url.trim(), dialect);
}
