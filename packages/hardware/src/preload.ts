import type { Redis } from 'ioredis';
import { isObject } from '@loopabull/core';
import { idWord } from './identity.js';
import { HARDWARE_KEYS } from './keys.js';
import { SCRIPTS } from './lua.js';
import { MAX_CLOCK_SKEW_SECONDS } from './observation.js';
import { dateToMicros, formatLastseen, normalizeTimestamp } from './timestamp.js';

export interface PreloadResult {
  new: number;
  updated: number;
  skipped: number;
  invalid: number;
}

const PRELOAD_BATCH = 500;

/**
 * Loads entries in the `/machines` format. Unlike the original's preload_redis.py, a stored
 * time that is as new or newer is kept, and entries that are not machines are counted, not written.
 * A time further ahead of `now` than an event's may be is invalid too: lastseen never moves back,
 * so a typo'd year would pin the machine as seen until then.
 */
export async function preload(
  redis: Redis,
  entries: readonly unknown[],
  now = new Date(),
): Promise<PreloadResult> {
  const result: PreloadResult = { new: 0, updated: 0, skipped: 0, invalid: 0 };
  const latest = formatLastseen(dateToMicros(now) + MAX_CLOCK_SKEW_SECONDS * 1e6);
  const pairs: string[] = [];
  for (const entry of entries) {
    const dc = isObject(entry) ? idWord(entry.datacenter) : null;
    const host = isObject(entry) ? idWord(entry.machine) : null;
    const time =
      isObject(entry) && typeof entry.lastseen === 'string'
        ? normalizeTimestamp(entry.lastseen)
        : null;
    // Both are fixed-width UTC times: text order is time order.
    if (!dc || !host || !time || time > latest) result.invalid++;
    else pairs.push(`${dc}:${host}`, time);
  }
  for (let i = 0; i < pairs.length; i += PRELOAD_BATCH * 2) {
    const codes = (await SCRIPTS.preload.run(
      redis,
      [HARDWARE_KEYS.lastseen, HARDWARE_KEYS.lastseenVersion],
      pairs.slice(i, i + PRELOAD_BATCH * 2),
    )) as number[];
    for (const code of codes) {
      if (code === 0) result.new++;
      else if (code === 1) result.updated++;
      else result.skipped++;
    }
  }
  return result;
}
