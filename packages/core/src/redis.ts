import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from './errors.js';
import { settlesWithin, withTimeout } from './timeout.js';
import { redactUrl } from './redact-url.js';

/**
 * How long a connection may wait for any answer to the commands it sent before it is taken for
 * dead and made again: a socket that stays open while nothing comes back (a NAT or firewall that
 * forgot the connection, a peer that froze behind a proxy) otherwise held a worker's job, unlogged,
 * for minutes, while a new connection would have worked at once. Above the 10 s a BullMQ worker
 * blocks waiting for a job, whose empty answer comes only then.
 */
export const SILENT_SOCKET_MS = 20_000;

/**
 * The longest wait between two tries to reconnect: once Redis is back, a worker has its connection
 * again within it, and what it must renew (its jobs' locks, workers.lock_timeout) has that much
 * less time left. A try a second costs nothing.
 */
export const RECONNECT_MAX_MS = 2_000;

/**
 * A Redis connection for BullMQ and our own keys. Reconnects forever with a capped backoff;
 * `maxRetriesPerRequest: null` is what BullMQ workers need to block on the queue.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 10_000,
    socketTimeout: SILENT_SOCKET_MS,
    retryStrategy: (times) => Math.min(200 * 2 ** times, RECONNECT_MAX_MS),
    lazyConnect: false,
    ...opts,
  });
}

/**
 * For producers: fail fast while Redis is down instead of queueing commands in memory.
 * `commandTimeout` (ms) also fails a command that a connected but frozen Redis never answers.
 */
export function createProducerRedis(
  url: string,
  opts: Pick<RedisOptions, 'commandTimeout'> = {},
): Redis {
  return createRedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, ...opts });
}

/**
 * How long a command waits for Redis to be ready. `connectTimeout` ends when the socket connects,
 * which a frozen Redis (a stopped process, a swapping host) still lets happen: its kernel accepts
 * the connection, and the ready check would then wait for good.
 */
export const CONNECT_ONCE_MS = 10_000;

/**
 * For commands: connects once and fails in seconds with a message naming Redis, instead of
 * retrying forever as the long-running processes do. `signal` gives up at once: ending the
 * client fails the attempt under way.
 */
export async function connectRedisOnce(
  url: string,
  { signal }: { signal?: AbortSignal } = {},
): Promise<Redis> {
  signal?.throwIfAborted();
  const redis = createRedis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  let lastError: Error | null = null;
  redis.on('error', (err: Error) => (lastError = err));
  const giveUp = () => endRedis(redis);
  signal?.addEventListener('abort', giveUp);
  try {
    await withTimeout(redis.connect(), CONNECT_ONCE_MS, 'it');
  } catch (err) {
    closeRedis(redis);
    const { message } = lastError ?? (err as Error);
    throw Object.assign(new Error(`cannot reach Redis at ${redactUrl(url)}: ${message}`), {
      fix: redisFix(message, url.startsWith('rediss:')),
    });
  } finally {
    signal?.removeEventListener('abort', giveUp);
  }
  // ioredis goes on in database 0 when SELECT fails, where another install's queues may be.
  const selectFailed = lastError as Error | null;
  if (selectFailed && /DB index is out of range/i.test(selectFailed.message)) {
    closeRedis(redis);
    throw Object.assign(
      new ConfigError(
        `redis.url ${redactUrl(url)} selects a database this Redis does not have (${selectFailed.message}; see its "databases" setting)`,
      ),
      {
        fix: 'end redis.url with a database number under that setting (16 by default: /0 to /15), or raise it in redis.conf',
      },
    );
  }
  return redis;
}

/** What to do about a Redis that answered and refused, by its words; undefined when it did not answer. */
function redisFix(message: string, tls: boolean): string | undefined {
  if (/\b(NOAUTH|WRONGPASS)\b|invalid (username-)?password/i.test(message))
    return 'put the password in redis.url or $REDIS_URL: redis://:PASSWORD@HOST:PORT, or redis://USER:PASSWORD@… for an ACL user (%-encode @, : and / in them)';
  // With TLS 1.3 the client learns of a certificate it did not present after its handshake:
  // as the server's alert, or as the connection reset, whichever comes first.
  if (/certificate required/i.test(message) || (tls && /ECONNRESET/.test(message)))
    return 'if this Redis asks for client certificates (tls-auth-clients yes, its default with TLS), set tls-auth-clients no (or optional) on it: Loopabull presents none; log in with a password';
  if (/self.signed|unable to (verify|get issuer)|certificate/i.test(message))
    return "trust the CA that signed Redis's certificate: NODE_EXTRA_CA_CERTS=/path/ca.pem in the services' environment";
  return undefined;
}

/**
 * For the long-running processes, before they start: a database number Redis does not have is
 * a configuration error (exit 2). Redis being down is not: they wait for it. A Redis that does
 * not answer holds this for `CONNECT_ONCE_MS`; `signal` (a process stopped meanwhile) ends it at
 * once, with nothing thrown.
 */
export async function checkRedisDatabase(
  url: string,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  let redis: Redis;
  try {
    redis = await connectRedisOnce(url, opts);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return;
  }
  closeRedis(redis);
}

/**
 * How long `closeRedis` waits for QUIT's answer, which comes after those to the commands sent
 * before it: a Redis that stopped answering (a frozen host) would hold it for good.
 */
const QUIT_WAIT_MS = 5_000;

/**
 * Closes without waiting on a dead server: QUIT when connected, then (QUIT not answered, or not
 * connected) `endRedis`. Resolves once the client is done with Redis; callers that need not know
 * leave it unawaited.
 */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await settlesWithin(redis.quit(), QUIT_WAIT_MS);
  endRedis(redis);
}

/**
 * Ends a client now, whatever its state: every command it holds fails ("Connection is closed.")
 * and it emits `end`, at once or, with a socket open, once disconnect() has closed it (2 s at
 * most). For a process that has stopped waiting for Redis: its timers and sockets are gone then.
 */
export function endRedis(redis: Redis): void {
  // disconnect() on an ended connection arms a 2 s timer for nothing.
  if (redis.status === 'end') return;
  // Between two connection attempts a client has no socket whose closing would end it: there
  // disconnect() alone cancels the next attempt and leaves it waiting for good, the commands it
  // queued for Redis's return unsettled and no `end` (ioredis#2169), which BullMQ's close()
  // waits for. An attempt begun and cancelled at once ends it: ioredis gives the attempt up
  // before opening a socket, failing the queued commands.
  if (redis.status === 'reconnecting') redis.connect().catch(() => undefined);
  redis.disconnect();
}
