import type { Redis } from 'ioredis';

/**
 * Calls `make` and returns what it made with the copies (`duplicate()`) of `redis` it made
 * meanwhile. BullMQ's Worker makes two in its constructor, one for its commands and one that
 * blocks waiting for jobs, and keeps them to itself; while Redis is unreachable its close() and
 * disconnect() wait on them for good, so a worker that gives up on Redis ends them itself.
 */
export function withCopies<T>(redis: Redis, make: () => T): [made: T, copies: Redis[]] {
  const copies: Redis[] = [];
  const duplicate = redis.duplicate;
  redis.duplicate = (override) => {
    const copy = duplicate.call(redis, override);
    copies.push(copy);
    return copy;
  };
  try {
    return [make(), copies];
  } finally {
    // The prototype's again, for handlers' own copies (`ctx.redis`), which are theirs to end.
    Reflect.deleteProperty(redis, 'duplicate');
  }
}
