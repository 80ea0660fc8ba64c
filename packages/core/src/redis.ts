import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from './errors.js';

/**
 * A Redis connection for BullMQ and our own keys. Reconnects forever with a capped backoff;
 * `maxRetriesPerRequest: null` is what BullMQ workers need to block on the queue.
 */
export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 10_000,
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 6), 5_000),
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

/** Query parameters that carry secrets: ioredis reads `?password=`, brokers and proxies take tokens. */
const SECRET_PARAM = /pass|pwd|secret|token|key|auth|cred|sig/i;

/** What stands in for a URL that cannot be parsed: which part of it is a secret is unknowable. */
export const UNPARSABLE_URL = '<unparsable URL>';

/**
 * URLs may carry passwords; logs, `doctor` and the unauthenticated `/readyz` must not. A user
 * name without a password is redacted too: that is how tokens ride in URLs.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return UNPARSABLE_URL;
  }
  if (u.password) u.password = '***';
  else if (u.username) u.username = '***';
  for (const name of new Set(u.searchParams.keys())) {
    if (SECRET_PARAM.test(name)) u.searchParams.set(name, '***');
  }
  return u.toString();
}

/**
 * For commands: connects once and fails in seconds with a message naming Redis, instead of
 * retrying forever as the long-running processes do.
 */
export async function connectRedisOnce(url: string): Promise<Redis> {
  const redis = createRedis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  let lastError: Error | null = null;
  redis.on('error', (err: Error) => (lastError = err));
  try {
    await redis.connect();
  } catch (err) {
    closeRedis(redis);
    throw new Error(
      `cannot reach Redis at ${redactUrl(url)}: ${(lastError ?? (err as Error)).message}`,
    );
  }
  // ioredis goes on in database 0 when SELECT fails, where another install's queues may be.
  const selectFailed = lastError as Error | null;
  if (selectFailed && /DB index is out of range/i.test(selectFailed.message)) {
    closeRedis(redis);
    throw new ConfigError(
      `redis.url ${redactUrl(url)} selects a database this Redis does not have (${selectFailed.message}; see its "databases" setting)`,
    );
  }
  return redis;
}

/**
 * For the long-running processes, before they start: a database number Redis does not have is
 * a configuration error (exit 2). Redis being down is not: they wait for it.
 */
export async function checkRedisDatabase(url: string): Promise<void> {
  let redis: Redis;
  try {
    redis = await connectRedisOnce(url);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return;
  }
  closeRedis(redis);
}

/** Closes without waiting on a dead server: disconnect() on an ended connection arms a 2 s timer. */
export function closeRedis(redis: Redis): void {
  if (redis.status === 'ready') void redis.quit().catch(() => redis.disconnect());
  else if (redis.status !== 'end') redis.disconnect();
}
