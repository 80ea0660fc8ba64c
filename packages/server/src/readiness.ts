import type { Redis } from 'ioredis';
import {
  TimeoutError,
  connectOnce,
  type BusUnreachable,
  redactUrl,
  withTimeout,
  type Config,
} from '@loopabull/core';
import { redisDown } from './redis-down.js';

export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

const CACHE_MS = 2000;

/**
 * Whether Redis and the bus answer. Cached briefly so probes cannot hammer the broker, but never
 * past a change of the Redis connection's state, which costs nothing to read: a Redis that has just
 * gone away is 503 at once, as every other endpoint reading it is, not 200 for up to CACHE_MS.
 */
export function readinessProbe(config: Config, redis: Redis): () => Promise<Readiness> {
  let cached: { at: number; redisDown: boolean; value: Promise<Readiness> } | null = null;
  const check = async (): Promise<Readiness> => {
    const timeout = config.bus.connect_timeout * 1000;
    // Named by their redacted URLs: this answer is open to anyone who can reach the server.
    const probe = async (what: string, attempt: () => Promise<unknown>) => {
      try {
        await withTimeout(attempt(), timeout, what);
        return { ok: true };
      } catch (err) {
        if (err instanceof TimeoutError) return { ok: false, error: err.message };
        return { ok: false, error: `${what}: ${String((err as Error)?.message ?? err)}` };
      }
    };
    const [redisCheck, busCheck] = await Promise.all([
      probe(`Redis at ${redactUrl(config.redis.url)}`, async () => {
        // Said plainly: serve's connection would fail the PING with "Stream isn't writeable".
        if (redisDown(redis)) throw new Error(`not connected (${redis.status})`);
        return redis.ping();
      }),
      // async: connectOnce throws at once on an unparsable URL, which must fail this check only.
      probe(`the bus at ${redactUrl(config.bus.url)}`, async () => {
        try {
          await (await connectOnce(config)).close();
        } catch (err) {
          // connectOnce's message names the bus as this check does: keep only its reason. Not
          // instanceof: the error may come from another realm (Jest's VM modules).
          const reason = (err as Partial<BusUnreachable>)?.reason;
          throw typeof reason === 'string' ? new Error(reason) : err;
        }
      }),
    ]);
    const checks = { redis: redisCheck, bus: busCheck };
    return { ready: checks.redis.ok && checks.bus.ok, checks };
  };
  return () => {
    const down = redisDown(redis);
    if (!cached || Date.now() - cached.at > CACHE_MS || cached.redisDown !== down)
      cached = { at: Date.now(), redisDown: down, value: check() };
    return cached.value;
  };
}
