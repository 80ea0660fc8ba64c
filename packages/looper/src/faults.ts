/**
 * Whose fault a failed job write is. Only Redis's faults may stop the looper: a message that
 * cannot be stored would otherwise go back to the broker, come straight back and stop it again,
 * forever. So an error counts as Redis's only when it says so, and anything else is the message's.
 *
 * Redis's:
 * - our TimeoutError: Redis took the connection and stopped answering;
 * - errors of the Redis client and of BullMQ's connection, by name: ReplyError (Redis refused
 *   the write: OOM, READONLY, MISCONF, LOADING, NOAUTH…), ParserError, AbortError,
 *   InterruptError, MaxRetriesPerRequestError, ClusterAllFailedError, ConnectionClosedError;
 * - socket errors, by code: refused, reset, unreachable, timed out, unresolvable, TLS;
 * - ioredis's own connection messages ("Connection is closed.", "Stream isn't writeable…",
 *   "Socket timeout…", "Command timed out", "connect ETIMEDOUT").
 *
 * A ReplyError caused by a message's content would wrongly count as Redis's; none is reachable
 * while the intake limits (bus.max_bytes, bus.max_depth, header limits) hold, since the only
 * message-sized argument of a job write is its JSON, far below Redis's 512 MB bulk limit.
 */

const REDIS_ERROR_NAMES = new Set([
  'TimeoutError',
  'ReplyError',
  'ParserError',
  'AbortError',
  'InterruptError',
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
  'ConnectionClosedError',
]);

const SOCKET_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTCONN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

const CLIENT_CONNECTION_MESSAGES =
  /^(?:Connection is closed|Stream isn't writeable and enableOfflineQueue|Socket timeout|Command timed out|connect ETIMEDOUT)/;

export function isRedisFault(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof AggregateError && err.errors.some(isRedisFault)) return true;
  if (REDIS_ERROR_NAMES.has(err.name)) return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string') {
    if (SOCKET_ERROR_CODES.has(code) || /^ERR_(?:SSL|TLS)_/.test(code)) return true;
  }
  return CLIENT_CONNECTION_MESSAGES.test(err.message);
}

/** One line naming a failure that is the message's, for the parking lot and the log. */
export function describeFault(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${String(err)}`;
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
