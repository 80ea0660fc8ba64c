import type { Redis } from 'ioredis';
import { connectOnce, redactUrl, withTimeout, type Config } from '@loopabull/core';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

const CACHE_MS = 2000;

/** Whether Redis and the bus answer. Cached briefly so probes cannot hammer the broker. */
export function readinessProbe(config: Config, redis: Redis): () => Promise<Readiness> {
  let cached: { at: number; value: Promise<Readiness> } | null = null;
  const check = async (): Promise<Readiness> => {
    const timeout = config.bus.connect_timeout * 1000;
    const [redisCheck, busCheck] = await Promise.allSettled([
      withTimeout(redis.ping(), timeout, `Redis at ${redactUrl(config.redis.url)}`),
      withTimeout(
        connectOnce(config).then((conn) => conn.close()),
        timeout,
        `the bus at ${redactUrl(config.bus.url)}`,
      ),
    ]);
    const result = (r: PromiseSettledResult<unknown>) =>
      r.status === 'fulfilled'
        ? { ok: true }
        : { ok: false, error: String((r.reason as Error)?.message ?? r.reason) };
    const checks = { redis: result(redisCheck), bus: result(busCheck) };
    return { ready: checks.redis.ok && checks.bus.ok, checks };
  };
  return () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) cached = { at: Date.now(), value: check() };
    return cached.value;
  };
}
