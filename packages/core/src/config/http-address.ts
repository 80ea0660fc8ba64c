import { isIPv6 } from 'node:net';
import type { Config } from './schema.js';

/**
 * Lower case, an IPv6 literal in brackets (`::1` -> `[::1]`), a fully qualified name without its
 * final dot (`example.org.` -> `example.org`): the form a URL and a Host header carry a host in.
 */
export const hostForm = (host: string): string =>
  (/:.*:/.test(host) && !host.startsWith('[') ? `[${host}]` : host)
    .toLowerCase()
    .replace(/\.(?=:\d+$|$)/, '');

/**
 * The address a link to this machine's server names for `http.host`: the host itself, except a
 * wildcard bind address (every interface), which no client can connect to by that name; the
 * loopback of its family answers then.
 */
function linkHost(host: string): string {
  if (/^0+(\.0+){3}$/.test(host)) return '127.0.0.1';
  // Every spelling of the IPv6 wildcard (`::`, `0::0`, `0:0:0:0:0:0:0:0`) is colons and zeros.
  if (isIPv6(host) && /^[0:]+$/.test(host)) return '::1';
  return host;
}

/**
 * `http://<host>:<port>`, where `loopabull serve` answers on this machine with these settings,
 * for links made without a request to take the Host from (result URLs, event hrefs). Port 0
 * (any free port) is kept: which one the server got is known to it alone.
 */
export const httpBaseUrl = (http: Pick<Config['http'], 'host' | 'port'>): string =>
  `http://${hostForm(linkHost(http.host))}:${http.port}`;
